// SPDX-License-Identifier: Apache-2.0
// W^X code generation: one read-write view where code is written and one
// read-execute view of the same pages where it runs, so no page is ever
// writable and executable at once. It writes x86-64 instructions; elsewhere
// it says so and stops.
import PageKit

/// `mov eax, value; ret`
func emitReturn(_ value: Int32, into code: inout PageRegion) {
    code.withUnsafeMutableBytes { bytes in
        bytes[0] = 0xB8
        withUnsafeBytes(of: value.littleEndian) { for (index, byte) in $0.enumerated() { bytes[1 + index] = byte } }
        bytes[5] = 0xC3
    }
}

func main() throws {
    #if !arch(x86_64)
    print("this example writes x86-64 instructions; nothing to run on this architecture")
    return
    #endif
    let entry = try MemoryEntry(byteCount: PageRegion.pageSize, protection: .all)
    var writable = try entry.map(protection: .readWrite, inheritance: .none)
    var executable = try entry.map(protection: [.read, .execute], inheritance: .none)
    typealias Function = @convention(c) () -> Int32
    let run = unsafeBitCast(executable.baseAddress, to: Function.self)

    emitReturn(42, into: &writable)
    print("first version returns \(run())")
    emitReturn(7, into: &writable)
    print("patched through the writable view, it returns \(run())")
    do {
        try executable.protect(.readWrite)
    } catch {
        print("making the executable view writable: \(error.code)")
    }
}

try main()
