// SPDX-License-Identifier: Apache-2.0
import CPageShim
import SystemPackage

/// What PageKit knows about one run of pages with the same attributes
/// (`mach_vm_region` with `VM_REGION_BASIC_INFO_64` and
/// `VM_REGION_EXTENDED_INFO`).
public struct RegionInfo: Sendable, Hashable, CustomStringConvertible {
    /// The first address of the run.
    public let start: UInt
    /// Its size in bytes.
    public let byteCount: Int
    /// What access is allowed now.
    public let protection: Protection
    /// What access can ever be allowed again; ``Protection/all`` for memory
    /// PageKit did not map.
    public let maximumProtection: Protection
    /// The tag it was allocated with (0 when none).
    public let tag: MemoryTag
    /// Its name (its own, else its tag's), or the kernel's name for memory
    /// PageKit did not map (`[heap]`, a path); `nil` when it has none.
    public let name: String?
    /// The state of its purgeable object, or `nil` when it is not purgeable.
    public let purgeableState: PurgeableState?
    /// What a child gets of it at `fork()`.
    public let inheritance: Inheritance
    /// It maps shared pages (an alias, a memory entry's view, or foreign
    /// shared memory).
    public let isShared: Bool
    /// PageKit mapped it (else it comes from the kernel's view).
    public let isOwned: Bool
    /// Mapped with ``PageRegion/Options/permanent``.
    public let isPermanent: Bool
    /// Sealed by a sealed freeze: no system call can change it any more.
    public let isSealed: Bool
    /// The name also shows in `/proc/PID/maps`.
    public let isNameVisibleInKernel: Bool
    /// How many wirings hold it in memory (``PageRegion/wire(for:pages:)``).
    public let wiredCount: Int
    /// The access pattern advised for it (``PageRegion/advise(_:pages:)``).
    public let accessPattern: PageRegion.AccessPattern

    init(_ info: pk_region_info) {
        start = info.start
        byteCount = info.size
        protection = Protection(rawValue: info.protection)
        maximumProtection = Protection(rawValue: info.max_protection)
        tag = MemoryTag(rawValue: UInt8(truncatingIfNeeded: info.tag))
        let text = withUnsafeBytes(of: info.name) { bytes in
            String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
        }
        name = text.isEmpty ? nil : text
        purgeableState = PurgeableState(rawValue: info.purgeable_state)
        inheritance = Inheritance(rawValue: info.inheritance) ?? .copy
        isShared = info.flags & PK_REGION_SHARED != 0
        isOwned = info.flags & PK_REGION_OWNED != 0
        isPermanent = info.flags & PK_REGION_PERMANENT != 0
        isSealed = info.flags & PK_REGION_SEALED != 0
        isNameVisibleInKernel = info.flags & PK_REGION_NAME_IN_KERNEL != 0
        wiredCount = Int(info.user_wired_count)
        accessPattern = PageRegion.AccessPattern(rawValue: info.behavior) ?? .normal
    }

    /// The region containing `address`, or else the next one above it
    /// (`mach_vm_region`); mappings PageKit did not make are included.
    ///
    /// - Throws: ``PageError/invalidAddress`` when nothing is mapped at or
    ///   above `address`.
    public static func at(_ address: UInt) throws(PageError) -> RegionInfo {
        var where_ = address
        var info = pk_region_info()
        try PageError.check(.region) { pk_region(&where_, &info) }
        return RegionInfo(info)
    }

    static func entries(from start: UInt, size: Int) throws(PageError) -> [RegionInfo] {
        var entries: [RegionInfo] = []
        var next = start
        while next < start + UInt(size) {
            let entry = try at(next)
            guard entry.start < start + UInt(size) else { break }
            entries.append(entry)
            next = entry.start + UInt(entry.byteCount)
        }
        return entries
    }

    /// One line: the range, the protections, then the tag, name, purgeable
    /// state and attributes the run has.
    public var description: String {
        var text = "0x\(String(start, radix: 16))-0x\(String(start + UInt(byteCount), radix: 16)) "
            + "\(protection)/\(maximumProtection)"
        if tag.rawValue != 0 { text += " \(tag)" }
        if let name { text += " \"\(name)\"" }
        if let purgeableState { text += " \(purgeableState)" }
        if isPermanent { text += " permanent" }
        if isSealed { text += " sealed" }
        if !isOwned { text += " (not PageKit's)" }
        return text
    }
}
