// SPDX-License-Identifier: Apache-2.0
// The Swift layer against raw C, case by case: each PageKit benchmark has a
// "raw" twin doing the same work with bare system calls. Compare the two
// lines of a pair (the ratio is what carries over between machines).
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
        Benchmark("PageRegion lifecycle \(label)") { benchmark in
            for _ in benchmark.scaledIterations {
                var region = try PageRegion(byteCount: size)
                var bytes = region.mutableBytes
                bytes.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
                blackHole(region.baseAddress)
            }
        }
        Benchmark("raw lifecycle \(label)") { benchmark in
            for _ in benchmark.scaledIterations {
                raw_lifecycle(size)
            }
        }
    }

    Benchmark("PageRegion protect RW-R-RW, 1 page of 1 MiB") { benchmark in
        var region = try PageRegion(byteCount: 1 << 20)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            try region.protect(.read, pages: 17..<18)
            try region.protect(.readWrite, pages: 17..<18)
        }
        benchmark.stopMeasurement()
    }
    Benchmark("raw protect RW-R-RW, 1 page of 1 MiB") { benchmark in
        let region = raw_map(1 << 20)!
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            raw_protect_round_trip(region + 17 * page, page)
        }
        benchmark.stopMeasurement()
        raw_unmap(region, 1 << 20)
    }

    Benchmark("PageRegion freeze lifecycle 64 KiB") { benchmark in
        for _ in benchmark.scaledIterations {
            var region = try PageRegion(byteCount: 64 << 10)
            var bytes = region.mutableBytes
            bytes.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
            let frozen = try region.freeze()
            blackHole(frozen.baseAddress)
        }
    }
    Benchmark("raw freeze lifecycle 64 KiB") { benchmark in
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
    Benchmark("raw MADV_FREE + store per page 1 MiB") { benchmark in
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
