/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/backend.h>

#include "internal.h"

int dk_backend_init(struct dk_backend *be, const struct dk_backend_ops *ops, void *ctx,
                    enum dk_reason *why)
{
    if (be == NULL || ops == NULL)
        return dk_reject(why, DK_R_NULL_ARG, DK_E_INVAL);
    if (ops->abi_version != DK_BACKEND_ABI_VERSION)
        return dk_reject(why, DK_R_OPS_VERSION, DK_E_VERSION);
    /* A backend built against a newer, larger vtable is fine; a smaller one
     * would make us read past its end. */
    if (ops->size < sizeof(struct dk_backend_ops))
        return dk_reject(why, DK_R_OPS_SIZE, DK_E_VERSION);
    if (ops->now_ns == NULL || ops->wait == NULL || ops->vmo_create == NULL ||
        ops->vmo_destroy == NULL || ops->vmo_map == NULL || ops->vmo_query == NULL)
        return dk_reject(why, DK_R_OPS_MISSING, DK_E_INVAL);
    /* MMIO comes as a set: mapping without accessors or barriers is useless. */
    if (ops->mmio_map != NULL && (ops->mmio_query == NULL || ops->mmio_read == NULL ||
                                  ops->mmio_write == NULL || ops->barrier == NULL))
        return dk_reject(why, DK_R_OPS_MISSING, DK_E_INVAL);
    be->ops = ops;
    be->ctx = ctx;
    return dk_accept(why);
}

uint64_t dk_backend_now(const struct dk_backend *be)
{
    if (be == NULL || be->ops == NULL)
        return 0;
    return be->ops->now_ns(be->ctx);
}
