import CPageShim

/// PageKit's Swift layer. The region types arrive with the next issue; for
/// now this namespace offers what the C layer reports about this machine.
public enum PageKit {
    /// The page size in bytes (`vm_page_size`, `sysconf(_SC_PAGESIZE)`).
    public static var pageSize: Int { Int(pk_page_size()) }
}
