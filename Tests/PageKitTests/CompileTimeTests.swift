// SPDX-License-Identifier: Apache-2.0
import Foundation
import Testing

/// Facts the compiler must enforce: a frozen region offers no mutable
/// access, and a region given up by `freeze()` cannot be used again. Each
/// snippet is compiled against the PageKit module this test run built;
/// a snippet that must compile runs first, so a broken setup cannot pass as
/// a refusal.
@Suite(.serialized) struct CompileTimeGuarantees {
    /// `.build/<triple>/debug`, where this test binary lives.
    private static let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0])
        .resolvingSymlinksInPath().deletingLastPathComponent()
    private static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    private static func swiftc() -> String {
        let candidates = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map {
            "\($0)/swiftc"
        } + ["/opt/swift/usr/bin/swiftc"]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? "swiftc"
    }

    /// Compiles `source` as far as SIL, where ownership is checked; returns
    /// the exit status and the diagnostics.
    private static func compile(_ source: String) throws -> (status: Int32, output: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("pagekit-compile-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("snippet.swift")
        try source.write(to: file, atomically: true, encoding: .utf8)
        let scratch = buildDirectory.deletingLastPathComponent().deletingLastPathComponent()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: swiftc())
        process.arguments = [
            "-emit-sil", "-o", "/dev/null", "-swift-version", "6", "-enable-experimental-feature", "Lifetimes",
            "-I", buildDirectory.appendingPathComponent("Modules").path,
            "-I", packageRoot.appendingPathComponent("Sources/CPageShim/include").path,
            "-I", scratch.appendingPathComponent("checkouts/swift-system/Sources/CSystem/include").path,
            "-module-cache-path", directory.appendingPathComponent("cache").path,
            file.path,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, output)
    }

    private static let prelude = """
        import PageKit
        func make() throws(PageError) -> FrozenPageRegion {
            let region = try PageRegion(byteCount: PageRegion.pageSize)
            return try region.freeze()
        }

        """

    @Test func readOnlyUseCompiles() throws {
        let result = try Self.compile(Self.prelude + """
            func read() throws {
                let frozen = try make()
                let span = frozen.bytes
                _ = span.byteCount
                _ = frozen.withUnsafeBytes { $0.count }
                _ = try frozen.info
            }
            """)
        #expect(result.status == 0, "\(result.output)")
    }

    @Test(arguments: [
        ("var frozen = try make(); _ = frozen.mutableBytes", "mutableBytes"),
        ("var frozen = try make(); frozen.withUnsafeMutableBytes { _ in }", "withUnsafeMutableBytes"),
        ("var frozen = try make(); try frozen.protect(.readWrite)", "protect"),
        ("let frozen = try make(); frozen.baseAddress.storeBytes(of: 1, as: UInt8.self)", "storeBytes"),
        ("var frozen = try make(); try frozen.lowerMaximumProtection(to: .none)", "lowerMaximumProtection"),
    ])
    func mutableAccessToAFrozenRegionIsRefused(statement: String, member: String) throws {
        let result = try Self.compile(Self.prelude + "func attempt() throws {\n    \(statement)\n}\n")
        #expect(result.status != 0, "the compiler accepted: \(statement)")
        #expect(result.output.contains("has no member '\(member)'"), "\(result.output)")
    }

    @Test func aRegionCannotBeUsedAfterFreezing() throws {
        let result = try Self.compile("""
            import PageKit
            func attempt() throws {
                var region = try PageRegion(byteCount: PageRegion.pageSize)
                let frozen = try region.freeze()
                _ = region.mutableBytes
                _ = frozen
            }
            """)
        #expect(result.status != 0)
        #expect(result.output.contains("used after consume"), "\(result.output)")
    }
}
