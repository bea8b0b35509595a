/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Timeline fences (include/driverkit/fence.h): handles, monotonic signals,
 * jump bounds, rights and failure. Waits, waiters and the kill path are in
 * test_fence_wait.c.
 */
#include "fence_fixture.h"

TestSuite(fence, .init = setup, .fini = teardown);

Test(fence, create_gives_owner_both_rights_and_charges_ledger)
{
    int fail;
    uint32_t h = mkfence(cl[0]);

    cr_assert_eq(dk_fence_rights(&ft, cl[0], h), DK_FENCE_RIGHT_WAIT | DK_FENCE_RIGHT_SIGNAL);
    cr_assert_eq(value_of(cl[0], h, &fail), 0);
    cr_assert_eq(fail, DK_OK);
    cr_assert_eq(used(cl[0], DK_RES_FENCES), 1);
    cr_assert_eq(ft.live, 1);
}

Test(fence, destroy_is_owner_only)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h = mkfence(cl[0]);

    cr_assert_eq(dk_fence_grant(&ft, cl[0], h, cl[1], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    take(&s, h);
    EXPECT(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_fence_destroy(&ft, cl[1], h, &why));
    EXPECT(DK_E_NOT_FOUND, DK_R_NOT_OWNER, dk_fence_destroy(&ft, cl[2], h, &why));
    unchanged(&s, h);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_destroy(&ft, cl[0], h, &why));
    cr_assert_eq(used(cl[0], DK_RES_FENCES), 0);
    cr_assert_eq(ft.live, 0);
}

Test(fence, stale_handle_after_destroy_even_after_slot_reuse)
{
    enum dk_reason why;
    uint32_t old = mkfence(cl[0]), reused = 0;
    uint64_t v;

    cr_assert_eq(dk_fence_destroy(&ft, cl[0], old, NULL), DK_OK);
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_destroy(&ft, cl[0], old, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_signal(&ft, cl[0], old, 1, &why));
    /* Fill the table: one of the new fences takes the old slot. */
    for (unsigned i = 0; i < NFENCES; i++) {
        uint32_t h = mkfence(cl[0]);
        if (DK_HANDLE_INDEX(h) == DK_HANDLE_INDEX(old))
            reused = h;
    }
    cr_assert_neq(reused, 0, "the old slot was not reused");
    cr_assert_neq(reused, old);
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_signal(&ft, cl[0], old, 1, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_poll(&ft, cl[0], old, 0, &why));
    EXPECT(DK_E_STALE, DK_R_STALE_HANDLE, dk_fence_destroy(&ft, cl[0], old, &why));
    cr_assert_eq(dk_fence_value(&ft, cl[0], old, &v, NULL), DK_E_STALE);
    cr_assert_eq(dk_fence_rights(&ft, cl[0], old), 0);
    cr_assert_eq(value_of(cl[0], reused, NULL), 0, "the new fence was disturbed");
    /* The table is full now. */
    uint32_t h;
    EXPECT(DK_E_NO_SPACE, DK_R_TABLE_FULL, dk_fence_create(&ft, cl[0], &h, &why));
}

Test(fence, bad_handles_and_arguments)
{
    enum dk_reason why;
    struct dk_fence_table zeroed;
    uint32_t h = mkfence(cl[0]);
    const uint32_t garbage[] = {DK_HANDLE_INVALID, DK_HANDLE_MAKE(NFENCES + 3, 0), 0xffffffffu};

    for (unsigned i = 0; i < DK_ARRAY_LEN(garbage); i++) {
        EXPECT(DK_E_NOT_FOUND, DK_R_BAD_HANDLE, dk_fence_destroy(&ft, cl[0], garbage[i], &why));
        EXPECT(DK_E_NOT_FOUND, DK_R_BAD_HANDLE, dk_fence_signal(&ft, cl[0], garbage[i], 1, &why));
        EXPECT(DK_E_NOT_FOUND, DK_R_BAD_HANDLE, dk_fence_poll(&ft, cl[0], garbage[i], 0, &why));
        cr_assert_eq(dk_fence_rights(&ft, cl[0], garbage[i]), 0);
    }
    EXPECT(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_create(&ft, cl[0], NULL, &why));
    EXPECT(DK_E_INVAL, DK_R_NULL_ARG, dk_fence_create(NULL, cl[0], &h, &why));
    EXPECT(DK_E_NOT_FOUND, DK_R_BAD_CLIENT, dk_fence_create(&ft, 1000, &h, &why));
    memset(&zeroed, 0, sizeof zeroed);
    EXPECT(DK_E_INVAL, DK_R_NOT_INIT, dk_fence_create(&zeroed, cl[0], &h, &why));
    cr_assert_eq(ft.live, 1);
    cr_assert_eq(used(cl[0], DK_RES_FENCES), 1);
}

Test(fence, signal_must_strictly_increase)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h = mkfence(cl[0]);

    take(&s, h);
    EXPECT(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK, dk_fence_signal(&ft, cl[0], h, 0, &why));
    unchanged(&s, h);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_signal(&ft, cl[0], h, 1, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_fence_signal(&ft, cl[0], h, 5, &why));
    cr_assert_eq(value_of(cl[0], h, NULL), 5);
    take(&s, h);
    EXPECT(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK, dk_fence_signal(&ft, cl[0], h, 5, &why));
    EXPECT(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK, dk_fence_signal(&ft, cl[0], h, 3, &why));
    unchanged(&s, h);
}

Test(fence, signal_jump_is_bounded_by_max_jump)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h = mkfence(cl[0]);

    cr_assert_eq(dk_fence_signal(&ft, cl[0], h, 5, NULL), DK_OK);
    take(&s, h);
    EXPECT(DK_E_TOO_FAR, DK_R_SIGNAL_TOO_FAR, dk_fence_signal(&ft, cl[0], h, 5 + MAX_JUMP + 1, &why));
    EXPECT(DK_E_TOO_FAR, DK_R_SIGNAL_TOO_FAR, dk_fence_signal(&ft, cl[0], h, UINT64_MAX, &why));
    unchanged(&s, h);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_signal(&ft, cl[0], h, 5 + MAX_JUMP, &why));
    cr_assert_eq(value_of(cl[0], h, NULL), 5 + MAX_JUMP);
}

Test(fence, poll_target_is_bounded_by_max_jump)
{
    enum dk_reason why;
    uint32_t h = mkfence(cl[0]);

    EXPECT(DK_OK, DK_R_NONE, dk_fence_poll(&ft, cl[0], h, 0, &why));
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_fence_poll(&ft, cl[0], h, 1, &why));
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_fence_poll(&ft, cl[0], h, MAX_JUMP, &why));
    EXPECT(DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR, dk_fence_poll(&ft, cl[0], h, MAX_JUMP + 1, &why));
    EXPECT(DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR, dk_fence_poll(&ft, cl[0], h, UINT64_MAX, &why));
}

/* No ad-hoc `value + max_jump` that wraps: the bound is on the difference. */
Test(fence_u64, values_near_uint64_max_do_not_wrap, .fini = teardown)
{
    enum dk_reason why;
    uint32_t h;

    build(UINT64_MAX - 1);
    h = mkfence(cl[0]);
    EXPECT(DK_E_TOO_FAR, DK_R_SIGNAL_TOO_FAR, dk_fence_signal(&ft, cl[0], h, UINT64_MAX, &why));
    EXPECT(DK_E_TOO_FAR, DK_R_WAIT_TOO_FAR, dk_fence_poll(&ft, cl[0], h, UINT64_MAX, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_fence_signal(&ft, cl[0], h, 10, &why));
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_fence_poll(&ft, cl[0], h, UINT64_MAX, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_fence_signal(&ft, cl[0], h, UINT64_MAX - 1, &why));
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_fence_poll(&ft, cl[0], h, UINT64_MAX, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_fence_signal(&ft, cl[0], h, UINT64_MAX, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_fence_poll(&ft, cl[0], h, UINT64_MAX, &why));
    /* Nothing lies beyond UINT64_MAX: no signal and no failure can follow. */
    EXPECT(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK, dk_fence_signal(&ft, cl[0], h, UINT64_MAX, &why));
    EXPECT(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK, dk_fence_signal(&ft, cl[0], h, 0, &why));
    EXPECT(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK,
           dk_fence_fail(&ft, cl[0], h, UINT64_MAX, DK_E_DEVICE, &why));
    cr_assert_eq(value_of(cl[0], h, NULL), UINT64_MAX);
}

Test(fence, wait_only_grant_may_poll_and_wait_but_not_signal)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h = mkfence(cl[0]);

    EXPECT(DK_OK, DK_R_NONE, dk_fence_grant(&ft, cl[0], h, cl[1], DK_FENCE_RIGHT_WAIT, &why));
    cr_assert_eq(dk_fence_rights(&ft, cl[1], h), DK_FENCE_RIGHT_WAIT);
    EXPECT_ST(DK_E_WOULD_BLOCK, dk_fence_poll(&ft, cl[1], h, 1, &why));
    take(&s, h);
    EXPECT(DK_E_DENIED, DK_R_NO_SIGNAL_RIGHT, dk_fence_signal(&ft, cl[1], h, 1, &why));
    EXPECT(DK_E_DENIED, DK_R_NO_SIGNAL_RIGHT,
           dk_fence_fail(&ft, cl[1], h, 1, DK_E_DEVICE, &why));
    unchanged(&s, h);
    cr_assert_eq(dk_fence_signal(&ft, cl[0], h, 1, NULL), DK_OK);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_poll(&ft, cl[1], h, 1, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_fence_wait(&ft, cl[1], h, 1, T0 + 10, NULL, &why));
    EXPECT_ST(DK_E_TIMED_OUT, dk_fence_wait(&ft, cl[1], h, 2, T0 + 10, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0 + 10);
    cr_assert_eq(value_of(cl[1], h, NULL), 1);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
}

Test(fence, signal_only_grant_may_not_wait)
{
    enum dk_reason why;
    struct dk_waiter w;
    uint32_t h = mkfence(cl[0]);

    EXPECT(DK_OK, DK_R_NONE, dk_fence_grant(&ft, cl[0], h, cl[2], DK_FENCE_RIGHT_SIGNAL, &why));
    cr_assert_eq(dk_fence_rights(&ft, cl[2], h), DK_FENCE_RIGHT_SIGNAL);
    EXPECT(DK_E_DENIED, DK_R_NO_WAIT_RIGHT, dk_fence_poll(&ft, cl[2], h, 1, &why));
    EXPECT(DK_E_DENIED, DK_R_NO_WAIT_RIGHT, dk_fence_wait(&ft, cl[2], h, 1, T0 + 10, NULL, &why));
    waiter_init(&w, 1);
    EXPECT(DK_E_DENIED, DK_R_NO_WAIT_RIGHT, dk_fence_waiter_add(&ft, cl[2], h, &w, &why));
    cr_assert_eq(dk_host_now(&host), T0);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    cr_assert_eq(slot_of(h)->nwaiters, 0);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_signal(&ft, cl[2], h, 3, &why));
    cr_assert_eq(value_of(cl[0], h, NULL), 3);
}

Test(fence, client_without_rights_is_told_not_found)
{
    enum dk_reason why;
    struct snap s;
    struct dk_waiter w;
    uint32_t h = mkfence(cl[0]);
    uint64_t v;

    take(&s, h);
    waiter_init(&w, 1);
    cr_assert_eq(dk_fence_rights(&ft, cl[3], h), 0);
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_poll(&ft, cl[3], h, 1, &why));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_signal(&ft, cl[3], h, 1, &why));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_fail(&ft, cl[3], h, 1, DK_E_DEVICE, &why));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_grant(&ft, cl[3], h, cl[3], DK_FENCE_RIGHT_WAIT, &why));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_wait(&ft, cl[3], h, 1, T0 + 10, NULL, &why));
    EXPECT_ST(DK_E_NOT_FOUND, dk_fence_waiter_add(&ft, cl[3], h, &w, &why));
    cr_assert_eq(dk_fence_value(&ft, cl[3], h, &v, NULL), DK_E_NOT_FOUND);
    unchanged(&s, h);
    cr_assert_eq(dk_host_now(&host), T0);
}

Test(fence, grant_of_rights_the_grantor_lacks_is_escalation)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h = mkfence(cl[0]);

    cr_assert_eq(dk_fence_grant(&ft, cl[0], h, cl[1], DK_FENCE_RIGHT_WAIT, NULL), DK_OK);
    take(&s, h);
    EXPECT(DK_E_DENIED, DK_R_RIGHTS_ESCALATION,
           dk_fence_grant(&ft, cl[1], h, cl[3], DK_FENCE_RIGHT_SIGNAL, &why));
    EXPECT(DK_E_DENIED, DK_R_RIGHTS_ESCALATION,
           dk_fence_grant(&ft, cl[1], h, cl[3], DK_FENCE_RIGHT_WAIT | DK_FENCE_RIGHT_SIGNAL, &why));
    EXPECT(DK_E_DENIED, DK_R_RIGHTS_ESCALATION,
           dk_fence_grant(&ft, cl[1], h, cl[1], DK_FENCE_RIGHT_SIGNAL, &why));
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_fence_grant(&ft, cl[0], h, cl[3], 0, &why));
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_fence_grant(&ft, cl[0], h, cl[3], 4, &why));
    EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_fence_grant(&ft, cl[0], h, cl[3], 0x80000001u, &why));
    unchanged(&s, h);
    cr_assert_eq(dk_fence_rights(&ft, cl[3], h), 0);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_grant(&ft, cl[1], h, cl[3], DK_FENCE_RIGHT_WAIT, &why));
    cr_assert_eq(dk_fence_rights(&ft, cl[3], h), DK_FENCE_RIGHT_WAIT);
}

Test(fence, grants_table_is_bounded_and_regrant_adds_rights)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h = mkfence(cl[0]);

    /* DK_FENCE_GRANTS_MAX holders, the owner included. */
    for (unsigned i = 1; i < DK_FENCE_GRANTS_MAX; i++)
        EXPECT(DK_OK, DK_R_NONE, dk_fence_grant(&ft, cl[0], h, cl[i], DK_FENCE_RIGHT_WAIT, &why));
    take(&s, h);
    EXPECT(DK_E_NO_SPACE, DK_R_GRANTS_FULL,
           dk_fence_grant(&ft, cl[0], h, cl[DK_FENCE_GRANTS_MAX], DK_FENCE_RIGHT_WAIT, &why));
    unchanged(&s, h);
    cr_assert_eq(dk_fence_rights(&ft, cl[DK_FENCE_GRANTS_MAX], h), 0);
    /* An existing holder takes no new entry. */
    EXPECT(DK_OK, DK_R_NONE, dk_fence_grant(&ft, cl[0], h, cl[1], DK_FENCE_RIGHT_SIGNAL, &why));
    cr_assert_eq(dk_fence_rights(&ft, cl[1], h), DK_FENCE_RIGHT_WAIT | DK_FENCE_RIGHT_SIGNAL);
    cr_assert_eq(slot_of(h)->ngrants, s.slot.ngrants);
}

Test(fence, fail_answers_status_above_value_and_ok_at_or_below)
{
    enum dk_reason why;
    struct snap s;
    int fail;
    uint32_t h = mkfence(cl[0]);

    cr_assert_eq(dk_fence_signal(&ft, cl[0], h, 5, NULL), DK_OK);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_fail(&ft, cl[0], h, 6, DK_E_DEVICE, &why));
    cr_assert_eq(value_of(cl[0], h, &fail), 5);
    cr_assert_eq(fail, DK_E_DEVICE);
    EXPECT(DK_OK, DK_R_NONE, dk_fence_poll(&ft, cl[0], h, 0, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_fence_poll(&ft, cl[0], h, 5, &why));
    EXPECT_ST(DK_E_DEVICE, dk_fence_poll(&ft, cl[0], h, 6, &why));
    EXPECT_ST(DK_E_DEVICE, dk_fence_poll(&ft, cl[0], h, 7, &why));
    take(&s, h);
    EXPECT(DK_E_STATE, DK_R_FENCE_FAILED, dk_fence_signal(&ft, cl[0], h, 6, &why));
    unchanged(&s, h);
    /* Waits answer at once, without moving the clock. */
    EXPECT_ST(DK_E_DEVICE, dk_fence_wait(&ft, cl[0], h, 9, T0 + 100, NULL, &why));
    EXPECT(DK_OK, DK_R_NONE, dk_fence_wait(&ft, cl[0], h, 5, T0 + 100, NULL, &why));
    cr_assert_eq(dk_host_now(&host), T0);
    cr_assert_eq(used(DK_LEDGER_GLOBAL, DK_RES_WAITERS), 0);
    /* One audit record names the fence and the status. */
    cr_assert_eq(naudits, 1);
    cr_assert_eq(audits[0].kind, DK_AUDIT_FENCE_FAIL);
    cr_assert_eq(audits[0].object, h);
    cr_assert_eq(audits[0].status, DK_E_DEVICE);
}

Test(fence, fail_refuses_non_error_status)
{
    enum dk_reason why;
    struct snap s;
    uint32_t h = mkfence(cl[0]);
    const int bad[] = {DK_OK, DK_E_WOULD_BLOCK, -1, DK_STATUS_COUNT, 1000};

    take(&s, h);
    for (unsigned i = 0; i < DK_ARRAY_LEN(bad); i++)
        EXPECT(DK_E_INVAL, DK_R_BAD_ENUM, dk_fence_fail(&ft, cl[0], h, 1, bad[i], &why));
    /* The value checks of dk_fence_signal() apply too. */
    EXPECT(DK_E_ROLLBACK, DK_R_VALUE_ROLLBACK, dk_fence_fail(&ft, cl[0], h, 0, DK_E_DEVICE, &why));
    EXPECT(DK_E_TOO_FAR, DK_R_SIGNAL_TOO_FAR,
           dk_fence_fail(&ft, cl[0], h, MAX_JUMP + 1, DK_E_DEVICE, &why));
    unchanged(&s, h);
    cr_assert_eq(naudits, 0);
}

Test(fence, fini_refused_while_fences_live)
{
    enum dk_reason why;
    uint32_t h = mkfence(cl[0]), h2;

    cr_assert_eq(dk_fence_table_fini(&ft), DK_E_BUSY);
    cr_assert_eq(ft.magic, DK_FENCE_MAGIC);
    cr_assert_eq(dk_fence_destroy(&ft, cl[0], h, NULL), DK_OK);
    cr_assert_eq(dk_fence_table_fini(&ft), DK_OK);
    cr_assert_eq(dk_fence_table_fini(&ft), DK_OK, "fini is safe twice");
    EXPECT(DK_E_INVAL, DK_R_NOT_INIT, dk_fence_create(&ft, cl[0], &h2, &why));
}
