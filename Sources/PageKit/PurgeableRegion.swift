// SPDX-License-Identifier: Apache-2.0
import CPageShim
import SystemPackage

/// Memory the kernel may take back while it is volatile: a cache of values
/// that can be made again (`vm_allocate` with `VM_FLAGS_PURGABLE`).
///
/// The whole region is one purgeable object. While it is volatile the kernel
/// may reclaim it under memory pressure (`MADV_FREE`); making it nonvolatile
/// again tells whether the contents survived, exactly: if the kernel dropped
/// any page, the whole region reads as zeros and the old state is
/// ``PurgeableState/empty`` (see <doc:PurgeableCaches>).
///
/// The contents are reachable only while the region is nonvolatile: use
/// ``withContents(_:)``, or ``makeNonvolatile()`` then ``mutableBytes``.
/// (While volatile, PageKit keeps a marker in the first word of each page.)
public struct PurgeableRegion: ~Copyable, @unchecked Sendable {
    private var region: PageRegion
    private var isVolatile = false

    /// The first byte, page-aligned.
    public var baseAddress: UnsafeMutableRawPointer { region.baseAddress }
    /// The size in bytes: a whole number of pages.
    public var byteCount: Int { region.byteCount }

    /// Allocates a purgeable region, nonvolatile, zero-filled.
    ///
    /// - Throws: as ``PageRegion/init(byteCount:options:tag:name:)``.
    public init(byteCount: Int, tag: MemoryTag? = nil, name: String? = nil) throws(PageError) {
        let address = try PageRegion.allocate(
            at: 0, byteCount: byteCount, flags: PK_ALLOC_ANYWHERE | PK_ALLOC_PURGEABLE, options: [], tag: tag,
            name: name, operation: .allocate)
        region = PageRegion(adopting: address, byteCount: byteCount)
    }

    /// Deallocates the pages now and reports failure.
    public consuming func deallocate() throws(PageError) {
        try region.deallocate()
    }

    private mutating func setState(_ state: PurgeableState, bits: Int32 = 0) throws(PageError) -> PurgeableState {
        var value = state.rawValue | bits
        try PageError.check(.purgeableControl) {
            pk_purgeable_control(region.address, PK_PURGEABLE_SET_STATE, &value)
        }
        return PurgeableState(rawValue: value)!
    }

    /// Lets the kernel reclaim the contents from now on
    /// (`VM_PURGABLE_SET_STATE` with `VM_PURGABLE_VOLATILE`).
    ///
    /// - Throws: ``PageError/protectionFailure`` when the region is not
    ///   writable now.
    public mutating func makeVolatile() throws(PageError) {
        _ = try setState(.volatile)
        isVolatile = true
    }

    /// Lets the kernel reclaim the contents from now on, queued as Mach
    /// would queue them: `queue` and `group` (0 to 7) are recorded and
    /// counted by ``VolatileQueues/current()``, but Linux has one pool of
    /// lazily freed pages, so they do not order reclaim. The obsolete
    /// queue has one group, so there `group` is checked and then recorded
    /// as 0, as XNU does. Asked again, the region moves to the new queue
    /// and group.
    ///
    /// - Throws: ``PageError/protectionFailure`` when the region is not
    ///   writable now; `KERN_INVALID_ARGUMENT` (`EINVAL`) for a group
    ///   outside 0...7, with nothing changed.
    public mutating func makeVolatile(queue: VolatileQueues.Queue, group: Int) throws(PageError) {
        guard (0...7).contains(group) else { throw PageError(.purgeableControl, errno: .invalidArgument) }
        let queueBits: Int32 =
            switch queue {
            case .fifo: 0
            case .lifo: PK_PURGEABLE_BEHAVIOR_LIFO
            case .obsolete: PK_PURGEABLE_ORDERING_OBSOLETE
            }
        _ = try setState(.volatile, bits: queueBits | Int32(group) << PK_PURGEABLE_GROUP_SHIFT)
        isVolatile = true
    }

    /// Keeps the contents again, and tells whether they survived
    /// (`VM_PURGABLE_SET_STATE` with `VM_PURGABLE_NONVOLATILE`).
    ///
    /// - Returns: The old state: ``PurgeableState/empty`` means the contents
    ///   are gone and the region reads as zeros.
    /// - Throws: ``PageError/protectionFailure`` when the region is not
    ///   writable now.
    @discardableResult
    public mutating func makeNonvolatile() throws(PageError) -> PurgeableState {
        let old = try setState(.nonvolatile)
        isVolatile = false
        return old
    }

    /// The state now, noticing pages the kernel dropped
    /// (`VM_PURGABLE_GET_STATE`).
    public var state: PurgeableState {
        get throws(PageError) {
            var value: Int32 = 0
            try PageError.check(.purgeableControl) {
                pk_purgeable_control(region.address, PK_PURGEABLE_GET_STATE, &value)
            }
            return PurgeableState(rawValue: value)!
        }
    }

    /// Empties the region now: it reads as zeros and its state is
    /// ``PurgeableState/empty`` until made nonvolatile
    /// (`VM_PURGABLE_SET_STATE` with `VM_PURGABLE_EMPTY`).
    public mutating func purge() throws(PageError) {
        _ = try setState(.empty)
        isVolatile = true
    }

    /// Makes the kernel reclaim the region's pages now, as memory pressure
    /// would (`MADV_PAGEOUT`): volatile contents are dropped. For tests and
    /// demonstrations.
    ///
    /// - Throws: ``PageError/notSupported`` on kernels without `MADV_PAGEOUT`.
    public func reclaimNow() throws(PageError) {
        try PageError.check(.purgeableControl) { pk_purge_now(region.address, region.byteCount) }
    }

    private func requireNonvolatile() {
        precondition(!isVolatile, "PageKit: the purgeable region is volatile; call makeNonvolatile() before using its contents")
    }

    /// The contents, while nonvolatile.
    ///
    /// - Precondition: the region is nonvolatile and readable.
    public var bytes: RawSpan {
        @_lifetime(borrow self)
        borrowing get {
            requireNonvolatile()
            PageRegion.requireAccess(region.address, region.byteCount, .read, "read")
            let span = RawSpan(_unsafeBytes: UnsafeRawBufferPointer(start: region.baseAddress, count: region.byteCount))
            return _overrideLifetime(span, borrowing: self)
        }
    }

    /// The contents, mutable, while nonvolatile.
    ///
    /// - Precondition: the region is nonvolatile and writable.
    public var mutableBytes: MutableRawSpan {
        @_lifetime(&self)
        mutating get {
            requireNonvolatile()
            PageRegion.requireAccess(region.address, region.byteCount, .write, "write")
            let span = MutableRawSpan(
                _unsafeBytes: UnsafeMutableRawBufferPointer(start: region.baseAddress, count: region.byteCount))
            return _overrideLifetime(span, mutating: &self)
        }
    }

    /// Why ``withContents(_:)`` failed: PageKit, or the closure.
    public enum ContentsError<Failure: Error>: Error {
        /// Making the region nonvolatile or volatile again failed.
        case page(PageError)
        /// The closure threw; the region was made volatile again.
        case body(Failure)
    }

    /// Makes the region nonvolatile for the closure, tells it whether the
    /// contents survived, and makes it volatile again afterwards, also when
    /// the closure throws.
    ///
    /// When `survived` is false the contents were reclaimed: the bytes are
    /// all zero and the closure should fill them again.
    ///
    /// - Parameter body: Gets the contents and whether they survived.
    /// - Returns: What `body` returns.
    public mutating func withContents<R, E: Error>(
        _ body: (inout MutableRawSpan, _ survived: Bool) throws(E) -> R
    ) throws(ContentsError<E>) -> R {
        let old: PurgeableState
        do { old = try makeNonvolatile() } catch { throw .page(error) }
        let result: R
        do {
            var span = mutableBytes
            result = try body(&span, old != .empty)
        } catch {
            _ = try? makeVolatile()
            throw .body(error)
        }
        do { try makeVolatile() } catch { throw .page(error) }
        return result
    }

    /// What PageKit records for the region (`mach_vm_region`).
    public var info: [RegionInfo] {
        get throws(PageError) { try region.info }
    }
}
