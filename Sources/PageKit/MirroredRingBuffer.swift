// SPDX-License-Identifier: Apache-2.0
import CPageShim

/// A ring buffer whose pages are mapped twice, back to back, so that every
/// run of up to ``capacity`` bytes is contiguous in memory: the bytes to
/// read and the room to write are each one span, across the wrap, and
/// nothing is ever copied to unwrap them.
///
/// It is built as Mach code builds one: twice the size is allocated, the
/// second half given back, and the first half remapped after itself
/// without copy (`vm_remap`), retrying if another thread takes the
/// address in between.
public struct MirroredRingBuffer: ~Copyable, @unchecked Sendable {
    private let base: UnsafeMutableRawPointer
    /// The bytes it holds at most: a whole number of pages.
    public let capacity: Int
    private var head = 0
    private var tail = 0

    /// The bytes written and not yet read.
    public var count: Int { head - tail }
    /// The room left to write.
    public var freeCount: Int { capacity - count }

    /// A buffer of at least `capacity` bytes, rounded up to whole pages.
    ///
    /// - Throws: ``PageError/invalidArgument`` for a capacity of 0 or less;
    ///   ``PageError/noSpace`` when no room is left (or the capacity, twice
    ///   over, is more than the address space).
    public init(capacity: Int) throws(PageError) {
        guard capacity > 0 else { throw PageError(.allocate, errno: .invalidArgument) }
        guard capacity <= (Int.max / 2) & ~(PageRegion.pageSize - 1) else {
            throw PageError(.allocate, errno: .noMemory)
        }
        let size = PageRegion.roundedSize(capacity)
        var lastError = PageError(.remap, errno: .noMemory)
        for _ in 0..<3 {
            var base: UInt = 0
            try PageError.check(.allocate) { pk_allocate(&base, 2 * size, PK_ALLOC_ANYWHERE, nil) }
            _ = pk_deallocate(base + UInt(size), size)
            var mirror = base + UInt(size)
            var current: UInt32 = 0
            var maximum: UInt32 = 0
            let result = pk_remap(&mirror, UInt64(size), 0, PK_ALLOC_FIXED, base, false, &current, &maximum,
                                  PK_INHERIT_COPY, true)
            if result == 0 {
                self.base = UnsafeMutableRawPointer(bitPattern: base)!
                self.capacity = size
                return
            }
            _ = pk_deallocate(base, size)
            lastError = PageError(.remap, errno: .init(rawValue: -result))
            guard lastError.code == .noSpace else { throw lastError }
        }
        throw lastError
    }

    deinit {
        _ = pk_deallocate(UInt(bitPattern: base), 2 * capacity)
    }

    private var readStart: UnsafeMutableRawPointer { base + tail % capacity }
    private var writeStart: UnsafeMutableRawPointer { base + head % capacity }

    /// The bytes waiting to be read, as one span.
    public var readableBytes: RawSpan {
        @_lifetime(borrow self)
        borrowing get {
            let span = RawSpan(_unsafeBytes: UnsafeRawBufferPointer(start: readStart, count: count))
            return _overrideLifetime(span, borrowing: self)
        }
    }

    /// The room to write into, as one span; ``commitWrite(_:)`` then says
    /// how much of it was written.
    public var writableBytes: MutableRawSpan {
        @_lifetime(&self)
        mutating get {
            let span = MutableRawSpan(_unsafeBytes: UnsafeMutableRawBufferPointer(start: writeStart, count: freeCount))
            return _overrideLifetime(span, mutating: &self)
        }
    }

    /// Makes `byteCount` bytes written into ``writableBytes`` readable.
    ///
    /// - Precondition: `byteCount` is at most ``freeCount``.
    public mutating func commitWrite(_ byteCount: Int) {
        precondition(byteCount >= 0 && byteCount <= freeCount, "commitWrite(\(byteCount)) with \(freeCount) free")
        head += byteCount
    }

    /// Drops `byteCount` bytes from the front of ``readableBytes``.
    ///
    /// - Precondition: `byteCount` is at most ``count``.
    public mutating func consume(_ byteCount: Int) {
        precondition(byteCount >= 0 && byteCount <= count, "consume(\(byteCount)) with \(count) readable")
        tail += byteCount
        if tail >= capacity {
            tail -= capacity
            head -= capacity
        }
    }

    /// Writes as many of `bytes` as fit; returns how many.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) -> Int {
        let written = min(bytes.count, freeCount)
        if written > 0, let source = bytes.baseAddress {
            writeStart.copyMemory(from: source, byteCount: written)
        }
        head += written
        return written
    }

    /// Reads up to `buffer.count` bytes into `buffer`; returns how many.
    public mutating func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let read = min(buffer.count, count)
        if read > 0, let destination = buffer.baseAddress {
            destination.copyMemory(from: readStart, byteCount: read)
        }
        consume(read)
        return read
    }
}
