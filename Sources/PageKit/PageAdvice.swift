// SPDX-License-Identifier: Apache-2.0
import CPageShim
import SystemPackage

extension PageRegion {
    /// How the pages will be read: recorded, and passed on to the kernel's
    /// read-ahead (`mach_vm_behavior_set` with `VM_BEHAVIOR_DEFAULT`,
    /// `RANDOM`, `SEQUENTIAL`, `RSEQNTL`).
    public enum AccessPattern: UInt32, Sendable, Hashable, CaseIterable {
        /// No particular order.
        case normal = 0
        /// Random: read no more than asked.
        case random = 1
        /// In order: read ahead.
        case sequential = 2
        /// In reverse order (Linux reads ahead as for ``normal``).
        case reverseSequential = 3
    }

    /// Advice with Mach's meanings (`mach_vm_behavior_set`).
    public enum Advice: Sendable, Hashable {
        /// Record an access pattern.
        case access(AccessPattern)
        /// The pages will be needed soon: read them in.
        case willNeed
        /// The pages will not be needed soon: age them, keeping their data
        /// (Mach's `DONTNEED`, never Linux's `MADV_DONTNEED`).
        case dontNeed
        /// The data may go: the kernel may take the pages, which then read
        /// as zeros (`VM_BEHAVIOR_REUSABLE`, `MADV_FREE`).
        case reusable
        /// The pages are used again (`VM_BEHAVIOR_REUSE`).
        case reuse
        /// Page the pages out now (`MADV_PAGEOUT`).
        case pageOut
        /// Make the pages read as zeros (`VM_BEHAVIOR_ZERO`).
        case zero

        var behavior: UInt32 {
            switch self {
            case .access(let pattern): pattern.rawValue
            case .willNeed: PK_BEHAVIOR_WILLNEED
            case .dontNeed: PK_BEHAVIOR_DONTNEED
            case .reusable: PK_BEHAVIOR_REUSABLE
            case .reuse: PK_BEHAVIOR_REUSE
            case .pageOut: PK_BEHAVIOR_PAGEOUT
            case .zero: PK_BEHAVIOR_ZERO
            }
        }
    }

    /// Gives advice on the region, or some of its pages.
    ///
    /// - Throws: ``PageError/protectionFailure`` for ``Advice/zero`` on
    ///   pages that are not writable, or are executable;
    ///   ``PageError/invalidArgument`` for pages outside the region.
    public mutating func advise(_ advice: Advice, pages: Range<Int>? = nil) throws(PageError) {
        let (start, size) = try byteRange(of: pages ?? 0..<pageCount, for: .advise)
        try PageError.check(.advise) { pk_behavior_set(start, size, advice.behavior) }
    }

    /// Wires the region, or some of its pages, in memory for `access`
    /// (`mach_vm_wire`, `mlock`). Wirings are counted: each needs its
    /// ``unwire(pages:)``.
    ///
    /// - Throws: ``PageError/resourceShortage`` when `RLIMIT_MEMLOCK` leaves
    ///   no room (nothing is locked then); ``PageError/protectionFailure``
    ///   when a page does not allow `access`.
    public mutating func wire(for access: Protection = .read, pages: Range<Int>? = nil) throws(PageError) {
        let (start, size) = try byteRange(of: pages ?? 0..<pageCount, for: .wire)
        guard !access.isEmpty else { throw PageError(.wire, errno: .invalidArgument) }
        try PageError.check(.wire) { pk_wire(start, size, access.rawValue) }
    }

    /// Takes one wiring off the region, or some of its pages.
    public mutating func unwire(pages: Range<Int>? = nil) throws(PageError) {
        let (start, size) = try byteRange(of: pages ?? 0..<pageCount, for: .wire)
        try PageError.check(.wire) { pk_wire(start, size, PK_PROT_NONE) }
    }

    /// What each page of the region is now (`mach_vm_page_range_query`).
    public var pageDispositions: [PageDisposition] {
        get throws(PageError) { try PageDisposition.of(address: address, byteCount: byteCount) }
    }
}

/// What a page is (`VM_PAGE_QUERY_*`), from the kernel's page tables and
/// page cache.
public struct PageDisposition: OptionSet, Sendable, Hashable {
    public let rawValue: Int32

    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// In memory.
    public static let present = PageDisposition(rawValue: PK_PAGE_PRESENT)
    /// Used (Linux shows no referenced bit: every present page is).
    public static let referenced = PageDisposition(rawValue: PK_PAGE_REF)
    /// Written.
    public static let dirty = PageDisposition(rawValue: PK_PAGE_DIRTY)
    /// In swap.
    public static let pagedOut = PageDisposition(rawValue: PK_PAGE_PAGED_OUT)
    /// A file's page.
    public static let external = PageDisposition(rawValue: PK_PAGE_EXTERNAL)

    static func of(address: UInt, byteCount: Int) throws(PageError) -> [PageDisposition] {
        let pages = (byteCount + PageKit.pageSize - 1) / PageKit.pageSize
        var raw = [Int32](repeating: 0, count: pages)
        var count = pages
        try PageError.check(.pageQuery) {
            raw.withUnsafeMutableBufferPointer { pk_page_range_query(address, byteCount, $0.baseAddress, &count) }
        }
        return raw.prefix(count).map { PageDisposition(rawValue: $0) }
    }
}

extension PageKit {
    /// The page size of the running kernel (`vm_page_size`): 4 KiB on
    /// x86-64, and 4, 16 or 64 KiB on arm64.
    public static var pageSize: Int { Int(pk_page_size()) }
    /// `pageSize - 1` (`vm_page_mask`).
    public static var pageMask: Int { pageSize - 1 }
    /// log2 of the page size (`vm_page_shift`).
    public static var pageShift: Int { pageSize.trailingZeroBitCount }

    /// `value` rounded down to a page boundary (`trunc_page`).
    public static func truncatePage(_ value: UInt) -> UInt { value & ~UInt(pageMask) }
    /// `value` rounded up to a page boundary (`round_page`); `nil` when
    /// that does not fit.
    public static func roundPage(_ value: UInt) -> UInt? {
        let (sum, overflow) = value.addingReportingOverflow(UInt(pageMask))
        return overflow ? nil : sum & ~UInt(pageMask)
    }
}
