// SPDX-License-Identifier: Apache-2.0
import CPageShim

/// A Mach `kern_return_t`, with XNU's numeric values.
public struct KernReturn: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The numeric `kern_return_t`, as XNU defines it (`KERN_NO_SPACE` is 3).
    public let rawValue: Int32

    /// The code with this numeric value; any value is accepted, including
    /// ones PageKit never returns.
    public init(rawValue: Int32) {
        self.rawValue = rawValue
    }

    /// The call succeeded. `KERN_SUCCESS` (0).
    public static let success = KernReturn(rawValue: PK_KERN_SUCCESS)
    /// The address is not mapped, or outside the address space.
    /// `KERN_INVALID_ADDRESS` (1).
    public static let invalidAddress = KernReturn(rawValue: PK_KERN_INVALID_ADDRESS)
    /// The protection is above the maximum, or the memory is sealed.
    /// `KERN_PROTECTION_FAILURE` (2).
    public static let protectionFailure = KernReturn(rawValue: PK_KERN_PROTECTION_FAILURE)
    /// The fixed range is occupied, or no room is left. `KERN_NO_SPACE` (3).
    public static let noSpace = KernReturn(rawValue: PK_KERN_NO_SPACE)
    /// A bad argument. `KERN_INVALID_ARGUMENT` (4).
    public static let invalidArgument = KernReturn(rawValue: PK_KERN_INVALID_ARGUMENT)
    /// Any other failure. `KERN_FAILURE` (5).
    public static let failure = KernReturn(rawValue: PK_KERN_FAILURE)
    /// A resource limit was hit, the kernel's limit on the number of
    /// mappings among them. `KERN_RESOURCE_SHORTAGE` (6).
    public static let resourceShortage = KernReturn(rawValue: PK_KERN_RESOURCE_SHORTAGE)
    /// Nothing was done: the call came from a signal handler that interrupted
    /// a PageKit call on the same thread (`EDEADLK`). `KERN_ABORTED` (14).
    public static let aborted = KernReturn(rawValue: PK_KERN_ABORTED)
    /// A name that names no memory entry. `KERN_INVALID_NAME` (15).
    public static let invalidName = KernReturn(rawValue: PK_KERN_INVALID_NAME)
    /// A mapping asks for more than its memory entry grants.
    /// `KERN_INVALID_RIGHT` (17).
    public static let invalidRight = KernReturn(rawValue: PK_KERN_INVALID_RIGHT)
    /// A value out of range (unknown `MAP_MEM_*` flags, a reference count
    /// below zero). `KERN_INVALID_VALUE` (18).
    public static let invalidValue = KernReturn(rawValue: PK_KERN_INVALID_VALUE)
    /// More than 65535 references to a memory entry's name.
    /// `KERN_UREFS_OVERFLOW` (19).
    public static let urefsOverflow = KernReturn(rawValue: PK_KERN_UREFS_OVERFLOW)
    /// The running kernel lacks the feature. `KERN_NOT_SUPPORTED` (46).
    public static let notSupported = KernReturn(rawValue: PK_KERN_NOT_SUPPORTED)
    /// A descriptor or entry name that names nothing, where Mach would have
    /// been sent an invalid port. `MACH_SEND_INVALID_RIGHT` (0x1000000a).
    public static let sendInvalidRight = KernReturn(rawValue: PK_MACH_SEND_INVALID_RIGHT)
    /// A task port whose process is gone: a message to a dead port.
    /// `MACH_SEND_INVALID_DEST` (0x10000003).
    public static let sendInvalidDestination = KernReturn(rawValue: PK_MACH_SEND_INVALID_DEST)
    /// Data that cannot be read, as a message carrying it would be refused.
    /// `MACH_SEND_INVALID_MEMORY` (0x1000000c).
    public static let sendInvalidMemory = KernReturn(rawValue: PK_MACH_SEND_INVALID_MEMORY)

    /// The Mach name, `KERN_NO_SPACE`.
    public var description: String { String(cString: pk_kern_return_name(rawValue)) }
}
