// SPDX-License-Identifier: Apache-2.0
import CPageShim

/// PageKit as a whole.
///
/// The Swift module and the C library under it (`libpagekit`) share one
/// version, set in `<pagekit/pagekit.h>`; C programs ask the library they
/// run with through `pk_version()`.
public enum PageKit {
    /// The library's version, `PAGEKIT_VERSION_STRING` ("0.1.0").
    ///
    /// Major, minor and patch numbers, as `CHANGELOG.md` lists them.
    public static let version = PAGEKIT_VERSION_STRING
}
