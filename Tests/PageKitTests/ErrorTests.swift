// SPDX-License-Identifier: Apache-2.0
import CPageShim
import PageKit
import SystemPackage
import Testing

@Suite struct Errors {
    @Test func codesComeFromTheOneTable() {
        let cases: [(PageError.Operation, Errno, KernReturn)] = [
            (.allocate, .noMemory, .noSpace),
            (.allocateFixed, .noMemory, .invalidAddress),
            (.allocateFixed, .fileExists, .noSpace),
            (.protect, .noMemory, .invalidAddress),
            (.protect, .permissionDenied, .protectionFailure),
            (.deallocate, .notPermitted, .protectionFailure),
            (.purgeableControl, .invalidArgument, .invalidArgument),
            (.freeze, .notSupported, .notSupported),
            (.region, .noMemory, .invalidAddress),
            (.protect, .resourceTemporarilyUnavailable, .resourceShortage),
            (.protect, .ioError, .failure),
            (.protect, .fileExists, .noSpace),
            (.protect, .deadlock, .aborted),
            (.allocate, .deadlock, .aborted),
        ]
        for (operation, errno, code) in cases {
            let error = PageError(operation, errno: errno)
            #expect(error.code == code, "\(operation) \(errno)")
            #expect(error.errno == errno)
        }
    }

    @Test func machValues() {
        #expect(KernReturn.success.rawValue == 0)
        #expect(KernReturn.invalidAddress.rawValue == 1)
        #expect(KernReturn.protectionFailure.rawValue == 2)
        #expect(KernReturn.noSpace.rawValue == 3)
        #expect(KernReturn.invalidArgument.rawValue == 4)
        #expect(KernReturn.failure.rawValue == 5)
        #expect(KernReturn.resourceShortage.rawValue == 6)
        #expect(KernReturn.notSupported.rawValue == 46)
        #expect(KernReturn.aborted.rawValue == 14)
        #expect(KernReturn.noSpace.description == "KERN_NO_SPACE")
        #expect(KernReturn.aborted.description == "KERN_ABORTED")
    }

    @Test func descriptionNamesEverything() {
        let text = PageError(.protect, errno: .permissionDenied).description
        #expect(text.contains("protect"))
        #expect(text.contains("KERN_PROTECTION_FAILURE"))
        #expect(text.contains("EACCES"))
    }

    @Test func patternsMatchTypedAndUntypedErrors() {
        func untyped() throws { throw PageError(.allocateFixed, errno: .fileExists) }
        do {
            try untyped()
        } catch PageError.noSpace {
        } catch {
            Issue.record("the untyped pattern did not match")
        }
        func typed() throws(PageError) { throw PageError(.protect, errno: .noMemory) }
        do {
            try typed()
        } catch PageError.invalidAddress {
        } catch {
            Issue.record("the typed pattern did not match")
        }
        let nothingToTake = isNil(PageError(.protect, errno: .noMemory).takeRegion())
        #expect(nothingToTake)
    }

    @Test func valueTypes() {
        #expect(Protection.all == [.read, .write, .execute])
        #expect(Protection.readWrite.rawValue == 3)
        #expect(Protection.none.rawValue == 0)
        #expect(Protection([.read, .execute]).description == "r-x")
        #expect(MemoryTag.applicationSpecific(1).rawValue == 240)
        #expect(MemoryTag.applicationSpecific(16).rawValue == 255)
        #expect(MemoryTag(rawValue: 240).defaultName == "pagekit-tag-240")
        #expect(PurgeableState.empty.rawValue == 2)
        #expect(KernelFeatures.known.count == 9)
        #expect(KernelFeatures.current.contains(.lazyFree))
        for feature in KernelFeatures.known {
            #expect(feature.name != nil)
            #expect((KernelFeatures.missingReason(feature) == nil) == KernelFeatures.current.contains(feature))
        }
        if !KernelFeatures.current.contains(.anonymousVMANames) {
            #expect(KernelFeatures.missingReason(.anonymousVMANames) == .notSupported)
        }
    }
}
