import ArgumentParser
import Foundation
import PageKit

/// `pagekit regions`: the regions of this process as PageKit reports them,
/// or another process's mappings as the kernel shows them.
struct Regions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List memory regions: this process's through PageKit, or another process's from the kernel.",
        discussion: """
            Without --pid, allocates a tagged region first so the list shows PageKit's own entries \
            (tag, maximum protection) beside the mappings it did not make. With --pid, prints \
            /proc/PID/maps, where tagged PageKit regions appear as [anon:NAME] on kernels that \
            can name anonymous memory.
            """)

    @Option(help: "A process ID whose mappings to show instead (read from /proc/PID/maps).")
    var pid: Int32?

    func validate() throws {
        if let pid, pid <= 0 {
            throw ValidationError("--pid must be a positive process ID, not \(pid)")
        }
    }

    func run() throws {
        if let pid {
            try showKernelView(of: pid)
        } else {
            try showOwnRegions()
        }
    }

    private func showOwnRegions() throws {
        let region = try PageRegion(byteCount: 4 * PageRegion.pageSize, tag: .applicationSpecific(1), name: "pagekit-regions")
        var address: UInt = 0
        while let info = try? RegionInfo.at(address) {
            print(info)
            address = info.start + UInt(info.byteCount)
        }
        _ = region
    }

    private func showKernelView(of pid: Int32) throws {
        guard let handle = FileHandle(forReadingAtPath: "/proc/\(pid)/maps") else {
            printError("pagekit regions: no process \(pid) (or no permission to read /proc/\(pid)/maps)")
            throw ExitCode(1)
        }
        let text = String(decoding: handle.readDataToEndOfFile(), as: UTF8.self)
        print(text, terminator: "")
    }
}
