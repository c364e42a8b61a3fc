// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import Foundation
import PageKit

/// `pagekit vmmap`: a process's regions as macOS's vmmap shows them, with
/// what only PageKit knows (tags, names, maximum protections, purgeable
/// states) beside what the kernel knows (sizes, files).
struct VMMap: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vmmap",
        abstract: "Show a process's memory regions, with PageKit's tags, names, maxima and purgeable states.",
        discussion: """
            Every mapping of the process, cut where PageKit regions begin and end, with its \
            current/maximum protection, inheritance, tag (XNU's name for it), PageKit name, \
            purgeable state, and resident, dirty, swapped and lazily freed sizes from \
            /proc/PID/smaps. Then a summary by region type, the purgeable totals and the \
            footprint (private dirty plus swapped, like macOS's phys_footprint).

            Tags, names, maxima and purgeable states come from the table a PageKit process \
            publishes in its own memory, so they show on kernels that cannot name memory too. \
            Reading it, like reading the sizes, takes the right to read the process's memory: \
            its owner or root.

            --json writes the report with these fields: pid, pageSize, usesPageKit, regions \
            (start, end, size, protection, maximumProtection, inheritance, tag, tagName, name, \
            purgeableState, kind, mapping, resident, dirty, swapped, lazyFree, attributes), \
            totals (virtual, resident, dirty, swapped, lazyFree, footprint) and purgeable \
            (nonvolatile, volatile, empty). Sizes are bytes; addresses are numbers.

            Exit status: 0, 1 when the process is missing or may not be read, 64 for bad arguments.
            """)

    enum SortKey: String, ExpressibleByArgument, CaseIterable {
        case address, size, rss, dirty
    }

    @Argument(help: "The process to show.")
    var pid: Int32?

    @Flag(name: .customLong("self"), help: "Show this process (pagekit itself).")
    var showSelf = false

    @Flag(help: "Only the summary by region type, the purgeable totals and the footprint.")
    var summary = false

    @Option(help: "Order regions by address, size, rss or dirty (largest first but for address).")
    var sort: SortKey = .address

    @Flag(help: "Write the report as JSON.")
    var json = false

    @Option(name: .customLong("tag"), help: "Only regions with this tag (0-255); may be repeated.")
    var tags: [Int] = []

    @Option(help: "Only regions whose PageKit name or mapping contains this text.")
    var name: String?

    @Flag(help: "Sizes in bytes instead of K, M and G.")
    var bytes = false

    func validate() throws {
        if showSelf == (pid != nil) {
            throw ValidationError("give a process ID or --self, not both and not neither")
        }
        if let pid, pid <= 0 {
            throw ValidationError("the process ID must be positive, not \(pid)")
        }
        if let bad = tags.first(where: { !(0...255).contains($0) }) {
            throw ValidationError("a tag is 0 to 255, not \(bad)")
        }
    }

    func run() throws {
        let target = pid ?? getpid()
        let exists = FileManager.default.fileExists(atPath: "/proc/\(target)")
        let report: RegionReport
        do {
            report = try RegionReport.inspect(pid: target)
        } catch .noSuchProcess where exists {
            printError("pagekit vmmap: process \(target) exited while it was being read")
            throw ExitCode(1)
        } catch {
            printError("pagekit vmmap: \(error)")
            throw ExitCode(1)
        }
        let shown = filtered(report)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            var copy = report
            copy.regions = shown
            print(String(decoding: try encoder.encode(copy), as: UTF8.self))
            return
        }
        let format = SizeFormat(exact: bytes)
        print(header(report))
        if !summary {
            printRegions(shown, format: format)
            print("")
        }
        printSummary(shown, report: report, format: format)
    }

    private func filtered(_ report: RegionReport) -> [RegionReport.Region] {
        var regions = report.regions.filter { region in
            (tags.isEmpty || tags.contains(region.tag) && region.kind == .pagekit)
                && (name.map { text in
                    (region.name ?? "").contains(text) || (region.mapping ?? "").contains(text)
                } ?? true)
        }
        switch sort {
        case .address: break
        case .size: regions.sort { $0.size > $1.size }
        case .rss: regions.sort { $0.resident > $1.resident }
        case .dirty: regions.sort { $0.dirty > $1.dirty }
        }
        return regions
    }

    private func header(_ report: RegionReport) -> String {
        let command = (try? String(contentsOfFile: "/proc/\(report.pid)/comm", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
        let table = report.usesPageKit
            ? "PageKit table read" : "no PageKit table (the process does not use PageKit)"
        return "Process \(report.pid) (\(command)), page size \(report.pageSize), \(table)\n"
    }

    private func printRegions(_ regions: [RegionReport.Region], format: SizeFormat) {
        let width = format.width
        print(
            pad("REGION TYPE", 26) + " " + pad("START - END", 33) + " ["
                + ["VSIZE", "RSDNT", "DIRTY", "SWAP", "LAZY"].map { padLeft($0, width) }.joined(separator: " ")
                + "] PRT/MAX SHR PURGE  DETAIL")
        for region in regions {
            let sizes = [region.size, region.resident, region.dirty, region.swapped, region.lazyFree]
                .map { padLeft(format.text($0), width) }.joined(separator: " ")
            let range = String(format: "%016llx-%016llx", region.start, region.end)
            let purge = switch region.purgeableState {
            case "nonvolatile": "N"
            case "volatile": "V"
            case "empty": "E"
            default: "-"
            }
            let shared = region.kind == .shared || region.attributes.contains("shared")
            let share = shared || region.inheritance == "share" ? "SHM" : "PRV"
            print(
                pad(typeName(region), 26) + " " + range + " [" + sizes + "] " + region.protection + "/"
                    + region.maximumProtection + " " + share + " " + pad(purge, 5) + "  " + detail(region))
        }
    }

    private func printSummary(_ regions: [RegionReport.Region], report: RegionReport, format: SizeFormat) {
        var groups: [String: (virtual: UInt64, resident: UInt64, dirty: UInt64, swapped: UInt64, count: Int)] = [:]
        for region in regions {
            var group = groups[typeName(region)] ?? (0, 0, 0, 0, 0)
            group.virtual += region.size
            group.resident += region.resident
            group.dirty += region.dirty
            group.swapped += region.swapped
            group.count += 1
            groups[typeName(region)] = group
        }
        let width = format.width
        print(
            pad("REGION TYPE", 30) + ["VIRTUAL", "RESIDENT", "DIRTY", "SWAPPED"].map { padLeft($0, width + 3) }
                .joined() + padLeft("COUNT", 8))
        for (type, group) in groups.sorted(by: { $0.value.virtual > $1.value.virtual }) {
            print(
                pad(type, 30) + [group.virtual, group.resident, group.dirty, group.swapped]
                    .map { padLeft(format.text($0), width + 3) }.joined() + padLeft(String(group.count), 8))
        }
        let totals = report.totals
        print(
            pad("TOTAL", 30) + [totals.virtual, totals.resident, totals.dirty, totals.swapped]
                .map { padLeft(format.text($0), width + 3) }.joined() + padLeft(String(report.regions.count), 8))
        print("")
        print(
            "Purgeable memory: \(format.text(report.purgeable.nonvolatile)) nonvolatile, "
                + "\(format.text(report.purgeable.volatile)) volatile, \(format.text(report.purgeable.empty)) empty")
        print("Lazily freed: \(format.text(totals.lazyFree))")
        print("Footprint: \(format.text(totals.footprint)) (private dirty + swapped)")
    }

    private func typeName(_ region: RegionReport.Region) -> String {
        switch region.kind {
        case .pagekit: region.tagName ?? (region.tag == 0 ? "VM_ALLOCATE" : "tag \(region.tag)")
        case .pagekitInternal: "PageKit (bookkeeping)"
        case .file: "mapped file"
        case .heap: "heap"
        case .stack: "stack"
        case .shared: "shared memory"
        case .anonymous: "anonymous"
        case .kernel: "kernel"
        }
    }

    private func detail(_ region: RegionReport.Region) -> String {
        var parts: [String] = []
        if let name = region.name { parts.append(name) }
        if let mapping = region.mapping, mapping != region.name { parts.append(mapping) }
        // SHR already says "shared".
        parts.append(contentsOf: region.attributes.filter { $0 != "shared" })
        return parts.joined(separator: "  ")
    }
}

/// Human sizes (`12K`, `3.5M`) or exact bytes.
struct SizeFormat {
    let exact: Bool
    var width: Int { exact ? 12 : 6 }

    func text(_ bytes: UInt64) -> String {
        if exact { return String(bytes) }
        let units = ["K", "M", "G", "T"]
        var value = Double(bytes) / 1024
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        if value == 0 { return "0K" }
        return value < 10 && value != value.rounded()
            ? String(format: "%.1f%@", value, units[unit]) : String(format: "%.0f%@", value, units[unit])
    }
}

private func pad(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
}

private func padLeft(_ text: String, _ width: Int) -> String {
    text.count >= width ? text : String(repeating: " ", count: width - text.count) + text
}
