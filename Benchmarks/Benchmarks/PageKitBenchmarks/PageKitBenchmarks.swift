// SPDX-License-Identifier: Apache-2.0
// The Swift layer against the C layer it calls and against raw C, case by
// case: each Swift benchmark has a "C" twin making the same PageKit calls
// from C, and a "raw" twin doing the same work with bare system calls.
// Benchmarks/ratios.py prints each case's ratios with their targets (the
// ratio is what carries over between machines).
import Benchmark
import PageKit
import RawBaselines

let page = PageRegion.pageSize

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .instructions, .mallocCountTotal],
        warmupIterations: 100,
        maxDuration: .seconds(2),
        maxIterations: 200_000
    )

    for (label, size) in [("1 page", page), ("64 KiB", 64 << 10), ("1 MiB", 1 << 20)] {
        Benchmark("PageRegion init+deinit \(label)") { benchmark in
            for _ in benchmark.scaledIterations {
                var region = try PageRegion(byteCount: size)
                var bytes = region.mutableBytes
                bytes.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
                blackHole(region.baseAddress)
            }
        }
        Benchmark("C init+deinit \(label)") { benchmark in
            for _ in benchmark.scaledIterations {
                c_pagekit_lifecycle(size)
            }
        }
        Benchmark("raw init+deinit \(label)") { benchmark in
            for _ in benchmark.scaledIterations {
                raw_lifecycle(size)
            }
        }
    }

    // One protect call, two a round: a page of a 1 MiB region to
    // read-only and back.
    Benchmark("PageRegion protect") { benchmark in
        var region = try PageRegion(byteCount: 1 << 20)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try region.protect(.read, pages: 17..<18)
            try region.protect(.readWrite, pages: 17..<18)
        }
        benchmark.stopMeasurement()
    }
    Benchmark("C protect") { benchmark in
        let region = c_pagekit_allocate(1 << 20)
        let target = region + UInt(17 * page)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(c_pagekit_protect(target, page, Protection.read.rawValue))
            blackHole(c_pagekit_protect(target, page, Protection.readWrite.rawValue))
        }
        benchmark.stopMeasurement()
        c_pagekit_deallocate(region, 1 << 20)
    }
    Benchmark("raw protect") { benchmark in
        let region = raw_map(1 << 20)!
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            raw_protect_round_trip(region + 17 * page, page)
        }
        benchmark.stopMeasurement()
        raw_unmap(region, 1 << 20)
    }

    Benchmark("PageRegion freeze 64 KiB") { benchmark in
        for _ in benchmark.scaledIterations {
            var region = try PageRegion(byteCount: 64 << 10)
            var bytes = region.mutableBytes
            bytes.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
            let frozen = try region.freeze()
            blackHole(frozen.baseAddress)
        }
    }
    Benchmark("C freeze 64 KiB") { benchmark in
        for _ in benchmark.scaledIterations {
            c_pagekit_freeze_lifecycle(64 << 10)
        }
    }
    Benchmark("raw freeze 64 KiB") { benchmark in
        for _ in benchmark.scaledIterations {
            raw_freeze_lifecycle(64 << 10)
        }
    }

    Benchmark("PurgeableRegion volatile+nonvolatile 1 MiB") { benchmark in
        var region = try PurgeableRegion(byteCount: 1 << 20)
        var bytes = region.mutableBytes
        for offset in stride(from: 0, to: 1 << 20, by: page) {
            bytes.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try region.makeVolatile()
            blackHole(try region.makeNonvolatile())
        }
        benchmark.stopMeasurement()
    }
    Benchmark("C volatile+nonvolatile 1 MiB") { benchmark in
        let region = c_pagekit_purgeable(1 << 20)
        precondition(region != 0)
        for offset in stride(from: 0, to: 1 << 20, by: page) {
            UnsafeMutableRawPointer(bitPattern: region + UInt(offset))!.storeBytes(of: 1, as: UInt8.self)
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(c_pagekit_volatile_cycle(region))
        }
        benchmark.stopMeasurement()
        c_pagekit_release(region, 1 << 20)
    }
    Benchmark("raw volatile+nonvolatile 1 MiB") { benchmark in
        let region = raw_map(1 << 20)!
        for offset in stride(from: 0, to: 1 << 20, by: page) {
            region.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
        }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            raw_free_and_store(region, 1 << 20, page)
        }
        benchmark.stopMeasurement()
        raw_unmap(region, 1 << 20)
    }
}
