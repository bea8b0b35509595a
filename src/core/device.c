/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/device.h>

#include "internal.h"

static int dk_device_ok(const struct dk_device *d)
{
    return d != NULL && d->magic == DK_DEVICE_MAGIC;
}

static void dk_device_audit(const struct dk_device *d, uint32_t kind, uint32_t reason)
{
    dk_audit_emit(&d->audit, kind, 0, DK_OK, reason, d->id, 1, d->epoch);
}

int dk_device_init(struct dk_device *d, uint32_t id, const struct dk_audit *audit)
{
    if (d == NULL)
        return DK_E_INVAL;
    dk_zero(d, sizeof(*d));
    d->epoch = 1;
    d->state = DK_DEV_OFFLINE;
    d->id = id;
    if (audit != NULL)
        d->audit = *audit;
    d->magic = DK_DEVICE_MAGIC;
    return DK_OK;
}

/* One guarded transition: from any state in @from_mask to @to. */
static int dk_device_move(struct dk_device *d, uint32_t from_mask, uint32_t to,
                          enum dk_reason *why)
{
    if (!dk_device_ok(d))
        return dk_reject(why, d == NULL ? DK_R_NULL_ARG : DK_R_NOT_INIT, DK_E_INVAL);
    if ((from_mask & (1u << d->state)) == 0)
        return dk_reject(why, DK_R_BAD_TRANSITION, DK_E_STATE);
    d->state = to;
    return dk_accept(why);
}

int dk_device_online(struct dk_device *d, enum dk_reason *why)
{
    int rc = dk_device_move(d, 1u << DK_DEV_OFFLINE, DK_DEV_READY, why);
    if (rc == DK_OK)
        dk_device_audit(d, DK_AUDIT_DEVICE_ONLINE, 0);
    return rc;
}

int dk_device_fault(struct dk_device *d, int reason, enum dk_reason *why)
{
    int rc;

    if (dk_device_ok(d) && d->state == DK_DEV_FAULTED)
        return dk_accept(why); /* keep the first reason */
    rc = dk_device_move(d, 1u << DK_DEV_READY, DK_DEV_FAULTED, why);
    if (rc == DK_OK) {
        d->fault_reason = (uint32_t)reason;
        d->faults++;
        dk_device_audit(d, DK_AUDIT_DEVICE_FAULT, (uint32_t)reason);
    }
    return rc;
}

int dk_device_reset_begin(struct dk_device *d, enum dk_reason *why)
{
    int rc = dk_device_move(d, (1u << DK_DEV_READY) | (1u << DK_DEV_FAULTED), DK_DEV_RESETTING,
                            why);
    if (rc == DK_OK)
        dk_device_audit(d, DK_AUDIT_RESET_BEGIN, d->fault_reason);
    return rc;
}

int dk_device_reset_end(struct dk_device *d, enum dk_reason *why)
{
    int rc = dk_device_move(d, 1u << DK_DEV_RESETTING, DK_DEV_READY, why);
    if (rc == DK_OK) {
        d->epoch++;
        d->resets++;
        d->fault_reason = 0;
        dk_device_audit(d, DK_AUDIT_RESET_END, 0);
    }
    return rc;
}

int dk_device_admit(const struct dk_device *d, enum dk_reason *why)
{
    if (!dk_device_ok(d))
        return dk_reject(why, d == NULL ? DK_R_NULL_ARG : DK_R_NOT_INIT, DK_E_INVAL);
    switch (d->state) {
    case DK_DEV_READY:
        return dk_accept(why);
    case DK_DEV_RESETTING:
        return dk_reject(why, DK_R_DEV_RESETTING, DK_E_RESETTING);
    case DK_DEV_FAULTED:
        return dk_reject(why, DK_R_DEV_FAULTED, DK_E_FAULTED);
    default:
        return dk_reject(why, DK_R_DEV_OFFLINE, DK_E_STATE);
    }
}

int dk_device_check_epoch(struct dk_device *d, uint64_t epoch)
{
    if (!dk_device_ok(d))
        return DK_E_INVAL;
    if (epoch == d->epoch)
        return DK_OK;
    /* An older epoch belongs to a device instance that was reset; a newer
     * one cannot be ours either. Both are ignored and audited. */
    /* object: the stale epoch; epoch: the current one. */
    dk_audit_emit(&d->audit, DK_AUDIT_STALE_EPOCH, 0, DK_E_STALE, 0, epoch, 1, d->epoch);
    return DK_E_STALE;
}
