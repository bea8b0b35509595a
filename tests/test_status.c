/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ABI freeze of the status vocabulary and every other stable number in the
 * public headers. Expected values are written here as literals on purpose:
 * renumbering anything in include/driverkit/ must fail this file. Appending
 * a new code means adding it to the tables below in the same change.
 */
#include <criterion/criterion.h>

#include <limits.h>
#include <stddef.h>
#include <string.h>

#include <driverkit/driverkit.h>

/* Name the enumerator and its frozen number side by side. */
#define PIN(name, num) { #name, (int)(name), (num) }

struct pinned {
    const char *name;
    int value;
    int frozen;
};

static const struct pinned status_pins[] = {
    PIN(DK_OK, 0),           PIN(DK_E_INVAL, 1),       PIN(DK_E_WOULD_BLOCK, 2),
    PIN(DK_E_TIMED_OUT, 3),  PIN(DK_E_QUEUE_FULL, 4),  PIN(DK_E_QUOTA, 5),
    PIN(DK_E_NO_SPACE, 6),   PIN(DK_E_NOT_FOUND, 7),   PIN(DK_E_STALE, 8),
    PIN(DK_E_BUSY, 9),       PIN(DK_E_DENIED, 10),     PIN(DK_E_ROLLBACK, 11),
    PIN(DK_E_TOO_FAR, 12),   PIN(DK_E_SEALED, 13),     PIN(DK_E_RANGE, 14),
    PIN(DK_E_STATE, 15),     PIN(DK_E_RESETTING, 16),  PIN(DK_E_FAULTED, 17),
    PIN(DK_E_DEVICE, 18),    PIN(DK_E_RESET, 19),      PIN(DK_E_KILLED, 20),
    PIN(DK_E_CANCELLED, 21), PIN(DK_E_NO_MEMORY, 22),  PIN(DK_E_PERM, 23),
    PIN(DK_E_UNSUPPORTED, 24), PIN(DK_E_VERSION, 25),  PIN(DK_E_MALFORMED, 26),
    PIN(DK_E_EXISTS, 27),    PIN(DK_E_TOO_BIG, 28),    PIN(DK_E_BACKEND, 29),
    PIN(DK_E_CORRUPT, 30),
};

/*
 * Every reason with its frozen number and the status it is reported with,
 * taken from the @return lines of the headers that use it.
 */
struct reason_pin {
    const char *name;
    int value;
    int frozen;
    int status;
};
#define RPIN(name, num, st) { #name, (int)(name), (num), (st) }

static const struct reason_pin reason_pins[] = {
    RPIN(DK_R_NONE, 0, 0),
    /* 1xx: argument checks */
    RPIN(DK_R_NULL_ARG, 100, 1),
    RPIN(DK_R_BAD_ENUM, 101, 1),
    RPIN(DK_R_ZERO_LEN, 102, 1),
    RPIN(DK_R_NOT_POW2, 103, 1),
    RPIN(DK_R_OVER_CAP, 104, 1),
    RPIN(DK_R_STORAGE_SMALL, 105, 1),
    /* fence.h and buf.h report it as DK_E_NOT_FOUND (waitset.h's "DK_E_INVAL
     * (BAD_HANDLE)" disagrees: a reason has one status, and NOT_FOUND does
     * not let a caller tell a bad handle from another client's). */
    RPIN(DK_R_BAD_HANDLE, 106, 7),
    RPIN(DK_R_STALE_HANDLE, 107, 8),
    RPIN(DK_R_NOT_OWNER, 108, 7),
    RPIN(DK_R_BAD_CLIENT, 109, 7),
    RPIN(DK_R_NOT_INIT, 110, 1),
    RPIN(DK_R_OUT_SMALL, 111, 6),
    /* 2xx: submit queue */
    RPIN(DK_R_RING_FULL, 200, 4),
    RPIN(DK_R_INFLIGHT_CAP, 201, 4),
    RPIN(DK_R_QOS_DEPTH, 202, 4),
    RPIN(DK_R_TICKET_UNKNOWN, 203, 7),
    RPIN(DK_R_ALREADY_RESOLVED, 204, 15),
    RPIN(DK_R_ALREADY_STARTED, 205, 15),
    /* 3xx: fences and waitsets */
    RPIN(DK_R_VALUE_ROLLBACK, 300, 11),
    RPIN(DK_R_SIGNAL_TOO_FAR, 301, 12),
    RPIN(DK_R_WAIT_TOO_FAR, 302, 12),
    RPIN(DK_R_NO_DEADLINE, 303, 1),
    RPIN(DK_R_DEADLINE_TOO_FAR, 304, 1),
    RPIN(DK_R_NO_WAIT_RIGHT, 305, 10),
    RPIN(DK_R_NO_SIGNAL_RIGHT, 306, 10),
    RPIN(DK_R_FENCE_FAILED, 307, 15),
    RPIN(DK_R_WAITERS_FULL, 308, 6),
    RPIN(DK_R_WAITSET_FULL, 309, 6),
    RPIN(DK_R_GRANTS_FULL, 310, 6),
    RPIN(DK_R_HAS_WAITERS, 311, 9),
    RPIN(DK_R_RIGHTS_ESCALATION, 312, 10),
    /* 4xx: buffers */
    RPIN(DK_R_BUF_TOO_BIG, 400, 28),
    RPIN(DK_R_SLICE_OOB, 401, 14),
    RPIN(DK_R_NO_READ_RIGHT, 402, 10),
    RPIN(DK_R_NO_WRITE_RIGHT, 403, 10),
    RPIN(DK_R_NO_MAP_RIGHT, 404, 10),
    RPIN(DK_R_BUF_SEALED, 405, 13),
    RPIN(DK_R_BUF_PINNED, 406, 9),
    RPIN(DK_R_PIN_OVERFLOW, 407, 6),
    RPIN(DK_R_NOT_PINNED, 408, 15),
    RPIN(DK_R_TABLE_FULL, 409, 6),
    RPIN(DK_R_BUF_MAPPED, 410, 9),
    RPIN(DK_R_NOT_MAPPED, 411, 15),
    /* 5xx: ledger */
    RPIN(DK_R_CLIENT_BYTES, 500, 5),
    RPIN(DK_R_CLIENT_BUFFERS, 501, 5),
    RPIN(DK_R_CLIENT_INFLIGHT_Q, 502, 5),
    RPIN(DK_R_CLIENT_FENCES, 503, 5),
    RPIN(DK_R_CLIENT_WAITERS, 504, 5),
    RPIN(DK_R_GLOBAL_BYTES, 505, 6),
    RPIN(DK_R_GLOBAL_BUFFERS, 506, 6),
    RPIN(DK_R_GLOBAL_INFLIGHT, 507, 6),
    RPIN(DK_R_GLOBAL_FENCES, 508, 6),
    RPIN(DK_R_GLOBAL_WAITERS, 509, 6),
    RPIN(DK_R_CLIENT_EXISTS, 510, 27),
    RPIN(DK_R_CLIENTS_FULL, 511, 6),
    RPIN(DK_R_CLIENT_IN_USE, 512, 9),
    /* 6xx: device */
    RPIN(DK_R_DEV_RESETTING, 600, 16),
    RPIN(DK_R_DEV_FAULTED, 601, 17),
    RPIN(DK_R_DEV_OFFLINE, 602, 15),
    RPIN(DK_R_BAD_TRANSITION, 603, 15),
    /* 7xx: backend */
    RPIN(DK_R_OPS_VERSION, 700, 25),
    RPIN(DK_R_OPS_SIZE, 701, 25),
    RPIN(DK_R_OPS_MISSING, 702, 1),
    RPIN(DK_R_OPTIONAL_OP, 703, 24),
    RPIN(DK_R_OS_ERROR, 704, 29),
    RPIN(DK_R_CAP_NOT_GRANTED, 705, 23),
    RPIN(DK_R_CAP_WINDOW, 706, 1),
    /* 10xx: wire frames, all DK_E_MALFORMED */
    /* 8xx: virtio */
    RPIN(DK_R_VIRTIO_MAGIC, 800, 7),
    RPIN(DK_R_VIRTIO_VERSION, 801, 24),
    RPIN(DK_R_VIRTIO_NO_DEVICE, 802, 7),
    RPIN(DK_R_VIRTIO_WRONG_DEVICE, 803, 7),
    RPIN(DK_R_VIRTIO_RESET_TIMEOUT, 804, 18),
    RPIN(DK_R_VIRTIO_NO_VERSION_1, 805, 18),
    RPIN(DK_R_VIRTIO_FEATURES_REFUSED, 806, 18),
    RPIN(DK_R_VIRTIO_NO_QUEUE, 807, 18),
    RPIN(DK_R_VIRTIO_CONFIG_UNSTABLE, 808, 18),
    RPIN(DK_R_VIRTIO_USED_IDX, 809, 18),
    RPIN(DK_R_VIRTIO_USED_ID, 810, 18),
    RPIN(DK_R_VIRTIO_USED_STALE, 811, 18),
    RPIN(DK_R_VIRTIO_USED_LEN, 812, 18),
    RPIN(DK_R_VIRTIO_NEEDS_RESET, 813, 18),
    RPIN(DK_R_VIRTIO_RING_FULL, 814, 4),
    RPIN(DK_R_VIRTIO_FAULTED, 815, 17),
    RPIN(DK_R_VIRTIO_BLK_RANGE, 816, 14),
    RPIN(DK_R_VIRTIO_BLK_ALIGN, 817, 1),
    RPIN(DK_R_VIRTIO_BLK_SEGS, 818, 1),
    RPIN(DK_R_VIRTIO_READ_ONLY, 819, 10),
    /* 9xx: device service */
    RPIN(DK_R_SVC_OPCODE, 900, 24),
    RPIN(DK_R_SVC_PAYLOAD, 901, 26),
    RPIN(DK_R_SVC_BUF_REF, 902, 1),
    RPIN(DK_R_SVC_ACCESS, 903, 10),
    RPIN(DK_R_SVC_LENGTH, 904, 1),
    RPIN(DK_R_WIRE_TRUNCATED, 1000, 26),
    RPIN(DK_R_WIRE_BAD_MAGIC, 1001, 26),
    RPIN(DK_R_WIRE_MAJOR, 1002, 26),
    RPIN(DK_R_WIRE_FLAGS, 1003, 26),
    RPIN(DK_R_WIRE_HEADER_SIZE, 1004, 26),
    RPIN(DK_R_WIRE_LENGTH, 1005, 26),
    RPIN(DK_R_WIRE_FRAME_CAP, 1006, 26),
    RPIN(DK_R_WIRE_WAITS_CAP, 1007, 26),
    RPIN(DK_R_WIRE_SIGNALS_CAP, 1008, 26),
    RPIN(DK_R_WIRE_BUFS_CAP, 1009, 26),
    RPIN(DK_R_WIRE_CMDS_CAP, 1010, 26),
    RPIN(DK_R_WIRE_RESERVED, 1011, 26),
    RPIN(DK_R_WIRE_OPCODE, 1012, 26),
    RPIN(DK_R_WIRE_BUF_OVERFLOW, 1013, 26),
    RPIN(DK_R_WIRE_DUP_SIGNAL, 1014, 26),
    RPIN(DK_R_WIRE_SELF_WAIT, 1015, 26),
    RPIN(DK_R_WIRE_SIGNAL_JUMP, 1016, 26),
    RPIN(DK_R_WIRE_QOS, 1017, 26),
    RPIN(DK_R_WIRE_CMD_LEN, 1018, 26),
    RPIN(DK_R_WIRE_ACCESS, 1019, 26),
    RPIN(DK_R_WIRE_BUF_EMPTY, 1020, 26),
    RPIN(DK_R_WIRE_HANDLE, 1021, 26),
    RPIN(DK_R_WIRE_SIGNAL_ZERO, 1022, 26),
};

static const struct pinned outcome_pins[] = {
    PIN(DK_OUTCOME_OK, 0),        PIN(DK_OUTCOME_DEVICE_ERROR, 1), PIN(DK_OUTCOME_RESET, 2),
    PIN(DK_OUTCOME_KILLED, 3),    PIN(DK_OUTCOME_CANCELLED, 4),    PIN(DK_OUTCOME_TIMED_OUT, 5),
};

static const struct pinned other_pins[] = {
    /* QoS: the Nexus scheduler's QosClass wire values */
    PIN(DK_QOS_IDLE, 0), PIN(DK_QOS_NORMAL, 1), PIN(DK_QOS_INTERACTIVE, 2),
    PIN(DK_QOS_PERFBURST, 3), PIN(DK_QOS_COUNT, 4),
    /* ledger resources */
    PIN(DK_RES_BYTES, 0), PIN(DK_RES_BUFFERS, 1), PIN(DK_RES_INFLIGHT, 2), PIN(DK_RES_FENCES, 3),
    PIN(DK_RES_WAITERS, 4), PIN(DK_RES_COUNT, 5), PIN(DK_LEDGER_GLOBAL, 0xffff),
    /* ticket states */
    PIN(DK_TICKET_FREE, 0), PIN(DK_TICKET_PENDING, 1), PIN(DK_TICKET_STARTED, 2),
    PIN(DK_TICKET_RESOLVED, 3), PIN(DK_TICKET_RETIRED, 4),
    /* device states */
    PIN(DK_DEV_OFFLINE, 0), PIN(DK_DEV_READY, 1), PIN(DK_DEV_FAULTED, 2), PIN(DK_DEV_RESETTING, 3),
    /* audit kinds */
    PIN(DK_AUDIT_CLIENT_ADD, 1), PIN(DK_AUDIT_CLIENT_REMOVE, 2), PIN(DK_AUDIT_DEVICE_FAULT, 3),
    PIN(DK_AUDIT_RESET_BEGIN, 4), PIN(DK_AUDIT_RESET_END, 5), PIN(DK_AUDIT_RESOLVE_ALL, 6),
    PIN(DK_AUDIT_FENCE_FAIL, 7), PIN(DK_AUDIT_BUF_RECLAIM, 8), PIN(DK_AUDIT_CLIENT_KILL, 9),
    PIN(DK_AUDIT_STALE_EPOCH, 10), PIN(DK_AUDIT_TICKET_TIMEOUT, 11),
    PIN(DK_AUDIT_PROGRESS_PROBE, 12), PIN(DK_AUDIT_GUILTY_CLIENT, 13),
    PIN(DK_AUDIT_DEVICE_ONLINE, 14),
    /* fence rights and buffer rights */
    PIN(DK_FENCE_RIGHT_WAIT, 1), PIN(DK_FENCE_RIGHT_SIGNAL, 2),
    PIN(DK_BUF_READ, 1), PIN(DK_BUF_WRITE, 2), PIN(DK_BUF_MAP, 4), PIN(DK_BUF_RIGHTS_ALL, 7),
    /* backend */
    PIN(DK_BACKEND_ABI_VERSION, 1), PIN(DK_MAP_READ, 1), PIN(DK_MAP_WRITE, 2),
    PIN(DK_EVENT_IRQ, 1), PIN(DK_EVENT_TIMER, 2),
    /* version */
    PIN(DK_VERSION_MAJOR, 1), PIN(DK_VERSION_MINOR, 0), PIN(DK_VERSION_PATCH, 0),
};

static void check_pins(const struct pinned *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_expect_eq(p[i].value, p[i].frozen, "%s is %d, frozen at %d", p[i].name, p[i].value,
                     p[i].frozen);
}

static const struct reason_pin *find_reason(int r)
{
    for (size_t i = 0; i < DK_ARRAY_LEN(reason_pins); i++)
        if (reason_pins[i].frozen == r)
            return &reason_pins[i];
    return NULL;
}

Test(status, numbers_are_frozen)
{
    check_pins(status_pins, DK_ARRAY_LEN(status_pins));
    cr_assert_eq(DK_STATUS_COUNT, 31);
    cr_assert_eq(DK_ARRAY_LEN(status_pins), 31u, "every status is pinned");
}

Test(status, reason_numbers_are_frozen)
{
    for (size_t i = 0; i < DK_ARRAY_LEN(reason_pins); i++)
        cr_expect_eq(reason_pins[i].value, reason_pins[i].frozen, "%s is %d, frozen at %d",
                     reason_pins[i].name, reason_pins[i].value, reason_pins[i].frozen);
}

Test(status, outcome_and_other_numbers_are_frozen)
{
    check_pins(outcome_pins, DK_ARRAY_LEN(outcome_pins));
    cr_assert_eq(DK_OUTCOME_COUNT, 6);
    check_pins(other_pins, DK_ARRAY_LEN(other_pins));
}

Test(status, version_encoding_and_linked_version)
{
    cr_assert_eq(DK_VERSION_ENCODE(1, 2, 3), 0x010203u);
    cr_assert_eq(DK_VERSION_ENCODE(0xab, 0xcd, 0xef), 0xabcdefu);
    cr_assert_eq(DK_VERSION, 0x010000u);
    cr_assert_eq(dk_version(), 0x010000u);
    cr_assert_eq(dk_version(), DK_VERSION, "headers and library disagree");
    cr_assert_eq(dk_version() >> 16, 1u);
}

/* Audit events cross into the caller's policy code: their layout is ABI too. */
Test(status, audit_event_layout_is_frozen)
{
    cr_assert_eq(offsetof(struct dk_audit_event, kind), 0u);
    cr_assert_eq(offsetof(struct dk_audit_event, client), 4u);
    cr_assert_eq(offsetof(struct dk_audit_event, status), 8u);
    cr_assert_eq(offsetof(struct dk_audit_event, reason), 12u);
    cr_assert_eq(offsetof(struct dk_audit_event, object), 16u);
    cr_assert_eq(offsetof(struct dk_audit_event, count), 24u);
    cr_assert_eq(offsetof(struct dk_audit_event, epoch), 32u);
    cr_assert_eq(sizeof(struct dk_audit_event), 40u);
}

Test(status, status_str_is_the_enumerator_name)
{
    for (size_t i = 0; i < DK_ARRAY_LEN(status_pins); i++) {
        const char *s = dk_status_str(status_pins[i].frozen);
        cr_assert_not_null(s, "status %d", status_pins[i].frozen);
        cr_expect_str_eq(s, status_pins[i].name);
    }
}

Test(status, status_str_unknown)
{
    static const int unknown[] = {31, 32, 100, 1000, INT_MAX, -1, -2, -31, INT_MIN};
    for (size_t i = 0; i < DK_ARRAY_LEN(unknown); i++) {
        const char *s = dk_status_str(unknown[i]);
        cr_assert_not_null(s);
        cr_expect_str_eq(s, "DK_E_?", "status %d", unknown[i]);
    }
}

Test(status, reason_str_is_the_enumerator_name)
{
    for (size_t i = 0; i < DK_ARRAY_LEN(reason_pins); i++) {
        const char *s = dk_reason_str(reason_pins[i].frozen);
        cr_assert_not_null(s, "reason %d", reason_pins[i].frozen);
        cr_expect_str_eq(s, reason_pins[i].name);
    }
}

Test(status, reason_status_mapping)
{
    for (size_t i = 0; i < DK_ARRAY_LEN(reason_pins); i++)
        cr_expect_eq(dk_reason_status(reason_pins[i].frozen), reason_pins[i].status,
                     "%s maps to %s, documented %s", reason_pins[i].name,
                     dk_status_str(dk_reason_status(reason_pins[i].frozen)),
                     dk_status_str(reason_pins[i].status));
}

/*
 * Every number that is not a pinned reason is unknown: "DK_R_?" and
 * DK_E_INVAL. Scanning the whole range (gaps inside groups included) catches
 * a table that answers for numbers it does not define.
 */
Test(status, reason_unknown_numbers)
{
    static const int far[] = {INT_MIN, INT_MIN + 1, -100, 65535, 65536, INT_MAX};
    for (int r = -50; r <= 2100; r++) {
        if (find_reason(r) != NULL)
            continue;
        const char *s = dk_reason_str(r);
        cr_assert_not_null(s, "reason %d", r);
        cr_expect_str_eq(s, "DK_R_?", "reason %d", r);
        cr_expect_eq(dk_reason_status(r), DK_E_INVAL, "reason %d", r);
    }
    for (size_t i = 0; i < DK_ARRAY_LEN(far); i++) {
        cr_expect_str_eq(dk_reason_str(far[i]), "DK_R_?", "reason %d", far[i]);
        cr_expect_eq(dk_reason_status(far[i]), DK_E_INVAL, "reason %d", far[i]);
    }
}

/* A reason maps to an error, never to success, except DK_R_NONE. */
Test(status, reason_never_maps_to_ok)
{
    for (size_t i = 1; i < DK_ARRAY_LEN(reason_pins); i++)
        cr_expect_neq(dk_reason_status(reason_pins[i].frozen), DK_OK, "%s", reason_pins[i].name);
    cr_expect_eq(dk_reason_status(DK_R_NONE), DK_OK);
}

/* The ledger derives its reason by adding the resource number to a base. */
Test(status, ledger_reason_bases_line_up_with_resources)
{
    cr_assert_eq(DK_R_CLIENT_BYTES + DK_RES_BUFFERS, DK_R_CLIENT_BUFFERS);
    cr_assert_eq(DK_R_CLIENT_BYTES + DK_RES_INFLIGHT, DK_R_CLIENT_INFLIGHT_Q);
    cr_assert_eq(DK_R_CLIENT_BYTES + DK_RES_FENCES, DK_R_CLIENT_FENCES);
    cr_assert_eq(DK_R_CLIENT_BYTES + DK_RES_WAITERS, DK_R_CLIENT_WAITERS);
    cr_assert_eq(DK_R_GLOBAL_BYTES + DK_RES_BUFFERS, DK_R_GLOBAL_BUFFERS);
    cr_assert_eq(DK_R_GLOBAL_BYTES + DK_RES_INFLIGHT, DK_R_GLOBAL_INFLIGHT);
    cr_assert_eq(DK_R_GLOBAL_BYTES + DK_RES_FENCES, DK_R_GLOBAL_FENCES);
    cr_assert_eq(DK_R_GLOBAL_BYTES + DK_RES_WAITERS, DK_R_GLOBAL_WAITERS);
}

Test(status, outcome_status_mapping)
{
    static const struct {
        int outcome;
        int status;
    } map[] = {
        {0, DK_OK},          {1, DK_E_DEVICE},    {2, DK_E_RESET},
        {3, DK_E_KILLED},    {4, DK_E_CANCELLED}, {5, DK_E_TIMED_OUT},
    };
    for (size_t i = 0; i < DK_ARRAY_LEN(map); i++)
        cr_expect_eq(dk_outcome_status(map[i].outcome), map[i].status, "outcome %d",
                     map[i].outcome);
    cr_expect_eq(dk_outcome_status(6), DK_E_INVAL);
    cr_expect_eq(dk_outcome_status(255), DK_E_INVAL);
    cr_expect_eq(dk_outcome_status(-1), DK_E_INVAL);
    cr_expect_eq(dk_outcome_status(INT_MIN), DK_E_INVAL);
    cr_expect_eq(dk_outcome_status(INT_MAX), DK_E_INVAL);
}

/*
 * status.h documents "ok" and "reset" literally; the other names are only
 * required to be real, distinct names (not "?").
 */
Test(status, outcome_str)
{
    cr_expect_str_eq(dk_outcome_str(DK_OUTCOME_OK), "ok");
    cr_expect_str_eq(dk_outcome_str(DK_OUTCOME_RESET), "reset");
    for (int i = 0; i < DK_OUTCOME_COUNT; i++) {
        const char *a = dk_outcome_str(i);
        cr_assert_not_null(a, "outcome %d", i);
        cr_expect_str_neq(a, "?", "outcome %d", i);
        cr_expect_gt(strlen(a), 0u, "outcome %d", i);
        for (int j = 0; j < i; j++)
            cr_expect_str_neq(a, dk_outcome_str(j), "outcomes %d and %d share a name", i, j);
    }
    cr_expect_str_eq(dk_outcome_str(DK_OUTCOME_COUNT), "?");
    cr_expect_str_eq(dk_outcome_str(-1), "?");
    cr_expect_str_eq(dk_outcome_str(INT_MAX), "?");
    cr_expect_str_eq(dk_outcome_str(INT_MIN), "?");
}

/* dk_reject() is the inline path every refusal goes through. */
Test(status, reject_writes_reason_only_when_asked)
{
    enum dk_reason why = DK_R_NONE;
    cr_assert_eq(dk_reject(&why, DK_R_RING_FULL, DK_E_QUEUE_FULL), DK_E_QUEUE_FULL);
    cr_assert_eq(why, DK_R_RING_FULL);
    cr_assert_eq(dk_reject(NULL, DK_R_RING_FULL, DK_E_QUEUE_FULL), DK_E_QUEUE_FULL);
}
