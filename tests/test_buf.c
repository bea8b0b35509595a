/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Buffers (include/driverkit/buf.h): creation limits and budgets, refusals
 * that change nothing, zero fill, overflow-safe slices, rights, mapping and
 * one-way sealing, ownership. Pins, stale handles, reclaim and backend
 * faults are in test_buf_life.c.
 */
#include "buf_fixture.h"

TestSuite(buf, .init = setup, .fini = teardown);

Test(buf, create_argument_checks_change_nothing)
{
    enum dk_reason why;
    struct snap s;
    struct dk_buf_table zeroed;
    uint32_t h = 0;

    take(&s);
    EXPECT(DK_E_INVAL, DK_R_ZERO_LEN, dk_buf_create(&bt, cl[0], 0, DK_BUF_RIGHTS_ALL, &h, &why));
    EXPECT(DK_E_TOO_BIG, DK_R_BUF_TOO_BIG,
           dk_buf_create(&bt, cl[0], MAX_SIZE + 1, DK_BUF_RIGHTS_ALL, &h, &why));
    EXPECT(DK_E_TOO_BIG, DK_R_BUF_TOO_BIG,
           dk_buf_create(&bt, cl[0], UINT64_MAX, DK_BUF_RIGHTS_ALL, &h, &why));
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_create(&bt, cl[0], 4096, 0, &h, &why));
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_create(&bt, cl[0], 4096, 8, &h, &why));
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_create(&bt, cl[0], 4096, 0xff, &h, &why));
    EXPECT(DK_E_INVAL, DK_R_NULL_ARG, dk_buf_create(&bt, cl[0], 4096, DK_BUF_READ, NULL, &why));
    EXPECT(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_buf_create(&bt, 1000, 4096, DK_BUF_READ, &h, &why));
    memset(&zeroed, 0, sizeof zeroed);
    EXPECT(DK_E_INVAL, DK_R_NOT_INIT, dk_buf_create(&zeroed, cl[0], 4096, DK_BUF_READ, &h, &why));
    unchanged(&s);
    cr_assert_eq(h, 0);
    h = mkbuf(cl[0], MAX_SIZE, DK_BUF_RIGHTS_ALL);
    cr_assert_eq(used(cl[0], DK_RES_BYTES), MAX_SIZE);
    cr_assert_eq(used(cl[0], DK_RES_BUFFERS), 1);
    cr_assert_eq(bt.live, 1);
}

Test(buf, created_zero_filled_with_slot_info)
{
    struct dk_buf info;
    uint8_t *va = NULL;
    uint32_t h = mkbuf(cl[0], 3 * 4096 + 5, DK_BUF_RIGHTS_ALL);

    cr_assert_eq(dk_buf_info(&bt, cl[0], h, &info), DK_OK);
    cr_assert_eq(info.size, 3 * 4096 + 5);
    cr_assert_eq(info.rights, DK_BUF_RIGHTS_ALL);
    cr_assert_eq(info.pins, 0);
    cr_assert_eq(info.sealed, 0);
    cr_assert_eq(info.owner, cl[0]);
    cr_assert_eq(dk_buf_map(&bt, cl[0], h, DK_MAP_READ | DK_MAP_WRITE, (void **)&va, NULL), DK_OK);
    cr_assert_not_null(va);
    for (uint64_t i = 0; i < info.size; i++)
        cr_assert_eq(va[i], 0, "byte %llu", (unsigned long long)i);
    /* The dma address names the same memory for the simulated device. */
    cr_assert_eq(dk_host_dma_ptr(&host, info.dma_addr, info.size), (void *)va);
}

/* Freed arena memory comes back zeroed: no data leaks from one buffer to the next. */
Test(buf, recreated_buffer_is_zero_filled_after_reuse_of_memory)
{
    struct dk_buf info;
    uint8_t *va = NULL;
    uint64_t dma;
    uint32_t h = mkbuf(cl[0], 65536, DK_BUF_RIGHTS_ALL);

    cr_assert_eq(dk_buf_map(&bt, cl[0], h, DK_MAP_READ | DK_MAP_WRITE, (void **)&va, NULL), DK_OK);
    memset(va, 0xa5, 65536);
    cr_assert_eq(dk_buf_info(&bt, cl[0], h, &info), DK_OK);
    dma = info.dma_addr;
    cr_assert_eq(dk_buf_destroy(&bt, cl[0], h, NULL), DK_OK);
    cr_assert_eq(host_live_vmos(), 0, "a mapped buffer's VMO outlived its destroy");
    h = mkbuf(cl[1], 65536, DK_BUF_RIGHTS_ALL);
    cr_assert_eq(dk_buf_info(&bt, cl[1], h, &info), DK_OK);
    cr_assert_eq(info.dma_addr, dma, "the freed memory was not reused");
    cr_assert_eq(dk_buf_map(&bt, cl[1], h, DK_MAP_READ, (void **)&va, NULL), DK_OK);
    for (unsigned i = 0; i < 65536; i++)
        cr_assert_eq(va[i], 0, "byte %u leaked from the previous buffer", i);
}

Test(buf, client_byte_quota)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h;
    uint16_t c = cl[BYTES_TIGHT];

    mkbuf(c, MIB, DK_BUF_READ);
    mkbuf(c, MIB, DK_BUF_READ);
    take(&s);
    EXPECT(DK_E_QUOTA, DK_R_CLIENT_BYTES, dk_buf_create(&bt, c, MIB, DK_BUF_READ, &h, &why));
    unchanged(&s);
    mkbuf(c, MIB / 2, DK_BUF_READ); /* exactly fills the quota */
    take(&s);
    EXPECT(DK_E_QUOTA, DK_R_CLIENT_BYTES, dk_buf_create(&bt, c, 1, DK_BUF_READ, &h, &why));
    unchanged(&s);
    cr_assert_eq(used(c, DK_RES_BYTES), 2u * MIB + MIB / 2);
}

Test(buf, client_buffer_quota)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h, first;
    uint16_t c = cl[BUFS_TIGHT];

    first = mkbuf(c, 4096, DK_BUF_READ);
    mkbuf(c, 4096, DK_BUF_READ);
    take(&s);
    EXPECT(DK_E_QUOTA, DK_R_CLIENT_BUFFERS, dk_buf_create(&bt, c, 4096, DK_BUF_READ, &h, &why));
    unchanged(&s);
    cr_assert_eq(dk_buf_destroy(&bt, c, first, NULL), DK_OK);
    mkbuf(c, 4096, DK_BUF_READ);
}

Test(buf_budget, global_byte_budget, .fini = teardown)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h;

    build(2u * MIB + 4096, sizeof arena);
    mkbuf(cl[0], MIB, DK_BUF_READ);
    mkbuf(cl[1], MIB, DK_BUF_READ);
    take(&s);
    EXPECT(DK_E_NO_SPACE, DK_R_GLOBAL_BYTES, dk_buf_create(&bt, cl[1], 8192, DK_BUF_READ, &h, &why));
    unchanged(&s);
    mkbuf(cl[2], 4096, DK_BUF_READ);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_BYTES), 2u * MIB + 4096);
}

Test(buf, table_full)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h;

    for (unsigned i = 0; i < NBUFS; i++)
        mkbuf(cl[i % 2], 4096, DK_BUF_READ);
    take(&s);
    EXPECT(DK_E_NO_SPACE, DK_R_TABLE_FULL, dk_buf_create(&bt, cl[0], 4096, DK_BUF_READ, &h, &why));
    unchanged(&s);
}

Test(buf_budget, backend_vmo_failure_changes_nothing, .fini = teardown)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h;

    build(64u * MIB, 65536); /* the arena, not the ledger, runs out */
    take(&s);
    EXPECT(DK_E_NO_MEMORY, DK_R_OS_ERROR,
           dk_buf_create(&bt, cl[0], 2 * 65536, DK_BUF_READ, &h, &why));
    unchanged(&s);
    mkbuf(cl[0], 4096, DK_BUF_READ);
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 4096);
}

Test(buf, slices_are_checked_without_overflow)
{
    enum dk_reason why;
    struct dk_slice sl;
    struct dk_buf info;
    uint32_t h = mkbuf(cl[0], 4096, DK_BUF_RIGHTS_ALL);

    cr_assert_eq(dk_buf_info(&bt, cl[0], h, &info), DK_OK);
    EXPECT(DK_OK, DK_R_NONE, dk_buf_slice(&bt, cl[0], h, 0, 4096, DK_BUF_READ | DK_BUF_WRITE, &sl, &why));
    cr_assert_eq(sl.offset, 0);
    cr_assert_eq(sl.length, 4096);
    cr_assert_eq(sl.dma_addr, info.dma_addr);
    cr_assert_eq(sl.buf, h);
    cr_assert_eq(sl.access, DK_BUF_READ | DK_BUF_WRITE);
    EXPECT(DK_OK, DK_R_NONE, dk_buf_slice(&bt, cl[0], h, 100, 200, DK_BUF_READ, &sl, &why));
    cr_assert_eq(sl.dma_addr, info.dma_addr + 100);
    cr_assert_eq(sl.length, 200);
    EXPECT(DK_OK, DK_R_NONE, dk_buf_slice(&bt, cl[0], h, 4095, 1, DK_BUF_WRITE, &sl, &why));
    cr_assert_eq(sl.dma_addr, info.dma_addr + 4095);

    EXPECT(DK_E_INVAL, DK_R_ZERO_LEN, dk_buf_slice(&bt, cl[0], h, 0, 0, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_RANGE, DK_R_SLICE_OOB, dk_buf_slice(&bt, cl[0], h, 4096, 1, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_RANGE, DK_R_SLICE_OOB, dk_buf_slice(&bt, cl[0], h, 4095, 2, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_RANGE, DK_R_SLICE_OOB, dk_buf_slice(&bt, cl[0], h, 0, 4097, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_RANGE, DK_R_SLICE_OOB,
           dk_buf_slice(&bt, cl[0], h, UINT64_MAX - 1, 4, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_RANGE, DK_R_SLICE_OOB,
           dk_buf_slice(&bt, cl[0], h, 8, UINT64_MAX, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_RANGE, DK_R_SLICE_OOB,
           dk_buf_slice(&bt, cl[0], h, UINT64_MAX, UINT64_MAX, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_slice(&bt, cl[0], h, 0, 1, 8, &sl, &why));
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_slice(&bt, cl[0], h, 0, 1, DK_BUF_READ | 16, &sl, &why));
    cr_assert_eq(dk_buf_slice(&bt, cl[0], h, 0, 1, 0, &sl, NULL), DK_E_INVAL);
    EXPECT(DK_E_INVAL, DK_R_NULL_ARG, dk_buf_slice(&bt, cl[0], h, 0, 1, DK_BUF_READ, NULL, &why));
}

Test(buf, slice_access_needs_matching_rights)
{
    enum dk_reason why;
    struct dk_slice sl;
    uint32_t ro = mkbuf(cl[0], 4096, DK_BUF_READ);
    uint32_t wo = mkbuf(cl[0], 4096, DK_BUF_WRITE);

    EXPECT(DK_OK, DK_R_NONE, dk_buf_slice(&bt, cl[0], ro, 0, 16, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_DENIED, DK_R_NO_WRITE_RIGHT, dk_buf_slice(&bt, cl[0], ro, 0, 16, DK_BUF_WRITE, &sl, &why));
    EXPECT(DK_E_DENIED, DK_R_NO_WRITE_RIGHT,
           dk_buf_slice(&bt, cl[0], ro, 0, 16, DK_BUF_READ | DK_BUF_WRITE, &sl, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_buf_slice(&bt, cl[0], wo, 0, 16, DK_BUF_WRITE, &sl, &why));
    EXPECT(DK_E_DENIED, DK_R_NO_READ_RIGHT, dk_buf_slice(&bt, cl[0], wo, 0, 16, DK_BUF_READ, &sl, &why));
}

Test(buf, map_needs_map_right_and_write_for_write_mapping)
{
    enum dk_reason why;
    void *va = NULL;
    uint32_t nomap = mkbuf(cl[0], 4096, DK_BUF_READ | DK_BUF_WRITE);
    uint32_t romap = mkbuf(cl[0], 4096, DK_BUF_READ | DK_BUF_MAP);

    EXPECT(DK_E_DENIED, DK_R_NO_MAP_RIGHT, dk_buf_map(&bt, cl[0], nomap, DK_MAP_READ, &va, &why));
    EXPECT(DK_E_DENIED, DK_R_NO_WRITE_RIGHT, dk_buf_map(&bt, cl[0], romap, DK_MAP_WRITE, &va, &why));
    EXPECT(DK_E_DENIED, DK_R_NO_WRITE_RIGHT,
           dk_buf_map(&bt, cl[0], romap, DK_MAP_READ | DK_MAP_WRITE, &va, &why));
    cr_assert_null(va);
    EXPECT(DK_E_INVAL, DK_R_NULL_ARG, dk_buf_map(&bt, cl[0], romap, DK_MAP_READ, NULL, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_buf_map(&bt, cl[0], romap, DK_MAP_READ, &va, &why));
    cr_assert_not_null(va);
}

Test(buf, one_mapping_per_buffer_and_unmap)
{
    enum dk_reason why;
    void *ro = NULL, *again = NULL, *rw = NULL;
    uint32_t h = mkbuf(cl[0], 4096, DK_BUF_RIGHTS_ALL);

    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_map(&bt, cl[0], h, 0, &ro, &why));
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_buf_map(&bt, cl[0], h, 4, &ro, &why));
    EXPECT(DK_E_STATE, DK_R_NOT_MAPPED, dk_buf_unmap(&bt, cl[0], h, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_buf_map(&bt, cl[0], h, DK_MAP_READ, &ro, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_buf_map(&bt, cl[0], h, DK_MAP_READ, &again, &why));
    cr_assert_eq(again, ro, "a second mapping with the same rights is the same one");
    EXPECT(DK_E_BUSY, DK_R_BUF_MAPPED, dk_buf_map(&bt, cl[0], h, DK_MAP_READ | DK_MAP_WRITE, &rw, &why));
    cr_assert_null(rw);
    EXPECT(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_buf_unmap(&bt, cl[1], h, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_buf_unmap(&bt, cl[0], h, &why));
    EXPECT(DK_E_STATE, DK_R_NOT_MAPPED, dk_buf_unmap(&bt, cl[0], h, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_buf_map(&bt, cl[0], h, DK_MAP_READ | DK_MAP_WRITE, &rw, &why));
    /* A read mapping is covered by the writable one. */
    EXPECT(DK_OK, DK_R_NONE, dk_buf_map(&bt, cl[0], h, DK_MAP_READ, &again, &why));
    cr_assert_eq(again, rw);
    /* Destroy drops the mapping and the VMO with it. */
    EXPECT(DK_OK, DK_R_NONE, dk_buf_destroy(&bt, cl[0], h, &why));
    cr_assert_eq(host_live_vmos(), 0);
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 0);
}

/* No writable view may outlive a seal. */
Test(buf, seal_refused_while_mapped_writable)
{
    enum dk_reason why;
    struct snap s;
    void *va = NULL;
    uint32_t h = mkbuf(cl[0], 4096, DK_BUF_RIGHTS_ALL);

    cr_assert_eq(dk_buf_map(&bt, cl[0], h, DK_MAP_READ | DK_MAP_WRITE, &va, NULL), DK_OK);
    take(&s);
    EXPECT(DK_E_BUSY, DK_R_BUF_MAPPED, dk_buf_seal(&bt, cl[0], h, &why));
    unchanged(&s);
    cr_assert_eq(dk_buf_unmap(&bt, cl[0], h, NULL), DK_OK);
    cr_assert_eq(dk_buf_map(&bt, cl[0], h, DK_MAP_READ, &va, NULL), DK_OK);
    EXPECT(DK_OK, DK_R_NONE, dk_buf_seal(&bt, cl[0], h, &why));
    EXPECT(DK_E_SEALED, DK_R_BUF_SEALED, dk_buf_map(&bt, cl[0], h, DK_MAP_READ | DK_MAP_WRITE, &va, &why));
}

Test(buf, seal_is_one_way_and_removes_write)
{
    enum dk_reason why;
    struct dk_slice sl;
    struct dk_buf info;
    struct snap s;
    void *va = NULL;
    uint32_t h = mkbuf(cl[0], 4096, DK_BUF_RIGHTS_ALL);

    EXPECT(DK_OK, DK_R_NONE, dk_buf_seal(&bt, cl[0], h, &why));
    cr_assert_eq(dk_buf_info(&bt, cl[0], h, &info), DK_OK);
    cr_assert_eq(info.sealed, 1);
    EXPECT(DK_E_SEALED, DK_R_BUF_SEALED, dk_buf_slice(&bt, cl[0], h, 0, 16, DK_BUF_WRITE, &sl, &why));
    EXPECT(DK_E_SEALED, DK_R_BUF_SEALED,
           dk_buf_slice(&bt, cl[0], h, 0, 16, DK_BUF_READ | DK_BUF_WRITE, &sl, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_buf_slice(&bt, cl[0], h, 0, 16, DK_BUF_READ, &sl, &why));
    take(&s);
    EXPECT(DK_OK, DK_R_NONE, dk_buf_seal(&bt, cl[0], h, &why));
    unchanged(&s);
    EXPECT(DK_E_SEALED, DK_R_BUF_SEALED, dk_buf_map(&bt, cl[0], h, DK_MAP_WRITE, &va, &why));
    cr_assert_null(va);
    EXPECT(DK_OK, DK_R_NONE, dk_buf_map(&bt, cl[0], h, DK_MAP_READ, &va, &why));
    /* Pinning and unpinning do not bring the write right back. */
    cr_assert_eq(dk_buf_pin(&bt, cl[0], h, NULL), DK_OK);
    cr_assert_eq(dk_buf_unpin(&bt, h, NULL), DK_OK);
    EXPECT(DK_E_SEALED, DK_R_BUF_SEALED, dk_buf_slice(&bt, cl[0], h, 0, 16, DK_BUF_WRITE, &sl, &why));
    cr_assert_eq(dk_buf_info(&bt, cl[0], h, &info), DK_OK);
    cr_assert_eq(info.sealed, 1);
}

Test(buf, other_clients_get_not_found_on_every_op)
{
    enum dk_reason why;
    struct dk_slice sl;
    struct dk_buf info;
    struct snap s;
    void *va = NULL;
    uint32_t h = mkbuf(cl[0], 4096, DK_BUF_RIGHTS_ALL);

    take(&s);
    EXPECT(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_buf_destroy(&bt, cl[1], h, &why));
    EXPECT(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_buf_seal(&bt, cl[1], h, &why));
    EXPECT(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_buf_slice(&bt, cl[1], h, 0, 16, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_buf_pin(&bt, cl[1], h, &why));
    EXPECT(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_buf_map(&bt, cl[1], h, DK_MAP_READ, &va, &why));
    cr_assert_eq(dk_buf_info(&bt, cl[1], h, &info), DK_E_NOT_FOUND);
    unchanged(&s);
    cr_assert_null(va);
}
