/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/errmap.h>

/* The one errno table. Every capability error but "table full" arrives as
 * EPERM in this ABI, so EPERM maps to DK_E_PERM and nothing finer. */
static const struct {
    int16_t nx;
    int16_t status;
} dk_nx_table[] = {
    {DK_NX_EPERM, DK_E_PERM},           {DK_NX_ENOENT, DK_E_NOT_FOUND},
    {DK_NX_ESRCH, DK_E_NOT_FOUND},      {DK_NX_ECHILD, DK_E_NOT_FOUND},
    {DK_NX_EAGAIN, DK_E_WOULD_BLOCK},   {DK_NX_ENOMEM, DK_E_NO_MEMORY},
    {DK_NX_EFAULT, DK_E_INVAL},         {DK_NX_EBUSY, DK_E_BUSY},
    {DK_NX_EEXIST, DK_E_EXISTS},        {DK_NX_EINVAL, DK_E_INVAL},
    {DK_NX_ENOSPC, DK_E_NO_SPACE},      {DK_NX_EPIPE, DK_E_STATE},
    {DK_NX_ENOSYS, DK_E_UNSUPPORTED},   {DK_NX_ETIMEDOUT, DK_E_TIMED_OUT},
};

int dk_status_from_nx(long ret)
{
    size_t i;

    if (ret >= 0)
        return DK_OK;
    /* SECURITY: fail closed. LONG_MIN cannot be negated, and no value outside
     * the table is ever read as success. */
    if (ret < -4096)
        return DK_E_BACKEND;
    for (i = 0; i < DK_ARRAY_LEN(dk_nx_table); i++)
        if (-ret == dk_nx_table[i].nx)
            return dk_nx_table[i].status;
    return DK_E_BACKEND;
}
