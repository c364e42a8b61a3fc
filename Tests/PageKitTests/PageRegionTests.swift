// SPDX-License-Identifier: Apache-2.0
import CPageShim
import PageKit
import SystemPackage
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

private let page = PageRegion.pageSize

@Suite struct PageRegionAllocation {
    @Test func newMemoryIsZeroReadWriteMaximumAll() throws {
        let region = try PageRegion(byteCount: 3 * page + 1)
        #expect(region.byteCount == 4 * page)
        #expect(region.pageCount == 4)
        #expect(Int(bitPattern: region.baseAddress) % page == 0)
        let info = try region.info
        #expect(info.count == 1)
        #expect(info[0].protection == .readWrite)
        #expect(info[0].maximumProtection == .all)
        #expect(info[0].isOwned)
        #expect(info[0].purgeableState == nil)
        let bytes = region.bytes
        var allZero = true
        for offset in 0..<bytes.byteCount where bytes.unsafeLoad(fromByteOffset: offset, as: UInt8.self) != 0 {
            allZero = false
        }
        #expect(allZero)
    }

    @Test func sizeZeroIsRefused() {
        #expect(throws: PageError.self) { _ = try PageRegion(byteCount: 0) }
        do {
            _ = try PageRegion(byteCount: 0)
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.errno == .invalidArgument)
            #expect(error.operation == .allocate)
        }
    }

    @Test func noRoomIsNoSpace() {
        do {
            _ = try PageRegion(byteCount: 1 << 62)
            Issue.record("a 4 EiB region was allocated")
        } catch {
            #expect(error.code == .noSpace)
            #expect(error.errno == .noMemory)
        }
    }

    @Test func fixedAddressNeverClobbers() throws {
        let foreign = mmap(nil, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
        defer { munmap(foreign, page) }
        foreign.storeBytes(of: 0xBEEF, as: UInt32.self)
        do {
            _ = try PageRegion(at: foreign, byteCount: page)
            Issue.record("allocated over a foreign mapping")
        } catch PageError.noSpace {
            #expect(foreign.load(as: UInt32.self) == 0xBEEF)
        } catch {
            Issue.record("unexpected \(error)")
        }
        do {
            _ = try PageRegion(at: foreign, byteCount: page)
        } catch {
            #expect(error.errno == .fileExists)
            #expect(error.operation == .allocateFixed)
        }
    }

    @Test func fixedAddressWhereFree() throws {
        let free = freeRange(2 * page)
        let region = try PageRegion(at: free, byteCount: 2 * page, tag: .applicationSpecific(2))
        #expect(region.baseAddress == free)
        #expect(try region.info[0].tag == MemoryTag(rawValue: 241))
    }

    @Test func fixedAddressOutsideTheAddressSpace() {
        do {
            _ = try PageRegion(at: UnsafeMutableRawPointer(bitPattern: 1 << 47)!, byteCount: page)
            Issue.record("mapped above the user address space")
        } catch {
            #expect(error.code == .invalidAddress)
            #expect(error.errno == .noMemory)
        }
    }

    @Test func overwriteReplacesInOneStep() throws {
        let foreign = mmap(nil, 2 * page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0)!
        let replacement = try PageRegion(overwritingAt: foreign, byteCount: 2 * page, name: "replacement")
        #expect(replacement.baseAddress == foreign)
        let info = try replacement.info
        #expect(info.count == 1)
        #expect(info[0].maximumProtection == .all)
        #expect(info[0].protection == .readWrite)
        #expect(info[0].name == "replacement")
        #expect(!faults(.write, at: foreign))
    }

    @Test func tagsAndNamesAreReported() throws {
        var region = try PageRegion(byteCount: 2 * page, tag: .applicationSpecific(16), name: "lookup")
        var info = try region.info
        #expect(info[0].tag.rawValue == 255)
        #expect(info[0].name == "lookup")
        #expect(info[0].isNameVisibleInKernel == KernelFeatures.has(.anonymousVMANames))
        try region.setName(nil)
        info = try region.info
        #expect(info[0].name == MemoryTag.applicationSpecific(16).defaultName)
        try region.setName("second page", pages: 1..<2)
        info = try region.info
        #expect(info.count == 2)
        #expect(info[1].name == "second page")
        do {
            try region.setName("bad$name")
            Issue.record("a name with $ was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
        }
        #expect(throws: PageError.self) { _ = try PageRegion(byteCount: page, name: String(repeating: "x", count: 80)) }
    }

    @Test func tagNames() throws {
        let tag = MemoryTag.applicationSpecific(9)
        let region = try PageRegion(byteCount: page, tag: tag)
        try tag.setName("image cache")
        #expect(try region.info[0].name == "image cache")
        try tag.setName(nil)
        #expect(try region.info[0].name == "pagekit-tag-248")
        #expect(throws: PageError.self) { try MemoryTag(rawValue: 0).setName("zero") }
    }

    @Test func populateFaultsPagesIn() throws {
        let region = try PageRegion(byteCount: 8 * page, options: .populate)
        var resident = 0
        #expect(pk_resident_pages(UInt(bitPattern: region.baseAddress), region.byteCount, &resident) == 0)
        #expect(resident == 8)
        let lazy = try PageRegion(byteCount: 8 * page)
        #expect(pk_resident_pages(UInt(bitPattern: lazy.baseAddress), lazy.byteCount, &resident) == 0)
        #expect(resident == 0)
    }

    @Test func hugePages() throws {
        let huge = try PageRegion(byteCount: 4 << 20, options: .hugePages)
        #expect(huge.byteCount == 4 << 20)
    }

    @Test(.disabled(if: runningUnderThreadSanitizer, "ThreadSanitizer refuses mappings at random addresses"))
    func randomAddresses() throws {
        let first = try PageRegion(byteCount: page, options: .randomAddress)
        let second = try PageRegion(byteCount: page, options: .randomAddress)
        #expect(first.baseAddress != second.baseAddress)
    }

    @Test func permanentPagesStayMappedWithoutAccess() throws {
        let region = try PageRegion(byteCount: page, options: .permanent)
        let address = UInt(bitPattern: region.baseAddress)
        try region.deallocate()
        #expect(isMapped(address, page))
        let info = try RegionInfo.at(address)
        #expect(info.start == address)
        #expect(info.isPermanent)
        #expect(info.protection == .none)
        #expect(info.maximumProtection == .none)
    }
}

@Suite struct PageRegionOwnership {
    @Test func pagesAreUnmappedWhenTheOwnerEnds() throws {
        let area = PrivateArea(pages: 4)
        let address = UInt(bitPattern: area.start)
        do {
            let region = try PageRegion(overwritingAt: area.start, byteCount: 4 * page)
            #expect(isMapped(address, 4 * page))
            #expect(try region.info[0].isOwned)
        }
        #expect(!isMapped(address, 4 * page))
        let next = try? RegionInfo.at(address)
        #expect(next.map { $0.start != address || !$0.isOwned } ?? true)
    }

    @Test func consumingDeallocateReports() throws {
        let area = PrivateArea(pages: 1)
        let region = try PageRegion(overwritingAt: area.start, byteCount: page)
        let address = UInt(bitPattern: region.baseAddress)
        try region.deallocate()
        #expect(!isMapped(address, page))
    }

    @Test func regionsMoveAcrossTasks() async throws {
        let area = PrivateArea(pages: 1)
        let region = try PageRegion(overwritingAt: area.start, byteCount: page)
        let address = UInt(bitPattern: region.baseAddress)
        let handover = Handover(region)
        let value = await Task.detached {
            var owned = handover.take()
            var span = owned.mutableBytes
            span.storeBytes(of: 0xAB, toByteOffset: 5, as: UInt8.self)
            return owned.bytes.unsafeLoad(fromByteOffset: 5, as: UInt8.self)
        }.value
        #expect(value == 0xAB)
        #expect(!isMapped(address, page))
    }
}

@Suite struct PageRegionProtection {
    @Test func protectWholeAndPages() throws {
        var region = try PageRegion(byteCount: 3 * page)
        try region.protect(.read, pages: 1..<2)
        var info = try region.info
        #expect(info.map(\.protection) == [.readWrite, .read, .readWrite])
        #expect(faults(.write, at: region.baseAddress + page))
        #expect(!faults(.write, at: region.baseAddress))
        #expect(!faults(.read, at: region.baseAddress + page))
        try region.protect(.readWrite)
        info = try region.info
        #expect(info.count == 1)
        try region.protect(.none)
        #expect(faults(.read, at: region.baseAddress))
        try region.protect(.readWrite)
    }

    @Test func pagesOutsideTheRegionAreInvalid() throws {
        var region = try PageRegion(byteCount: 2 * page)
        for pages in [1..<3, -1..<1, 1..<1] {
            do {
                try region.protect(.read, pages: pages)
                Issue.record("pages \(pages) accepted")
            } catch {
                #expect(error.code == .invalidArgument)
                #expect(error.errno == .invalidArgument)
            }
        }
        #expect(try region.info[0].protection == .readWrite)
    }

    @Test func maximumCanOnlyBeLowered() throws {
        var region = try PageRegion(byteCount: page)
        try region.lowerMaximumProtection(to: .read)
        #expect(try region.info[0].maximumProtection == .read)
        #expect(try region.info[0].protection == .read)
        do {
            try region.protect(.readWrite)
            Issue.record("protection rose above the maximum")
        } catch PageError.protectionFailure {
        } catch {
            Issue.record("unexpected \(error)")
        }
        do {
            try region.lowerMaximumProtection(to: .all)
        } catch {
            #expect(error.code == .protectionFailure)
            #expect(error.errno == .permissionDenied)
            #expect(error.operation == .protect)
        }
        #expect(faults(.write, at: region.baseAddress))
    }

    @Test func lowerMaximumOfSomePages() throws {
        var region = try PageRegion(byteCount: 2 * page)
        try region.lowerMaximumProtection(to: .none, pages: 0..<1)
        let info = try region.info
        #expect(info.map(\.maximumProtection) == [.none, .all])
        #expect(faults(.read, at: region.baseAddress))
    }

    @Test func spansAndUnsafeBuffers() throws {
        var region = try PageRegion(byteCount: page)
        region.withUnsafeMutableBytes { buffer in
            buffer.storeBytes(of: 0x1234_5678, toByteOffset: 8, as: UInt32.self)
        }
        #expect(region.bytes.unsafeLoad(fromByteOffset: 8, as: UInt32.self) == 0x1234_5678)
        let value = region.withUnsafeBytes { $0.load(fromByteOffset: 8, as: UInt32.self) }
        #expect(value == 0x1234_5678)
        var span = region.mutableBytes
        span.storeBytes(of: 9, toByteOffset: 0, as: UInt8.self)
        #expect(span.byteCount == page)
    }
}

/// Bad input through the Swift doors: a clear typed error each time, no
/// trap, and no region.
@Suite struct BadInput {
    private func code(_ body: () throws(PageError) -> Void) -> KernReturn? {
        do {
            try body()
            return nil
        } catch {
            return error.code
        }
    }

    @Test func sizes() {
        #expect(code { () throws(PageError) in _ = try PageRegion(byteCount: -1) } == .invalidArgument)
        #expect(code { () throws(PageError) in _ = try PageRegion(byteCount: 0) } == .invalidArgument)
        #expect(code { () throws(PageError) in _ = try PageRegion(byteCount: Int.max) } == .noSpace)
        #expect(code { () throws(PageError) in _ = try PurgeableRegion(byteCount: 0) } == .invalidArgument)
        #expect(code { () throws(PageError) in _ = try PurgeableRegion(byteCount: Int.max) } == .noSpace)
    }

    @Test func addresses() {
        let nearTop = UnsafeMutableRawPointer(bitPattern: UInt.max - UInt(page) + 1)!
        #expect(code { () throws(PageError) in _ = try PageRegion(at: nearTop, byteCount: 2 * page) } == .invalidAddress)
        #expect(code { () throws(PageError) in _ = try PageRegion(overwritingAt: nearTop, byteCount: page) } == .invalidAddress)
        let aboveUserSpace = UnsafeMutableRawPointer(bitPattern: UInt(1) << 47)!
        #expect(code { () throws(PageError) in _ = try PageRegion(at: aboveUserSpace, byteCount: page) } == .invalidAddress)
    }

    @Test func names() {
        #expect(code { () throws(PageError) in _ = try PageRegion(byteCount: page, name: "") } == .invalidArgument)
        #expect(code { () throws(PageError) in _ = try PageRegion(byteCount: page, name: "a]b") } == .invalidArgument)
        #expect(code { () throws(PageError) in _ = try PageRegion(byteCount: page, name: "caf\u{e9}") } == .invalidArgument)
        #expect(code { () throws(PageError) in _ = try PurgeableRegion(byteCount: page, name: String(repeating: "n", count: 200)) }
            == .invalidArgument)
        #expect(code { () throws(PageError) in try MemoryTag(rawValue: 250).setName("tab\there") } == .invalidArgument)
    }

    @Test func regionQueriesAboveEverything() {
        #expect(code { () throws(PageError) in _ = try RegionInfo.at(UInt(1) << 47) } == .invalidAddress)
        #expect(code { () throws(PageError) in _ = try RegionInfo.at(UInt.max - 4095) } == .invalidAddress)
    }
}

/// A name with an embedded NUL would reach C cut short at the NUL
/// ("cache\0evil" as "cache"): every Swift door that takes a name refuses it
/// with KERN_INVALID_ARGUMENT / EINVAL and changes nothing, while the same
/// name without the NUL is accepted.
@Suite struct EmbeddedNULNames {
    private func refusal(_ body: () throws(PageError) -> Void) -> PageError? {
        do {
            try body()
            return nil
        } catch {
            return error
        }
    }

    private func expectInvalidArgument(
        _ error: PageError?, _ operation: PageError.Operation, _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        #expect(error != nil, "the name was accepted", sourceLocation: sourceLocation)
        #expect(error?.code == .invalidArgument, comment, sourceLocation: sourceLocation)
        #expect(error?.errno == .invalidArgument, comment, sourceLocation: sourceLocation)
        #expect(error?.operation == operation, comment, sourceLocation: sourceLocation)
    }

    @Test func allocationAnywhere() throws {
        expectInvalidArgument(
            refusal { () throws(PageError) in _ = try PageRegion(byteCount: page, name: "cache-anywhere\0evil") },
            .allocate)
        #expect(ownedRegions(named: "cache-anywhere").isEmpty)
        let region = try PageRegion(byteCount: page, name: "cache-anywhere")
        #expect(try region.info[0].name == "cache-anywhere")
        #expect(ownedRegions(named: "cache-anywhere").map(\.start) == [UInt(bitPattern: region.baseAddress)])
    }

    @Test func allocationAtAFreeAddress() throws {
        let area = PrivateArea(pages: 1)
        munmap(area.start, page)  // a hole inside the area, which nobody else fills
        let address = UInt(bitPattern: area.start)
        expectInvalidArgument(
            refusal { () throws(PageError) in
                _ = try PageRegion(at: area.start, byteCount: page, name: "cache-fixed\0evil")
            },
            .allocateFixed)
        #expect(!isMapped(address, page))
        let region = try PageRegion(at: area.start, byteCount: page, name: "cache-fixed")
        #expect(region.baseAddress == area.start)
        #expect(try region.info[0].name == "cache-fixed")
    }

    @Test func allocationOverwriting() throws {
        // A foreign page inside a private area: were it unmapped, nobody else
        // could refill the hole.
        let area = PrivateArea(pages: 1)
        let foreign = mmap(area.start, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)!
        foreign.storeBytes(of: 0xBEEF, as: UInt32.self)
        expectInvalidArgument(
            refusal { () throws(PageError) in
                _ = try PageRegion(overwritingAt: foreign, byteCount: page, name: "cache-overwrite\0evil")
            },
            .allocateFixed)
        try #require(isMapped(UInt(bitPattern: foreign), page))
        #expect(foreign.load(as: UInt32.self) == 0xBEEF)
        #expect(try !RegionInfo.at(UInt(bitPattern: foreign)).isOwned)
        let replacement = try PageRegion(overwritingAt: foreign, byteCount: page, name: "cache-overwrite")
        #expect(try replacement.info[0].name == "cache-overwrite")
        #expect(replacement.bytes.unsafeLoad(as: UInt32.self) == 0)
    }

    @Test func purgeableAllocation() throws {
        expectInvalidArgument(
            refusal { () throws(PageError) in _ = try PurgeableRegion(byteCount: page, name: "cache-purgeable\0evil") },
            .allocate)
        #expect(ownedRegions(named: "cache-purgeable").isEmpty)
        let region = try PurgeableRegion(byteCount: page, name: "cache-purgeable")
        #expect(try region.info[0].name == "cache-purgeable")
    }

    @Test func regionName() throws {
        for name in ["cache\0evil", "\0cache", "cache\0"] {
            let shown = Comment(rawValue: name.debugDescription)
            var region = try PageRegion(byteCount: 2 * page, name: "before")
            expectInvalidArgument(refusal { () throws(PageError) in try region.setName(name) }, .name, shown)
            expectInvalidArgument(
                refusal { () throws(PageError) in try region.setName(name, pages: 1..<2) }, .name, shown)
            var info = try region.info
            #expect(info.count == 1, shown)
            #expect(info[0].name == "before", shown)
            let withoutNUL = String(name.filter { $0 != "\0" })
            try region.setName(withoutNUL)
            info = try region.info
            #expect(info.count == 1, shown)
            #expect(info[0].name == withoutNUL, shown)
        }
    }

    @Test func tagName() throws {
        let tag = MemoryTag.applicationSpecific(13)
        defer { try? tag.setName(nil) }
        let region = try PageRegion(byteCount: page, tag: tag)
        expectInvalidArgument(refusal { () throws(PageError) in try tag.setName("cache\0evil") }, .name)
        #expect(try region.info[0].name == tag.defaultName)
        try tag.setName("tagged")
        expectInvalidArgument(refusal { () throws(PageError) in try tag.setName("cache\0evil") }, .name)
        #expect(try region.info[0].name == "tagged")
        try tag.setName("cacheevil")
        #expect(try region.info[0].name == "cacheevil")
    }
}

/// The accessors trap, with a message, rather than let an access fault;
/// each test checks the message, so a thrown error cannot pass for a trap.
@Suite struct AccessTraps {
    private func message(_ result: ExitTest.Result?) -> String {
        String(decoding: result?.standardErrorContent ?? [], as: UTF8.self)
    }

    @Test func mutableBytesOfReadOnlyMemoryTraps() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var region = try PageRegion(byteCount: PageRegion.pageSize)
            try region.protect(.read)
            _ = region.mutableBytes
        }
        #expect(message(result).contains("PageKit: cannot write the region"), "\(message(result))")
    }

    @Test func bytesOfInaccessibleMemoryTraps() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var region = try PageRegion(byteCount: PageRegion.pageSize)
            try region.protect(.none)
            _ = region.bytes
        }
        #expect(message(result).contains("PageKit: cannot read the region"), "\(message(result))")
    }

    @Test func contentsOfAVolatileRegionTrap() async {
        let result = await #expect(processExitsWith: .failure, observing: [\.standardErrorContent]) {
            var region = try PurgeableRegion(byteCount: PageRegion.pageSize)
            try region.makeVolatile()
            _ = region.mutableBytes
        }
        #expect(message(result).contains("PageKit: the purgeable region is volatile"), "\(message(result))")
    }

    @Test func writableMemoryDoesNotTrap() async {
        await #expect(processExitsWith: .success) {
            var region = try PageRegion(byteCount: PageRegion.pageSize)
            try region.protect(.write)
            var bytes = region.mutableBytes
            bytes.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
        }
    }
}
