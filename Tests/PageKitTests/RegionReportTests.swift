// SPDX-License-Identifier: Apache-2.0
import Foundation
import PageKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct RegionReports {
    @Test func thisProcessShowsItsTaggedRegion() throws {
        let region = try PageRegion(byteCount: 3 * PageRegion.pageSize, tag: .applicationSpecific(9), name: "report me")
        let start = UInt64(UInt(bitPattern: region.baseAddress))
        let report = try RegionReport.inspect(pid: getpid())
        #expect(report.pid == getpid())
        #expect(report.usesPageKit)
        let row = try #require(report.regions.first { $0.start == start })
        #expect(row.size == UInt64(3 * PageRegion.pageSize))
        #expect(row.tag == 248)
        #expect(row.tagName == "application specific 9")
        #expect(row.name == "report me")
        #expect(row.kind == .pagekit)
        #expect(row.protection == "rw-" && row.maximumProtection == "rwx")
        #expect(report.regions.contains { $0.kind == .pagekitInternal })
        #expect(report.totals.virtual == report.regions.reduce(0) { $0 + $1.size })
        _ = region.byteCount
    }

    @Test func viewsOfAnEntryAreReportedShared() throws {
        let entry = try MemoryEntry(byteCount: PageRegion.pageSize)
        let view = try entry.map()
        let start = UInt64(UInt(bitPattern: view.baseAddress))
        let report = try RegionReport.inspect(pid: getpid())
        let row = try #require(report.regions.first { $0.start == start })
        #expect(row.kind == .pagekit)
        #expect(row.attributes.contains("shared"))
        _ = view.byteCount
    }

    @Test func jsonFieldNamesAreStable() throws {
        let report = try RegionReport.inspect(pid: getpid())
        let object = try #require(
            try JSONSerialization.jsonObject(with: JSONEncoder().encode(report)) as? [String: Any])
        #expect(Set(object.keys) == ["pid", "pageSize", "usesPageKit", "regions", "totals", "purgeable"])
        let region = try #require((object["regions"] as? [[String: Any]])?.first)
        #expect(
            Set(region.keys).isSuperset(of: [
                "start", "end", "size", "protection", "maximumProtection", "inheritance", "tag", "kind",
                "resident", "dirty", "swapped", "lazyFree", "attributes",
            ]))
        let totals = try #require(object["totals"] as? [String: Any])
        #expect(Set(totals.keys) == ["virtual", "resident", "dirty", "swapped", "lazyFree", "footprint"])
        #expect(try JSONDecoder().decode(RegionReport.self, from: JSONEncoder().encode(report)) == report)
    }

    @Test func missingProcessIsReportedAsSuch() {
        #expect(throws: RegionReport.Failure.noSuchProcess(0x3FFF_FFFF)) {
            try RegionReport.inspect(pid: 0x3FFF_FFFF)
        }
        #expect(throws: RegionReport.Failure.noSuchProcess(-3)) {
            try RegionReport.inspect(pid: -3)
        }
    }
}
