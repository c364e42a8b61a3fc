// SPDX-License-Identifier: Apache-2.0
// The seed walkthrough in Swift: allocate 1 MiB, write a byte, lower the
// maximum protection to none, and see the raise back to read refused.
import PageKit

func walkthrough() throws(PageError) {
    var region = try PageRegion(byteCount: 1 << 20)
    var bytes = region.mutableBytes
    bytes.storeBytes(of: 42, toByteOffset: 0, as: UInt8.self)
    print("allocated \(region.byteCount) bytes, wrote a byte: \(region.bytes.unsafeLoad(as: UInt8.self))")

    try region.lowerMaximumProtection(to: .none)
    print("maximum lowered to none; access is now: \(try region.info[0].protection)")

    do {
        try region.lowerMaximumProtection(to: .read)
        print("raising the maximum back to read: ALLOWED (wrong)")
    } catch PageError.protectionFailure {
        print("raising the maximum back to read: refused, as on Mach")
    }

    try region.deallocate()
    print("deallocated")
}

try walkthrough()
