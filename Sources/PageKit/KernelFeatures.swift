// SPDX-License-Identifier: Apache-2.0
import CPageShim
import SystemPackage

/// What the running kernel offers PageKit, probed once per process.
///
/// A missing feature degrades as documented on each API; it never fails an
/// unrelated call.
public struct KernelFeatures: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The `PK_FEATURE_*` bits, as `pk_features()` returns them.
    public let rawValue: UInt32

    /// The features with these `PK_FEATURE_*` bits.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Anonymous memory can carry a name (`PR_SET_VMA_ANON_NAME`, Linux
    /// 5.17+ built with `CONFIG_ANON_VMA_NAME`).
    public static let anonymousVMANames = KernelFeatures(rawValue: PK_FEATURE_ANON_VMA_NAME)
    /// `MADV_FREE` (Linux 4.5+): volatile purgeable memory can really be dropped.
    public static let lazyFree = KernelFeatures(rawValue: PK_FEATURE_MADV_FREE)
    /// `MADV_PAGEOUT` (Linux 5.4+): reclaim on demand.
    public static let pageOut = KernelFeatures(rawValue: PK_FEATURE_MADV_PAGEOUT)
    /// `MADV_POPULATE_READ` and `_WRITE` (Linux 5.14+).
    public static let populate = KernelFeatures(rawValue: PK_FEATURE_MADV_POPULATE)
    /// `mseal` (Linux 6.10+): sealed freezing.
    public static let memorySealing = KernelFeatures(rawValue: PK_FEATURE_MSEAL)
    /// `MADV_GUARD_INSTALL` (Linux 6.13+).
    public static let guardRegions = KernelFeatures(rawValue: PK_FEATURE_GUARD_REGIONS)
    /// `memfd_secret` (Linux 5.14+, when enabled).
    public static let secretMemory = KernelFeatures(rawValue: PK_FEATURE_MEMFD_SECRET)
    /// The `PROCMAP_QUERY` ioctl (Linux 6.11+): fast queries of foreign mappings.
    public static let procmapQuery = KernelFeatures(rawValue: PK_FEATURE_PROCMAP_QUERY)
    /// userfaultfd can write-protect unpopulated memory (Linux 6.4), which
    /// keeps writers waiting while memory moves onto shared pages.
    public static let writeProtectFaults = KernelFeatures(rawValue: PK_FEATURE_UFFD_WP)

    /// Every feature PageKit knows, in the order ``name`` and the tool list them.
    public static let known: [KernelFeatures] = (0..<Int(PK_FEATURE_COUNT)).map {
        KernelFeatures(rawValue: 1 << UInt32($0))
    }

    /// The features of the running kernel. `pk_features()`.
    public static var current: KernelFeatures { KernelFeatures(rawValue: pk_features()) }

    /// Why a single feature is missing: the errno its probe got, or `nil`
    /// where the kernel has it. `pk_feature_status()`.
    public static func missingReason(_ feature: KernelFeatures) -> Errno? {
        let status = pk_feature_status(feature.rawValue)
        return status == 0 ? nil : Errno(rawValue: -status)
    }

    /// The short name of a single feature (`"anon_vma_name"`).
    public var name: String? {
        pk_feature_name(rawValue).map { String(cString: $0) }
    }

    /// The short names of the features, in the order of ``known``:
    /// `[anon_vma_name, madv_free]`.
    public var description: String {
        "[" + KernelFeatures.known.filter { contains($0) }.compactMap(\.name).joined(separator: ", ") + "]"
    }
}
