/* SPDX-License-Identifier: Apache-2.0 */
/* Names and classes of status, reason and outcome codes. The tables follow
 * include/driverkit/status.h one for one; tests/test_status.c pins both. */
#include <driverkit/status.h>

static const char *const dk_status_names[DK_STATUS_COUNT] = {
    [DK_OK] = "DK_OK",
    [DK_E_INVAL] = "DK_E_INVAL",
    [DK_E_WOULD_BLOCK] = "DK_E_WOULD_BLOCK",
    [DK_E_TIMED_OUT] = "DK_E_TIMED_OUT",
    [DK_E_QUEUE_FULL] = "DK_E_QUEUE_FULL",
    [DK_E_QUOTA] = "DK_E_QUOTA",
    [DK_E_NO_SPACE] = "DK_E_NO_SPACE",
    [DK_E_NOT_FOUND] = "DK_E_NOT_FOUND",
    [DK_E_STALE] = "DK_E_STALE",
    [DK_E_BUSY] = "DK_E_BUSY",
    [DK_E_DENIED] = "DK_E_DENIED",
    [DK_E_ROLLBACK] = "DK_E_ROLLBACK",
    [DK_E_TOO_FAR] = "DK_E_TOO_FAR",
    [DK_E_SEALED] = "DK_E_SEALED",
    [DK_E_RANGE] = "DK_E_RANGE",
    [DK_E_STATE] = "DK_E_STATE",
    [DK_E_RESETTING] = "DK_E_RESETTING",
    [DK_E_FAULTED] = "DK_E_FAULTED",
    [DK_E_DEVICE] = "DK_E_DEVICE",
    [DK_E_RESET] = "DK_E_RESET",
    [DK_E_KILLED] = "DK_E_KILLED",
    [DK_E_CANCELLED] = "DK_E_CANCELLED",
    [DK_E_NO_MEMORY] = "DK_E_NO_MEMORY",
    [DK_E_PERM] = "DK_E_PERM",
    [DK_E_UNSUPPORTED] = "DK_E_UNSUPPORTED",
    [DK_E_VERSION] = "DK_E_VERSION",
    [DK_E_MALFORMED] = "DK_E_MALFORMED",
    [DK_E_EXISTS] = "DK_E_EXISTS",
    [DK_E_TOO_BIG] = "DK_E_TOO_BIG",
    [DK_E_BACKEND] = "DK_E_BACKEND",
    [DK_E_CORRUPT] = "DK_E_CORRUPT",
};

const char *dk_status_str(int status)
{
    if (status < 0 || status >= DK_STATUS_COUNT)
        return "DK_E_?";
    return dk_status_names[status];
}

/* Reason codes are sparse (grouped by hundreds), so a switch maps them. */
#define DK_REASON(name, status) \
    case name:                  \
        if (want_name)          \
            *str = #name;       \
        return status;

static int dk_reason_lookup(int reason, int want_name, const char **str)
{
    switch (reason) {
        DK_REASON(DK_R_NONE, DK_OK)
        DK_REASON(DK_R_NULL_ARG, DK_E_INVAL)
        DK_REASON(DK_R_BAD_ENUM, DK_E_INVAL)
        DK_REASON(DK_R_ZERO_LEN, DK_E_INVAL)
        DK_REASON(DK_R_NOT_POW2, DK_E_INVAL)
        DK_REASON(DK_R_OVER_CAP, DK_E_INVAL)
        DK_REASON(DK_R_STORAGE_SMALL, DK_E_INVAL)
        DK_REASON(DK_R_BAD_HANDLE, DK_E_NOT_FOUND)
        DK_REASON(DK_R_STALE_HANDLE, DK_E_STALE)
        DK_REASON(DK_R_NOT_OWNER, DK_E_NOT_FOUND)
        DK_REASON(DK_R_BAD_CLIENT, DK_E_NOT_FOUND)
        DK_REASON(DK_R_NOT_INIT, DK_E_INVAL)
        DK_REASON(DK_R_OUT_SMALL, DK_E_NO_SPACE)
        DK_REASON(DK_R_RING_FULL, DK_E_QUEUE_FULL)
        DK_REASON(DK_R_INFLIGHT_CAP, DK_E_QUEUE_FULL)
        DK_REASON(DK_R_QOS_DEPTH, DK_E_QUEUE_FULL)
        DK_REASON(DK_R_TICKET_UNKNOWN, DK_E_NOT_FOUND)
        DK_REASON(DK_R_ALREADY_RESOLVED, DK_E_STATE)
        DK_REASON(DK_R_ALREADY_STARTED, DK_E_STATE)
        DK_REASON(DK_R_VALUE_ROLLBACK, DK_E_ROLLBACK)
        DK_REASON(DK_R_SIGNAL_TOO_FAR, DK_E_TOO_FAR)
        DK_REASON(DK_R_WAIT_TOO_FAR, DK_E_TOO_FAR)
        DK_REASON(DK_R_NO_DEADLINE, DK_E_INVAL)
        DK_REASON(DK_R_DEADLINE_TOO_FAR, DK_E_INVAL)
        DK_REASON(DK_R_NO_WAIT_RIGHT, DK_E_DENIED)
        DK_REASON(DK_R_NO_SIGNAL_RIGHT, DK_E_DENIED)
        DK_REASON(DK_R_FENCE_FAILED, DK_E_STATE)
        DK_REASON(DK_R_WAITERS_FULL, DK_E_NO_SPACE)
        DK_REASON(DK_R_WAITSET_FULL, DK_E_NO_SPACE)
        DK_REASON(DK_R_GRANTS_FULL, DK_E_NO_SPACE)
        DK_REASON(DK_R_HAS_WAITERS, DK_E_BUSY)
        DK_REASON(DK_R_RIGHTS_ESCALATION, DK_E_DENIED)
        DK_REASON(DK_R_BUF_TOO_BIG, DK_E_TOO_BIG)
        DK_REASON(DK_R_SLICE_OOB, DK_E_RANGE)
        DK_REASON(DK_R_NO_READ_RIGHT, DK_E_DENIED)
        DK_REASON(DK_R_NO_WRITE_RIGHT, DK_E_DENIED)
        DK_REASON(DK_R_NO_MAP_RIGHT, DK_E_DENIED)
        DK_REASON(DK_R_BUF_SEALED, DK_E_SEALED)
        DK_REASON(DK_R_BUF_PINNED, DK_E_BUSY)
        DK_REASON(DK_R_PIN_OVERFLOW, DK_E_NO_SPACE)
        DK_REASON(DK_R_NOT_PINNED, DK_E_STATE)
        DK_REASON(DK_R_TABLE_FULL, DK_E_NO_SPACE)
        DK_REASON(DK_R_BUF_MAPPED, DK_E_BUSY)
        DK_REASON(DK_R_NOT_MAPPED, DK_E_STATE)
        DK_REASON(DK_R_CLIENT_BYTES, DK_E_QUOTA)
        DK_REASON(DK_R_CLIENT_BUFFERS, DK_E_QUOTA)
        DK_REASON(DK_R_CLIENT_INFLIGHT_Q, DK_E_QUOTA)
        DK_REASON(DK_R_CLIENT_FENCES, DK_E_QUOTA)
        DK_REASON(DK_R_CLIENT_WAITERS, DK_E_QUOTA)
        DK_REASON(DK_R_GLOBAL_BYTES, DK_E_NO_SPACE)
        DK_REASON(DK_R_GLOBAL_BUFFERS, DK_E_NO_SPACE)
        DK_REASON(DK_R_GLOBAL_INFLIGHT, DK_E_NO_SPACE)
        DK_REASON(DK_R_GLOBAL_FENCES, DK_E_NO_SPACE)
        DK_REASON(DK_R_GLOBAL_WAITERS, DK_E_NO_SPACE)
        DK_REASON(DK_R_CLIENT_EXISTS, DK_E_EXISTS)
        DK_REASON(DK_R_CLIENTS_FULL, DK_E_NO_SPACE)
        DK_REASON(DK_R_CLIENT_IN_USE, DK_E_BUSY)
        DK_REASON(DK_R_DEV_RESETTING, DK_E_RESETTING)
        DK_REASON(DK_R_DEV_FAULTED, DK_E_FAULTED)
        DK_REASON(DK_R_DEV_OFFLINE, DK_E_STATE)
        DK_REASON(DK_R_BAD_TRANSITION, DK_E_STATE)
        DK_REASON(DK_R_OPS_VERSION, DK_E_VERSION)
        DK_REASON(DK_R_OPS_SIZE, DK_E_VERSION)
        DK_REASON(DK_R_OPS_MISSING, DK_E_INVAL)
        DK_REASON(DK_R_OPTIONAL_OP, DK_E_UNSUPPORTED)
        DK_REASON(DK_R_OS_ERROR, DK_E_BACKEND)
        DK_REASON(DK_R_CAP_NOT_GRANTED, DK_E_PERM)
        DK_REASON(DK_R_CAP_WINDOW, DK_E_INVAL)
        DK_REASON(DK_R_WIRE_TRUNCATED, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_BAD_MAGIC, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_MAJOR, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_FLAGS, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_HEADER_SIZE, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_LENGTH, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_FRAME_CAP, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_WAITS_CAP, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_SIGNALS_CAP, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_BUFS_CAP, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_CMDS_CAP, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_RESERVED, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_OPCODE, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_BUF_OVERFLOW, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_DUP_SIGNAL, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_SELF_WAIT, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_SIGNAL_JUMP, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_QOS, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_CMD_LEN, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_ACCESS, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_BUF_EMPTY, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_HANDLE, DK_E_MALFORMED)
        DK_REASON(DK_R_WIRE_SIGNAL_ZERO, DK_E_MALFORMED)
    default:
        if (want_name)
            *str = "DK_R_?";
        return DK_E_INVAL;
    }
}

const char *dk_reason_str(int reason)
{
    const char *s = "DK_R_?";
    (void)dk_reason_lookup(reason, 1, &s);
    return s;
}

int dk_reason_status(int reason)
{
    return dk_reason_lookup(reason, 0, NULL);
}

int dk_outcome_status(int outcome)
{
    static const int8_t map[DK_OUTCOME_COUNT] = {
        [DK_OUTCOME_OK] = DK_OK,
        [DK_OUTCOME_DEVICE_ERROR] = DK_E_DEVICE,
        [DK_OUTCOME_RESET] = DK_E_RESET,
        [DK_OUTCOME_KILLED] = DK_E_KILLED,
        [DK_OUTCOME_CANCELLED] = DK_E_CANCELLED,
        [DK_OUTCOME_TIMED_OUT] = DK_E_TIMED_OUT,
    };
    if (outcome < 0 || outcome >= DK_OUTCOME_COUNT)
        return DK_E_INVAL;
    return map[outcome];
}

const char *dk_outcome_str(int outcome)
{
    static const char *const names[DK_OUTCOME_COUNT] = {
        "ok", "device_error", "reset", "killed", "cancelled", "timed_out",
    };
    if (outcome < 0 || outcome >= DK_OUTCOME_COUNT)
        return "?";
    return names[outcome];
}
