/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Device side of the split virtqueue (virtio 2.7): take available chains on
 * QueueNotify, complete them on the virtual clock, write used elements and
 * decide on used-buffer notifications. Device role only.
 *
 * SECURITY: every ring and buffer address goes through dk_host_dma_ptr().
 * A translation is kept (the rings per queue, the buffers per request) only
 * while the host's DMA generation stays where it was when it was made; a
 * destroyed VMO moves the generation, and the next use translates again, so
 * a VMO that went away between two uses is never touched. A chain is
 * walked and translated completely (sim_walk.c) before any of its memory is
 * touched; a driver error stops the queue with DEVICE_NEEDS_RESET (virtio 2.1.2)
 * instead of guessing. The device writes only writable descriptors and the
 * used ring (used elements, used->idx and, with EVENT_IDX, avail_event).
 *
 * ORDERING: the device runs on the driver's thread inside MMIO callbacks
 * and clock events, so the fences below order nothing across CPUs; they
 * mark the virtio ordering points and stop the compiler from moving ring
 * accesses across them.
 */
#include "sim_internal.h"

/* Appendix A of the virtio specification. */
static int dk_sim_need_event(uint16_t event, uint16_t new_idx, uint16_t old)
{
    return (uint16_t)(new_idx - event - 1u) < (uint16_t)(new_idx - old);
}

/* Pending requests are ordered by due time; at equal times by request
 * number, which only grows, so a newcomer goes after every equal one. With
 * constant latency it is due last of all: one append. Otherwise (jitter,
 * replay) it goes before the first one due later. BOUND: pending requests
 * <= queue size. */
static void dk_sim_list_insert(struct dk_sim_queue *q, uint16_t head, uint64_t due)
{
    struct dk_sim_req *r = &q->req[head];
    uint16_t at = q->last, after = DK_SIM_NIL;

    if (at == DK_SIM_NIL || q->req[at].due <= due) {
        r->next = DK_SIM_NIL;
        if (at != DK_SIM_NIL)
            q->req[at].next = head;
        else
            q->first = head;
        q->last = head;
        return;
    }
    /* The last one is due later, so the walk stops there at the latest. */
    for (at = q->first; at != DK_SIM_NIL && q->req[at].due <= due; at = q->req[at].next)
        after = at;
    r->next = at;
    if (after != DK_SIM_NIL)
        q->req[after].next = head;
    else
        q->first = head;
}

/* Put the run @first..@last, requests linked in request order and all due
 * at @due, into the pending list as inserting them one by one would: an
 * append, unless the last pending one is due later (due times wrapped past
 * 2^64, or another run's latency), which inserts them one by one. */
static void dk_sim_list_splice(struct dk_sim_queue *q, uint16_t first, uint16_t last, uint64_t due)
{
    uint16_t at = q->last, next;

    q->req[last].next = DK_SIM_NIL;
    if (at == DK_SIM_NIL || q->req[at].due <= due) {
        if (at != DK_SIM_NIL)
            q->req[at].next = first;
        else
            q->first = first;
        q->last = last;
        return;
    }
    for (; first != DK_SIM_NIL; first = next) {
        next = q->req[first].next;
        dk_sim_list_insert(q, first, due);
    }
}

/* Take the first (earliest due) request @r off the pending list; returns
 * the new first. */
static uint16_t dk_sim_list_pop(struct dk_sim_queue *q, struct dk_sim_req *r)
{
    uint16_t next = r->next;

    q->first = next;
    if (next == DK_SIM_NIL)
        q->last = DK_SIM_NIL;
    r->live = 0;
    q->pending--;
    return next;
}

static void dk_sim_fire(void *arg, struct dk_host *h);

/* Keep exactly one host event, at the earliest pending completion. */
static void dk_sim_arm(struct dk_sim_dev *d)
{
    uint64_t at = UINT64_MAX, now = dk_host_now(d->host);
    uint32_t id;
    unsigned i;

    for (i = 0; i < DK_SIM_QUEUES; i++)
        if (d->q[i].first != DK_SIM_NIL && d->q[i].req[d->q[i].first].due < at)
            at = d->q[i].req[d->q[i].first].due;
    if (at == UINT64_MAX || d->stalled) {
        dk_sim_vq_cancel(d);
        return;
    }
    if (at < now)
        at = now;
    if (d->ev_id != 0 && d->ev_at == at)
        return;
    dk_sim_vq_cancel(d);
    if (dk_host_schedule(d->host, at, dk_sim_fire, d, &id) != DK_OK) {
        d->stats.sched_failures++;
        return;
    }
    d->ev_id = id;
    d->ev_at = at;
}

void dk_sim_vq_cancel(struct dk_sim_dev *d)
{
    if (d->ev_id != 0)
        (void)dk_host_cancel(d->host, d->ev_id);
    d->ev_id = 0;
    d->ev_at = 0;
}

/* Forget every request of @q: they are never completed. */
void dk_sim_vq_stop(struct dk_sim_dev *d, struct dk_sim_queue *q)
{
    while (q->first != DK_SIM_NIL)
        (void)dk_sim_list_pop(q, &q->req[q->first]);
    dk_sim_arm(d);
}

void dk_sim_driver_fault(struct dk_sim_dev *d, struct dk_sim_queue *q, uint32_t why, uint32_t id)
{
    d->last_driver_fault = why;
    d->stats.driver_faults++;
    dk_sim_log_put(d, DK_SIM_LOG_DRIVER_FAULT, (uint32_t)(q - d->q), id, 0, 0, why);
    q->broken = 1;
    dk_sim_vq_stop(d, q);
    if (!(d->status & DK_VIRTIO_S_NEEDS_RESET)) {
        d->status |= DK_VIRTIO_S_NEEDS_RESET;
        dk_sim_interrupt(d, DK_VIRTIO_INT_CONFIG);
    }
}

uint8_t *dk_sim_dma_miss(struct dk_sim_dev *d, uint64_t addr, uint64_t len)
{
    uint64_t vdma = 0, vlen = 0;
    uint8_t *p = dk_host_dma_vmo(d->host, addr, len, &vdma, &vlen);
    uint32_t k;

    dk_sim_tlb_sync(d, dk_host_dma_gen(d->host));
    if (p == NULL)
        return NULL;
    k = d->tlb_next;
    d->tlb_next = (k + 1u) % DK_SIM_TLB;
    d->tlb[k].dma = vdma;
    d->tlb[k].len = vlen;
    d->tlb[k].ptr = p - (addr - vdma);
    return p;
}

/* Make q->rings hold the host memory of @q's three ring areas (refreshed
 * unless the cache holds); -1 if one is not inside a live VMO. */
static int dk_sim_rings(struct dk_sim_dev *d, struct dk_sim_queue *q)
{
    uint64_t gen = dk_host_dma_gen(d->host);

    if (q->rings.gen != gen || q->rings.desc != q->desc || q->rings.driver != q->driver ||
        q->rings.device != q->device || q->rings.num != q->num) {
        q->rings.gen = 0;
        q->rings.desc_p = dk_sim_dma(d, q->desc, dk_sim_desc_bytes(q->num));
        q->rings.avail_p = dk_sim_dma(d, q->driver, dk_sim_avail_bytes(q->num));
        q->rings.used_p = dk_sim_dma(d, q->device, dk_sim_used_bytes(q->num));
        if (q->rings.desc_p == NULL || q->rings.avail_p == NULL || q->rings.used_p == NULL)
            return -1;
        q->rings.gen = gen;
        q->rings.desc = q->desc;
        q->rings.driver = q->driver;
        q->rings.device = q->device;
        q->rings.num = q->num;
    }
    return 0;
}

/* Latency and rng seed of a newly taken request. Both are drawn from the
 * generator even in replay, so the generator stays in step with the
 * recorded run; the replayed values then override them. */
static uint64_t dk_sim_timing(struct dk_sim_dev *d, struct dk_sim_req *r, uint64_t now)
{
    uint64_t jit = dk_sim_mix(&d->prng), lat, seed;

    r->rng_seed = dk_sim_mix(&d->prng);
    lat = d->latency + (d->jitter != 0 ? jit % (d->jitter + 1u) : 0u);
    if (d->replay != NULL) {
        if (dk_sim_replay_find(d, r->req, &lat, &seed) == 0) {
            r->rng_seed = seed;
            d->stats.replay_hits++;
        } else {
            d->stats.replay_misses++;
        }
    }
    r->due = now + lat;
    return r->due;
}

/* Does anything ever read what dk_sim_timing draws? Its jitter only with
 * jitter_ns; the rng seed only an rng device's answers and a log's
 * COMPLETE entries; replay overrides both. Where nothing does, a request
 * is due at now + latency and nothing is drawn: no one can see the
 * generator, so no one can tell. This holds for the device's whole life,
 * since kind, jitter, log and replay are set by dk_sim_init alone, so a
 * run never mixes drawing and not drawing; a recording run (log) and a
 * replaying one (replay) always draw, and stay in step.
 * test_sim_run.c holds runs with and without a log to each other. */
static int dk_sim_draws(const struct dk_sim_dev *d)
{
    return d->jitter != 0 || d->kind == DK_SIM_RNG || d->log != NULL || d->replay != NULL;
}

static void dk_sim_take(struct dk_sim_dev *d, struct dk_sim_queue *q, uint32_t qi)
{
    uint8_t *desc, *avail, *used;
    uint16_t aidx, first, last;
    uint32_t num = q->num, why = DK_SIM_DF_NONE, id = 0;
    struct dk_sim_run run;
    int draws = dk_sim_draws(d);

    run.now = dk_host_now(d->host);
    run.gen = dk_host_dma_gen(d->host);
    run.due = run.now + d->latency;
    run.seq = d->req_seq;
    run.hint = 0;
    run.first = run.last = DK_SIM_NIL;
    /* Nothing in a take destroys a VMO: one IOTLB sync serves every chain. */
    dk_sim_tlb_sync(d, run.gen);
    if (dk_sim_rings(d, q) != 0) {
        dk_sim_driver_fault(d, q, DK_SIM_DF_RING_DMA, UINT32_MAX);
        return;
    }
    desc = q->rings.desc_p;
    avail = q->rings.avail_p;
    used = q->rings.used_p;
    aidx = dk_sim_ld16(avail + 2);
    /* ORDERING: acquire after reading avail->idx; pairs with the driver's
     * write barrier between filling ring slots and storing avail->idx. */
    atomic_thread_fence(memory_order_acquire);
    first = last = q->last_avail;
    if ((uint16_t)(aidx - last) > num) {
        dk_sim_driver_fault(d, q, DK_SIM_DF_AVAIL_JUMP, aidx);
        return;
    }
    /* The common chains in runs (dk_sim_take_fast); each chain that stops
     * one, by the general rules here. The counters are stored once below,
     * before anything (a driver fault included) reads them. */
    for (;;) {
        uint16_t head;
        struct dk_sim_req *r;

        if (!draws)
            last = dk_sim_take_fast(d, q, desc, avail, last, aidx, &run);
        if (last == aidx)
            break;
        head = dk_sim_ld16(avail + 4 + 2u * (last & (num - 1u)));
        id = head;
        if (head >= num) {
            why = DK_SIM_DF_HEAD_RANGE;
            break;
        }
        r = &q->req[head];
        if (r->live) {
            why = DK_SIM_DF_HEAD_BUSY;
            break;
        }
        /* The IOTLB stays synced to run.gen (above) all through the take.
         * With draws every chain comes here, so the fast walk goes first. */
        why = dk_sim_walk_fast(d->tlb, desc, num, head, run.gen, &run.hint, r);
        if (why == DK_SIM_WALK_GENERAL)
            why = dk_sim_walk(d, q, desc, head, r);
        if (why == DK_SIM_DF_NONE)
            why = dk_sim_dev_shape(d, r);
        if (why != DK_SIM_DF_NONE)
            break;
        r->live = 1;
        r->req = run.seq++;
        r->start = run.now;
        if (draws) {
            dk_sim_list_insert(q, head, dk_sim_timing(d, r, run.now));
        } else {
            r->due = run.due;
            dk_sim_run_add(q, &run, head);
        }
        last++;
    }
    if (run.first != DK_SIM_NIL)
        dk_sim_list_splice(q, run.first, run.last, run.due);
    q->last_avail = last;
    q->pending = (uint16_t)(q->pending + (uint16_t)(last - first));
    d->stats.requests += (uint16_t)(last - first);
    d->req_seq = run.seq;
    if (why != DK_SIM_DF_NONE) {
        dk_sim_driver_fault(d, q, why, id);
        return;
    }
    if (dk_sim_has(d, DK_VIRTIO_F_EVENT_IDX)) {
        /* avail_event: notify us again at the next new entry. ORDERING:
         * release; the driver reads it after its full barrier that follows
         * the avail->idx store. */
        atomic_thread_fence(memory_order_release);
        dk_sim_st16(used + 4 + 8u * num, last);
    }
    dk_sim_log_put(d, DK_SIM_LOG_NOTIFY, qi, 0, (uint16_t)(last - first), 0, aidx);
    dk_sim_arm(d);
}

void dk_sim_vq_notify(struct dk_sim_dev *d, uint32_t queue)
{
    struct dk_sim_queue *q = queue < DK_SIM_QUEUES ? &d->q[queue] : NULL;

    d->stats.notifies++;
    /* virtio 3.1.1: no notification before DRIVER_OK. */
    if (q == NULL || !(d->status & DK_VIRTIO_S_DRIVER_OK) || !q->ready)
        dk_sim_violation(d);
    if (q == NULL || !dk_sim_live(d) || !q->ready || q->broken || d->stalled) {
        d->stats.notifies_ignored++;
        dk_sim_log_put(d, DK_SIM_LOG_NOTIFY, queue, 0, 0, 1, 0);
        return;
    }
    dk_sim_take(d, q, queue);
}

/* Is @head in the available ring but not taken yet? The driver counts such
 * heads as in flight too. */
static int dk_sim_in_avail(const struct dk_sim_queue *q, const uint8_t *avail, uint16_t head)
{
    uint16_t aidx = dk_sim_ld16(avail + 2), i, n = (uint16_t)(aidx - q->last_avail);

    if (n > q->num)
        n = (uint16_t)q->num;
    for (i = 0; i < n; i++)
        if (dk_sim_ld16(avail + 4 + 2u * ((q->last_avail + i) & (q->num - 1u))) == head)
            return 1;
    return 0;
}

/* An id the driver cannot have outstanding: the head completed last if it
 * has not been reposted, else the lowest index that is no head in flight
 * (a chain's inner descriptor qualifies), else one past the ring. */
static uint32_t dk_sim_stray_id(const struct dk_sim_queue *q, const uint8_t *avail)
{
    uint32_t i;

    if (q->have_done && !q->req[q->last_done].live && !dk_sim_in_avail(q, avail, q->last_done))
        return q->last_done;
    for (i = 0; i < q->num; i++)
        if (!q->req[i].live && !dk_sim_in_avail(q, avail, (uint16_t)i))
            return i;
    return q->num;
}

/* The armed fault that hits this completion, if its turn has come. */
static uint32_t dk_sim_fault_due(struct dk_sim_dev *d)
{
    uint32_t f = d->fault;

    if (f == DK_SIM_FAULT_NONE || f == DK_SIM_FAULT_CONFIG_TEAR)
        return DK_SIM_FAULT_NONE;
    if (d->fault_after > 0) {
        d->fault_after--;
        return DK_SIM_FAULT_NONE;
    }
    d->fault = DK_SIM_FAULT_NONE;
    d->stats.faults_injected++;
    return f;
}

/* ORDERING: release; the used elements (and the data exec wrote) before
 * used->idx. Pairs with the driver's read barrier after it loads
 * used->idx. The driver reads only the elements below used->idx, so one
 * store publishes every element written since the last one. */
static void dk_sim_used_publish(struct dk_sim_queue *q, uint8_t *used, uint16_t idx)
{
    atomic_thread_fence(memory_order_release);
    dk_sim_st16(used + 2, idx);
    q->used_idx = idx;
}

/* Take the @n requests completed from the front of @q's pending list off
 * it; @head is the new first (DK_SIM_NIL: the list is empty). Their live
 * flags were cleared one by one. */
static void dk_sim_list_drop(struct dk_sim_queue *q, uint16_t head, uint16_t n)
{
    q->first = head;
    if (head == DK_SIM_NIL)
        q->last = DK_SIM_NIL;
    q->pending = (uint16_t)(q->pending - n);
}

/*
 * The completions nearly every batch is: blk reads (dk_sim_blk_read_fast)
 * with no fault armed and no log. From @head, complete each request due
 * by @now as the general loop in dk_sim_complete_due would (used element,
 * live flag, last_done); stop at the first one not due or not such a read,
 * which that loop then decides. Returns where it stopped; *@idx and *@done
 * move on by the requests completed.
 */
static uint16_t dk_sim_complete_fast(struct dk_sim_dev *d, struct dk_sim_queue *q, uint16_t head,
                                     uint64_t now, uint8_t *used, uint16_t *idx, uint16_t *done)
{
    uint8_t *ring = used + 4;
    uint32_t mask = q->num - 1u, len;
    uint16_t i = *idx, n = 0, prev = DK_SIM_NIL;
    uint8_t status;

    while (head != DK_SIM_NIL) {
        struct dk_sim_req *r = &q->req[head];
        uint8_t *elem;

        if (r->due > now || dk_sim_blk_read_fast(d, r, &len, &status) != 0)
            break;
        elem = ring + 8u * (i & mask);
        dk_sim_st32(elem, head);
        dk_sim_st32(elem + 4, len);
        i++;
        r->live = 0;
        n++;
        prev = head;
        head = r->next;
    }
    if (n != 0) {
        q->last_done = prev;
        q->have_done = 1;
    }
    *idx = i;
    *done = (uint16_t)(*done + n);
    return head;
}

static void dk_sim_complete_due(struct dk_sim_dev *d, uint32_t qi, uint64_t now)
{
    struct dk_sim_queue *q = &d->q[qi];
    uint8_t *used, *avail;
    uint16_t old, idx, head = q->first, done = 0;
    uint32_t f = DK_SIM_FAULT_NONE, num = q->num;
    /* Nothing in a batch arms a fault or sets a log: both are read once. */
    int armed = d->fault != DK_SIM_FAULT_NONE && d->fault != DK_SIM_FAULT_CONFIG_TEAR;
    int logging = d->log != NULL;

    if (head == DK_SIM_NIL || q->req[head].due > now)
        return;
    if (dk_sim_rings(d, q) != 0) {
        dk_sim_driver_fault(d, q, DK_SIM_DF_RING_DMA, UINT32_MAX);
        return;
    }
    avail = q->rings.avail_p;
    used = q->rings.used_p;
    old = idx = q->used_idx;
    if (!armed && !logging && d->kind == DK_SIM_BLK)
        head = dk_sim_complete_fast(d, q, head, now, used, &idx, &done);
    /* The requests completed are taken off the pending list once, at the
     * end (dk_sim_list_drop); until then only their live flags say so,
     * which is all dk_sim_stray_id reads of them. */
    while (head != DK_SIM_NIL) {
        struct dk_sim_req *r = &q->req[head];
        uint32_t id = head, len;
        uint8_t status;
        uint8_t *elem;

        if (r->due > now)
            break;
        if (armed) {
            f = dk_sim_fault_due(d);
            if (f == DK_SIM_FAULT_STALL || f == DK_SIM_FAULT_NEEDS_RESET) {
                dk_sim_log_put(d, DK_SIM_LOG_FAULT, qi, head, 0, 0, f);
                break;
            }
        }
        if (dk_sim_dev_exec(d, r, f == DK_SIM_FAULT_ERROR_STATUS, &len, &status) != 0) {
            dk_sim_list_drop(q, head, done);
            d->stats.completions += done;
            dk_sim_used_publish(q, used, idx);
            dk_sim_driver_fault(d, q, DK_SIM_DF_BUF_GONE, head);
            return;
        }
        if (f != DK_SIM_FAULT_NONE) {
            if (f == DK_SIM_FAULT_USED_ID_RANGE)
                id = num + head;
            else if (f == DK_SIM_FAULT_USED_ID_NOT_INFLIGHT)
                id = dk_sim_stray_id(q, avail);
            else if (f == DK_SIM_FAULT_USED_LEN_TOO_BIG)
                len = r->writable >= UINT32_MAX ? UINT32_MAX : (uint32_t)r->writable + 1u;
            dk_sim_log_put(d, DK_SIM_LOG_FAULT, qi, id, len, status, f);
        }
        elem = used + 4 + 8u * (idx & (num - 1u));
        dk_sim_st32(elem, id);
        dk_sim_st32(elem + 4, len);
        idx++;
        if (f == DK_SIM_FAULT_USED_IDX_JUMP)
            idx = (uint16_t)(idx + num);
        if (logging)
            dk_sim_log_complete(d, qi, r, id, len, status);
        q->last_done = head;
        q->have_done = 1;
        r->live = 0;
        done++;
        f = DK_SIM_FAULT_NONE;
        head = r->next;
    }
    dk_sim_list_drop(q, head, done);
    d->stats.completions += done;
    if (done) {
        int notify;

        dk_sim_used_publish(q, used, idx);
        /* ORDERING: full barrier between the used->idx store and reading
         * the driver's suppression fields (virtio 2.7.10). */
        atomic_thread_fence(memory_order_seq_cst);
        if (dk_sim_has(d, DK_VIRTIO_F_EVENT_IDX))
            notify = dk_sim_need_event(dk_sim_ld16(avail + 4 + 2u * num), idx, old);
        else
            notify = !(dk_sim_ld16(avail) & DK_VRING_AVAIL_F_NO_INTERRUPT);
        if (notify)
            dk_sim_interrupt(d, DK_VIRTIO_INT_VRING);
    }
    if (f == DK_SIM_FAULT_STALL) {
        d->stalled = 1;
    } else if (f == DK_SIM_FAULT_NEEDS_RESET) {
        unsigned i;

        d->status |= DK_VIRTIO_S_NEEDS_RESET;
        for (i = 0; i < DK_SIM_QUEUES; i++)
            dk_sim_vq_stop(d, &d->q[i]);
        dk_sim_interrupt(d, DK_VIRTIO_INT_CONFIG);
    }
}

static void dk_sim_fire(void *arg, struct dk_host *h)
{
    struct dk_sim_dev *d = (struct dk_sim_dev *)arg;
    uint64_t now = dk_host_now(h);
    unsigned i;

    /* The host freed the event's slot before calling us. */
    d->ev_id = 0;
    d->ev_at = 0;
    if (d->magic != DK_SIM_MAGIC)
        return;
    for (i = 0; i < DK_SIM_QUEUES; i++) {
        struct dk_sim_queue *q = &d->q[i];

        if (d->stalled)
            break;
        if (!dk_sim_live(d) || !q->ready || q->broken)
            dk_sim_vq_stop(d, q);
        else
            dk_sim_complete_due(d, i, now);
    }
    dk_sim_arm(d);
}
