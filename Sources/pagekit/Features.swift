// SPDX-License-Identifier: Apache-2.0
import ArgumentParser
import PageKit

/// `pagekit features`: the kernel feature table.
struct Features: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print which kernel features PageKit found, and what it does without each.")

    static let fallbacks: [(KernelFeatures, String)] = [
        (.anonymousVMANames, "tags and names stay in PageKit's table; /proc/PID/maps does not show them"),
        (.lazyFree, "volatile purgeable memory is never dropped"),
        (.pageOut, "reclaim on demand (tests, the tour) is not available"),
        (.populate, "populating touches each page instead"),
        (.memorySealing, "sealed freezing fails with KERN_NOT_SUPPORTED; plain freezing works"),
        (.guardRegions, "not used by PageKit yet"),
        (.secretMemory, "not used by PageKit yet"),
        (.procmapQuery, "foreign mappings are read from /proc/self/maps instead"),
    ]

    func run() {
        print("PageKit kernel features (\(kernelRelease())):")
        for (feature, fallback) in Features.fallbacks {
            let name = (feature.name ?? "?").padding(to: 15)
            if let reason = KernelFeatures.missingReason(feature) {
                print("  \(name) missing (\(reason)): \(fallback)")
            } else {
                print("  \(name) yes")
            }
        }
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
