// SPDX-License-Identifier: Apache-2.0
// Uses PageKit the way an application would, without enabling any
// experimental feature itself.
import PageKit

func run() throws(PageError) -> Bool {
    var region = try PageRegion(byteCount: 3 * PageRegion.pageSize, tag: .applicationSpecific(1), name: "consumer")
    var bytes = region.mutableBytes
    bytes.storeBytes(of: 0x5EED, toByteOffset: 0, as: UInt32.self)
    let frozen = try region.freeze()
    let intact = frozen.bytes.unsafeLoad(as: UInt32.self) == 0x5EED
    let info = try frozen.info
    var cache = try PurgeableRegion(byteCount: PageRegion.pageSize)
    try cache.makeVolatile()
    let old = try cache.makeNonvolatile()
    return intact && info[0].maximumProtection == .read && old == .volatile
}

do {
    print(try run() ? "downstream: ok" : "downstream: WRONG")
} catch {
    print("downstream: \(error)")
}
