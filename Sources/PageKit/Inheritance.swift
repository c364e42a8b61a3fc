// SPDX-License-Identifier: Apache-2.0
import CPageShim

/// What a child process gets of a region at `fork()` (Mach's
/// `vm_inherit_t`).
public enum Inheritance: UInt32, Sendable, Hashable, CustomStringConvertible {
    /// The same pages: writes on either side are seen by both.
    /// `VM_INHERIT_SHARE`.
    case share = 0
    /// Its own copy as of the fork; the default. `VM_INHERIT_COPY`.
    case copy = 1
    /// Nothing: the range is unmapped in the child. `VM_INHERIT_NONE`.
    case none = 2

    /// The setting in one word, as ``RegionReport/Region/inheritance``
    /// writes it: `share`, `copy` or `none`.
    public var description: String {
        switch self {
        case .share: "share"
        case .copy: "copy"
        case .none: "none"
        }
    }
}

extension PageRegion {
    /// What a child gets of the region at `fork()` (its first page's
    /// setting, as ``info`` reports it).
    public var inheritance: Inheritance {
        get throws(PageError) { try info.first?.inheritance ?? .copy }
    }

    /// Sets what a child gets of the region, or of some of its pages, at
    /// `fork()` (`vm_inherit`). ``Inheritance/share`` moves private pages
    /// onto shared pages, in place.
    ///
    /// - Throws: ``PageError/notSupported`` for sharing purgeable memory;
    ///   ``PageError/invalidArgument`` for pages outside the region.
    public mutating func setInheritance(_ inheritance: Inheritance, pages: Range<Int>? = nil) throws(PageError) {
        let (start, size) = try byteRange(of: pages ?? 0..<pageCount, for: .inherit)
        try PageError.check(.inherit) { pk_inherit(start, size, inheritance.rawValue) }
    }

    /// A second view of the region's pages at a new address: a write
    /// through either is seen through both (`mach_vm_remap` without copy).
    /// The region's private pages move onto shared pages, in place, first.
    ///
    /// - Throws: ``PageError/notSupported`` for purgeable memory;
    ///   ``PageError/noSpace`` when no room is left.
    public func alias() throws(PageError) -> PageRegion {
        try remap(copy: false)
    }

    /// A private copy of the region's pages at a new address
    /// (`mach_vm_remap` with copy), with the same protections.
    ///
    /// - Throws: ``PageError/noSpace`` when no room is left.
    public func copy() throws(PageError) -> PageRegion {
        try remap(copy: true)
    }

    private func remap(copy: Bool) throws(PageError) -> PageRegion {
        var target: UInt = 0
        var current: UInt32 = 0
        var maximum: UInt32 = 0
        try PageError.check(.remap) {
            pk_remap(&target, UInt64(byteCount), 0, PK_ALLOC_ANYWHERE, address, copy, &current, &maximum,
                     PK_INHERIT_COPY, true)
        }
        return PageRegion(adopting: target, byteCount: byteCount)
    }
}
