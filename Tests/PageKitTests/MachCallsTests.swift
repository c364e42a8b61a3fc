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

private let page = PageKit.pageSize

@Suite struct PageSizes {
    @Test func pageSizeIsTheKernels() {
        #expect(PageKit.pageSize == Int(sysconf(Int32(_SC_PAGESIZE))))
        #expect(PageKit.pageMask == page - 1)
        #expect(1 << PageKit.pageShift == page)
        #expect(PageKit.truncatePage(UInt(page) + 1) == UInt(page))
        #expect(PageKit.roundPage(1) == UInt(page))
        #expect(PageKit.roundPage(UInt.max) == nil)
    }
}

@Suite struct WiringAndAdvice {
    @Test func wiringsAreCounted() throws {
        var region = try PageRegion(byteCount: 2 * page)
        try region.wire()
        try region.wire(pages: 0..<1)
        #expect(try region.info.map(\.wiredCount) == [2, 1])
        try region.unwire()
        #expect(try region.info.map(\.wiredCount) == [1, 0])
        try region.unwire(pages: 0..<1)
        #expect(try region.info.map(\.wiredCount) == [0])
    }

    @Test func wiringForAccessThePagesLackIsRefused() throws {
        var region = try PageRegion(byteCount: page)
        try region.protect(.read)
        do {
            try region.wire(for: .readWrite)
            Issue.record("wiring for write access to read-only pages succeeded")
        } catch {
            #expect(error.code == .protectionFailure)
            #expect(error.errno == .permissionDenied)
            #expect(error.operation == .wire)
        }
        #expect(try region.info[0].wiredCount == 0)
    }

    @Test func adviceKeepsOrZerosAsMachSays() throws {
        var region = try PageRegion(byteCount: 2 * page)
        _ = region.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 7) }
        try region.advise(.dontNeed)
        try region.advise(.willNeed)
        try region.advise(.access(.sequential), pages: 1..<2)
        #expect(try region.info.map(\.accessPattern) == [.normal, .sequential])
        #expect(region.withUnsafeBytes { $0.allSatisfy { $0 == 7 } })
        try region.advise(.zero, pages: 0..<1)
        #expect(region.withUnsafeBytes { bytes in bytes.prefix(page).allSatisfy { $0 == 0 } })
        #expect(region.withUnsafeBytes { bytes in bytes.suffix(page).allSatisfy { $0 == 7 } })
    }

    @Test func pageDispositionsTellWrittenFromUntouched() throws {
        var region = try PageRegion(byteCount: 3 * page)
        region.withUnsafeMutableBytes { $0.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self) }
        let dispositions = try region.pageDispositions
        #expect(dispositions.count == 3)
        #expect(dispositions[0] == [.present, .referenced, .dirty])
        #expect(dispositions[2] == [])
    }
}

@Suite struct OtherProcesses {
    @Test func readsAndWritesThroughATaskPort() throws {
        // This process through its own /proc files: the same path as any other.
        let memory = try ProcessMemory(processID: getpid())
        var source = try PageRegion(byteCount: page)
        let text = Array("hello, task".utf8)
        source.withUnsafeMutableBytes { bytes in text.withUnsafeBytes { bytes.copyMemory(from: $0) } }
        let address = UInt(bitPattern: source.baseAddress)
        let first = try memory.read(from: address, count: 11)
        #expect(first == text)
        let replacement = UnsafeMutableRawBufferPointer.allocate(byteCount: 5, alignment: 1)
        defer { replacement.deallocate() }
        replacement.copyBytes(from: Array("HELLO".utf8))
        try memory.write(UnsafeRawBufferPointer(replacement), to: address)
        let second = try memory.read(from: address, count: 11)
        #expect(second == Array("HELLO, task".utf8))
        let region = try memory.region(at: address)
        #expect(region.protection == .readWrite)
        let dispositions = try memory.pageDispositions(address: address, byteCount: page)
        #expect(dispositions.first?.contains(.dirty) == true)
    }

    @Test func whatCannotBeReadThrowsTyped() throws {
        let memory = try ProcessMemory(processID: getpid(), readOnly: true)
        var region = try PageRegion(byteCount: page)
        try region.protect([])
        let address = UInt(bitPattern: region.baseAddress)
        var code: KernReturn?
        do {
            _ = try memory.read(from: address, count: 16)
        } catch {
            code = error.code
            #expect(error.operation == .task)
        }
        #expect(code == .invalidAddress)
        code = nil
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: 3, alignment: 1)
        defer { bytes.deallocate() }
        bytes.copyBytes(from: [1, 2, 3])
        do {
            try memory.write(UnsafeRawBufferPointer(bytes), to: address)
        } catch {
            code = error.code
        }
        #expect(code == .invalidArgument)
    }

    @Test func noSuchProcess() {
        var code: KernReturn?
        var errno: Errno?
        do {
            _ = try ProcessMemory(processID: 0)
        } catch {
            code = error.code
            errno = error.errno
        }
        #expect(code == .sendInvalidDestination)
        #expect(errno == .noSuchProcess)
    }
}
