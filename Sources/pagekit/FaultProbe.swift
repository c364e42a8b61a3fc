// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import PageKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// `pagekit fault-probe`: run by the tour in a child process. It allocates
/// a page with the given protection and makes one access; the parent reads
/// the outcome from how the child ended (exit 0, or killed by SIGSEGV).
struct FaultProbe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fault-probe", abstract: "Touch a page with a given protection (used by the tour).",
        shouldDisplay: false)

    enum Access: String, ExpressibleByArgument, CaseIterable {
        case read, write
    }

    @Option(help: "The page's protection: r, w, x, any combination, or none.")
    var protection: String

    @Option(help: "The access to make.")
    var access: Access

    func validate() throws {
        guard Protection(letters: protection) != nil else {
            throw ValidationError("protection must be letters from 'rwx', or 'none', not '\(protection)'")
        }
    }

    func run() throws {
        // Die of the fault itself, quietly, not of the runtime's backtracer.
        signal(SIGSEGV, SIG_DFL)
        var region = try PageRegion(byteCount: PageRegion.pageSize)
        try region.protect(Protection(letters: protection)!)
        let byte = region.baseAddress.assumingMemoryBound(to: UInt8.self)
        switch access {
        case .read: if byte.pointee == 0xFF { throw ExitCode(3) }
        case .write: byte.pointee = 1
        }
    }
}

extension Protection {
    init?(letters: String) {
        if letters == "none" {
            self = .none
            return
        }
        var protection = Protection.none
        for letter in letters {
            switch letter {
            case "r": protection.insert(.read)
            case "w": protection.insert(.write)
            case "x": protection.insert(.execute)
            default: return nil
            }
        }
        self = protection
    }
}
