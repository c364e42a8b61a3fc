// SPDX-License-Identifier: Apache-2.0
// A cache of values that can be made again, kept in purgeable memory: the
// kernel may take an entry's pages while it is not in use, and the cache
// notices and rebuilds it.
import PageKit

/// Rendered "thumbnails" keyed by name, each in its own purgeable region.
struct ThumbnailCache: ~Copyable {
    private var entries: [String: Int] = [:]   // name -> index in regions
    private var regions: [Handle] = []
    private(set) var rebuilds = 0

    /// A purgeable region behind a class reference, so an array can hold it.
    final class Handle {
        var region: PurgeableRegion
        init(_ region: consuming PurgeableRegion) { self.region = region }
    }

    /// Calls `body` with the thumbnail's bytes, rendering it first if it was
    /// never made or the kernel reclaimed it.
    mutating func withThumbnail<R>(_ name: String, _ body: (borrowing RawSpan) -> R) throws -> R {
        let index: Int
        if let existing = entries[name] {
            index = existing
        } else {
            let region = try PurgeableRegion(byteCount: 16 * PageRegion.pageSize, tag: .applicationSpecific(3))
            regions.append(Handle(region))
            index = regions.count - 1
            entries[name] = index
        }
        var rendered = false
        let result = try regions[index].region.withContents { bytes, survived in
            if !survived || bytes.unsafeLoad(fromByteOffset: 0, as: UInt64.self) == 0 {
                render(name, into: &bytes)
                rendered = true
            }
            return body(bytes.bytes)
        }
        if rendered { rebuilds += 1 }
        return result
    }

    /// Lets the kernel take back every entry now, as memory pressure would.
    func simulateMemoryPressure() throws {
        for handle in regions { try handle.region.reclaimNow() }
    }

    private func render(_ name: String, into bytes: inout MutableRawSpan) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01B3 }
        for offset in stride(from: 0, to: bytes.byteCount, by: 8) {
            bytes.storeBytes(of: hash &+ UInt64(offset), toByteOffset: offset, as: UInt64.self)
        }
    }
}

var cache = ThumbnailCache()
let first = try cache.withThumbnail("sunset.png") { $0.unsafeLoad(as: UInt64.self) }
let again = try cache.withThumbnail("sunset.png") { $0.unsafeLoad(as: UInt64.self) }
print("rendered once, served twice from purgeable memory: \(first == again ? "same bytes" : "DIFFERENT"), rebuilds \(cache.rebuilds)")

if KernelFeatures.current.isSuperset(of: [.lazyFree, .pageOut]) {
    try cache.simulateMemoryPressure()
    let afterPressure = try cache.withThumbnail("sunset.png") { $0.unsafeLoad(as: UInt64.self) }
    print("after the kernel reclaimed it: rebuilt (\(cache.rebuilds) rebuilds), same bytes: \(afterPressure == first)")
} else {
    print("this kernel cannot reclaim on demand; the entry simply stays")
}
