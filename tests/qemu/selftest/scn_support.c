/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The plumbing under the selftest scenarios: output, the failure record,
 * device completions (pumps), bounded waits, and the core objects (ledger,
 * fence table, queue) each scenario brings up and down. Every wait has a
 * deadline p->timeout_ns away and every loop is bounded by it and by
 * SCN_SPINS iterations.
 */
#include "scn_internal.h"

struct scn_state scn;

void scn_zero(void *p, size_t n)
{
    volatile uint8_t *b = (volatile uint8_t *)p;

    while (n--)
        *b++ = 0;
}

int scn_same(const uint8_t *a, const uint8_t *b, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (a[i] != b[i])
            return 0;
    return 1;
}

size_t scn_len(const char *s)
{
    size_t n = 0;

    while (s[n] != '\0')
        n++;
    return n;
}

/* Print the concatenation of @n strings (NULLs skipped) as one line. */
void scn_print(const char *const *parts, size_t n)
{
    char buf[192];
    size_t len = 0, i, k;

    for (i = 0; i < n; i++)
        for (k = 0; parts[i] != NULL && parts[i][k] != '\0' && len < sizeof buf - 1u; k++)
            buf[len++] = parts[i][k];
    buf[len++] = '\n';
    scn.p->print(scn.p->arg, buf, len);
}

const char *scn_dec(char buf[21], uint64_t v)
{
    char *p = buf + 20;

    *p = '\0';
    do {
        *--p = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    return p;
}

uint64_t scn_now(void)
{
    return dk_backend_now(scn.be);
}

int scn_fail_at(const char *scenario, const char *check, int got, int want)
{
    scn.fail.scenario = scenario;
    scn.fail.check = check;
    scn.fail.got = got;
    scn.fail.want = want;
    /* A failure is never DK_OK, whatever the call answered. */
    return got == DK_OK ? DK_E_STATE : got;
}

static void scn_retire(void *arg, uint64_t ticket, uint64_t cookie, uint16_t client,
                       unsigned outcome)
{
    (void)arg;
    (void)cookie;
    (void)client;
    scn.outcome[ticket & 63u] = (uint8_t)outcome;
    scn.retired++;
}

/* A blk completion: resolve its ticket, or record a ticketless request. */
static void scn_blk_done(const struct dk_vdone *d)
{
    int st = dk_vblk_complete(&scn.blk, d);

    if (d->cookie & SCN_TICKET) {
        unsigned outcome = st == DK_OK ? DK_OUTCOME_OK : DK_OUTCOME_DEVICE_ERROR;
        if (scn.q == NULL ||
            dk_queue_resolve(scn.q, d->cookie & ~SCN_TICKET, outcome, NULL) != DK_OK)
            scn.pump_errors++;
    } else if (d->cookie < SCN_RAW_MAX) {
        scn.raw_done[d->cookie] = 1;
        scn.raw_status[d->cookie] = st;
        scn.raw_len[d->cookie] = d->len;
    } else {
        scn.pump_errors++;
    }
}

/* Progress after every backend wait: acknowledge the device's
 * InterruptStatus first, then the interrupt line (a completion after this
 * point raises a new interrupt), then harvest the used ring. */
static int scn_dev_pump(struct dk_virtio_dev *dev, struct dk_virtq *q, uint32_t irq,
                        uint32_t events, int is_blk)
{
    struct dk_vdone done[SCN_QSIZE];
    unsigned n = 0, i;
    uint32_t bits;
    int rc;

    if (events & DK_EVENT_IRQ)
        scn.irq_events++;
    rc = dk_virtio_irq(dev, &bits);
    if (rc == DK_OK && (events & DK_EVENT_IRQ))
        rc = scn.be->ops->irq_ack(scn.be->ctx, irq);
    if (rc == DK_OK)
        rc = dk_virtq_harvest(q, done, SCN_QSIZE, &n, NULL);
    /* Completions validated before a harvest error still count. */
    for (i = 0; i < n; i++) {
        if (is_blk) {
            scn_blk_done(&done[i]);
        } else if (done[i].cookie < SCN_RAW_MAX) {
            uint32_t bytes = 0;
            scn.raw_status[done[i].cookie] = dk_vrng_complete(&scn.rng, &done[i], &bytes);
            scn.raw_len[done[i].cookie] = bytes;
            scn.raw_done[done[i].cookie] = 1;
        }
    }
    return rc;
}

int scn_blk_pump(void *arg, uint32_t events)
{
    (void)arg;
    return scn_dev_pump(&scn.blk.dev, &scn.blk.q, scn.p->blk_irq, events, 1);
}

int scn_rng_pump(void *arg, uint32_t events)
{
    (void)arg;
    return scn_dev_pump(&scn.rng.dev, &scn.rng.q, scn.p->rng_irq, events, 0);
}

/* Wait (bounded) until *flag is set or, with flag NULL, the active queue
 * has nothing in flight. */
int scn_wait_until(const uint8_t *flag, int (*pump)(void *, uint32_t))
{
    uint64_t deadline = scn_now() + scn.p->timeout_ns;
    uint32_t spins;

    for (spins = 0; spins < SCN_SPINS; spins++) {
        uint32_t events = 0;
        int rc;

        if (flag != NULL ? *flag != 0 : dk_queue_inflight(scn.q) == 0)
            return DK_OK;
        if (scn_now() >= deadline)
            return DK_E_TIMED_OUT;
        rc = scn.be->ops->wait(scn.be->ctx, deadline, &events);
        if (rc != DK_OK && rc != DK_E_TIMED_OUT)
            return rc;
        rc = pump(NULL, events);
        if (rc != DK_OK)
            return rc;
    }
    return DK_E_BACKEND;
}

int scn_wait_irq(uint32_t *events)
{
    uint64_t deadline = scn_now() + scn.p->timeout_ns;
    uint32_t spins;

    for (spins = 0; spins < SCN_SPINS; spins++) {
        int rc = scn.be->ops->wait(scn.be->ctx, deadline, events);

        /* DK_OK without DK_EVENT_IRQ is a wake-up for something else. */
        if (rc != DK_OK || (*events & DK_EVENT_IRQ) != 0)
            return rc;
    }
    return DK_E_BACKEND;
}

int scn_blk_post(unsigned idx, unsigned type, uint64_t sector, uint32_t off, uint32_t len)
{
    struct dk_vseg seg = {scn.dma_addr + off, len, 0};
    int rc;

    scn.raw_done[idx] = 0;
    rc = dk_vblk_submit(&scn.blk, type, sector, &seg, 1, idx, NULL);
    return rc == DK_OK ? dk_virtq_kick(&scn.blk.q, NULL) : rc;
}

int scn_blk_raw(unsigned idx, unsigned type, uint64_t sector, uint32_t off, uint32_t len)
{
    int rc = scn_blk_post(idx, type, sector, off, len);

    if (rc == DK_OK)
        rc = scn_wait_until(&scn.raw_done[idx], scn_blk_pump);
    return rc == DK_OK ? scn.raw_status[idx] : rc;
}

/* Reserve a ticket, hand it to the device as one blk request. */
int scn_blk_ticket(unsigned type, uint64_t sector, uint32_t off, uint64_t *ticket)
{
    struct dk_vseg seg = {scn.dma_addr + off, SCN_SECTOR, 0};
    int rc = dk_queue_reserve(scn.q, scn.client, DK_QOS_NORMAL, 0, ticket, NULL);

    if (rc == DK_OK)
        rc = dk_queue_start(scn.q, *ticket, NULL);
    if (rc == DK_OK)
        rc = dk_vblk_submit(&scn.blk, type, sector, &seg, 1, SCN_TICKET | *ticket, NULL);
    return rc;
}

/* Ledger, fence table and a queue of @cap with (optionally) a completion fence. */
int scn_core_up(uint32_t cap, uint32_t *cfence)
{
    struct dk_limits lim;
    struct dk_fence_cfg fc;
    struct dk_queue_cfg qc;
    unsigned r;
    int rc;

    for (r = 0; r < DK_RES_COUNT; r++)
        lim.max[r] = 1u << 20;
    rc = dk_ledger_init(&scn.ledger, scn.clients, 2, &lim, NULL, NULL);
    if (rc == DK_OK)
        rc = dk_ledger_client_add(&scn.ledger, 1, &lim, &scn.client, NULL);
    scn_zero(&fc, sizeof fc);
    fc.nslots = 4;
    fc.max_jump = 64;
    fc.max_wait_ns = 4u * scn.p->timeout_ns;
    fc.waiters_per_fence = 4;
    fc.ledger = &scn.ledger;
    fc.backend = scn.be;
    if (rc == DK_OK)
        rc = dk_fence_table_init(&scn.fences, &fc, scn.fence_slots, sizeof scn.fence_slots, NULL);
    if (rc == DK_OK && cfence != NULL)
        rc = dk_fence_create(&scn.fences, scn.client, cfence, NULL);
    scn_zero(&qc, sizeof qc);
    qc.capacity = cap;
    qc.ledger = &scn.ledger;
    qc.fences = cfence != NULL ? &scn.fences : NULL;
    qc.completion_fence = cfence != NULL ? *cfence : 0;
    qc.fence_owner = scn.client;
    qc.retire_fn = scn_retire;
    if (rc == DK_OK)
        rc = dk_queue_init(&scn.queue, &qc, scn.qslots, sizeof scn.qslots, NULL);
    scn.q = &scn.queue;
    scn_zero(scn.outcome, sizeof scn.outcome);
    scn.retired = 0;
    return rc;
}

/* Everything scn_core_up made, in reverse; the ledger must balance. */
int scn_core_down(uint32_t cfence)
{
    int rc = dk_queue_fini(&scn.queue);

    scn.q = NULL;
    if (rc == DK_OK && cfence != 0)
        rc = dk_fence_destroy(&scn.fences, scn.client, cfence, NULL);
    if (rc == DK_OK)
        rc = dk_fence_table_fini(&scn.fences);
    if (rc == DK_OK)
        rc = dk_ledger_check(&scn.ledger);
    if (rc == DK_OK)
        rc = dk_ledger_client_remove(&scn.ledger, scn.client, NULL);
    if (rc == DK_OK)
        rc = dk_ledger_fini(&scn.ledger);
    return rc;
}
