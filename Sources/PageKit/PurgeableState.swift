// SPDX-License-Identifier: Apache-2.0
import CPageShim

/// The state of a purgeable object (Mach's `VM_PURGABLE_*` states).
public enum PurgeableState: Int32, Sendable, Hashable, CustomStringConvertible {
    /// The contents are kept. `VM_PURGABLE_NONVOLATILE`.
    case nonvolatile = 0
    /// The kernel may reclaim the contents under memory pressure.
    /// `VM_PURGABLE_VOLATILE`.
    case volatile = 1
    /// The contents are gone; the memory reads as zeros.
    /// `VM_PURGABLE_EMPTY`.
    case empty = 2

    /// The state in one word, as ``RegionReport/Region/purgeableState``
    /// writes it: `nonvolatile`, `volatile` or `empty`.
    public var description: String {
        switch self {
        case .nonvolatile: "nonvolatile"
        case .volatile: "volatile"
        case .empty: "empty"
        }
    }
}
