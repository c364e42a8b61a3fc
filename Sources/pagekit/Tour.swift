// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Foundation
import PageKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `pagekit tour`: what PageKit does on this kernel, each step checked live.
struct Tour: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Walk through PageKit on this kernel, verifying each step as it goes.")

    func run() throws {
        var log = TourLog()
        print("PageKit tour on Linux \(kernelRelease()), page size \(PageRegion.pageSize) bytes")
        print("kernel features: \(KernelFeatures.current)")
        try allocateAndWrite(&log)
        try lowerTheMaximum(&log)
        try proveFaults(&log)
        try purgeable(&log)
        try tags(&log)
        try freeze(&log)
        print("")
        if log.failures > 0 {
            printError("pagekit tour: \(log.failures) of \(log.checks) checks failed")
            throw ExitCode(1)
        }
        print("All \(log.checks) checks passed.")
    }

    private func allocateAndWrite(_ log: inout TourLog) throws {
        log.step("Allocate 1 MiB anywhere and write to it (vm_allocate, mmap)")
        var region = try PageRegion(byteCount: 1 << 20, name: "tour")
        var span = region.mutableBytes
        for offset in stride(from: 0, to: span.byteCount, by: PageRegion.pageSize) {
            span.storeBytes(of: UInt32(truncatingIfNeeded: offset &* 31), toByteOffset: offset, as: UInt32.self)
        }
        var intact = true
        for offset in stride(from: 0, to: region.byteCount, by: PageRegion.pageSize)
        where region.bytes.unsafeLoad(fromByteOffset: offset, as: UInt32.self) != UInt32(truncatingIfNeeded: offset &* 31) {
            intact = false
        }
        let info = try region.info
        log.note("\(info[0])")
        log.check(intact, "wrote and read back a pattern on all \(region.pageCount) pages")
        log.check(
            info.count == 1 && info[0].protection == .readWrite && info[0].maximumProtection == .all,
            "new memory is rw- with maximum rwx, as on Mach")
    }

    private func lowerTheMaximum(_ log: inout TourLog) throws {
        log.step("Lower the maximum protection, then try to raise it (vm_protect, set_maximum)")
        var region = try PageRegion(byteCount: PageRegion.pageSize)
        try region.lowerMaximumProtection(to: .read)
        log.note("\(try region.info[0])")
        do {
            try region.protect(.readWrite)
            log.check(false, "raising protection above the maximum was refused")
        } catch {
            log.note("protect(.readWrite): \(error)")
            log.check(
                error.code == .protectionFailure && error.errno == .permissionDenied,
                "raising protection above the maximum is refused with KERN_PROTECTION_FAILURE (EACCES)")
        }
    }

    private func proveFaults(_ log: inout TourLog) throws {
        log.step("Prove protections with real faults, in child processes")
        let cases: [(protection: String, access: String, faults: Bool)] = [
            ("rw", "write", false), ("r", "write", true), ("r", "read", false), ("none", "read", true),
        ]
        for probe in cases {
            let outcome = try runProbe(protection: probe.protection, access: probe.access)
            let expected = probe.faults ? "killed by SIGSEGV" : "exited 0"
            log.check(outcome == expected, "\(probe.access) to a '\(probe.protection)' page: \(outcome)")
        }
    }

    private func runProbe(protection: String, access: String) throws -> String {
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["fault-probe", "--protection", protection, "--access", access]
        child.standardError = FileHandle.nullDevice
        try child.run()
        child.waitUntilExit()
        switch child.terminationReason {
        case .uncaughtSignal where child.terminationStatus == SIGSEGV: return "killed by SIGSEGV"
        case .uncaughtSignal: return "killed by signal \(child.terminationStatus)"
        case .exit: return "exited \(child.terminationStatus)"
        @unknown default: return "ended oddly"
        }
    }

    private func purgeable(_ log: inout TourLog) throws {
        log.step("Purgeable memory: volatile, reclaimed by the kernel, reported EMPTY (vm_purgable_control)")
        var cache = try PurgeableRegion(byteCount: 64 * PageRegion.pageSize, tag: .applicationSpecific(1))
        var span = cache.mutableBytes
        span.storeBytes(of: 0xCAFE, toByteOffset: 0, as: UInt64.self)
        try cache.makeVolatile()
        log.check(try cache.state == .volatile, "made volatile: the kernel may now take the pages")
        guard KernelFeatures.current.isSuperset(of: [.lazyFree, .pageOut]) else {
            log.note("this kernel cannot be made to reclaim on demand (no MADV_FREE or MADV_PAGEOUT); skipped")
            return
        }
        try cache.reclaimNow()
        log.note("asked the kernel to reclaim the pages now (MADV_PAGEOUT), as memory pressure would")
        log.check(try cache.state == .empty, "the object reports EMPTY")
        let old = try cache.makeNonvolatile()
        let zero = cache.bytes.unsafeLoad(fromByteOffset: 0, as: UInt64.self) == 0
        log.check(old == .empty && zero, "making it nonvolatile returns EMPTY, and it reads as zeros")
    }

    private func tags(_ log: inout TourLog) throws {
        log.step("Tag a region so it stands out (VM_MAKE_TAG, PR_SET_VMA_ANON_NAME)")
        let tag = MemoryTag.applicationSpecific(2)
        let region = try PageRegion(byteCount: PageRegion.pageSize, tag: tag)
        let info = try region.info[0]
        log.note("\(info)")
        log.check(info.tag == tag && info.name == tag.defaultName, "PageKit's region query reports \(tag) as \"\(tag.defaultName)\"")
        let line = mapsLine(containing: UInt(bitPattern: region.baseAddress))
        log.note("/proc/self/maps: \(line)")
        if KernelFeatures.current.contains(.anonymousVMANames) {
            log.check(line.contains("[anon:\(tag.defaultName)]"), "the kernel shows [anon:\(tag.defaultName)]")
        } else {
            let reason = KernelFeatures.missingReason(.anonymousVMANames).map { "\($0)" } ?? "?"
            log.note("this kernel cannot name anonymous memory (\(reason)): the tag lives in PageKit's table")
            log.check(!line.contains("[anon:"), "no name in /proc/self/maps, as the feature table says")
        }
    }

    private func freeze(_ log: inout TourLog) throws {
        let sealed = KernelFeatures.current.contains(.memorySealing)
        log.step("Freeze a table read-only for good\(sealed ? ", sealed with mseal" : "")")
        var table = try PageRegion(byteCount: PageRegion.pageSize)
        var span = table.mutableBytes
        span.storeBytes(of: 42, toByteOffset: 0, as: UInt8.self)
        let frozen = try table.freeze(sealed: sealed)
        let info = try frozen.info[0]
        log.note("\(info)")
        log.check(info.protection == .read && info.maximumProtection == .read, "current and maximum are now r--")
        let raw = UnsafeMutableRawPointer(mutating: frozen.baseAddress)
        if sealed {
            let result = mprotect(raw, PageRegion.pageSize, PROT_READ | PROT_WRITE)
            let error = errno
            log.check(result == -1 && error == EPERM, "a raw mprotect(PROT_WRITE) is refused by the kernel: EPERM")
            log.check(munmap(raw, PageRegion.pageSize) == -1 && errno == EPERM, "a raw munmap is refused too: EPERM")
        } else {
            log.note("this kernel has no mseal: PageKit refuses to raise the protection, raw system calls could")
        }
        log.check(frozen.bytes.unsafeLoad(as: UInt8.self) == 42, "the contents are intact")
    }
}

/// Prints each step and check, and counts failures.
struct TourLog {
    private(set) var checks = 0
    private(set) var failures = 0
    private var steps = 0

    mutating func step(_ title: String) {
        steps += 1
        print("\n\(steps). \(title)")
    }

    func note(_ text: String) {
        print("     \(text)")
    }

    mutating func check(_ passed: Bool, _ text: String) {
        checks += 1
        if !passed {
            failures += 1
            printError("pagekit tour: check failed: \(text)")
        }
        print("  \(passed ? "ok  " : "FAIL") \(text)")
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func kernelRelease() -> String {
    var name = utsname()
    uname(&name)
    return withUnsafeBytes(of: name.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}

func mapsLine(containing address: UInt) -> String {
    // /proc files report size 0, so read to the end rather than by size.
    let data = FileHandle(forReadingAtPath: "/proc/self/maps")?.readDataToEndOfFile() ?? Data()
    let maps = String(decoding: data, as: UTF8.self)
    for line in maps.split(separator: "\n") {
        let range = line.prefix { $0 != " " }.split(separator: "-")
        if range.count == 2, let low = UInt(range[0], radix: 16), let high = UInt(range[1], radix: 16),
            low <= address, address < high
        {
            return String(line)
        }
    }
    return "(not found)"
}
