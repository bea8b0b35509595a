/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The checks of one buffer slice, shared by dk_buf_slice() (buf.c) and the
 * submit path (submit.c), which checks a frame's repeated refs to one
 * buffer without looking the handle up again. Not installed.
 */
#ifndef DRIVERKIT_CORE_BUF_SLICE_H
#define DRIVERKIT_CORE_BUF_SLICE_H

#include <driverkit/buf.h>

#include "internal.h"

/* The checks that need no slot, in the order dk_buf_slice() reports them. */
static inline int dk_buf_slice_args(uint64_t length, unsigned access, const struct dk_slice *out,
                                    enum dk_reason *why)
{
    if (out == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (length == 0)
        return dk_reject(why, DK_R_ZERO_LEN, DK_E_INVAL);
    if (access == 0 || (access & ~(DK_BUF_READ | DK_BUF_WRITE)) != 0)
        return dk_reject(why, DK_R_BAD_ENUM, DK_E_INVAL);
    return DK_OK;
}

/* Access bits against rights and the seal, in a fixed order. */
static inline int dk_buf_check_access(const struct dk_buf *b, unsigned access, enum dk_reason *why)
{
    if ((access & DK_BUF_WRITE) != 0 && b->sealed)
        return dk_reject(why, DK_R_BUF_SEALED, DK_E_SEALED);
    if ((access & DK_BUF_READ) != 0 && (b->rights & DK_BUF_READ) == 0)
        return dk_reject(why, DK_R_NO_READ_RIGHT, DK_E_DENIED);
    if ((access & DK_BUF_WRITE) != 0 && (b->rights & DK_BUF_WRITE) == 0)
        return dk_reject(why, DK_R_NO_WRITE_RIGHT, DK_E_DENIED);
    return DK_OK;
}

/* The checks against the slot @b that @handle resolved to, then the slice. */
static inline int dk_buf_slice_of(const struct dk_buf *b, uint32_t handle, uint64_t offset,
                                  uint64_t length, unsigned access, struct dk_slice *out,
                                  enum dk_reason *why)
{
    int rc = dk_buf_check_access(b, access, why);

    if (rc != DK_OK)
        return rc;
    /* BOUND: never compute offset + length; compare against what is left. */
    if (offset > b->size || length > b->size - offset)
        return dk_reject(why, DK_R_SLICE_OOB, DK_E_RANGE);
    out->offset = offset;
    out->length = length;
    out->dma_addr = b->dma_addr + offset;
    out->buf = handle;
    out->access = access;
    return dk_accept(why);
}

/* dk_buf_slice() for a handle already resolved to slot @b with nothing
 * changed since: the same checks in the same order, without the lookup. */
static inline int dk_buf_slice_again(const struct dk_buf *b, uint32_t handle, uint64_t offset,
                                     uint64_t length, unsigned access, struct dk_slice *out,
                                     enum dk_reason *why)
{
    int rc = dk_buf_slice_args(length, access, out, why);

    if (rc != DK_OK)
        return rc;
    return dk_buf_slice_of(b, handle, offset, length, access, out, why);
}

#endif /* DRIVERKIT_CORE_BUF_SLICE_H */
