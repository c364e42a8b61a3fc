// SPDX-License-Identifier: Apache-2.0
import CPageShim

/// This process's volatile purgeable regions by the queue and group they
/// were made volatile with, as Mach's `task_purgable_info` counts them.
///
/// Regions the kernel has purged, and nonvolatile ones, are on no queue.
public struct VolatileQueues: Sendable, Hashable {
    /// Where Mach queues a volatile object for purging.
    public enum Queue: Sendable, Hashable {
        /// First made volatile, first purged (`VM_PURGABLE_BEHAVIOR_FIFO`).
        case fifo
        /// Last made volatile, first purged (`VM_PURGABLE_BEHAVIOR_LIFO`).
        case lifo
        /// Purged before the others (`VM_PURGABLE_ORDERING_OBSOLETE`);
        /// one group only, 0.
        case obsolete
    }

    /// How many regions wait in one queue and group, and their resident
    /// bytes.
    public struct Count: Sendable, Hashable {
        public var regions: Int
        public var residentBytes: Int
    }

    /// Groups 0 to 7 of the FIFO queue.
    public var fifo: [Count]
    /// Groups 0 to 7 of the LIFO queue.
    public var lifo: [Count]
    /// The obsolete queue.
    public var obsolete: Count

    /// The counts now.
    ///
    /// - Throws: `KERN_ABORTED` (`EDEADLK`) when called from a signal
    ///   handler that interrupted a PageKit call on the same thread.
    public static func current() throws(PageError) -> VolatileQueues {
        var info = pk_purgeable_info()
        try PageError.check(.purgeableControl) { pk_purgeable_info(&info) }
        func count(_ stat: pk_purgeable_stat) -> Count {
            Count(regions: Int(stat.count), residentBytes: Int(stat.size))
        }
        return withUnsafeBytes(of: info.fifo) { fifo in
            withUnsafeBytes(of: info.lifo) { lifo in
                VolatileQueues(
                    fifo: fifo.bindMemory(to: pk_purgeable_stat.self).map(count),
                    lifo: lifo.bindMemory(to: pk_purgeable_stat.self).map(count),
                    obsolete: count(info.obsolete))
            }
        }
    }

    /// The count of one queue and group, 0 to 7 (the obsolete queue has
    /// one, whatever `group` says).
    public subscript(queue: Queue, group: Int) -> Count {
        switch queue {
        case .fifo: fifo[group]
        case .lifo: lifo[group]
        case .obsolete: obsolete
        }
    }
}
