// SPDX-License-Identifier: Apache-2.0
import CPageShim

/// A number from 0 to 255 that marks a region, as Mach's `VM_MAKE_TAG`
/// does, so tools can tell memory apart.
///
/// Tags 240 to 255 are reserved for applications
/// (`VM_MEMORY_APPLICATION_SPECIFIC_1` to `_16`). Where the kernel names
/// anonymous memory, a tagged region shows as `[anon:pagekit-tag-N]` in
/// `/proc/PID/maps`; everywhere, PageKit's own queries report the tag.
public struct MemoryTag: RawRepresentable, Sendable, Hashable, CustomStringConvertible {
    /// The tag's number, 0 to 255; 0 is no tag.
    public let rawValue: UInt8

    /// The tag with this number (`VM_MAKE_TAG(rawValue)`).
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// One of the sixteen application tags, numbered 1 to 16
    /// (`VM_MEMORY_APPLICATION_SPECIFIC_1` to `_16`, tags 240 to 255).
    ///
    /// - Precondition: `number` is in 1...16.
    public static func applicationSpecific(_ number: Int) -> MemoryTag {
        precondition((1...16).contains(number), "application-specific tags are numbered 1 to 16, not \(number)")
        return MemoryTag(rawValue: UInt8(Int(PK_TAG_APPLICATION_SPECIFIC_1) + number - 1))
    }

    /// The name a region with this tag and no name of its own carries,
    /// unless ``setName(_:)`` gave the tag another: `pagekit-tag-N`.
    public var defaultName: String { PK_TAG_DEFAULT_NAME_PREFIX + String(rawValue) }

    /// Gives every region with this tag, now and later, a name for
    /// `/proc/PID/maps` (`nil` restores ``defaultName``).
    ///
    /// - Throws: ``PageError/invalidArgument`` (`EINVAL`) for tag 0 or a name
    ///   longer than 79 bytes or with a character other than printable ASCII
    ///   without `\`, backquote, `$`, `[`, `]`; a name with an embedded NUL is
    ///   refused too, never cut short. The tag's name stays as it was then.
    public func setName(_ name: String?) throws(PageError) {
        try PageError.check(.name) { withNativeName(name) { pk_tag_name(UInt32(rawValue), $0) } }
    }

    /// The tag's number in words: `tag 240`.
    public var description: String { "tag \(rawValue)" }
}
