/* SPDX-License-Identifier: Apache-2.0 */
/* Helpers shared by the core's .c files. Not installed. */
#ifndef DRIVERKIT_CORE_INTERNAL_H
#define DRIVERKIT_CORE_INTERNAL_H

#include <driverkit/audit.h>
#include <driverkit/common.h>
#include <driverkit/status.h>

/* SECURITY: events are built from ids and codes only; see audit.h. */
static inline void dk_audit_emit(const struct dk_audit *a, uint32_t kind, uint32_t client,
                                 int status, uint32_t reason, uint64_t object, uint64_t count,
                                 uint64_t epoch)
{
    struct dk_audit_event ev;

    if (a == NULL || a->fn == NULL)
        return;
    ev.kind = kind;
    ev.client = client;
    ev.status = status;
    ev.reason = reason;
    ev.object = object;
    ev.count = count;
    ev.epoch = epoch;
    a->fn(a->arg, &ev);
}

/* A little-endian 32-bit word from bytes of any alignment. */
static inline uint32_t dk_ld_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Accept-path helper: clear the caller's reason. */
static inline int dk_accept(enum dk_reason *why)
{
    if (why)
        *why = DK_R_NONE;
    return DK_OK;
}

/* Zero caller storage without libc (the core is freestanding). */
static inline void dk_zero(void *p, size_t n)
{
    volatile unsigned char *b = (volatile unsigned char *)p;
    while (n--)
        *b++ = 0;
}

struct dk_backend;
struct dk_buf;
struct dk_buf_table;
struct dk_slice;
struct dk_submit_ctx;
struct dk_frame;
struct dk_submission;

/* dk_submit_frame_slices() without judging the frame again: only for a
 * frame that dk_wire_parse() accepted into storage nobody else writes, with
 * nothing changed since (the device service's own parse scratch). The
 * counts it relies on are the parse's caps (submit.c). */
int dk_submit_parsed(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                     uint64_t cookie, struct dk_submission *rec, struct dk_slice *slices,
                     enum dk_reason *why);

/* dk_submit_parsed() in two steps, for a caller with checks of its own to
 * make between them (the device service's decode): every check but the
 * queue's, in dk_submit_parsed's order, writing only @slices and @slots
 * (caller storage, one per buffer ref; of a slice only the DMA address is
 * sure to be written); then, with nothing changed in between, the queue's
 * reserve and the commit. The check refuses exactly as dk_submit_parsed()
 * would; a refused commit changes nothing. */
int dk_submit_parsed_check(const struct dk_submit_ctx *c, uint16_t client, const struct dk_frame *f,
                           const struct dk_submission *rec, struct dk_slice *slices,
                           struct dk_buf **slots, enum dk_reason *why);
int dk_submit_parsed_commit(const struct dk_submit_ctx *c, uint16_t client,
                            const struct dk_frame *f, uint64_t cookie, struct dk_submission *rec,
                            struct dk_buf *const *slots, enum dk_reason *why);

/* dk_buf_slice() that also hands back the buffer's slot (its pin count;
 * the submit pins through it), so the submit path checks a ref with one
 * lookup (buf.c). */
int dk_buf_slice_pins(const struct dk_buf_table *t, uint16_t client, uint32_t handle,
                      uint64_t offset, uint64_t length, unsigned access, struct dk_slice *out,
                      struct dk_buf **slot, enum dk_reason *why);

/* @n calls of dk_buf_unpin(@handle) with their answers ignored, in one
 * lookup: a submission releasing its repeated refs (buf.c). */
void dk_buf_unpin_n(struct dk_buf_table *t, uint32_t handle, uint32_t n);

/* BOUND: count a wait loop's wake-ups while the backend clock stands still;
 * 0 once DK_WAIT_IDLE_WAKEUPS_MAX is passed (fence.c). */
int dk_wait_progress(const struct dk_backend *be, uint64_t *last, uint32_t *idle);

struct dk_pump;

/* One step of a wait loop, shared by fences and waitsets: block on the
 * backend until an event, the pump's next wake or @deadline, whichever is
 * first, then run the pump. DK_OK: check the condition again;
 * DK_E_TIMED_OUT: the deadline has passed; any other status ends the wait. */
int dk_wait_step(const struct dk_backend *be, uint64_t deadline, const struct dk_pump *pump,
                 uint64_t *last, uint32_t *idle);

#endif /* DRIVERKIT_CORE_INTERNAL_H */
