// SPDX-License-Identifier: Apache-2.0
import CPageShim
import SystemPackage

/// Pages that several mappings can share: a Mach memory entry
/// (`mach_make_memory_entry_64`).
///
/// Every view ``map(protection:maximum:copy:inheritance:)`` makes of an
/// entry sees the same pages, unless it asks for a private copy. An entry
/// never grants more than the protection it was made with. It is
/// noncopyable; when it ends its name is released (`mach_port_deallocate`),
/// and the views it made stay.
public struct MemoryEntry: ~Copyable, @unchecked Sendable {
    let name: pk_entry_name_t
    /// The bytes it names: a whole number of pages.
    public let byteCount: Int
    /// The most any view of it may allow.
    public let protection: Protection

    private init(permission: UInt32, offset: UInt, byteCount: Int, parent: pk_entry_name_t = 0) throws(PageError) {
        guard byteCount > 0, byteCount <= Int.max & ~(PageRegion.pageSize - 1) else {
            throw PageError(.memoryEntry, errno: .invalidArgument)
        }
        var size = UInt64(byteCount)
        var name: pk_entry_name_t = 0
        try PageError.check(.memoryEntry) { pk_memory_entry_create(&size, UInt64(offset), permission, &name, parent) }
        self.name = name
        self.byteCount = Int(size)
        self.protection = Protection(rawValue: permission & PK_PROT_ALL)
    }

    /// New zero-filled pages to share, `byteCount` rounded up to whole pages
    /// (`MAP_MEM_NAMED_CREATE`).
    ///
    /// - Throws: ``PageError/invalidArgument`` for size 0.
    public init(byteCount: Int, protection: Protection = .readWrite) throws(PageError) {
        try self.init(permission: PK_MEM_NAMED_CREATE | protection.rawValue, offset: 0, byteCount: byteCount)
    }

    /// The pages of `region` (or some of them) themselves (`MAP_MEM_VM_SHARE`):
    /// a view of the entry aliases them. Their private pages move onto
    /// shared pages, in place, with contents, protections, tag and name.
    ///
    /// - Throws: ``PageError/protectionFailure`` when the region does not
    ///   allow `protection`; ``PageError/notSupported`` for purgeable memory.
    public init(sharing region: borrowing PageRegion, pages: Range<Int>? = nil, protection: Protection = .readWrite)
        throws(PageError)
    {
        let (start, size) = try region.byteRange(of: pages ?? 0..<region.pageCount, for: .memoryEntry)
        try self.init(permission: PK_MEM_VM_SHARE | protection.rawValue, offset: start, byteCount: size)
    }

    /// A snapshot of `region`'s pages as they are now (`MAP_MEM_VM_COPY`):
    /// later writes to the region are not seen through the entry.
    ///
    /// - Throws: ``PageError/protectionFailure`` when the region is not
    ///   readable.
    public init(copying region: borrowing PageRegion, pages: Range<Int>? = nil, protection: Protection = .readWrite)
        throws(PageError)
    {
        let (start, size) = try region.byteRange(of: pages ?? 0..<region.pageCount, for: .memoryEntry)
        try self.init(permission: PK_MEM_VM_COPY | protection.rawValue, offset: start, byteCount: size)
    }

    deinit {
        _ = pk_memory_entry_mod_refs(name, -1)
    }

    /// A view of the entry's pages at a new address (`mach_vm_map`): shared
    /// with every other view, or with `copy` a private snapshot.
    ///
    /// - Parameters:
    ///   - protection: What the view allows now (cut down to `maximum`); by
    ///     default all the entry grants (``protection``).
    ///   - maximum: The most it may ever allow; by default `protection`.
    ///   - copy: Map a private copy instead of the shared pages.
    ///   - inheritance: What a child gets of the view at `fork()`.
    /// - Throws: ``PageError/invalidRight`` when `maximum` or `protection` is
    ///   more than the entry grants; ``PageError/noSpace`` when no room is
    ///   left.
    public func map(
        protection: Protection? = nil, maximum: Protection? = nil, copy: Bool = false,
        inheritance: Inheritance = .copy
    ) throws(PageError) -> PageRegion {
        var address: UInt = 0
        let protection = protection ?? self.protection
        let maximum = maximum ?? protection
        try PageError.check(.map) {
            pk_map(&address, UInt64(byteCount), 0, PK_ALLOC_ANYWHERE, name, 0, copy, protection.rawValue,
                   maximum.rawValue, inheritance.rawValue)
        }
        return PageRegion(adopting: address, byteCount: byteCount)
    }

    /// A descriptor another process can import (over a UNIX socket with
    /// `SCM_RIGHTS`), with where the entry's pages lie in it. Without WRITE
    /// in ``protection`` it is read-only, and no process can map the pages
    /// writable anew. The caller owns the descriptor.
    ///
    /// - Throws: ``PageError/resourceShortage`` when the process has no
    ///   descriptor left.
    public func export() throws(PageError) -> (descriptor: FileDescriptor, offset: UInt64, byteCount: Int) {
        var fd: Int32 = -1
        var offset: UInt64 = 0
        var size: UInt64 = 0
        try PageError.check(.memoryEntry) { pk_memory_entry_export(name, &fd, &offset, &size) }
        return (FileDescriptor(rawValue: fd), offset, Int(size))
    }

    /// An entry for a descriptor another process exported: `byteCount`
    /// bytes at `offset` of it, granting at most `protection`. The
    /// descriptor is duplicated; the caller keeps its own.
    ///
    /// - Throws: ``PageError/protectionFailure`` when `protection` is more
    ///   than the descriptor allows; ``PageError/invalidArgument`` for a
    ///   range of size 0 or less, beyond the end of the file, or at an
    ///   offset that is not a whole number of pages (views of an entry
    ///   start at a page).
    public init(importing descriptor: FileDescriptor, offset: UInt64, byteCount: Int, protection: Protection)
        throws(PageError)
    {
        guard byteCount > 0, offset % UInt64(PageRegion.pageSize) == 0,
            byteCount <= Int.max & ~(PageRegion.pageSize - 1)
        else { throw PageError(.memoryEntry, errno: .invalidArgument) }
        var name: pk_entry_name_t = 0
        try PageError.check(.memoryEntry) {
            pk_memory_entry_import(descriptor.rawValue, offset, UInt64(byteCount), protection.rawValue, &name)
        }
        self.name = name
        self.byteCount = PageRegion.roundedSize(byteCount)
        self.protection = protection
    }
}
