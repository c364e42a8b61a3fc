// SPDX-License-Identifier: Apache-2.0
import CPageShim

/// Page protections: which accesses the hardware allows.
///
/// The raw values are Mach's `vm_prot_t` bits (`VM_PROT_READ` 1,
/// `VM_PROT_WRITE` 2, `VM_PROT_EXECUTE` 4), which are also Linux's `PROT_*`
/// bits. On Linux, write-only memory is readable, and so is execute-only
/// memory unless the CPU has protection keys.
public struct Protection: OptionSet, Sendable, Hashable, CustomStringConvertible {
    /// The `vm_prot_t` bits: 1 read, 2 write, 4 execute.
    public let rawValue: UInt32

    /// The protection with these `vm_prot_t` bits.
    public init(rawValue: UInt32) {
        self.rawValue = rawValue
    }

    /// Reads are allowed. `VM_PROT_READ`, `PROT_READ`.
    public static let read = Protection(rawValue: PK_PROT_READ)
    /// Writes are allowed. `VM_PROT_WRITE`, `PROT_WRITE`.
    public static let write = Protection(rawValue: PK_PROT_WRITE)
    /// Instructions may be fetched. `VM_PROT_EXECUTE`, `PROT_EXEC`.
    public static let execute = Protection(rawValue: PK_PROT_EXECUTE)
    /// No access at all. `VM_PROT_NONE`, `PROT_NONE`.
    public static let none: Protection = []
    /// Read and write: what new memory gets. `VM_PROT_DEFAULT`.
    public static let readWrite: Protection = [.read, .write]
    /// Every access: the maximum new memory gets. `VM_PROT_ALL`.
    public static let all: Protection = [.read, .write, .execute]

    /// `r`, `w` and `x` as in `/proc/PID/maps`, with `-` for a missing access.
    public var description: String {
        (contains(.read) ? "r" : "-") + (contains(.write) ? "w" : "-") + (contains(.execute) ? "x" : "-")
    }
}
