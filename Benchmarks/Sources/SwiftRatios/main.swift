// SPDX-License-Identifier: Apache-2.0
// The Swift layer against the C layer it calls, per call, as ratios: each
// case runs its Swift side and its C side alternately (A B, B A, ...) in
// one process, and reports the median of the per-round ratios, as
// `make bench` does for the C layer against the raw system calls. The raw
// system calls are timed in the same rounds, for the whole chain's ratio.
import Glibc
import PageKit
import RawBaselines

let page = PageRegion.pageSize
let rounds = CommandLine.arguments.contains("--quick") ? 5 : 101
let warmupRounds = 3

func nanoseconds() -> Double {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Double(now.tv_sec) * 1e9 + Double(now.tv_nsec)
}

func median(_ values: [Double]) -> Double {
    let sorted = values.sorted()
    return sorted[sorted.count / 2]
}

/// One side of a case: runs `count` operations.
typealias Side = (Int) throws -> Void

struct Row {
    var name: String
    var swift, c, raw: Double  // ns per operation, medians
    var swiftOverC, cOverRaw: Double  // medians of per-round ratios
    var target: Double
}

/// Times the three sides in every round, in a rotating order, and keeps
/// each round's ratios.
func measure(_ name: String, operations: Int, target: Double, swift: Side, c: Side, raw: Side) throws -> Row {
    func run(_ side: Int) throws {
        switch side {
        case 0: try swift(operations)
        case 1: try c(operations)
        default: try raw(operations)
        }
    }
    var times: [[Double]] = [[], [], []]
    var swiftOverC: [Double] = []
    var cOverRaw: [Double] = []
    for round in 0..<(warmupRounds + rounds) {
        var elapsed = [0.0, 0.0, 0.0]
        for step in 0..<3 {
            let side = (round + step) % 3
            let start = nanoseconds()
            try run(side)
            elapsed[side] = (nanoseconds() - start) / Double(operations)
        }
        guard round >= warmupRounds else { continue }
        for side in 0..<3 { times[side].append(elapsed[side]) }
        swiftOverC.append(elapsed[0] / elapsed[1])
        cOverRaw.append(elapsed[1] / elapsed[2])
    }
    return Row(
        name: name, swift: median(times[0]), c: median(times[1]), raw: median(times[2]),
        swiftOverC: median(swiftOverC), cOverRaw: median(cOverRaw), target: target)
}

/// The Swift layer's target: the C layer's figures, within a measurement's
/// noise.
let swiftTarget = 1.02
var rows: [Row] = []

for (label, size) in [("1 page", page), ("64 KiB", 64 << 10), ("1 MiB", 1 << 20)] {
    rows.append(
        try measure(
            "PageRegion init+deinit, \(label)", operations: 500, target: swiftTarget,
            swift: { count in
                for _ in 0..<count {
                    var region = try PageRegion(byteCount: size)
                    var bytes = region.mutableBytes
                    bytes.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
                }
            },
            c: { count in for _ in 0..<count { c_pagekit_lifecycle(size) } },
            raw: { count in for _ in 0..<count { raw_lifecycle(size) } }))
}

// One call: a page of a 1 MiB region to read-only and back is two calls.
do {
    var region = try PageRegion(byteCount: 1 << 20)
    let cRegion = c_pagekit_allocate(1 << 20)
    let cPage = cRegion + UInt(17 * page)
    let rawRegion = raw_map(1 << 20)!
    rows.append(
        try measure(
            "PageRegion protect, one page of 1 MiB", operations: 1000, target: swiftTarget,
            swift: { count in
                for _ in 0..<(count / 2) {
                    try region.protect(.read, pages: 17..<18)
                    try region.protect(.readWrite, pages: 17..<18)
                }
            },
            c: { count in
                for _ in 0..<(count / 2) {
                    guard c_pagekit_protect(cPage, page, Protection.read.rawValue) == 0,
                        c_pagekit_protect(cPage, page, Protection.readWrite.rawValue) == 0
                    else { fatalError("pk_protect failed") }
                }
            },
            raw: { count in
                for _ in 0..<(count / 2) {
                    guard raw_protect(rawRegion + 17 * page, page, PROT_READ) == 0,
                        raw_protect(rawRegion + 17 * page, page, PROT_READ | PROT_WRITE) == 0
                    else { fatalError("mprotect failed") }
                }
            }))
    c_pagekit_deallocate(cRegion, 1 << 20)
    raw_unmap(rawRegion, 1 << 20)
}

rows.append(
    try measure(
        "PageRegion freeze (init, store, freeze, deinit), 64 KiB", operations: 300, target: swiftTarget,
        swift: { count in
            for _ in 0..<count {
                var region = try PageRegion(byteCount: 64 << 10)
                var bytes = region.mutableBytes
                bytes.storeBytes(of: 1, toByteOffset: 0, as: UInt8.self)
                let frozen = try region.freeze()
                _ = frozen.byteCount
            }
        },
        c: { count in for _ in 0..<count { c_pagekit_freeze_lifecycle(64 << 10) } },
        raw: { count in for _ in 0..<count { raw_freeze_lifecycle(64 << 10) } }))

do {
    var region = try PurgeableRegion(byteCount: 1 << 20)
    var bytes = region.mutableBytes
    let cRegion = c_pagekit_purgeable(1 << 20)
    let rawRegion = raw_map(1 << 20)!
    for offset in stride(from: 0, to: 1 << 20, by: page) {
        bytes.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
        UnsafeMutableRawPointer(bitPattern: cRegion + UInt(offset))!.storeBytes(of: 1, as: UInt8.self)
        rawRegion.storeBytes(of: 1, toByteOffset: offset, as: UInt8.self)
    }
    rows.append(
        try measure(
            "PurgeableRegion makeVolatile+makeNonvolatile, 1 MiB", operations: 100, target: swiftTarget,
            swift: { count in
                for _ in 0..<count {
                    try region.makeVolatile()
                    _ = try region.makeNonvolatile()
                }
            },
            c: { count in for _ in 0..<count { _ = c_pagekit_volatile_cycle(cRegion) } },
            raw: { count in for _ in 0..<count { raw_free_and_store(rawRegion, 1 << 20, page) } }))
    c_pagekit_release(cRegion, 1 << 20)
    raw_unmap(rawRegion, 1 << 20)
}

func format(_ value: Double, _ width: Int, _ decimals: Int) -> String {
    var scale = 1.0
    for _ in 0..<decimals { scale *= 10 }
    let scaled = Int((value * scale).rounded())
    let whole = scaled / Int(scale), fraction = String(scaled % Int(scale))
    let text =
        decimals == 0
        ? String(whole) : "\(whole)." + String(repeating: "0", count: decimals - fraction.count) + fraction
    return String(repeating: " ", count: max(0, width - text.count)) + text
}

func pad(_ text: String, _ width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
}

print(
    pad("case", 58) + "   Swift ns       C ns     raw ns  Swift/C  target        C/raw")
for row in rows {
    let verdict = row.swiftOverC <= row.target ? "pass" : "MISS"
    print(
        pad(row.name, 58) + format(row.swift, 11, 1) + format(row.c, 11, 1) + format(row.raw, 11, 1)
            + format(row.swiftOverC, 9, 3) + format(row.target, 8, 2) + "  " + verdict + format(row.cOverRaw, 9, 3))
}
