/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file errmap.h
 * @brief The one table that turns Nexus kernel error numbers into DriverKit
 *        statuses. Used by the nexus backend, and by the host backend, which
 *        answers with the same numbers the kernel gives.
 */
#ifndef DRIVERKIT_ERRMAP_H
#define DRIVERKIT_ERRMAP_H

#include <driverkit/common.h>
#include <driverkit/status.h>

/** Nexus kernel errno values (see docs/errmap.md). */
enum dk_nx_errno {
    DK_NX_EPERM = 1,
    DK_NX_ENOENT = 2,
    DK_NX_ESRCH = 3,
    DK_NX_ECHILD = 10,
    DK_NX_EAGAIN = 11,
    DK_NX_ENOMEM = 12,
    DK_NX_EFAULT = 14,
    DK_NX_EBUSY = 16,
    DK_NX_EEXIST = 17,
    DK_NX_EINVAL = 22,
    DK_NX_ENOSPC = 28,
    DK_NX_EPIPE = 32,
    DK_NX_ENOSYS = 38,
    DK_NX_ETIMEDOUT = 110,
};

/**
 * @brief Translate a raw syscall result.
 * @param ret the a0 value read as a signed machine word
 * @return DK_OK for ret >= 0; the mapped status for a known -errno;
 *         DK_E_BACKEND for any other negative value (fail closed: an unknown
 *         negative value is never success).
 */
int dk_status_from_nx(long ret);

#endif /* DRIVERKIT_ERRMAP_H */
