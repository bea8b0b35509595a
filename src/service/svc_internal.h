/* SPDX-License-Identifier: Apache-2.0 */
/* What the device service's files share (not installed). */
#ifndef DRIVERKIT_SVC_INTERNAL_H
#define DRIVERKIT_SVC_INTERNAL_H

#include <driverkit/service.h>

/* No buffer ref: what a dk_svc_cmd's src_ref / dst_ref hold when unused. */
#define DK_SVC_NO_REF 0xffu

/* Decode every command of the parsed frame @f into @out (room for
 * DK_WIRE_CMDS_MAX), NOPs dropped, *@n the count: all checks before
 * anything is submitted, so a refusal changes nothing. Buffer refs stay
 * frame indices until dk_svc_resolve(). DK_OK or the first refusal. */
int dk_svc_decode(const struct dk_svc *s, const struct dk_frame *f, struct dk_svc_cmd *out,
                  uint16_t *n, enum dk_reason *why);

/* The DMA address of each of @n commands' buffers, from the slices the
 * submit checked the frame's refs into (@sl: one per ref). */
void dk_svc_resolve(struct dk_svc_cmd *c, uint16_t n, const struct dk_slice *sl);

/* The virtio-blk requests of @r's commands from r->posted on, into @io
 * (room for DK_WIRE_CMDS_MAX) (service.c). */
void dk_svc_blk_io(const struct dk_svc_req *r, struct dk_vblk_io *io);

/* Account @n harvested completions to their tickets, in order, as one
 * call each of the per-completion handler would (service.c). */
void dk_svc_done_n(struct dk_svc *s, const struct dk_vdone *d, unsigned n);

#endif /* DRIVERKIT_SVC_INTERNAL_H */
