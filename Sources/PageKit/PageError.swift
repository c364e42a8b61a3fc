// SPDX-License-Identifier: Apache-2.0
import CPageShim
import Synchronization
import SystemPackage

/// Why a PageKit call failed: the Mach code, the exact Linux errno, and the
/// operation.
///
/// Match on the Mach code with a pattern:
///
/// ```swift
/// do { try region.protect(.all) }
/// catch PageError.protectionFailure { ... }   // maximum lowered, or sealed
/// ```
///
/// or on the errno through ``errno``. A failed call changes nothing: memory
/// and the region table are as they were.
public struct PageError: Error, Sendable, CustomStringConvertible {
    /// The PageKit operation that failed.
    public enum Operation: Sendable, Hashable, CustomStringConvertible {
        /// Allocation wherever the kernel finds room (`vm_allocate` with
        /// `VM_FLAGS_ANYWHERE`).
        case allocate
        /// Allocation at a given address (`vm_allocate` with `VM_FLAGS_FIXED`).
        case allocateFixed
        /// `vm_deallocate`.
        case deallocate
        /// `vm_protect`, either flag.
        case protect
        /// `vm_purgable_control`.
        case purgeableControl
        /// `mach_vm_region` and other queries.
        case region
        /// Naming a region or a tag.
        case name
        /// Freezing, sealed or not.
        case freeze
        /// Making a memory entry (`mach_make_memory_entry_64`).
        case memoryEntry
        /// Mapping a memory entry (`mach_vm_map`).
        case map
        /// Mapping memory again, as an alias or a copy (`mach_vm_remap`).
        case remap
        /// Setting what a child gets at `fork()` (`vm_inherit`).
        case inherit
        /// Moving bytes (`mach_vm_read`, `mach_vm_write`, `mach_vm_copy`).
        case transfer
        /// Wiring pages (`mach_vm_wire`).
        case wire
        /// Advice (`mach_vm_behavior_set`).
        case advise
        /// Asking what pages are (`mach_vm_page_range_query`).
        case pageQuery
        /// Another process's memory (`task_for_pid` and the calls on it).
        case task

        var native: pk_operation {
            switch self {
            case .allocate: PK_OP_ALLOCATE
            case .allocateFixed: PK_OP_ALLOCATE_FIXED
            case .deallocate: PK_OP_DEALLOCATE
            case .protect: PK_OP_PROTECT
            case .purgeableControl: PK_OP_PURGEABLE_CONTROL
            case .region: PK_OP_REGION
            case .name: PK_OP_NAME
            case .freeze: PK_OP_FREEZE
            case .memoryEntry: PK_OP_MEMORY_ENTRY
            case .map: PK_OP_MAP
            case .remap: PK_OP_REMAP
            case .inherit: PK_OP_INHERIT
            case .transfer: PK_OP_TRANSFER
            case .wire: PK_OP_WIRE
            case .advise: PK_OP_BEHAVIOR
            case .pageQuery: PK_OP_PAGE_QUERY
            case .task: PK_OP_TASK
            }
        }

        /// The operation in words: `allocate (fixed)`, `memory entry`.
        public var description: String {
            switch self {
            case .allocate: "allocate"
            case .allocateFixed: "allocate (fixed)"
            case .deallocate: "deallocate"
            case .protect: "protect"
            case .purgeableControl: "purgeable control"
            case .region: "region query"
            case .name: "name"
            case .freeze: "freeze"
            case .memoryEntry: "memory entry"
            case .map: "map"
            case .remap: "remap"
            case .inherit: "inherit"
            case .transfer: "transfer"
            case .wire: "wire"
            case .advise: "advise"
            case .pageQuery: "page query"
            case .task: "task"
            }
        }
    }

    /// The Mach result, as `include/pagekit/mach.h` would return it.
    public let code: KernReturn
    /// The Linux errno behind it.
    public let errno: Errno
    /// The operation that failed.
    public let operation: Operation

    /// A region a failed ``PageRegion/freeze(sealed:)`` hands back.
    private let returnedRegion: ReturnedRegion?

    /// Makes an error from an operation and an errno of either sign; the
    /// code comes from PageKit's one table (`pk_kern_return`).
    public init(_ operation: Operation, errno: Errno) {
        self.init(operation, errno: errno, returning: nil)
    }

    init(_ operation: Operation, errno: Errno, returning region: consuming PageRegion?) {
        self.operation = operation
        self.errno = errno
        self.code = KernReturn(rawValue: pk_kern_return(operation.native, errno.rawValue))
        switch consume region {
        case .some(let region): self.returnedRegion = ReturnedRegion(region)
        case .none: self.returnedRegion = nil
        }
    }

    /// The region whose freezing failed, handed back to the caller so it is
    /// not lost; `nil` for any other error, or once it was taken.
    ///
    /// The first call takes it; every copy of the error shares it.
    public func takeRegion() -> PageRegion? {
        returnedRegion?.take()
    }

    /// The operation, the Mach code, and the errno's name and text:
    /// `allocate failed: KERN_INVALID_ARGUMENT (EINVAL): Invalid argument`.
    public var description: String {
        "\(operation) failed: \(code) (\(pk_error_name_string(errno.rawValue)): \(errno))"
    }

    /// Runs a native call and throws unless it returned 0.
    @inlinable @inline(__always)
    static func check(_ operation: Operation, _ call: () -> Int32) throws(PageError) {
        let result = call()
        if result != 0 {
            throw PageError(operation, errno: Errno(rawValue: -result))
        }
    }
}

private func pk_error_name_string(_ error: Int32) -> String {
    String(cString: pk_error_name(error))
}

/// Holds a noncopyable region inside a copyable error.
private final class ReturnedRegion: Sendable {
    private let region: Mutex<PageRegion?>

    init(_ region: consuming PageRegion) {
        self.region = Mutex(Optional(region))
    }

    func take() -> PageRegion? {
        region.withLock { region in region.take() }
    }
}

extension KernReturn {
    /// Matches the ``PageError/code`` of an untyped error:
    /// `catch PageError.noSpace` in a function that throws `any Error`.
    public static func ~= (pattern: KernReturn, error: any Error) -> Bool {
        (error as? PageError)?.code == pattern
    }
}

extension PageError {
    /// Matches ``code``: `catch PageError.noSpace`.
    public static func ~= (pattern: KernReturn, error: PageError) -> Bool {
        error.code == pattern
    }

    /// `KERN_INVALID_ADDRESS`, for matching.
    public static let invalidAddress = KernReturn.invalidAddress
    /// `KERN_PROTECTION_FAILURE`, for matching.
    public static let protectionFailure = KernReturn.protectionFailure
    /// `KERN_NO_SPACE`, for matching.
    public static let noSpace = KernReturn.noSpace
    /// `KERN_INVALID_ARGUMENT`, for matching.
    public static let invalidArgument = KernReturn.invalidArgument
    /// `KERN_FAILURE`, for matching.
    public static let failure = KernReturn.failure
    /// `KERN_RESOURCE_SHORTAGE`, for matching.
    public static let resourceShortage = KernReturn.resourceShortage
    /// `KERN_NOT_SUPPORTED`, for matching.
    public static let notSupported = KernReturn.notSupported
    /// `KERN_ABORTED`, for matching.
    public static let aborted = KernReturn.aborted
    /// `KERN_INVALID_RIGHT`, for matching.
    public static let invalidRight = KernReturn.invalidRight
    /// `KERN_INVALID_NAME`, for matching.
    public static let invalidName = KernReturn.invalidName
    /// `KERN_INVALID_VALUE`, for matching.
    public static let invalidValue = KernReturn.invalidValue
    /// `KERN_UREFS_OVERFLOW`, for matching.
    public static let urefsOverflow = KernReturn.urefsOverflow
    /// `MACH_SEND_INVALID_RIGHT`, for matching.
    public static let sendInvalidRight = KernReturn.sendInvalidRight
    /// `MACH_SEND_INVALID_DEST`, for matching.
    public static let sendInvalidDestination = KernReturn.sendInvalidDestination
    /// `MACH_SEND_INVALID_MEMORY`, for matching.
    public static let sendInvalidMemory = KernReturn.sendInvalidMemory
}
