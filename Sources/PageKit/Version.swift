import CPageShim

/// PageKit as a whole.
public enum PageKit {
    /// The library's version, `PAGEKIT_VERSION_STRING` ("0.1.0").
    public static let version = PAGEKIT_VERSION_STRING
}
