// SPDX-License-Identifier: Apache-2.0
import CPageShim
import PageKit
import Testing

private let page = PageRegion.pageSize

private var canReclaim: Bool {
    KernelFeatures.current.isSuperset(of: [.lazyFree, .pageOut])
}

@Suite struct Purgeable {
    @Test func startsNonvolatileAndZero() throws {
        let region = try PurgeableRegion(byteCount: 3 * page, tag: .applicationSpecific(4))
        #expect(try region.state == .nonvolatile)
        #expect(try region.info[0].purgeableState == .nonvolatile)
        #expect(try region.info[0].tag.rawValue == 243)
        #expect(region.bytes.unsafeLoad(fromByteOffset: 96, as: UInt64.self) == 0)
    }

    @Test func volatileAndBackKeepsContentsWithoutPressure() throws {
        var region = try PurgeableRegion(byteCount: 4 * page)
        for offset in stride(from: 0, to: region.byteCount, by: 8) {
            do {
                var span = region.mutableBytes
                span.storeBytes(of: UInt64(offset), toByteOffset: offset, as: UInt64.self)
            }
        }
        try region.makeVolatile()
        #expect(try region.state == .volatile)
        #expect(try region.makeNonvolatile() == .volatile)
        var intact = true
        for offset in stride(from: 0, to: region.byteCount, by: 8)
        where region.bytes.unsafeLoad(fromByteOffset: offset, as: UInt64.self) != UInt64(offset) {
            intact = false
        }
        #expect(intact)
    }

    @Test(.enabled(if: canReclaim, "needs MADV_FREE and MADV_PAGEOUT to make the kernel drop pages"))
    func reclaimedContentsReportEmptyAndZero() throws {
        var region = try PurgeableRegion(byteCount: 8 * page)
        do {
            var span = region.mutableBytes
            span.storeBytes(of: 0xFEED, toByteOffset: 3 * page + 16, as: UInt64.self)
        }
        try region.makeVolatile()
        try region.reclaimNow()
        #expect(try region.state == .empty)
        #expect(try region.makeNonvolatile() == .empty)
        #expect(region.bytes.unsafeLoad(fromByteOffset: 3 * page + 16, as: UInt64.self) == 0)
        #expect(try region.state == .nonvolatile)
    }

    /// LIFO group 6 is this test's alone: the suites run in parallel, and
    /// the others make regions volatile in FIFO group 0.
    @Test func queueAndGroupAreRecordedAndCounted() throws {
        var region = try PurgeableRegion(byteCount: 2 * page)
        do {
            var span = region.mutableBytes
            span.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
            span.storeBytes(of: 7, toByteOffset: page, as: UInt8.self)
        }
        let before = try VolatileQueues.current()[.lifo, 6]
        try region.makeVolatile(queue: .lifo, group: 6)
        let during = try VolatileQueues.current()[.lifo, 6]
        // Memory pressure may reclaim the pages first; then nothing can be
        // known of the counts.
        guard try region.state == .volatile else { return }
        #expect(during.regions == before.regions + 1)
        #expect(during.residentBytes == before.residentBytes + 2 * page)
        #expect(try region.state == .volatile)
        #expect(throws: PageError.self) { try region.makeVolatile(queue: .fifo, group: 8) }
        do {
            try region.makeVolatile(queue: .fifo, group: 8)
            Issue.record("group 8 was accepted")
        } catch {
            #expect(error.code == .invalidArgument)
            #expect(error.errno == .invalidArgument)
        }
        // The refused request moved nothing: still in LIFO group 6.
        if try region.state == .volatile {
            #expect(try VolatileQueues.current()[.lifo, 6].regions == before.regions + 1)
        }
        #expect(try region.makeNonvolatile() == .volatile)
        #expect(try VolatileQueues.current()[.lifo, 6] == before)
    }

    @Test func purgeEmptiesNow() throws {
        var region = try PurgeableRegion(byteCount: page)
        do {
            var span = region.mutableBytes
            span.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
        }
        try region.purge()
        #expect(try region.state == .empty)
        try region.makeVolatile()
        #expect(try region.state == .empty)
        #expect(try region.makeNonvolatile() == .empty)
        #expect(region.bytes.unsafeLoad(as: UInt8.self) == 0)
    }

    @Test func withContentsTellsWhetherContentsSurvived() throws {
        var region = try PurgeableRegion(byteCount: 2 * page)
        try region.makeVolatile()
        let first = try region.withContents { bytes, survived in
            bytes.storeBytes(of: 77, toByteOffset: 0, as: UInt32.self)
            return survived
        }
        #expect(first)  // never filled, never reclaimed: the zeros survived
        #expect(try region.state == .volatile)
        let value = try region.withContents { bytes, survived in
            survived ? bytes.unsafeLoad(fromByteOffset: 0, as: UInt32.self) : 0
        }
        #expect(value == 77)
        if canReclaim {
            try region.reclaimNow()
            let refilled = try region.withContents { bytes, survived in
                #expect(!survived)
                #expect(bytes.unsafeLoad(fromByteOffset: 0, as: UInt32.self) == 0)
                bytes.storeBytes(of: 78, toByteOffset: 0, as: UInt32.self)
                return true
            }
            #expect(refilled)
        }
        #expect(try region.state == .volatile)
    }

    struct Oops: Error {}

    @Test func withContentsMakesVolatileAgainWhenTheBodyThrows() throws {
        var region = try PurgeableRegion(byteCount: page)
        do {
            try region.withContents { (_, _) throws(Oops) in throw Oops() }
            Issue.record("the body's error was lost")
        } catch {
            switch error {
            case .body: break
            case .page(let pageError): Issue.record("unexpected \(pageError)")
            }
        }
        #expect(try region.state == .volatile)
    }

    @Test func purgeableRegionsMoveAcrossTasks() async throws {
        let handover = Handover(try PurgeableRegion(byteCount: page))
        let state = try await Task.detached {
            var owned = handover.take()
            try owned.makeVolatile()
            return try owned.state
        }.value
        #expect(state == .volatile)
    }
}
