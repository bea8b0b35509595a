/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The one table from Nexus kernel errno values to DriverKit statuses
 * (errmap.h). It must fail closed: any negative value it does not know is
 * DK_E_BACKEND, never DK_OK.
 */
#include <criterion/criterion.h>

#include <limits.h>

#include <driverkit/errmap.h>

static const struct {
    const char *name;
    long err; /* positive errno */
    int status;
} known[] = {
    {"EPERM", 1, DK_E_PERM},
    {"ENOENT", 2, DK_E_NOT_FOUND},
    {"ESRCH", 3, DK_E_NOT_FOUND},
    {"ECHILD", 10, DK_E_NOT_FOUND},
    {"EAGAIN", 11, DK_E_WOULD_BLOCK},
    {"ENOMEM", 12, DK_E_NO_MEMORY},
    {"EFAULT", 14, DK_E_INVAL},
    {"EBUSY", 16, DK_E_BUSY},
    {"EEXIST", 17, DK_E_EXISTS},
    {"EINVAL", 22, DK_E_INVAL},
    {"ENOSPC", 28, DK_E_NO_SPACE},
    {"EPIPE", 32, DK_E_STATE},
    {"ENOSYS", 38, DK_E_UNSUPPORTED},
    {"ETIMEDOUT", 110, DK_E_TIMED_OUT},
};

static int known_status(long err, int *status)
{
    for (size_t i = 0; i < DK_ARRAY_LEN(known); i++) {
        if (known[i].err == err) {
            *status = known[i].status;
            return 1;
        }
    }
    return 0;
}

Test(errmap, errno_numbers_are_frozen)
{
    cr_assert_eq(DK_NX_EPERM, 1);
    cr_assert_eq(DK_NX_ENOENT, 2);
    cr_assert_eq(DK_NX_ESRCH, 3);
    cr_assert_eq(DK_NX_ECHILD, 10);
    cr_assert_eq(DK_NX_EAGAIN, 11);
    cr_assert_eq(DK_NX_ENOMEM, 12);
    cr_assert_eq(DK_NX_EFAULT, 14);
    cr_assert_eq(DK_NX_EBUSY, 16);
    cr_assert_eq(DK_NX_EEXIST, 17);
    cr_assert_eq(DK_NX_EINVAL, 22);
    cr_assert_eq(DK_NX_ENOSPC, 28);
    cr_assert_eq(DK_NX_EPIPE, 32);
    cr_assert_eq(DK_NX_ENOSYS, 38);
    cr_assert_eq(DK_NX_ETIMEDOUT, 110);
}

Test(errmap, non_negative_is_ok)
{
    static const long ok[] = {0, 1, 2, 22, 110, 4096, 0x7fffffffL, LONG_MAX - 1, LONG_MAX};
    for (size_t i = 0; i < DK_ARRAY_LEN(ok); i++)
        cr_expect_eq(dk_status_from_nx(ok[i]), DK_OK, "ret %ld", ok[i]);
}

Test(errmap, known_errnos_map_per_docs)
{
    for (size_t i = 0; i < DK_ARRAY_LEN(known); i++)
        cr_expect_eq(dk_status_from_nx(-known[i].err), known[i].status, "-%s gave %s, want %s",
                     known[i].name, dk_status_str(dk_status_from_nx(-known[i].err)),
                     dk_status_str(known[i].status));
}

Test(errmap, known_errnos_via_enum)
{
    cr_expect_eq(dk_status_from_nx(-(long)DK_NX_EPERM), DK_E_PERM);
    cr_expect_eq(dk_status_from_nx(-(long)DK_NX_EAGAIN), DK_E_WOULD_BLOCK);
    cr_expect_eq(dk_status_from_nx(-(long)DK_NX_ETIMEDOUT), DK_E_TIMED_OUT);
}

/* Fail closed: every other negative value is DK_E_BACKEND. */
Test(errmap, unknown_negative_is_backend)
{
    for (long e = 1; e <= 4096; e++) {
        int want;
        if (known_status(e, &want))
            continue;
        cr_expect_eq(dk_status_from_nx(-e), DK_E_BACKEND, "ret %ld gave %s", -e,
                     dk_status_str(dk_status_from_nx(-e)));
    }
}

Test(errmap, extreme_negative_is_backend)
{
    static const long far[] = {
        LONG_MIN, LONG_MIN + 1, LONG_MIN + 110, -4097, -65536, -0x7fffffffL,
#if LONG_MAX > 0x7fffffffL
        /* A table indexed by the low 32 bits would read these as -EINVAL, -ETIMEDOUT. */
        -0x100000016L, -0x10000006eL,
#endif
    };
    for (size_t i = 0; i < DK_ARRAY_LEN(far); i++) {
        int st = dk_status_from_nx(far[i]);
        cr_expect_eq(st, DK_E_BACKEND, "ret %ld gave %s", far[i], dk_status_str(st));
        cr_expect_neq(st, DK_OK, "ret %ld", far[i]);
    }
}

/* No negative value in the whole errno range may ever read as success. */
Test(errmap, negative_never_ok)
{
    for (long e = -1; e >= -4096; e--)
        cr_assert_neq(dk_status_from_nx(e), DK_OK, "ret %ld", e);
    cr_assert_neq(dk_status_from_nx(LONG_MIN), DK_OK);
}
