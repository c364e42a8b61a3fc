// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import PageKit

/// `pagekit`: what PageKit does on this machine.
@main
struct PageKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pagekit",
        abstract: "Mach-style page-level memory control on Linux: see what PageKit does on this kernel.",
        discussion: """
            Exit status: 0 when every step behaved as documented, 1 when a step did not or a \
            process is missing, 64 for bad arguments.
            """,
        version: PageKit.version,
        subcommands: [Tour.self, Features.self, VMMap.self, FaultProbe.self, DemoProcess.self],
        defaultSubcommand: Tour.self
    )
}
