// SPDX-License-Identifier: Apache-2.0
import CPageShim
import PageKit
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// How a child process that touched memory ended.
enum Access {
    case read, write
}

/// Proves a fault is real: a forked child touches the byte and exits 0; a
/// protection fault kills it with SIGSEGV instead. The child does nothing
/// but the access and `_exit`, so forking a threaded test process is safe.
func faults(_ access: Access, at address: UnsafeRawPointer) -> Bool {
    let pid = fork()
    if pid == 0 {
        // Die of the fault itself, not of the Swift runtime's backtracer.
        signal(SIGSEGV, SIG_DFL)
        signal(SIGBUS, SIG_DFL)
        let byte = UnsafeMutableRawPointer(mutating: address).assumingMemoryBound(to: UInt8.self)
        switch access {
        case .read: _exit(byte.pointee == 0x5A ? 2 : 0)
        case .write: byte.pointee = 0x5A
        }
        _exit(0)
    }
    precondition(pid > 0, "fork failed")
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let signaled = (status & 0x7F) != 0 && (status & 0x7F) != 0x7F
    return signaled && (status & 0x7F) == SIGSEGV
}

/// Whether any page of the range is mapped at all (mincore says ENOMEM for
/// unmapped memory).
func isMapped(_ address: UInt, _ byteCount: Int) -> Bool {
    var vector = [UInt8](repeating: 0, count: (byteCount + PageRegion.pageSize - 1) / PageRegion.pageSize)
    return mincore(UnsafeMutableRawPointer(bitPattern: address), byteCount, &vector) == 0
}

/// A page-aligned range nothing is mapped in right now.
func freeRange(_ byteCount: Int) -> UnsafeMutableRawPointer {
    let mapped = mmap(nil, byteCount, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)!
    munmap(mapped, byteCount)
    return mapped
}

extension KernelFeatures {
    static func has(_ feature: KernelFeatures) -> Bool { current.contains(feature) }
}

/// Whether an optional noncopyable region is empty (`== nil` needs Copyable).
func isNil(_ region: consuming PageRegion?) -> Bool {
    switch consume region {
    case .none: true
    case .some: false
    }
}

/// Hands a noncopyable value to another task: escaping closures cannot
/// capture one, but they can capture this box. `T: Sendable` is what makes
/// the hand-over legal, so using it proves the type is `Sendable`.
final class Handover<T: ~Copyable & Sendable>: Sendable {
    private let slot: Mutex<T?>

    init(_ value: consuming T) {
        slot = Mutex(Optional(value))
    }

    func take() -> T {
        slot.withLock { value in
            guard let taken = value.take() else { preconditionFailure("taken twice") }
            return taken
        }
    }
}

/// True when this process runs under ThreadSanitizer, which refuses mappings
/// outside its application ranges (random addresses land there).
let runningUnderThreadSanitizer: Bool = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "__tsan_init") != nil

/// A PROT_NONE reservation far below where mmap places anything, with a
/// page of guard on each side: regions made inside it with
/// `PageRegion(overwritingAt:)` leave holes nobody else fills when they end,
/// so `isMapped` can prove they are gone while other tests run in parallel.
final class PrivateArea: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let byteCount: Int

    init(pages: Int) {
        let size = (pages + 2) * PageRegion.pageSize
        var candidate: UInt = 0x7e90_0000_0000
        while true {
            let mapped = mmap(UnsafeMutableRawPointer(bitPattern: candidate), size, PROT_NONE,
                              MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0)
            if mapped == UnsafeMutableRawPointer(bitPattern: candidate) { break }
            if let mapped, mapped != MAP_FAILED { munmap(mapped, size) }
            candidate += 1 << 32
        }
        base = UnsafeMutableRawPointer(bitPattern: candidate)!
        byteCount = size
    }

    /// The first usable page (after the guard).
    var start: UnsafeMutableRawPointer { base + PageRegion.pageSize }

    deinit {
        munmap(base, byteCount)
    }
}

/// The regions PageKit owns that carry exactly `name`, anywhere in the
/// address space: proves a refused allocation anywhere left no region behind.
func ownedRegions(named name: String) -> [RegionInfo] {
    var found: [RegionInfo] = []
    var address: UInt = 0
    while let info = try? RegionInfo.at(address) {
        if info.isOwned && info.name == name { found.append(info) }
        let (end, overflow) = info.start.addingReportingOverflow(UInt(info.byteCount))
        guard !overflow, end > address else { break }
        address = end
    }
    return found
}
