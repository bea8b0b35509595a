/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file device.h
 * @brief Device fault/reset state machine with a reset epoch.
 *
 * States and legal transitions:
 *
 *     OFFLINE --online--> READY --fault--> FAULTED
 *                           |                 |
 *                           +--reset_begin----+--> RESETTING --reset_end--> READY (epoch + 1)
 *
 * Work is admitted only in READY. A completion stamped with an epoch older
 * than the current one belongs to a device instance that was reset: it must
 * be ignored (dk_device_check_epoch() answers DK_E_STALE and audits it).
 * Each transition emits an audit event.
 */
#ifndef DRIVERKIT_DEVICE_H
#define DRIVERKIT_DEVICE_H

#include <driverkit/audit.h>
#include <driverkit/common.h>
#include <driverkit/status.h>

/** Device states. Stable numbers. */
enum dk_dev_state {
    DK_DEV_OFFLINE = 0,
    DK_DEV_READY = 1,
    DK_DEV_FAULTED = 2,
    DK_DEV_RESETTING = 3,
};

/** Device state. Fields are read-only to callers. */
struct dk_device {
    uint64_t epoch;        /**< starts at 1; +1 at every completed reset */
    uint32_t state;        /**< enum dk_dev_state */
    uint32_t fault_reason; /**< enum dk_reason of the last fault */
    uint32_t faults;
    uint32_t resets;
    uint32_t id;           /**< caller's device id, for audit */
    struct dk_audit audit;
    uint32_t magic;
};

#define DK_DEVICE_MAGIC 0x444b4431u /* "DKD1" */

/** @brief Initialise in OFFLINE, epoch 1. @return DK_OK; DK_E_INVAL. */
int dk_device_init(struct dk_device *d, uint32_t id, const struct dk_audit *audit);

/** @brief OFFLINE -> READY. @return DK_OK; DK_E_INVAL; DK_E_STATE (BAD_TRANSITION). */
int dk_device_online(struct dk_device *d, enum dk_reason *why);

/**
 * @brief READY -> FAULTED, recording @p reason. Faulting a faulted device
 *        is DK_OK and keeps the first reason.
 * @return DK_OK; DK_E_INVAL; DK_E_STATE (BAD_TRANSITION) from OFFLINE/RESETTING.
 */
int dk_device_fault(struct dk_device *d, int reason, enum dk_reason *why);

/** @brief READY or FAULTED -> RESETTING. @return DK_OK; DK_E_INVAL; DK_E_STATE. */
int dk_device_reset_begin(struct dk_device *d, enum dk_reason *why);

/** @brief RESETTING -> READY with epoch + 1. @return DK_OK; DK_E_INVAL; DK_E_STATE. */
int dk_device_reset_end(struct dk_device *d, enum dk_reason *why);

/**
 * @brief May new work be admitted now?
 * @return DK_OK (READY); DK_E_RESETTING (DEV_RESETTING); DK_E_FAULTED
 *         (DEV_FAULTED); DK_E_STATE (DEV_OFFLINE); DK_E_INVAL.
 */
int dk_device_admit(const struct dk_device *d, enum dk_reason *why);

/**
 * @brief Check that an event stamped with @p epoch belongs to the current
 *        device instance. Any other epoch (older, or one not yet reached) is
 *        refused and audited (DK_AUDIT_STALE_EPOCH).
 * @return DK_OK; DK_E_STALE; DK_E_INVAL.
 */
int dk_device_check_epoch(struct dk_device *d, uint64_t epoch);

#endif /* DRIVERKIT_DEVICE_H */
