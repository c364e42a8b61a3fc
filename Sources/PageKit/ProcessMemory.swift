// SPDX-License-Identifier: Apache-2.0
import CPageShim
import SystemPackage

/// Another process's memory, as a Mach task port gives it (`task_for_pid`).
///
/// Made where Linux lets this process debug the other (ptrace access,
/// checked once, when it is made). It holds that process's memory open, so
/// a process ID used again by another process is never read by mistake;
/// once the process is gone every call throws
/// ``PageError/sendInvalidDestination``. Noncopyable: one owner releases
/// the port when it ends.
public struct ProcessMemory: ~Copyable, @unchecked Sendable {
    /// The process.
    public let processID: Int32
    let task: pk_task_t

    /// Opens process `processID`'s memory, for reading only or for writing
    /// too.
    ///
    /// - Throws: ``PageError/sendInvalidDestination`` (`ESRCH`) when there
    ///   is no such process, ``PageError/protectionFailure`` (`EACCES`)
    ///   when this process may not debug it.
    public init(processID: Int32, readOnly: Bool = false) throws(PageError) {
        var task: pk_task_t = 0
        try PageError.check(.task) { pk_task_for_pid(processID, readOnly, &task) }
        self.processID = processID
        self.task = task
    }

    deinit {
        _ = pk_task_release(task)
    }

    /// Copies `count` bytes at `address` in the process (`mach_vm_read`).
    ///
    /// - Throws: ``PageError/invalidAddress`` for a hole, or a small read of
    ///   a page it cannot read; ``PageError/protectionFailure`` for a larger
    ///   one; nothing is read then.
    public func read(from address: UInt, count: Int) throws(PageError) -> [UInt8] {
        guard count >= 0 else { throw PageError(.task, errno: .invalidArgument) }
        var result: Int32 = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            buffer.initialize(repeating: 0)
            initialized = count
            if count > 0 { result = pk_task_read(task, address, count, buffer.baseAddress) }
        }
        if result != 0 { throw PageError(.task, errno: Errno(rawValue: -result)) }
        return bytes
    }

    /// Copies `buffer.count` bytes at `address` in the process into
    /// `buffer` (`mach_vm_read_overwrite`).
    public func read(from address: UInt, into buffer: UnsafeMutableRawBufferPointer) throws(PageError) {
        guard buffer.count > 0, let base = buffer.baseAddress else { return }
        try PageError.check(.task) { pk_task_read(task, address, buffer.count, base) }
    }

    /// Writes `bytes` at `address` in the process (`mach_vm_write`).
    ///
    /// - Throws: ``PageError/invalidAddress`` or
    ///   ``PageError/protectionFailure`` when the pages there cannot be
    ///   written; ``PageError/invalidArgument`` for memory opened read-only.
    public func write(_ bytes: UnsafeRawBufferPointer, to address: UInt) throws(PageError) {
        guard bytes.count > 0, let base = bytes.baseAddress else { return }
        try PageError.check(.task) { pk_task_write(task, address, base, bytes.count) }
    }

    /// The process's mapping at or above `address`, as the kernel has it.
    ///
    /// - Throws: ``PageError/invalidAddress`` when nothing is mapped there
    ///   or above.
    public func region(at address: UInt) throws(PageError) -> RegionInfo {
        var where_ = address
        var info = pk_region_info()
        try PageError.check(.task) { pk_task_region(task, &where_, &info) }
        return RegionInfo(info)
    }

    /// What each page of `[address, address + byteCount)` in the process is.
    public func pageDispositions(address: UInt, byteCount: Int) throws(PageError) -> [PageDisposition] {
        guard byteCount > 0 else { return [] }
        let pages = (byteCount + PageKit.pageSize - 1) / PageKit.pageSize + 1
        var raw = [Int32](repeating: 0, count: pages)
        var count = pages
        try PageError.check(.task) {
            raw.withUnsafeMutableBufferPointer { pk_task_page_range_query(task, address, byteCount, $0.baseAddress, &count) }
        }
        return raw.prefix(count).map { PageDisposition(rawValue: $0) }
    }
}
