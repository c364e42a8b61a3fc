// SPDX-License-Identifier: Apache-2.0
import CPageShim
import PageKit
import Testing

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The C layer as Swift sees it through the module map: the same results,
/// with no global errno involved.
@Suite struct CPageShimFromSwift {
    @Test func pageSizeMatchesTheCLayer() {
        #expect(PageRegion.pageSize == Int(pk_page_size()))
        #expect(PageRegion.pageSize.nonzeroBitCount == 1)
    }

    @Test func allocateProtectDeallocate() throws {
        var address: UInt = 0
        let size = PageRegion.pageSize * 4
        #expect(pk_allocate(&address, size, UInt32(PK_ALLOC_ANYWHERE), "swift-test") == 0)
        #expect(address != 0)
        var at = address
        var info = pk_region_info()
        #expect(pk_region(&at, &info) == 0)
        #expect(info.size == size)
        #expect(info.protection == PK_PROT_DEFAULT)
        #expect(info.max_protection == PK_PROT_ALL)
        #expect(pk_protect(address, size, true, UInt32(PK_PROT_READ)) == 0)
        #expect(pk_protect(address, size, false, UInt32(PK_PROT_DEFAULT)) == -EACCES)
        #expect(pk_deallocate(address, size) == 0)
    }

    @Test func errorsMapToMachCodes() {
        #expect(pk_kern_return(PK_OP_PROTECT, -ENOMEM) == PK_KERN_INVALID_ADDRESS)
        #expect(pk_kern_return(PK_OP_ALLOCATE, -ENOMEM) == PK_KERN_NO_SPACE)
        #expect(pk_kern_return(PK_OP_ALLOCATE_FIXED, -EEXIST) == PK_KERN_NO_SPACE)
        #expect(String(cString: pk_error_name(-EACCES)) == "EACCES")
    }
}
