/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Buffer lifetimes (include/driverkit/buf.h): pinning with deferred
 * reclaim, release keyed by handle, stale handles after slot reuse, the
 * client kill path, backend failures during create, and table fini.
 */
#include "buf_fixture.h"

TestSuite(buf, .init = setup, .fini = teardown);

Test(buf, destroy_while_pinned_retires_now_and_reclaims_at_last_unpin)
{
    enum dk_reason why;
    struct dk_slice sl;
    uint32_t h = mkbuf(cl[0], 8192, DK_BUF_RIGHTS_ALL);

    cr_assert_eq(dk_buf_pin(&bt, cl[0], h, NULL), DK_OK);
    cr_assert_eq(dk_buf_pin(&bt, cl[0], h, NULL), DK_OK);
    EXPECT(DK_E_BUSY, DK_R_BUF_PINNED, dk_buf_destroy(&bt, cl[0], h, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_slice(&bt, cl[0], h, 0, 16, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_pin(&bt, cl[0], h, &why));
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 8192, "charge returned before the last unpin");
    cr_assert_eq(used(cl[0], DK_RES_BUFFERS), 1);
    cr_assert_eq(host_live_vmos(), 1);
    EXPECT(DK_OK, DK_R_NONE, dk_buf_unpin(&bt, h, &why));
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 8192);
    cr_assert_eq(host_live_vmos(), 1);
    EXPECT(DK_OK, DK_R_NONE, dk_buf_unpin(&bt, h, &why));
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 0);
    cr_assert_eq(used(cl[0], DK_RES_BUFFERS), 0);
    cr_assert_eq(host_live_vmos(), 0, "VMO not destroyed at the last unpin");
    cr_assert_eq(bt.live, 0);
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_unpin(&bt, h, &why));
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 0);
}

Test(buf, unpin_without_pin_is_refused)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h = mkbuf(cl[0], 4096, DK_BUF_READ);

    take(&s);
    EXPECT(DK_E_STATE, DK_R_NOT_PINNED, dk_buf_unpin(&bt, h, &why));
    cr_assert_eq(dk_buf_unpin(&bt, DK_HANDLE_INVALID, NULL), DK_E_NOT_FOUND);
    unchanged(&s);
    cr_assert_eq(dk_buf_pin(&bt, cl[0], h, NULL), DK_OK);
    cr_assert_eq(dk_buf_unpin(&bt, h, NULL), DK_OK);
    EXPECT(DK_E_STATE, DK_R_NOT_PINNED, dk_buf_unpin(&bt, h, &why));
}

Test(buf, pin_count_is_capped)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h = mkbuf(cl[0], 4096, DK_BUF_READ);

    for (unsigned i = 0; i < DK_BUF_PINS_MAX; i++)
        cr_assert_eq(dk_buf_pin(&bt, cl[0], h, NULL), DK_OK, "pin %u", i);
    take(&s);
    EXPECT(DK_E_NO_SPACE, DK_R_PIN_OVERFLOW, dk_buf_pin(&bt, cl[0], h, &why));
    unchanged(&s);
}

/* There is no API that takes a size to release: the ledger gets back exactly
 * what each handle was charged. */
Test(buf, release_is_keyed_by_handle)
{
    uint32_t a = mkbuf(cl[0], 12345, DK_BUF_READ);
    uint32_t b = mkbuf(cl[0], 4096, DK_BUF_READ);

    cr_assert_eq(used(cl[0], DK_RES_BYTES), 12345 + 4096);
    cr_assert_eq(dk_buf_destroy(&bt, cl[0], a, NULL), DK_OK);
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 4096);
    cr_assert_eq(used(cl[0], DK_RES_BUFFERS), 1);
    cr_assert_eq(dk_buf_destroy(&bt, cl[0], b, NULL), DK_OK);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_BYTES), 0);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_BUFFERS), 0);
    cr_assert_eq(host_live_vmos(), 0);
}

Test(buf, stale_handle_after_destroy_even_after_slot_reuse)
{
    enum dk_reason why;
    struct dk_slice sl;
    struct dk_buf info;
    void *va;
    uint32_t old = mkbuf(cl[0], 4096, DK_BUF_RIGHTS_ALL), reused = 0;

    cr_assert_eq(dk_buf_destroy(&bt, cl[0], old, NULL), DK_OK);
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_destroy(&bt, cl[0], old, &why));
    for (unsigned i = 0; i < NBUFS; i++) {
        uint32_t h = mkbuf(cl[0], 4096, DK_BUF_RIGHTS_ALL);
        if (DK_HANDLE_INDEX(h) == DK_HANDLE_INDEX(old))
            reused = h;
    }
    cr_assert_neq(reused, 0, "the old slot was not reused");
    cr_assert_neq(reused, old);
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_destroy(&bt, cl[0], old, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_seal(&bt, cl[0], old, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_slice(&bt, cl[0], old, 0, 1, DK_BUF_READ, &sl, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_pin(&bt, cl[0], old, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_unpin(&bt, old, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_buf_map(&bt, cl[0], old, DK_MAP_READ, &va, &why));
    cr_assert_eq(dk_buf_info(&bt, cl[0], old, &info), DK_E_STALE);
    cr_assert_eq(dk_buf_info(&bt, cl[0], reused, &info), DK_OK);
    cr_assert_eq(info.sealed, 0, "the new buffer was disturbed");
    cr_assert_eq(info.pins, 0);
}

Test(buf, reclaim_client_destroys_only_its_buffers)
{
    uint32_t a = mkbuf(cl[0], 4096, DK_BUF_READ), b = mkbuf(cl[0], 8192, DK_BUF_READ);
    uint32_t other = mkbuf(cl[1], 4096, DK_BUF_READ), count = 0;
    struct dk_buf info;
    unsigned seen = 0;

    cr_assert_eq(dk_buf_reclaim_client(&bt, cl[0], &count), DK_OK);
    cr_assert_eq(count, 2);
    cr_assert_eq(dk_buf_info(&bt, cl[0], a, &info), DK_E_STALE);
    cr_assert_eq(dk_buf_info(&bt, cl[0], b, &info), DK_E_STALE);
    cr_assert_eq(dk_buf_info(&bt, cl[1], other, &info), DK_OK);
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 0);
    cr_assert_eq(used(cl[0], DK_RES_BUFFERS), 0);
    cr_assert_eq(used(cl[1], DK_RES_BYTES), 4096);
    cr_assert_eq(host_live_vmos(), 1);
    cr_assert_eq(naudits, 2);
    for (unsigned i = 0; i < 2; i++) {
        cr_assert_eq(audits[i].kind, DK_AUDIT_BUF_RECLAIM);
        if (audits[i].object == a && audits[i].count == 4096)
            seen |= 1;
        if (audits[i].object == b && audits[i].count == 8192)
            seen |= 2;
    }
    cr_assert_eq(seen, 3, "each reclaimed buffer is audited with its handle and bytes");
    cr_assert_eq(dk_ledger_client_remove(&ledger, cl[0], NULL), DK_OK);
}

Test(buf, reclaim_client_defers_pinned_buffers)
{
    uint32_t a = mkbuf(cl[0], 4096, DK_BUF_READ), count = 0;
    struct dk_slice sl;

    cr_assert_eq(dk_buf_pin(&bt, cl[0], a, NULL), DK_OK);
    cr_assert_eq(dk_buf_reclaim_client(&bt, cl[0], &count), DK_OK);
    cr_assert_eq(count, 1);
    cr_assert_eq(dk_buf_slice(&bt, cl[0], a, 0, 1, DK_BUF_READ, &sl, NULL), DK_E_STALE);
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 4096);
    cr_assert_eq(dk_buf_unpin(&bt, a, NULL), DK_OK);
    cr_assert_eq(used(cl[0], DK_RES_BYTES), 0);
    cr_assert_eq(used(cl[0], DK_RES_BUFFERS), 0);
    cr_assert_eq(host_live_vmos(), 0);
}

/* A backend that answers some VMO calls with a chosen status. */
static struct dk_backend_ops faulty_ops;
static struct dk_backend faulty;
static int create_status, query_status;

static int faulty_vmo_create(void *ctx, uint64_t len, uint64_t *vmo)
{
    if (create_status != DK_OK)
        return create_status;
    return dk_host_backend(&host)->ops->vmo_create(ctx, len, vmo);
}

static int faulty_vmo_query(void *ctx, uint64_t vmo, struct dk_vmo_info *info)
{
    if (query_status != DK_OK)
        return query_status;
    return dk_host_backend(&host)->ops->vmo_query(ctx, vmo, info);
}

/* The host's vtable with two ops replaced, bound to the fixture's host. */
static void build_faulty(void)
{
    memcpy(&faulty_ops, dk_host_backend(&host)->ops, sizeof faulty_ops);
    faulty_ops.vmo_create = faulty_vmo_create;
    faulty_ops.vmo_query = faulty_vmo_query;
    cr_assert_eq(dk_backend_init(&faulty, &faulty_ops, &host, NULL), DK_OK);
    build_on(64u * MIB, sizeof arena, &faulty);
}

/* buf.h: a backend refusal is reported with its status and DK_R_OS_ERROR,
 * whatever the status is, including ones the ledger also uses. */
Test(buf, every_backend_status_is_reported_as_os_error)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h;
    const int statuses[] = {DK_E_NO_MEMORY, DK_E_PERM, DK_E_BACKEND, DK_E_NO_SPACE, DK_E_QUOTA};

    build_faulty();
    for (unsigned i = 0; i < DK_ARRAY_LEN(statuses); i++) {
        create_status = statuses[i];
        take(&s);
        why = (enum dk_reason)9999;
        cr_assert_eq(dk_buf_create(&bt, cl[0], 4096, DK_BUF_READ, &h, &why), statuses[i]);
        cr_assert_eq(why, DK_R_OS_ERROR, "backend status %s: reason %s, want DK_R_OS_ERROR",
                     dk_status_str(statuses[i]), dk_reason_str(why));
        unchanged(&s);
    }
    create_status = DK_OK;
    mkbuf(cl[0], 4096, DK_BUF_READ);
}

Test(buf, query_failure_destroys_the_new_vmo)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h;

    build_faulty();
    query_status = DK_E_BACKEND;
    take(&s);
    EXPECT(DK_E_BACKEND, DK_R_OS_ERROR, dk_buf_create(&bt, cl[0], 4096, DK_BUF_READ, &h, &why));
    unchanged(&s);
    cr_assert_eq(host_live_vmos(), 0, "the VMO leaked");
}

Test(buf, fini_refused_while_buffers_exist)
{
    enum dk_reason why;
    uint32_t h = mkbuf(cl[0], 4096, DK_BUF_READ), h2;

    cr_assert_eq(dk_buf_table_fini(&bt), DK_E_BUSY);
    cr_assert_eq(bt.magic, DK_BUF_MAGIC);
    cr_assert_eq(dk_buf_pin(&bt, cl[0], h, NULL), DK_OK);
    cr_assert_eq(dk_buf_destroy(&bt, cl[0], h, NULL), DK_E_BUSY);
    cr_assert_eq(dk_buf_table_fini(&bt), DK_E_BUSY, "fini with a retired, pinned buffer");
    cr_assert_eq(dk_buf_unpin(&bt, h, NULL), DK_OK);
    cr_assert_eq(dk_buf_table_fini(&bt), DK_OK);
    cr_assert_eq(dk_buf_table_fini(&bt), DK_OK, "fini is safe twice");
    EXPECT(DK_E_INVAL, DK_R_NOT_INIT, dk_buf_create(&bt, cl[0], 4096, DK_BUF_READ, &h2, &why));
}
