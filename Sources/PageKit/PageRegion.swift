// SPDX-License-Identifier: Apache-2.0
import CPageShim
import SystemPackage

/// Whole pages of memory that this value owns: allocated when it is made,
/// deallocated when it ends.
///
/// `PageRegion` is the Swift face of `vm_allocate` / `mmap`: new memory is
/// zero-filled, readable and writable, with maximum protection ``Protection/all``.
/// It is noncopyable, so exactly one owner can change or free its pages, and
/// `Sendable`, so that owner can be handed to another task.
///
/// Access goes through ``bytes`` and ``mutableBytes`` (spans that cannot
/// outlive the region) or ``withUnsafeBytes(_:)`` /
/// ``withUnsafeMutableBytes(_:)`` for C. Mutable access to memory that is not
/// currently writable traps with a clear message instead of faulting later,
/// and reading memory with no access traps the same way: each accessor asks
/// the region table for the current protection of the whole region.
///
/// A region always holds at least one page: PageKit refuses size 0 with
/// ``PageError/invalidArgument`` rather than make an empty owner.
public struct PageRegion: ~Copyable, @unchecked Sendable {
    /// How a region is allocated.
    public struct Options: OptionSet, Sendable, Hashable {
        /// The options' bits, PageKit's own (not `VM_FLAGS_*` values).
        public let rawValue: UInt32

        /// The options with these bits.
        public init(rawValue: UInt32) {
            self.rawValue = rawValue
        }

        /// Ask for transparent huge pages (`VM_FLAGS_SUPERPAGE_SIZE_ANY`,
        /// `MADV_HUGEPAGE`). A hint: small pages are used where none are free.
        public static let hugePages = Options(rawValue: 1 << 0)
        /// Fault every page in now (`MADV_POPULATE_WRITE`), so first touches
        /// do not fault later.
        public static let populate = Options(rawValue: 1 << 1)
        /// Never unmap the pages: when the region ends they stay mapped with
        /// no access (`VM_FLAGS_PERMANENT`).
        public static let permanent = Options(rawValue: 1 << 2)
        /// Place the region at a random address (`VM_FLAGS_RANDOM_ADDR`).
        public static let randomAddress = Options(rawValue: 1 << 3)

        var flags: UInt32 {
            (contains(.hugePages) ? PK_ALLOC_SUPERPAGE_ANY : 0) | (contains(.permanent) ? PK_ALLOC_PERMANENT : 0)
                | (contains(.randomAddress) ? PK_ALLOC_RANDOM_ADDR : 0)
        }
    }

    /// The first byte of the region, page-aligned.
    public let baseAddress: UnsafeMutableRawPointer
    /// The size in bytes: a whole number of pages.
    public let byteCount: Int

    /// The number of pages.
    @inlinable public var pageCount: Int { byteCount / PageRegion.pageSize }

    /// The page size of this machine (`vm_page_size`, `sysconf(_SC_PAGESIZE)`).
    @inlinable public static var pageSize: Int { Int(pk_page_size()) }

    /// Allocates `byteCount` bytes, rounded up to whole pages, wherever the
    /// kernel finds room (`vm_allocate` with `VM_FLAGS_ANYWHERE`).
    ///
    /// - Parameters:
    ///   - byteCount: The size; rounded up to a multiple of the page size.
    ///   - options: Huge pages, populating, permanence, a random address.
    ///   - tag: A tag for the region (`VM_MAKE_TAG`), shown by queries and,
    ///     where the kernel can, in `/proc/PID/maps`.
    ///   - name: A name for `/proc/PID/maps` (79 bytes at most, printable
    ///     ASCII without `\`, backquote, `$`, `[`, `]`). A name with an
    ///     embedded NUL is refused, never cut short at the NUL.
    /// - Throws: ``PageError/invalidArgument`` (`EINVAL`) for size 0, a size
    ///   too large to round, or a bad name, including one with an embedded
    ///   NUL; no region is made then. ``PageError/noSpace`` when no room is
    ///   left.
    public init(byteCount: Int, options: Options = [], tag: MemoryTag? = nil, name: String? = nil) throws(PageError) {
        let address = try PageRegion.allocate(
            at: 0, byteCount: byteCount, flags: PK_ALLOC_ANYWHERE | options.flags, options: options, tag: tag,
            name: name, operation: .allocate)
        self.init(adopting: address, byteCount: byteCount)
    }

    /// Allocates the pages at `address`, which must be free: PageKit never
    /// replaces a mapping here (`vm_allocate` with `VM_FLAGS_FIXED`,
    /// `MAP_FIXED_NOREPLACE`).
    ///
    /// - Throws: ``PageError/noSpace`` when any page of the range is already
    ///   mapped (the mapping there is untouched); ``PageError/invalidAddress``
    ///   for a range outside the usable address space;
    ///   ``PageError/invalidArgument`` for size 0 or a bad name (one with an
    ///   embedded NUL too); nothing is mapped then.
    public init(
        at address: UnsafeMutableRawPointer, byteCount: Int, options: Options = [], tag: MemoryTag? = nil,
        name: String? = nil
    ) throws(PageError) {
        let mapped = try PageRegion.allocate(
            at: UInt(bitPattern: address), byteCount: byteCount, flags: PK_ALLOC_FIXED | options.flags,
            options: options, tag: tag, name: name, operation: .allocateFixed)
        self.init(adopting: mapped, byteCount: byteCount)
    }

    /// Replaces whatever is mapped at `address` with new pages, in one step
    /// (`vm_allocate` with `VM_FLAGS_FIXED | VM_FLAGS_OVERWRITE`, `MAP_FIXED`).
    ///
    /// This discards memory other code may own: use it only for ranges this
    /// program controls.
    ///
    /// - Throws: ``PageError/protectionFailure`` for sealed memory in the
    ///   range; ``PageError/noSpace`` for permanent memory in the range (left
    ///   mapped with no access, as on Mach); ``PageError/invalidAddress`` and
    ///   ``PageError/invalidArgument`` as for ``init(at:byteCount:options:tag:name:)``.
    public init(
        overwritingAt address: UnsafeMutableRawPointer, byteCount: Int, options: Options = [],
        tag: MemoryTag? = nil, name: String? = nil
    ) throws(PageError) {
        let mapped = try PageRegion.allocate(
            at: UInt(bitPattern: address), byteCount: byteCount,
            flags: PK_ALLOC_FIXED | PK_ALLOC_OVERWRITE | options.flags, options: options, tag: tag, name: name,
            operation: .allocateFixed)
        self.init(adopting: mapped, byteCount: byteCount)
    }

    init(adopting address: UInt, byteCount: Int) {
        let size = PageRegion.roundedSize(byteCount)
        self.baseAddress = UnsafeMutableRawPointer(bitPattern: address)!
        self.byteCount = size
    }

    static func roundedSize(_ byteCount: Int) -> Int {
        let mask = pageSize - 1
        return (byteCount + mask) & ~mask
    }

    static func allocate(
        at address: UInt, byteCount: Int, flags: UInt32, options: Options, tag: MemoryTag?, name: String?,
        operation: PageError.Operation
    ) throws(PageError) -> UInt {
        guard byteCount > 0 else { throw PageError(operation, errno: .invalidArgument) }
        var mapped = address
        let allFlags = flags | (UInt32(tag?.rawValue ?? 0) << 24)
        try PageError.check(operation) {
            withNativeName(name) { pk_allocate(&mapped, byteCount, allFlags, $0) }
        }
        if options.contains(.populate) {
            let populated = pk_populate(mapped, byteCount)
            if populated != 0 {
                _ = pk_deallocate(mapped, byteCount)
                throw PageError(operation, errno: Errno(rawValue: -populated))
            }
        }
        return mapped
    }

    deinit {
        _ = pk_deallocate(UInt(bitPattern: baseAddress), byteCount)
    }

    /// Deallocates the pages now and reports failure (`vm_deallocate`).
    ///
    /// Permanent memory stays mapped with no access.
    ///
    /// - Throws: ``PageError/protectionFailure`` if something sealed the
    ///   pages behind PageKit's back; they then stay mapped.
    public consuming func deallocate() throws(PageError) {
        let address = UInt(bitPattern: baseAddress), size = byteCount
        discard self
        try PageError.check(.deallocate) { pk_deallocate(address, size) }
    }

    @usableFromInline var address: UInt { UInt(bitPattern: baseAddress) }

    /// The pages as raw bytes, for as long as the region is borrowed.
    ///
    /// - Precondition: the whole region is readable; reading memory with no
    ///   access would fault, so this traps with a message instead.
    public var bytes: RawSpan {
        @_lifetime(borrow self)
        borrowing get {
            PageRegion.requireAccess(address, byteCount, .read, "read")
            let span = RawSpan(_unsafeBytes: UnsafeRawBufferPointer(start: baseAddress, count: byteCount))
            return _overrideLifetime(span, borrowing: self)
        }
    }

    /// The pages as mutable raw bytes, for as long as the region is
    /// exclusively accessed.
    ///
    /// - Precondition: the whole region is currently writable; writing into
    ///   memory that is not would fault, so this traps with a message naming
    ///   the protection instead.
    public var mutableBytes: MutableRawSpan {
        @_lifetime(&self)
        mutating get {
            PageRegion.requireAccess(address, byteCount, .write, "write")
            let span = MutableRawSpan(_unsafeBytes: UnsafeMutableRawBufferPointer(start: baseAddress, count: byteCount))
            return _overrideLifetime(span, mutating: &self)
        }
    }

    /// Calls `body` with the pages, for C APIs.
    ///
    /// - Precondition: the whole region is readable.
    public func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        PageRegion.requireAccess(address, byteCount, .read, "read")
        return try body(UnsafeRawBufferPointer(start: baseAddress, count: byteCount))
    }

    /// Calls `body` with the pages, mutable, for C APIs.
    ///
    /// - Precondition: the whole region is currently writable.
    public mutating func withUnsafeMutableBytes<R, E: Error>(
        _ body: (UnsafeMutableRawBufferPointer) throws(E) -> R
    ) throws(E) -> R {
        PageRegion.requireAccess(address, byteCount, .write, "write")
        return try body(UnsafeMutableRawBufferPointer(start: baseAddress, count: byteCount))
    }

    /// Traps unless every page of the range allows `access` now. Write-only
    /// memory counts as readable, as it is on Linux.
    static func requireAccess(_ address: UInt, _ size: Int, _ access: Protection, _ verb: String) {
        var current: UInt32 = 0, maximum: UInt32 = 0
        let result = pk_protection(address, size, &current, &maximum)
        precondition(result == 0, "PageKit: the region at 0x\(String(address, radix: 16)) is no longer in the region table")
        var allowed = Protection(rawValue: current)
        if allowed.contains(.write) { allowed.insert(.read) }
        precondition(
            allowed.contains(access),
            "PageKit: cannot \(verb) the region at 0x\(String(address, radix: 16)): its current protection is \(Protection(rawValue: current)); call protect(_:) first")
    }

    /// Sets the current protection of the whole region (`vm_protect` with
    /// `set_maximum` false, `mprotect`).
    ///
    /// Inlinable, as are the calls below it: the system call is then made
    /// from the caller's frame, as a C caller of `pk_protect` makes it.
    ///
    /// - Throws: ``PageError/protectionFailure`` (`EACCES`) when `protection`
    ///   is above the maximum of any page; nothing changes then.
    @inlinable
    public mutating func protect(_ protection: Protection) throws(PageError) {
        try PageError.check(.protect) { pk_protect(address, byteCount, false, protection.rawValue) }
    }

    /// Sets the current protection of some pages, counted from the start of
    /// the region.
    ///
    /// - Throws: ``PageError/invalidArgument`` when `pages` reaches outside
    ///   the region; ``PageError/protectionFailure`` above the maximum.
    @inlinable
    public mutating func protect(_ protection: Protection, pages: Range<Int>) throws(PageError) {
        let (start, size) = try byteRange(of: pages, for: .protect)
        try PageError.check(.protect) { pk_protect(start, size, false, protection.rawValue) }
    }

    /// Lowers the maximum protection of the whole region for good; the
    /// current protection keeps only what the new maximum allows
    /// (`vm_protect` with `set_maximum` true).
    ///
    /// - Throws: ``PageError/protectionFailure`` when `maximum` is above the
    ///   present maximum: a maximum can never be raised.
    public mutating func lowerMaximumProtection(to maximum: Protection) throws(PageError) {
        try PageError.check(.protect) { pk_protect(address, byteCount, true, maximum.rawValue) }
    }

    /// Lowers the maximum protection of some pages.
    public mutating func lowerMaximumProtection(to maximum: Protection, pages: Range<Int>) throws(PageError) {
        let (start, size) = try byteRange(of: pages, for: .protect)
        try PageError.check(.protect) { pk_protect(start, size, true, maximum.rawValue) }
    }

    /// Gives the region (or some of its pages) a name for `/proc/PID/maps`,
    /// or removes it with `nil`. Where the kernel cannot name anonymous
    /// memory, the name is kept in PageKit's table and reported by ``info``.
    ///
    /// - Throws: ``PageError/invalidArgument`` (`EINVAL`) for a bad name,
    ///   including one with an embedded NUL, which is refused rather than cut
    ///   short, or for pages outside the region; the old name stays then.
    public mutating func setName(_ name: String?, pages: Range<Int>? = nil) throws(PageError) {
        let (start, size) = try byteRange(of: pages ?? 0..<pageCount, for: .name)
        try PageError.check(.name) { withNativeName(name) { pk_name(start, size, $0) } }
    }

    /// What PageKit records for the region: one entry per run of pages with
    /// the same attributes (`mach_vm_region`).
    public var info: [RegionInfo] {
        get throws(PageError) { try RegionInfo.entries(from: address, size: byteCount) }
    }

    @inlinable
    func byteRange(of pages: Range<Int>, for operation: PageError.Operation) throws(PageError) -> (UInt, Int) {
        guard pages.lowerBound >= 0, pages.upperBound <= pageCount, !pages.isEmpty else {
            throw PageError(operation, errno: .invalidArgument)
        }
        return (address + UInt(pages.lowerBound * PageRegion.pageSize), pages.count * PageRegion.pageSize)
    }
}

/// Calls the native `body` with `name` as a C string (`nil` stays `NULL`)
/// and returns its result, a native 0 or -errno.
///
/// The one door every name takes into C: a name with an embedded NUL would
/// reach C cut short at the NUL, so it is refused here with `-EINVAL`
/// instead, without calling `body`, and goes through `PageError.check`
/// like every native failure.
func withNativeName(_ name: String?, _ body: (UnsafePointer<CChar>?) -> Int32) -> Int32 {
    guard let name else { return body(nil) }
    guard !name.utf8.contains(0) else { return -Errno.invalidArgument.rawValue }
    return name.withCString { body($0) }
}
