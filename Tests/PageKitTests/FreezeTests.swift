// SPDX-License-Identifier: Apache-2.0
import CPageShim
import PageKit
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

private let page = PageRegion.pageSize

@Suite struct Freezing {
    @Test func frozenRegionsAreReadOnlyForGood() throws {
        var region = try PageRegion(byteCount: 2 * page)
        do {
            var span = region.mutableBytes
            span.storeBytes(of: 0xC0FFEE, toByteOffset: 0, as: UInt32.self)
        }
        let frozen = try region.freeze()
        let sealed = frozen.isSealed
        #expect(!sealed)
        #expect(frozen.bytes.unsafeLoad(as: UInt32.self) == 0xC0FFEE)
        let info = try frozen.info
        #expect(info.count == 1)
        #expect(info[0].protection == .read)
        #expect(info[0].maximumProtection == .read)
        #expect(faults(.write, at: frozen.baseAddress))
        #expect(!faults(.read, at: frozen.baseAddress))
        // No PageKit call can make it writable again.
        #expect(pk_protect(UInt(bitPattern: frozen.baseAddress), page, false, PK_PROT_DEFAULT) == -EACCES)
    }

    @Test func frozenPagesAreUnmappedWhenTheOwnerEnds() throws {
        let area = PrivateArea(pages: 1)
        let region = try PageRegion(overwritingAt: area.start, byteCount: page)
        let address = UInt(bitPattern: region.baseAddress)
        do {
            let frozen = try region.freeze()
            _ = frozen
        }
        #expect(!isMapped(address, page))
    }

    @Test func failedFreezeHandsTheRegionBack() throws {
        var region = try PageRegion(byteCount: page)
        do {
            var span = region.mutableBytes
            span.storeBytes(of: 42, toByteOffset: 0, as: UInt8.self)
        }
        try region.lowerMaximumProtection(to: .write)
        let address = region.baseAddress
        do {
            _ = try region.freeze()
            Issue.record("froze memory whose maximum lacks READ")
        } catch {
            #expect(error.code == .protectionFailure)
            #expect(error.errno == .permissionDenied)
            #expect(error.operation == .freeze)
            guard var returned = error.takeRegion() else {
                Issue.record("the region was lost")
                return
            }
            let takenTwice = isNil(error.takeRegion())
            #expect(takenTwice)
            #expect(returned.baseAddress == address)
            #expect(try returned.info[0].maximumProtection == .write)
            let writable = returned.mutableBytes
            #expect(writable.byteCount == page)
        }
    }

    @Test func sealedFreezeRefusesRawSystemCalls() throws {
        let region = try PageRegion(byteCount: page)
        guard KernelFeatures.has(.memorySealing) else {
            do {
                _ = try region.freeze(sealed: true)
                Issue.record("sealed without mseal")
            } catch {
                #expect(error.code == .notSupported)
                let handedBack = !isNil(error.takeRegion())
                #expect(handedBack)
            }
            return
        }
        let frozen = try region.freeze(sealed: true)
        let sealed = frozen.isSealed
        #expect(sealed)
        #expect(try frozen.info[0].isSealed)
        let raw = UnsafeMutableRawPointer(mutating: frozen.baseAddress)
        #expect(mprotect(raw, page, PROT_READ | PROT_WRITE) == -1 && errno == EPERM)
        #expect(munmap(raw, page) == -1 && errno == EPERM)
        do {
            try frozen.deallocate()
            Issue.record("sealed memory was deallocated")
        } catch {
            #expect(error.code == .protectionFailure)
            #expect(error.errno == .notPermitted)
        }
    }
}
