// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Foundation
import PageKit

/// `pagekit demo-process`: a process for `pagekit vmmap` to show, used by the
/// tests and the README. It makes one PageKit region of each kind, prints
/// their addresses as JSON, stops itself (SIGSTOP), and exits when continued.
struct DemoProcess: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-process", abstract: "Make regions of every kind and stop (for vmmap's tests).",
        shouldDisplay: false)

    func run() throws {
        let page = PageRegion.pageSize
        let tagged = try PageRegion(byteCount: 4 * page, tag: .applicationSpecific(3))
        let named = try PageRegion(byteCount: 2 * page, tag: MemoryTag(rawValue: 7), name: "lookup table")
        var cache = try PurgeableRegion(byteCount: 8 * page, name: "cache")
        var reclaimed = try PurgeableRegion(byteCount: 8 * page, name: "reclaimed cache")
        var table = try PageRegion(byteCount: 3 * page)
        for (base, count) in [
            (tagged.baseAddress, tagged.byteCount), (named.baseAddress, named.byteCount),
            (cache.baseAddress, cache.byteCount), (reclaimed.baseAddress, reclaimed.byteCount),
            (table.baseAddress, table.byteCount),
        ] {
            base.initializeMemory(as: UInt8.self, repeating: 0x5A, count: count)
        }
        try cache.makeVolatile()
        try reclaimed.makeVolatile()
        let wasReclaimed = (try? reclaimed.reclaimNow()) != nil
        try table.lowerMaximumProtection(to: .read)
        let addresses: [String: UInt] = [
            "tagged": UInt(bitPattern: tagged.baseAddress), "named": UInt(bitPattern: named.baseAddress),
            "volatile": UInt(bitPattern: cache.baseAddress), "reclaimed": UInt(bitPattern: reclaimed.baseAddress),
            "lowered": UInt(bitPattern: table.baseAddress),
        ]
        var output: [String: AnyHashable] = addresses.mapValues { AnyHashable($0) }
        output["pid"] = AnyHashable(getpid())
        output["reclaimedForReal"] = AnyHashable(wasReclaimed)
        let data = try JSONSerialization.data(
            withJSONObject: output.mapValues { $0.base }, options: [.sortedKeys])
        FileHandle.standardOutput.write(data + Data("\n".utf8))
        raise(SIGSTOP)
        // Used after the stop, so that every region lives until then.
        _ = tagged.byteCount + named.byteCount + cache.byteCount + reclaimed.byteCount + table.byteCount
    }
}
