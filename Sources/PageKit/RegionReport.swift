// SPDX-License-Identifier: Apache-2.0
import CPageShim
import SystemPackage

/// A process's memory as PageKit and the kernel know it: every region with
/// its sizes, and for memory a PageKit process made, its tag, name, maximum
/// protection and purgeable state (`pk_inspect`).
///
/// Those come from the table the process publishes in its own memory, so a
/// report shows them on kernels that cannot name anonymous memory too.
/// Reading them takes the right to read the process's memory (the ptrace
/// "read" check, as for `/proc/PID/mem`).
///
/// The report is `Codable`; its JSON field names are stable (`pagekit vmmap
/// --json` writes them).
public struct RegionReport: Sendable, Hashable, Codable {
    /// What a region is, for summaries: vmmap's "REGION TYPE".
    public enum Kind: String, Sendable, Hashable, Codable, CaseIterable {
        /// Memory a PageKit call made.
        case pagekit
        /// PageKit's own bookkeeping in that process.
        case pagekitInternal = "pagekit-internal"
        /// A file mapping (`Region/mapping` is the path).
        case file
        /// The `brk` heap.
        case heap
        /// A thread's stack.
        case stack
        /// Shared memory that is no file of its own (`MAP_SHARED|MAP_ANONYMOUS`, memfd).
        case shared
        /// Anonymous memory someone else mapped.
        case anonymous
        /// The kernel's pages in every process (`[vdso]`, `[vvar]`, `[vsyscall]`).
        case kernel
    }

    /// One region: a kernel mapping, or the part of one a single PageKit
    /// entry covers.
    public struct Region: Sendable, Hashable, Codable {
        /// The first address.
        public var start: UInt64
        /// The address after the last byte.
        public var end: UInt64
        /// Bytes: `end - start`.
        public var size: UInt64
        /// What access is allowed now, as `rwx` letters.
        public var protection: String
        /// What access can ever be allowed; `rwx` for memory PageKit did
        /// not map.
        public var maximumProtection: String
        /// `share`, `copy` or `none`: what a child gets at `fork()`.
        public var inheritance: String
        /// The `VM_MAKE_TAG` tag, 0 for none.
        public var tag: Int
        /// XNU's name for the tag (`MALLOC_TINY`, `application specific 3`).
        public var tagName: String?
        /// PageKit's name for the region (its own, else its tag's).
        public var name: String?
        /// `nonvolatile`, `volatile` or `empty`, for purgeable memory.
        public var purgeableState: String?
        /// What the region is, for summaries (vmmap's "REGION TYPE").
        public var kind: Kind
        /// What the kernel shows for it: a path, `[heap]`, `[stack]`,
        /// `[anon:NAME]`, or `nil`.
        public var mapping: String?
        /// Bytes resident in memory.
        ///
        /// From `/proc/PID/smaps`; for a mapping PageKit regions split,
        /// counted per page from `/proc/PID/pagemap`.
        public var resident: UInt64
        /// Dirty bytes: `Private_Dirty` plus `Shared_Dirty` in
        /// `/proc/PID/smaps`.
        ///
        /// For a mapping PageKit regions split, the mapping's dirty bytes
        /// shared out by resident pages.
        public var dirty: UInt64
        /// Bytes swapped out.
        ///
        /// For a mapping PageKit regions split, counted per page from
        /// `/proc/PID/pagemap`.
        public var swapped: UInt64
        /// Bytes freed lazily (`MADV_FREE`), volatile purgeable memory among
        /// them: the kernel may take them without writing them anywhere.
        ///
        /// For a mapping PageKit regions split, shared out by resident pages,
        /// volatile purgeable regions first.
        public var lazyFree: UInt64
        /// Attributes: `shared` (the pages are shared: a memory entry's
        /// view, an alias, or a shared mapping of the kernel's),
        /// `permanent`, `sealed`, `no-cache`, `4gb-chunk`, `superpage`.
        public var attributes: [String]
    }

    /// Totals over every region, as `/proc/PID/smaps_rollup` adds them up,
    /// and the footprint: private dirty plus swapped bytes, like macOS's
    /// `phys_footprint` (lazily freed pages are clean and not counted).
    public struct Totals: Sendable, Hashable, Codable {
        /// Bytes of address space mapped.
        public var virtual: UInt64
        /// Bytes resident in memory.
        public var resident: UInt64
        /// Dirty bytes, private and shared.
        public var dirty: UInt64
        /// Bytes swapped out.
        public var swapped: UInt64
        /// Bytes freed lazily (`MADV_FREE`), volatile purgeable memory among
        /// them.
        public var lazyFree: UInt64
        /// What the process costs in memory: private dirty plus swapped
        /// bytes, like macOS's `phys_footprint`.
        ///
        /// Lazily freed pages are clean, and not counted.
        public var footprint: UInt64
    }

    /// Bytes of purgeable memory in each state.
    public struct PurgeableTotals: Sendable, Hashable, Codable {
        /// Bytes of purgeable memory whose contents are kept.
        public var nonvolatile: UInt64
        /// Bytes of purgeable memory the kernel may take back.
        public var volatile: UInt64
        /// Bytes of purgeable memory whose contents the kernel took.
        public var empty: UInt64
    }

    /// The process the report describes.
    public var pid: Int32
    /// The process's page size in bytes.
    public var pageSize: Int
    /// The process uses PageKit, and its table was read.
    public var usesPageKit: Bool
    /// Every region of the process, as `pagekit vmmap` lists them.
    public var regions: [Region]
    /// Sizes over the whole process, and its footprint.
    public var totals: Totals
    /// Bytes of purgeable memory in each state, over every region.
    public var purgeable: PurgeableTotals

    /// Why a report could not be made.
    public enum Failure: Error, Sendable, Hashable, CustomStringConvertible {
        /// No such process, or it exited while it was read.
        case noSuchProcess(Int32)
        /// The caller may not read the process's memory.
        case permissionDenied(Int32)
        /// Its region table kept changing faster than it could be copied.
        case busy(Int32)
        /// Anything else, with the errno.
        case failed(Int32, Errno)

        /// What went wrong, in a sentence: `no process 4242`.
        public var description: String {
            switch self {
            case .noSuchProcess(let pid): "no process \(pid)"
            case .permissionDenied(let pid):
                "permission denied: may not read the memory of process \(pid) (run as its owner, or as root)"
            case .busy(let pid): "process \(pid) kept changing its memory map; try again"
            case .failed(let pid, let errno): "cannot read process \(pid): \(errno)"
            }
        }
    }

    /// Reads process `pid` (this process too).
    ///
    /// - Throws: ``Failure``.
    public static func inspect(pid: Int32) throws(Failure) -> RegionReport {
        var native: UnsafeMutablePointer<pk_process_report>?
        let result = pk_inspect(pid, &native)
        guard result == 0, let native else {
            switch Errno(rawValue: -result) {
            case Errno.noSuchProcess, Errno.invalidArgument: throw .noSuchProcess(pid)
            case Errno.permissionDenied, Errno.notPermitted: throw .permissionDenied(pid)
            case Errno.resourceTemporarilyUnavailable: throw .busy(pid)
            case let errno: throw .failed(pid, errno)
            }
        }
        defer { pk_inspect_free(native) }
        return RegionReport(native.pointee)
    }

    init(_ report: pk_process_report) {
        pid = report.pid
        pageSize = Int(report.page_size)
        usesPageKit = report.pagekit
        regions = report.regions.map { rows in (0..<report.count).map { Region(rows[$0]) } } ?? []
        totals = Totals(
            virtual: report.virtual_size, resident: report.resident, dirty: report.dirty,
            swapped: report.swapped, lazyFree: report.lazy_free, footprint: report.footprint)
        purgeable = PurgeableTotals(nonvolatile: 0, volatile: 0, empty: 0)
        for region in regions {
            switch region.purgeableState {
            case "nonvolatile": purgeable.nonvolatile += region.size
            case "volatile": purgeable.volatile += region.size
            case "empty": purgeable.empty += region.size
            default: break
            }
        }
    }
}

extension RegionReport.Region {
    init(_ row: pk_process_region) {
        start = row.start
        end = row.start + row.size
        size = row.size
        protection = Protection(rawValue: row.protection).description
        maximumProtection = Protection(rawValue: row.max_protection).description
        inheritance = switch row.inheritance {
        case PK_INHERIT_SHARE: "share"
        case PK_INHERIT_NONE: "none"
        default: "copy"
        }
        tag = Int(row.tag)
        tagName = pk_tag_kind(row.tag).map { String(cString: $0) }
        let ownName = withUnsafeBytes(of: row.name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        name = ownName.isEmpty ? nil : ownName
        purgeableState = PurgeableState(rawValue: row.purgeable_state)?.description
        let kernelName = withUnsafeBytes(of: row.mapping) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        mapping = kernelName.isEmpty ? nil : kernelName
        resident = row.resident
        dirty = row.dirty
        swapped = row.swapped
        lazyFree = row.lazy_free
        let flags = row.flags
        kind = RegionReport.Kind(flags: flags, mapping: kernelName)
        attributes = [
            (PK_REGION_SHARED, "shared"), (PK_REGION_PERMANENT, "permanent"), (PK_REGION_SEALED, "sealed"), (PK_REGION_NO_CACHE, "no-cache"),
            (PK_REGION_4GB_CHUNK, "4gb-chunk"), (PK_REGION_SUPERPAGE, "superpage"),
        ].compactMap { flags & $0.0 != 0 ? $0.1 : nil }
    }
}

extension RegionReport.Kind {
    init(flags: UInt32, mapping: String) {
        if flags & PK_REGION_INTERNAL != 0 {
            self = .pagekitInternal
        } else if flags & PK_REGION_OWNED != 0 {
            self = .pagekit
        } else if mapping == "[heap]" {
            self = .heap
        } else if mapping.hasPrefix("[stack") {
            self = .stack
        } else if ["[vdso]", "[vvar]", "[vvar_vclock]", "[vsyscall]"].contains(mapping) {
            self = .kernel
        } else if mapping.hasPrefix("/") && !mapping.hasPrefix("/memfd:") && !mapping.hasPrefix("/dev/zero") {
            self = .file
        } else if flags & PK_REGION_SHARED != 0 || mapping.hasPrefix("/memfd:") || mapping.hasPrefix("/dev/zero") {
            self = .shared
        } else {
            self = .anonymous
        }
    }
}
