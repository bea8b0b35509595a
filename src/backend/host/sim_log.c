/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The simulation's event log: recording, replay lookups and comparison.
 * A recorded run's COMPLETE entries carry each request's latency and rng
 * seed; a device given that log as cfg.replay takes both from it, so it
 * reproduces the run's completion order, timing and random bytes even
 * under another seed.
 */
#include "sim_internal.h"

#include <string.h>

int dk_sim_log_init(struct dk_sim_log *log, struct dk_sim_log_entry *storage, uint32_t cap)
{
    if (log == NULL || storage == NULL || cap == 0)
        return DK_E_INVAL;
    memset(log, 0, sizeof(*log));
    log->entries = storage;
    log->cap = cap;
    log->magic = DK_SIM_LOG_MAGIC;
    return DK_OK;
}

int dk_sim_log_fini(struct dk_sim_log *log)
{
    if (log != NULL)
        memset(log, 0, sizeof(*log));
    return DK_OK;
}

static struct dk_sim_log_entry *dk_sim_log_slot(struct dk_sim_dev *d)
{
    struct dk_sim_log *log = d->log;

    if (log == NULL || log->magic != DK_SIM_LOG_MAGIC)
        return NULL;
    if (log->count == log->cap) {
        log->dropped++;
        return NULL;
    }
    return &log->entries[log->count++];
}

void dk_sim_log_put(struct dk_sim_dev *d, unsigned kind, uint32_t queue, uint32_t id, uint32_t len,
                    uint32_t status, uint64_t extra)
{
    struct dk_sim_log_entry *e = dk_sim_log_slot(d);

    if (e == NULL)
        return;
    memset(e, 0, sizeof(*e));
    e->time = dk_host_now(d->host);
    e->extra = extra;
    e->id = id;
    e->len = len;
    e->kind = (uint16_t)kind;
    e->queue = (uint8_t)queue;
    e->status = (uint8_t)status;
}

void dk_sim_log_complete(struct dk_sim_dev *d, uint32_t queue, const struct dk_sim_req *r,
                         uint32_t id, uint32_t len, uint32_t status)
{
    struct dk_sim_log_entry *e = dk_sim_log_slot(d);

    if (e == NULL)
        return;
    e->time = dk_host_now(d->host);
    e->extra = r->rng_seed;
    e->lat = e->time - r->start;
    e->req = r->req;
    e->id = id;
    e->len = len;
    e->kind = DK_SIM_LOG_COMPLETE;
    e->queue = (uint8_t)queue;
    e->status = (uint8_t)status;
}

int dk_sim_replay_find(struct dk_sim_dev *d, uint32_t req, uint64_t *lat, uint64_t *seed)
{
    const struct dk_sim_log *log = d->replay;
    uint32_t i, n = log->count < log->cap ? log->count : log->cap, at;

    /* Completions come out near request order, so the search starts where
     * the previous one matched. BOUND: one pass over the log. */
    for (i = 0; i < n; i++) {
        const struct dk_sim_log_entry *e;

        at = d->replay_hint + i < n ? d->replay_hint + i : d->replay_hint + i - n;
        e = &log->entries[at];
        if (e->kind == DK_SIM_LOG_COMPLETE && e->req == req) {
            d->replay_hint = at;
            *lat = e->lat;
            *seed = e->extra;
            return 0;
        }
    }
    return -1;
}

static int dk_sim_entry_eq(const struct dk_sim_log_entry *a, const struct dk_sim_log_entry *b)
{
    return a->time == b->time && a->extra == b->extra && a->lat == b->lat && a->req == b->req &&
           a->id == b->id && a->len == b->len && a->kind == b->kind && a->queue == b->queue &&
           a->status == b->status;
}

int dk_sim_log_compare(const struct dk_sim_log *a, const struct dk_sim_log *b, uint32_t *first_diff)
{
    uint32_t i, n;

    if (a == NULL || b == NULL || first_diff == NULL || a->magic != DK_SIM_LOG_MAGIC ||
        b->magic != DK_SIM_LOG_MAGIC)
        return DK_E_INVAL;
    if (a->count > a->cap || b->count > b->cap)
        return DK_E_INVAL;
    n = a->count < b->count ? a->count : b->count;
    for (i = 0; i < n; i++)
        if (!dk_sim_entry_eq(&a->entries[i], &b->entries[i])) {
            *first_diff = i;
            return DK_OK;
        }
    *first_diff = (a->count != b->count || a->dropped != b->dropped) ? n : DK_SIM_LOG_SAME;
    return DK_OK;
}
