// SPDX-License-Identifier: Apache-2.0
import PageKit
import SystemPackage
import Testing

/// The code a call threw, or nil if it did not throw.
private func code(_ body: () throws -> Void) -> KernReturn? {
    do {
        try body()
        return nil
    } catch let error as PageError {
        return error.code
    } catch {
        return .failure
    }
}

@Suite struct Sharing {
    @Test func entryViewsAliasAndCopiesArePrivate() throws {
        let entry = try MemoryEntry(byteCount: 2 * PageRegion.pageSize + 1)
        #expect(entry.byteCount == 3 * PageRegion.pageSize)
        var one = try entry.map()
        let two = try entry.map()
        let copy = try entry.map(copy: true)
        one.withUnsafeMutableBytes { $0.storeBytes(of: 0xABCD, toByteOffset: PageRegion.pageSize, as: UInt32.self) }
        #expect(two.withUnsafeBytes { $0.load(fromByteOffset: PageRegion.pageSize, as: UInt32.self) } == 0xABCD)
        #expect(copy.withUnsafeBytes { $0.load(fromByteOffset: PageRegion.pageSize, as: UInt32.self) } == 0)
        #expect(try two.info.allSatisfy { $0.isShared && $0.isOwned })
    }

    @Test func aViewGrantsNoMoreThanItsEntry() throws {
        let entry = try MemoryEntry(byteCount: PageRegion.pageSize, protection: .read)
        #expect(code { _ = try entry.map(protection: .readWrite) } == .invalidRight)
        let view = try entry.map(protection: .read)
        #expect(try view.info.first?.maximumProtection == .read)
    }

    @Test func sharingARegionMovesItInPlace() throws {
        var region = try PageRegion(byteCount: 2 * PageRegion.pageSize, tag: .applicationSpecific(5), name: "source")
        region.withUnsafeMutableBytes { $0.storeBytes(of: 77, toByteOffset: 8, as: UInt64.self) }
        let entry = try MemoryEntry(sharing: region)
        let view = try entry.map()
        #expect(view.withUnsafeBytes { $0.load(fromByteOffset: 8, as: UInt64.self) } == 77)
        region.withUnsafeMutableBytes { $0.storeBytes(of: 78, toByteOffset: 8, as: UInt64.self) }
        #expect(view.withUnsafeBytes { $0.load(fromByteOffset: 8, as: UInt64.self) } == 78)
        let info = try #require(try region.info.first)
        #expect(info.name == "source" && info.tag == .applicationSpecific(5) && info.isShared)
    }

    @Test func snapshotsDoNotSeeLaterWrites() throws {
        var region = try PageRegion(byteCount: PageRegion.pageSize)
        region.withUnsafeMutableBytes { $0.storeBytes(of: 1, as: UInt64.self) }
        let snapshot = try MemoryEntry(copying: region)
        region.withUnsafeMutableBytes { $0.storeBytes(of: 2, as: UInt64.self) }
        #expect(try snapshot.map().withUnsafeBytes { $0.load(as: UInt64.self) } == 1)
    }

    @Test func aliasesAndCopiesOfARegion() throws {
        var region = try PageRegion(byteCount: PageRegion.pageSize)
        let alias = try region.alias()
        let copy = try region.copy()
        region.withUnsafeMutableBytes { $0.storeBytes(of: 5, as: UInt32.self) }
        #expect(alias.withUnsafeBytes { $0.load(as: UInt32.self) } == 5)
        #expect(copy.withUnsafeBytes { $0.load(as: UInt32.self) } == 0)
    }

    @Test func inheritanceIsAPropertyOfTheRegion() throws {
        var region = try PageRegion(byteCount: 2 * PageRegion.pageSize)
        #expect(try region.inheritance == .copy)
        try region.setInheritance(.none)
        #expect(try region.inheritance == .none)
        try region.setInheritance(.share)
        #expect(try region.inheritance == .share)
        #expect(try region.info.first?.isShared == true)
        #expect(code { try region.setInheritance(.copy, pages: 1..<3) } == .invalidArgument)
    }

    @Test func ringBufferSpansCrossTheWrap() throws {
        var ring = try MirroredRingBuffer(capacity: 100)
        let capacity = ring.capacity
        #expect(capacity == PageRegion.pageSize)
        let filler = [UInt8](repeating: 1, count: capacity - 10)
        _ = filler.withUnsafeBytes { ring.write($0) }
        ring.consume(capacity - 10)
        let message = Array("across the end of the ring".utf8)
        #expect(message.withUnsafeBytes { ring.write($0) } == message.count)
        do {
            let readable = ring.readableBytes
            #expect(readable.byteCount == message.count)
            var back: [UInt8] = []
            for offset in 0..<readable.byteCount {
                back.append(readable.unsafeLoad(fromByteOffset: offset, as: UInt8.self))
            }
            #expect(back == message)
        }
        do {
            var writable = ring.writableBytes
            #expect(writable.byteCount == capacity - message.count)
            writable.storeBytes(of: 9, toByteOffset: 0, as: UInt8.self)
        }
        ring.commitWrite(1)
        #expect(ring.count == message.count + 1)
        var buffer = [UInt8](repeating: 0, count: capacity)
        #expect(buffer.withUnsafeMutableBytes { ring.read(into: $0) } == message.count + 1)
        #expect(buffer[message.count] == 9)
        #expect(ring.count == 0)
    }

    @Test func entriesCrossProcessesAsDescriptors() throws {
        let entry = try MemoryEntry(byteCount: PageRegion.pageSize, protection: .read)
        let exported = try entry.export()
        defer { try? exported.descriptor.close() }
        #expect(exported.byteCount == PageRegion.pageSize)
        #expect(
            code {
                _ = try MemoryEntry(importing: exported.descriptor, offset: exported.offset,
                                    byteCount: exported.byteCount, protection: .readWrite)
            } == .protectionFailure)
        let imported = try MemoryEntry(importing: exported.descriptor, offset: exported.offset,
                                       byteCount: exported.byteCount, protection: .read)
        _ = try imported.map(protection: .read)
        for (offset, byteCount) in [(exported.offset, 0), (exported.offset, -1), (exported.offset + 1, 1)] {
            #expect(
                code {
                    _ = try MemoryEntry(importing: exported.descriptor, offset: offset, byteCount: byteCount,
                                        protection: .read)
                } == .invalidArgument)
        }
    }

    @Test func sizesBeyondTheAddressSpaceThrow() {
        #expect(code { _ = try MirroredRingBuffer(capacity: Int.max) } == .noSpace)
        #expect(code { _ = try MirroredRingBuffer(capacity: 0) } == .invalidArgument)
        #expect(code { _ = try MemoryEntry(byteCount: Int.max) } == .invalidArgument)
    }
}
