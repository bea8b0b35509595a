/*
 * IPC endpoints (only as IRQ sinks: the stand-in carries no messages), IRQ binding at the
 * PLIC, and waitsets. Interrupts are never taken: the PLIC is used as a status device.
 * Sources are enabled for context 0 (hart 0, M-mode) so that claim/complete work; mie
 * stays 0, so nothing is delivered to the hart.
 *
 * An endpoint bound to IRQ n is "ready" while n's PLIC pending bit is set, i.e. raised
 * and not yet claimed by irq_complete. QEMU latches pending and can report stale
 * interrupts (qemu-virt-notes), so a ready member is a hint the driver re-checks.
 */
#include "sv.h"

#define PLIC_PRIORITY(n) (SV_PLIC + 4ul * (n))
#define PLIC_PENDING (SV_PLIC + 0x1000ul)
#define PLIC_ENABLE0 (SV_PLIC + 0x2000ul) /* context 0, sources 0-31 */
#define PLIC_THRESHOLD0 (SV_PLIC + 0x200000ul)
#define PLIC_CLAIM0 (SV_PLIC + 0x200004ul)

#define IRQ_MAX SV_VIRTIO_SLOTS /* virtio-mmio lines 1..8 */
#define NEP 16
#define NWS 8
#define WS_MEMBERS 16 /* ABI: ENOSPC over 16 members */
#define EP_DEPTH_MAX 256

struct endpoint {
    uint8_t used;
    uint8_t irq; /* 0 = none */
};

struct waitset {
    uint8_t used;
    uint8_t n;
    int8_t member[WS_MEMBERS]; /* endpoint index, -1 once that endpoint is closed */
};

static struct endpoint eps[NEP];
static struct waitset wss[NWS];
static int8_t irq_owner[IRQ_MAX + 1]; /* endpoint index + 1, 0 = unbound */

void sv_plic_init(void)
{
    sv_mmio_w32(PLIC_ENABLE0, 0);
    for (unsigned n = 1; n <= IRQ_MAX; n++)
        sv_mmio_w32(PLIC_PRIORITY(n), 0);
    sv_mmio_w32(PLIC_THRESHOLD0, 0);
}

static int plic_pending(unsigned n)
{
    return (sv_mmio_r32(PLIC_PENDING) >> n) & 1;
}

int64_t sv_sys_endpoint_create(uint64_t depth)
{
    int64_t slot;
    unsigned i;

    if (depth == 0 || depth > EP_DEPTH_MAX)
        return -SV_EINVAL;
    slot = sv_cap_pick(UINT64_MAX);
    if (slot < 0)
        return slot;
    for (i = 0; i < NEP && eps[i].used; i++)
        ;
    if (i == NEP)
        return -SV_ENOMEM;
    eps[i] = (struct endpoint){.used = 1};
    sv_cap_set((uint64_t)slot, SV_CAP_ENDPOINT, SV_RIGHT_RECV | SV_RIGHT_SEND, (uint16_t)i);
    return slot;
}

/* IRQ binding is not capability-gated here: any line 1..8 may be bound once. */
int64_t sv_sys_irq_bind(uint64_t irq, uint64_t ep)
{
    struct sv_cap *c = sv_cap_get(ep, SV_CAP_ENDPOINT);
    struct endpoint *e;

    if (!c)
        return -SV_EPERM;
    if (irq == 0 || irq > IRQ_MAX)
        return -SV_EINVAL;
    e = &eps[c->obj];
    if (irq_owner[irq] == c->obj + 1)
        return 0;
    if (irq_owner[irq] != 0 || e->irq != 0)
        return -SV_EBUSY;
    irq_owner[irq] = (int8_t)(c->obj + 1);
    e->irq = (uint8_t)irq;
    sv_mmio_w32(PLIC_PRIORITY(irq), 1);
    sv_mmio_w32(PLIC_ENABLE0, sv_mmio_r32(PLIC_ENABLE0) | (1u << irq));
    return 0;
}

/*
 * Claim and complete `irq` if it is pending. Claim returns the highest-priority pending
 * enabled source, so only `irq` is left enabled around the claim: another source's
 * pending state is not consumed here. A level source still asserted pends again at once.
 */
int64_t sv_sys_irq_complete(uint64_t irq)
{
    uint32_t enables, got;

    if (irq == 0 || irq > IRQ_MAX || irq_owner[irq] == 0)
        return -SV_EINVAL;
    if (!plic_pending((unsigned)irq))
        return 0;
    enables = sv_mmio_r32(PLIC_ENABLE0);
    sv_mmio_w32(PLIC_ENABLE0, 1u << irq);
    got = sv_mmio_r32(PLIC_CLAIM0);
    if (got != 0)
        sv_mmio_w32(PLIC_CLAIM0, got);
    sv_mmio_w32(PLIC_ENABLE0, enables);
    return 0;
}

static void unbind(struct endpoint *e)
{
    if (e->irq == 0)
        return;
    sv_mmio_w32(PLIC_ENABLE0, sv_mmio_r32(PLIC_ENABLE0) & ~(1u << e->irq));
    sv_mmio_w32(PLIC_PRIORITY(e->irq), 0);
    irq_owner[e->irq] = 0;
    e->irq = 0;
}

void sv_endpoint_cap_closed(uint16_t obj)
{
    unbind(&eps[obj]);
    eps[obj].used = 0;
    /* Members keep their index (the ABI reports indices in order added); they go dead. */
    for (unsigned w = 0; w < NWS; w++)
        for (unsigned m = 0; m < wss[w].n; m++)
            if (wss[w].member[m] == (int8_t)obj)
                wss[w].member[m] = -1;
}

int64_t sv_sys_waitset_create(void)
{
    int64_t slot = sv_cap_pick(UINT64_MAX);
    unsigned i;

    if (slot < 0)
        return slot;
    for (i = 0; i < NWS && wss[i].used; i++)
        ;
    if (i == NWS)
        return -SV_ENOMEM;
    wss[i] = (struct waitset){.used = 1};
    sv_cap_set((uint64_t)slot, SV_CAP_WAITSET, 0, (uint16_t)i);
    return slot;
}

int64_t sv_sys_waitset_add(uint64_t ws, uint64_t ep)
{
    struct sv_cap *w = sv_cap_get(ws, SV_CAP_WAITSET);
    struct sv_cap *e = sv_cap_get(ep, SV_CAP_ENDPOINT);
    struct waitset *s;

    if (!w || !e || !(e->rights & SV_RIGHT_RECV))
        return -SV_EPERM;
    s = &wss[w->obj];
    if (s->n == WS_MEMBERS)
        return -SV_ENOSPC;
    s->member[s->n++] = (int8_t)e->obj;
    return 0;
}

void sv_waitset_cap_closed(uint16_t obj)
{
    wss[obj].used = 0;
}

static int64_t ready_member(const struct waitset *s, int *wakeable)
{
    *wakeable = 0;
    for (unsigned m = 0; m < s->n; m++) {
        int8_t ep = s->member[m];

        if (ep < 0 || eps[ep].irq == 0)
            continue;
        *wakeable = 1;
        if (plic_pending(eps[ep].irq))
            return m;
    }
    return -1;
}

/*
 * Polls instead of sleeping. deadline 0 = forever (ABI); with no member bound to an IRQ
 * nothing could ever wake this single task, so that wait is reported and fatal rather
 * than a silent hang.
 */
int64_t sv_sys_waitset_wait(uint64_t ws, uint64_t deadline)
{
    struct sv_cap *w = sv_cap_get(ws, SV_CAP_WAITSET);
    const struct waitset *s;
    int wakeable;

    if (!w)
        return -SV_EPERM;
    s = &wss[w->obj];
    for (;;) {
        int64_t m = ready_member(s, &wakeable);

        if (m >= 0)
            return m;
        if (deadline != 0 && sv_now_ns() >= deadline)
            return -SV_ETIMEDOUT;
        if (deadline == 0 && !wakeable)
            sv_fatal("waitset_wait forever with no member that can become ready");
    }
}
