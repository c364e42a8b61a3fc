// SPDX-License-Identifier: Apache-2.0
import CPageShim
import SystemPackage

/// Pages that are read-only for good: current and maximum protection are
/// both ``Protection/read``, so no PageKit call can make them writable again,
/// and this type offers no mutable access at all.
///
/// Made by ``PageRegion/freeze(sealed:)``. A sealed region is also
/// `mseal`'d (Linux 6.10+): even raw `mprotect`, `munmap` and
/// `mmap(MAP_FIXED)` on its pages fail with `EPERM` until the process exits,
/// so its pages also outlive this value.
public struct FrozenPageRegion: ~Copyable, @unchecked Sendable {
    /// The first byte, page-aligned.
    public let baseAddress: UnsafeRawPointer
    /// The size in bytes: a whole number of pages.
    public let byteCount: Int
    /// Whether the pages are sealed.
    public let isSealed: Bool

    /// The number of pages.
    public var pageCount: Int { byteCount / PageRegion.pageSize }

    init(baseAddress: UnsafeRawPointer, byteCount: Int, isSealed: Bool) {
        self.baseAddress = baseAddress
        self.byteCount = byteCount
        self.isSealed = isSealed
    }

    /// Unmaps the pages; sealed pages cannot be unmapped and stay.
    deinit {
        if !isSealed {
            _ = pk_deallocate(UInt(bitPattern: baseAddress), byteCount)
        }
    }

    /// Deallocates the pages now and reports failure (`vm_deallocate`).
    ///
    /// - Throws: ``PageError/protectionFailure`` (`EPERM`) for a sealed
    ///   region, whose pages stay mapped until the process exits.
    public consuming func deallocate() throws(PageError) {
        let address = UInt(bitPattern: baseAddress), size = byteCount
        discard self
        try PageError.check(.deallocate) { pk_deallocate(address, size) }
    }

    /// The pages as raw bytes, for as long as the region is borrowed.
    public var bytes: RawSpan {
        @_lifetime(borrow self)
        borrowing get {
            let span = RawSpan(_unsafeBytes: UnsafeRawBufferPointer(start: baseAddress, count: byteCount))
            return _overrideLifetime(span, borrowing: self)
        }
    }

    /// Calls `body` with the pages, for C APIs.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(start: baseAddress, count: byteCount))
    }

    /// What PageKit records for the pages (`mach_vm_region`).
    public var info: [RegionInfo] {
        get throws(PageError) { try RegionInfo.entries(from: UInt(bitPattern: baseAddress), size: byteCount) }
    }
}

extension PageRegion {
    /// Makes the region read-only for good and returns it as a
    /// ``FrozenPageRegion`` (`vm_protect` of current and maximum to READ;
    /// with `sealed`, `mseal` too).
    ///
    /// If freezing fails nothing has changed, and the region is not lost: the
    /// thrown error hands it back through ``PageError/takeRegion()``.
    ///
    /// ```swift
    /// do {
    ///     let table = try region.freeze(sealed: true)
    /// } catch {
    ///     var region = error.takeRegion()!   // still yours, still writable
    /// }
    /// ```
    ///
    /// - Parameter sealed: Also seal the pages with `mseal`.
    /// - Throws: ``PageError/notSupported`` when sealing is asked for and
    ///   the kernel has no `mseal`; ``PageError/protectionFailure`` when the
    ///   maximum protection no longer includes READ.
    public consuming func freeze(sealed: Bool = false) throws(PageError) -> FrozenPageRegion {
        let result = pk_freeze(address, byteCount, sealed ? PK_FREEZE_SEALED : 0)
        guard result == 0 else {
            throw PageError(.freeze, errno: Errno(rawValue: -result), returning: self)
        }
        let frozen = FrozenPageRegion(baseAddress: UnsafeRawPointer(baseAddress), byteCount: byteCount, isSealed: sealed)
        discard self
        return frozen
    }
}
