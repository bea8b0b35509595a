/* SPDX-License-Identifier: Apache-2.0 */
/* What the device service's files share (not installed). */
#ifndef DRIVERKIT_SVC_INTERNAL_H
#define DRIVERKIT_SVC_INTERNAL_H

#include <driverkit/service.h>

/* No buffer ref: what a dk_svc_cmd's src_ref / dst_ref hold when unused. */
#define DK_SVC_NO_REF 0xffu

#define DK_SVC_CMD_BITS 6u /* device request cookie: ticket << 6 | command index */
_Static_assert(DK_WIRE_CMDS_MAX <= 1u << DK_SVC_CMD_BITS, "a command index fits its cookie bits");
_Static_assert(DK_WIRE_CMDS_MAX <= 64u, "a command is one bit of dk_svc_req.done");

/* The record of @ticket: one per queue slot. */
static inline struct dk_svc_req *dk_svc_req_of(struct dk_svc *s, uint64_t ticket)
{
    return &s->reqs[ticket & s->queue.mask];
}

/* Decode every command of the parsed frame @f into @out (room for
 * DK_WIRE_CMDS_MAX), NOPs dropped, *@n the count: all checks before
 * anything is submitted, so a refusal changes nothing. With @sl (one slice
 * per frame ref, as the submit's checks wrote them) each command's DMA
 * addresses are resolved; without, its buffer refs stay frame indices.
 * DK_OK or the first refusal. */
int dk_svc_decode(const struct dk_svc *s, const struct dk_frame *f, struct dk_svc_cmd *out,
                  uint16_t *n, const struct dk_slice *sl, enum dk_reason *why);

/* The decode and the submit's checks of the service's parsed frame for
 * @client into @rec (dk_submit_parsed_check: slices into the service's
 * scratch, the buffers' slots into @slots), with the commands decoded and
 * resolved into @out; answered as if the decode ran first, then the
 * submit. DK_OK: dk_submit_parsed_commit() may follow. */
int dk_svc_admit(struct dk_svc *s, uint16_t client, const struct dk_submission *rec,
                 struct dk_svc_cmd *out, uint16_t *n, struct dk_buf **slots, enum dk_reason *why);

/* The virtio-blk requests of @r's commands from r->posted on, into @io
 * (room for DK_WIRE_CMDS_MAX) (service.c). */
void dk_svc_blk_io(const struct dk_svc_req *r, struct dk_vblk_io *io);

/* Resolve @r's ticket with @outcome (KILLED for a killed client's): pins
 * released, record freed, the queue told; the retire callback settles the
 * fences (service.c). */
void dk_svc_finish(struct dk_svc *s, struct dk_svc_req *r, unsigned outcome);

/* Account @n harvested completions to their tickets, in order, as one
 * call each of the per-completion handler would (svc_done.c). */
void dk_svc_done_n(struct dk_svc *s, const struct dk_vdone *d, unsigned n);

#endif /* DRIVERKIT_SVC_INTERNAL_H */
