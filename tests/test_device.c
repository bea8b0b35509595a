/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device fault/reset state machine (device.h): every (state, operation)
 * pair, the reset epoch, admission per state, and the audit trail.
 */
#include <criterion/criterion.h>

#include <string.h>

#include <driverkit/device.h>

#define DEV_ID 77u
#define LOG_MAX 64u

static struct dk_audit_event audit_log[LOG_MAX];
static unsigned audit_n;

static void record(void *arg, const struct dk_audit_event *ev)
{
    cr_assert_eq(arg, (void *)audit_log, "audit hook got the wrong arg");
    cr_assert_lt(audit_n, LOG_MAX);
    audit_log[audit_n++] = *ev;
}

static const struct dk_audit hook = {record, audit_log};

static void reset_log(void)
{
    memset(audit_log, 0, sizeof(audit_log));
    audit_n = 0;
}

enum op { OP_ONLINE, OP_FAULT, OP_RESET_BEGIN, OP_RESET_END, OP_COUNT };

static const char *const op_name[OP_COUNT] = {"online", "fault", "reset_begin", "reset_end"};
static const char *const state_name[4] = {"OFFLINE", "READY", "FAULTED", "RESETTING"};

static int apply(struct dk_device *d, enum op op, enum dk_reason *why)
{
    switch (op) {
    case OP_ONLINE:
        return dk_device_online(d, why);
    case OP_FAULT:
        return dk_device_fault(d, DK_R_OS_ERROR, why);
    case OP_RESET_BEGIN:
        return dk_device_reset_begin(d, why);
    case OP_RESET_END:
        return dk_device_reset_end(d, why);
    default:
        return -1;
    }
}

/* Bring a fresh device into @p state by legal steps only. */
static void drive_to(struct dk_device *d, enum dk_dev_state state)
{
    cr_assert_eq(dk_device_init(d, DEV_ID, &hook), DK_OK);
    if (state == DK_DEV_OFFLINE)
        return;
    cr_assert_eq(dk_device_online(d, NULL), DK_OK);
    if (state == DK_DEV_FAULTED)
        cr_assert_eq(dk_device_fault(d, DK_R_DEV_FAULTED, NULL), DK_OK);
    if (state == DK_DEV_RESETTING)
        cr_assert_eq(dk_device_reset_begin(d, NULL), DK_OK);
    cr_assert_eq(d->state, (uint32_t)state);
}

/* -1: illegal (DK_E_STATE / DK_R_BAD_TRANSITION); else the state reached. */
static const int transition[4][OP_COUNT] = {
    /*                 online          fault            reset_begin        reset_end */
    [DK_DEV_OFFLINE] = {DK_DEV_READY, -1, -1, -1},
    [DK_DEV_READY] = {-1, DK_DEV_FAULTED, DK_DEV_RESETTING, -1},
    [DK_DEV_FAULTED] = {-1, DK_DEV_FAULTED, DK_DEV_RESETTING, -1},
    [DK_DEV_RESETTING] = {-1, -1, -1, DK_DEV_READY},
};

Test(device, init_state_and_args)
{
    struct dk_device d;
    memset(&d, 0xa5, sizeof(d));
    cr_assert_eq(dk_device_init(&d, DEV_ID, NULL), DK_OK);
    cr_assert_eq(d.state, DK_DEV_OFFLINE);
    cr_assert_eq(d.epoch, 1u);
    cr_assert_eq(d.id, DEV_ID);
    cr_assert_eq(d.faults, 0u);
    cr_assert_eq(d.resets, 0u);
    cr_assert_eq(d.fault_reason, DK_R_NONE);
    cr_assert_eq(dk_device_init(NULL, DEV_ID, NULL), DK_E_INVAL);
}

Test(device, every_transition_pair)
{
    for (int s = 0; s < 4; s++) {
        for (int op = 0; op < OP_COUNT; op++) {
            struct dk_device d, before;
            enum dk_reason why = DK_R_OS_ERROR;
            drive_to(&d, (enum dk_dev_state)s);
            reset_log();
            before = d;
            int rc = apply(&d, (enum op)op, &why);
            if (transition[s][op] < 0) {
                cr_expect_eq(rc, DK_E_STATE, "%s from %s gave %s", op_name[op], state_name[s],
                             dk_status_str(rc));
                cr_expect_eq(why, DK_R_BAD_TRANSITION, "%s from %s: reason %s", op_name[op],
                             state_name[s], dk_reason_str((int)why));
                cr_expect_eq(memcmp(&d, &before, sizeof(d)), 0, "%s from %s changed the device",
                             op_name[op], state_name[s]);
                cr_expect_eq(audit_n, 0u, "refused %s from %s was audited", op_name[op],
                             state_name[s]);
            } else {
                cr_expect_eq(rc, DK_OK, "%s from %s gave %s", op_name[op], state_name[s],
                             dk_status_str(rc));
                cr_expect_eq(why, DK_R_NONE, "%s from %s: reason %s", op_name[op],
                             state_name[s], dk_reason_str((int)why));
                cr_expect_eq(d.state, (uint32_t)transition[s][op], "%s from %s reached %u",
                             op_name[op], state_name[s], d.state);
                uint64_t want_epoch = op == OP_RESET_END ? before.epoch + 1 : before.epoch;
                cr_expect_eq(d.epoch, want_epoch, "%s from %s: epoch %llu", op_name[op],
                             state_name[s], (unsigned long long)d.epoch);
            }
        }
    }
}

Test(device, null_and_uninitialised)
{
    struct dk_device z;
    enum dk_reason why;
    memset(&z, 0, sizeof(z));
    for (int op = 0; op < OP_COUNT; op++) {
        why = DK_R_NONE;
        cr_expect_eq(apply(NULL, (enum op)op, &why), DK_E_INVAL, "%s(NULL)", op_name[op]);
        cr_expect_eq(why, DK_R_NULL_ARG, "%s(NULL)", op_name[op]);
        why = DK_R_NONE;
        cr_expect_eq(apply(&z, (enum op)op, &why), DK_E_INVAL, "%s(zeroed)", op_name[op]);
        cr_expect_eq(why, DK_R_NOT_INIT, "%s(zeroed)", op_name[op]);
    }
    cr_expect_eq(dk_device_admit(NULL, &why), DK_E_INVAL);
    cr_expect_eq(dk_device_admit(&z, &why), DK_E_INVAL);
    cr_expect_eq(dk_device_check_epoch(NULL, 1), DK_E_INVAL);
    cr_expect_eq(dk_device_check_epoch(&z, 1), DK_E_INVAL);
}

Test(device, admit_per_state)
{
    static const struct {
        enum dk_dev_state state;
        int status;
        enum dk_reason reason;
    } want[] = {
        {DK_DEV_OFFLINE, DK_E_STATE, DK_R_DEV_OFFLINE},
        {DK_DEV_READY, DK_OK, DK_R_NONE},
        {DK_DEV_FAULTED, DK_E_FAULTED, DK_R_DEV_FAULTED},
        {DK_DEV_RESETTING, DK_E_RESETTING, DK_R_DEV_RESETTING},
    };
    for (size_t i = 0; i < DK_ARRAY_LEN(want); i++) {
        struct dk_device d, before;
        enum dk_reason why = DK_R_OS_ERROR;
        drive_to(&d, want[i].state);
        reset_log();
        before = d;
        cr_expect_eq(dk_device_admit(&d, &why), want[i].status, "admit in %s",
                     state_name[want[i].state]);
        cr_expect_eq(why, want[i].reason, "admit in %s: reason %s", state_name[want[i].state],
                     dk_reason_str((int)why));
        cr_expect_eq(dk_device_admit(&d, NULL), want[i].status, "why is optional");
        cr_expect_eq(memcmp(&d, &before, sizeof(d)), 0, "admit changed the device");
        cr_expect_eq(audit_n, 0u, "admit is not audited");
    }
}

Test(device, fault_twice_keeps_first_reason)
{
    struct dk_device d;
    drive_to(&d, DK_DEV_READY);
    cr_assert_eq(dk_device_fault(&d, DK_R_OS_ERROR, NULL), DK_OK);
    cr_assert_eq(d.fault_reason, DK_R_OS_ERROR);
    cr_assert_eq(dk_device_fault(&d, DK_R_CAP_WINDOW, NULL), DK_OK);
    cr_assert_eq(d.state, DK_DEV_FAULTED);
    cr_assert_eq(d.fault_reason, DK_R_OS_ERROR, "second fault overwrote the reason");
    cr_assert_eq(d.epoch, 1u);
}

Test(device, epoch_moves_only_at_reset_end)
{
    struct dk_device d;
    drive_to(&d, DK_DEV_READY);
    cr_assert_eq(d.epoch, 1u);
    for (uint64_t k = 1; k <= 50; k++) {
        reset_log();
        if (k % 2) {
            cr_assert_eq(dk_device_fault(&d, DK_R_OS_ERROR, NULL), DK_OK);
            cr_assert_eq(d.epoch, k);
        }
        cr_assert_eq(dk_device_reset_begin(&d, NULL), DK_OK);
        cr_assert_eq(d.epoch, k);
        cr_assert_eq(dk_device_admit(&d, NULL), DK_E_RESETTING);
        cr_assert_eq(dk_device_reset_end(&d, NULL), DK_OK);
        cr_assert_eq(d.epoch, k + 1);
        cr_assert_eq(d.state, DK_DEV_READY);
        cr_assert_eq(dk_device_admit(&d, NULL), DK_OK);
    }
    cr_assert_eq(d.resets, 50u);
    cr_assert_eq(d.faults, 25u);
}

Test(device, check_epoch)
{
    struct dk_device d;
    drive_to(&d, DK_DEV_READY);
    cr_assert_eq(dk_device_check_epoch(&d, 1), DK_OK);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(dk_device_reset_begin(&d, NULL), DK_OK);
        cr_assert_eq(dk_device_reset_end(&d, NULL), DK_OK);
    }
    cr_assert_eq(d.epoch, 4u);
    reset_log();
    cr_assert_eq(dk_device_check_epoch(&d, 4), DK_OK);
    cr_assert_eq(audit_n, 0u, "a current completion is not audited");

    for (uint64_t old = 1; old < 4; old++) {
        reset_log();
        struct dk_device before = d;
        cr_expect_eq(dk_device_check_epoch(&d, old), DK_E_STALE, "epoch %llu",
                     (unsigned long long)old);
        cr_expect_eq(audit_n, 1u, "stale epoch %llu audited %u times", (unsigned long long)old,
                     audit_n);
        cr_expect_eq(audit_log[0].kind, DK_AUDIT_STALE_EPOCH);
        cr_expect_eq(d.state, before.state);
        cr_expect_eq(d.epoch, before.epoch);
    }
}

/*
 * A completion claiming an epoch the device has not reached cannot belong to
 * the current instance either; it must not be accepted (the header does not
 * say which refusal it gets).
 */
Test(device, check_epoch_future_is_refused)
{
    struct dk_device d;
    drive_to(&d, DK_DEV_READY);
    cr_expect_neq(dk_device_check_epoch(&d, 2), DK_OK);
    cr_expect_neq(dk_device_check_epoch(&d, UINT64_MAX), DK_OK);
    cr_expect_neq(dk_device_check_epoch(&d, 0), DK_OK);
}

static void expect_event(unsigned i, uint32_t kind, uint64_t epoch)
{
    cr_assert_lt(i, audit_n, "event %u missing", i);
    const struct dk_audit_event *ev = &audit_log[i];
    cr_expect_eq(ev->kind, kind, "event %u: kind %u, want %u", i, ev->kind, kind);
    cr_expect_eq(ev->epoch, epoch, "event %u (kind %u): epoch %llu, want %llu", i, kind,
                 (unsigned long long)ev->epoch, (unsigned long long)epoch);
    /* SECURITY: a device event names codes and counts; no client, no payload. */
    cr_expect_eq(ev->client, 0u, "event %u carries a client", i);
}

Test(device, audit_sequence_carries_epoch)
{
    struct dk_device d;
    reset_log();
    cr_assert_eq(dk_device_init(&d, DEV_ID, &hook), DK_OK);
    unsigned base = audit_n; /* init itself is not a transition */
    cr_assert_eq(base, 0u);

    cr_assert_eq(dk_device_online(&d, NULL), DK_OK);
    cr_assert_eq(dk_device_fault(&d, DK_R_OS_ERROR, NULL), DK_OK);
    cr_assert_eq(dk_device_reset_begin(&d, NULL), DK_OK);
    cr_assert_eq(dk_device_reset_end(&d, NULL), DK_OK);
    cr_assert_eq(dk_device_reset_begin(&d, NULL), DK_OK);
    cr_assert_eq(dk_device_reset_end(&d, NULL), DK_OK);
    cr_assert_eq(audit_n, 6u, "one event per transition, got %u", audit_n);

    expect_event(0, DK_AUDIT_DEVICE_ONLINE, 1);
    expect_event(1, DK_AUDIT_DEVICE_FAULT, 1);
    cr_expect_eq(audit_log[1].reason, DK_R_OS_ERROR, "fault event reason");
    expect_event(2, DK_AUDIT_RESET_BEGIN, 1);
    expect_event(3, DK_AUDIT_RESET_END, 2);
    expect_event(4, DK_AUDIT_RESET_BEGIN, 2);
    expect_event(5, DK_AUDIT_RESET_END, 3);
}

Test(device, audit_hook_is_copied_and_optional)
{
    struct dk_device d;
    struct dk_audit local = hook;
    reset_log();
    cr_assert_eq(dk_device_init(&d, DEV_ID, &local), DK_OK);
    memset(&local, 0, sizeof(local)); /* the device keeps its own copy */
    cr_assert_eq(dk_device_online(&d, NULL), DK_OK);
    cr_assert_eq(audit_n, 1u);

    struct dk_audit none = {NULL, NULL};
    cr_assert_eq(dk_device_init(&d, DEV_ID, &none), DK_OK);
    cr_assert_eq(dk_device_online(&d, NULL), DK_OK);
    cr_assert_eq(dk_device_fault(&d, DK_R_OS_ERROR, NULL), DK_OK);
    cr_assert_eq(dk_device_reset_begin(&d, NULL), DK_OK);
    cr_assert_eq(dk_device_reset_end(&d, NULL), DK_OK);
    cr_assert_eq(dk_device_check_epoch(&d, 1), DK_E_STALE);
    cr_assert_eq(audit_n, 1u, "a NULL hook was called");
}
