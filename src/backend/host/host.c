/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The deterministic host backend. The clock is virtual: it moves only when a
 * caller advances it or when wait() jumps it to the next scheduled event or
 * to the deadline. VMOs are carved first-fit from one caller arena, so the
 * same sequence of calls always yields the same fake DMA addresses.
 */
#include <driverkit/errmap.h>
#include <driverkit/host.h>

#include <string.h>

static struct dk_host *dk_host_of(void *ctx)
{
    return (struct dk_host *)ctx;
}

static uint64_t dk_host_op_now(void *ctx)
{
    return dk_host_of(ctx)->now;
}

/* Index of the earliest live event due at or before @limit, or -1. Ties go
 * to the lower sequence number: events at one instant fire in the order
 * they were scheduled. */
static int dk_host_next_event(const struct dk_host *h, uint64_t limit)
{
    int best = -1;
    unsigned i;

    for (i = 0; i < h->event_top; i++) {
        const struct dk_host_event *e = &h->events[i];
        if (!e->live || e->at > limit)
            continue;
        if (best < 0 || e->at < h->events[best].at ||
            (e->at == h->events[best].at && e->seq < h->events[best].seq))
            best = (int)i;
    }
    return best;
}

/* Free event slot @i and keep event_top just past the highest live one. */
static void dk_host_event_free(struct dk_host *h, unsigned i)
{
    memset(&h->events[i], 0, sizeof(h->events[i]));
    while (h->event_top > 0 && !h->events[h->event_top - 1u].live)
        h->event_top--;
}

static void dk_host_fire(struct dk_host *h, int idx)
{
    struct dk_host_event ev = h->events[idx];

    /* Free the slot before the callback, which may schedule again. */
    dk_host_event_free(h, (unsigned)idx);
    if (ev.at > h->now)
        h->now = ev.at;
    h->stats.events_fired++;
    ev.fn(ev.arg, h);
}

/* Report bound, pending interrupts not reported yet; mark them reported. */
static int dk_host_irq_news(struct dk_host *h)
{
    uint32_t news = h->irq_pending & h->irq_bound & ~h->irq_delivered;

    h->irq_delivered |= news;
    return news != 0;
}

static int dk_host_op_wait(void *ctx, uint64_t deadline_ns, uint32_t *events)
{
    struct dk_host *h = dk_host_of(ctx);
    int idx;

    if (events == NULL || deadline_ns == 0)
        return DK_E_INVAL;
    h->stats.waits++;
    *events = 0;
    /* An interrupt is reported once, then not again until acknowledged, so
     * a waiter that never acks cannot make wait return at once for ever. */
    if (dk_host_irq_news(h)) {
        *events = DK_EVENT_IRQ;
        return DK_OK;
    }
    idx = dk_host_next_event(h, deadline_ns);
    if (idx >= 0) {
        dk_host_fire(h, idx);
        *events = DK_EVENT_TIMER | (dk_host_irq_news(h) ? DK_EVENT_IRQ : 0u);
        return DK_OK;
    }
    if (h->now < deadline_ns)
        h->now = deadline_ns;
    h->stats.timeouts++;
    return DK_E_TIMED_OUT;
}

/* The VMO a capability names, or NULL: the kernel answers EPERM for that. */
static struct dk_host_vmo *dk_host_vmo_get(struct dk_host *h, uint64_t vmo)
{
    if (vmo == 0 || vmo > DK_HOST_VMOS_MAX || !h->vmos[vmo - 1].live)
        return NULL;
    return &h->vmos[vmo - 1];
}

static int dk_host_op_vmo_create(void *ctx, uint64_t len, uint64_t *vmo)
{
    struct dk_host *h = dk_host_of(ctx);
    uint64_t start = 0;
    unsigned i, slot = DK_HOST_VMOS_MAX;
    int placed = 0;

    if (vmo == NULL || len == 0)
        return dk_status_from_nx(-DK_NX_EINVAL);
    /* Round to 64 bytes so DMA addresses stay aligned for any descriptor. */
    if (len > h->arena_size)
        return dk_status_from_nx(-DK_NX_ENOMEM);
    len = (len + 63u) & ~(uint64_t)63u;
    for (i = 0; i < DK_HOST_VMOS_MAX; i++)
        if (!h->vmos[i].live) {
            slot = i;
            break;
        }
    if (slot == DK_HOST_VMOS_MAX)
        return dk_status_from_nx(-DK_NX_ENOMEM);
    /* First fit: try the lowest start that overlaps no live VMO. Each live
     * VMO's end is a candidate start. BOUND: O(VMOS_MAX^2) at worst. */
    for (i = 0; i <= DK_HOST_VMOS_MAX && !placed; i++) {
        unsigned j;
        int clash = 0;

        if (i > 0) {
            if (!h->vmos[i - 1].live)
                continue;
            start = h->vmos[i - 1].off + h->vmos[i - 1].len;
        }
        if (start > h->arena_size || len > h->arena_size - start)
            continue;
        for (j = 0; j < DK_HOST_VMOS_MAX; j++) {
            const struct dk_host_vmo *v = &h->vmos[j];
            if (v->live && start < v->off + v->len && v->off < start + len) {
                clash = 1;
                break;
            }
        }
        if (!clash)
            placed = 1;
    }
    if (!placed)
        return dk_status_from_nx(-DK_NX_ENOMEM);
    memset(h->arena + start, 0, (size_t)len);
    h->vmos[slot].off = start;
    h->vmos[slot].len = len;
    h->vmos[slot].maps = 0;
    h->vmos[slot].live = 1;
    if (slot + 1u > h->vmo_top)
        h->vmo_top = slot + 1u;
    *vmo = slot + 1u;
    return DK_OK;
}

static int dk_host_op_vmo_destroy(void *ctx, uint64_t vmo)
{
    struct dk_host *h = dk_host_of(ctx);
    struct dk_host_vmo *v = dk_host_vmo_get(h, vmo);

    if (v == NULL)
        return dk_status_from_nx(-DK_NX_EPERM);
    if (v->maps != 0)
        return dk_status_from_nx(-DK_NX_EBUSY);
    memset(v, 0, sizeof(*v));
    while (h->vmo_top > 0 && !h->vmos[h->vmo_top - 1u].live)
        h->vmo_top--;
    /* SECURITY: translations devices cached are stale from here on. */
    h->dma_gen++;
    return DK_OK;
}

static int dk_host_op_vmo_map(void *ctx, uint64_t vmo, uint64_t off, uint64_t len, uint32_t prot,
                              void **va)
{
    struct dk_host *h = dk_host_of(ctx);
    struct dk_host_vmo *v = dk_host_vmo_get(h, vmo);

    if (v == NULL)
        return dk_status_from_nx(-DK_NX_EPERM);
    if (va == NULL || len == 0 || prot == 0 || (prot & ~(uint32_t)(DK_MAP_READ | DK_MAP_WRITE)))
        return dk_status_from_nx(-DK_NX_EINVAL);
    if (off > v->len || len > v->len - off)
        return dk_status_from_nx(-DK_NX_EINVAL);
    v->maps++;
    *va = h->arena + v->off + off;
    return DK_OK;
}

static int dk_host_op_vmo_unmap(void *ctx, void *va, uint64_t len)
{
    struct dk_host *h = dk_host_of(ctx);
    uint8_t *p = (uint8_t *)va;
    unsigned i;

    for (i = 0; i < DK_HOST_VMOS_MAX; i++) {
        struct dk_host_vmo *v = &h->vmos[i];
        if (!v->live || v->maps == 0 || p < h->arena + v->off || p >= h->arena + v->off + v->len)
            continue;
        if (len > (uint64_t)(h->arena + v->off + v->len - p))
            return dk_status_from_nx(-DK_NX_EINVAL);
        v->maps--;
        return DK_OK;
    }
    return dk_status_from_nx(-DK_NX_ENOENT);
}

static int dk_host_op_vmo_query(void *ctx, uint64_t vmo, struct dk_vmo_info *info)
{
    struct dk_host *h = dk_host_of(ctx);
    struct dk_host_vmo *v = dk_host_vmo_get(h, vmo);

    if (v == NULL)
        return dk_status_from_nx(-DK_NX_EPERM);
    if (info == NULL)
        return dk_status_from_nx(-DK_NX_EFAULT);
    info->dma_addr = DK_HOST_DMA_BASE + v->off;
    info->len = v->len;
    return DK_OK;
}

static struct dk_host_window *dk_host_window_by_cap(struct dk_host *h, uint64_t cap)
{
    unsigned i;

    for (i = 0; i < DK_HOST_WINDOWS_MAX; i++)
        if (h->windows[i].used && h->windows[i].cap == cap)
            return &h->windows[i];
    return NULL;
}

/* Register addresses handed out by mmio_map are opaque: window index + 1 in
 * bits 24..31, the byte offset below. They are never dereferenced. */
#define DK_HOST_MMIO_SHIFT 24u

static int dk_host_op_mmio_map(void *ctx, uint64_t cap, uint64_t off, uint64_t len,
                               uintptr_t *addr)
{
    struct dk_host *h = dk_host_of(ctx);
    struct dk_host_window *w = dk_host_window_by_cap(h, cap);

    if (addr == NULL)
        return dk_status_from_nx(-DK_NX_EFAULT);
    /* SECURITY: an ungranted window answers exactly as a missing capability
     * does on the kernel: EPERM. */
    if (w == NULL || !w->granted) {
        h->stats.maps_denied++;
        return dk_status_from_nx(-DK_NX_EPERM);
    }
    if (len == 0 || off > w->len || len > w->len - off)
        return dk_status_from_nx(-DK_NX_EINVAL);
    w->mapped = 1;
    w->map_off = off;
    w->map_len = len;
    *addr = ((uintptr_t)(w - h->windows) + 1u) << DK_HOST_MMIO_SHIFT | (uintptr_t)off;
    return DK_OK;
}

static int dk_host_op_mmio_query(void *ctx, uint64_t cap, struct dk_vmo_info *info)
{
    struct dk_host *h = dk_host_of(ctx);
    struct dk_host_window *w = dk_host_window_by_cap(h, cap);

    if (info == NULL)
        return dk_status_from_nx(-DK_NX_EFAULT);
    if (w == NULL || !w->granted)
        return dk_status_from_nx(-DK_NX_EPERM);
    info->dma_addr = w->phys;
    info->len = w->len;
    return DK_OK;
}

/* MMIO: decode an opaque register address; NULL for anything that is not a
 * naturally aligned access inside a mapped, granted window. */
static struct dk_host_window *dk_host_decode(struct dk_host *h, uintptr_t addr, unsigned width,
                                             uint64_t *off)
{
    uintptr_t idx = (addr >> DK_HOST_MMIO_SHIFT) - 1u;
    struct dk_host_window *w;

    *off = addr & ((1u << DK_HOST_MMIO_SHIFT) - 1u);
    if (idx >= DK_HOST_WINDOWS_MAX || (width != 1 && width != 2 && width != 4) ||
        (*off & (width - 1u)) != 0)
        goto fault;
    w = &h->windows[idx];
    if (!w->used || !w->granted || !w->mapped || *off < w->map_off ||
        *off - w->map_off >= w->map_len || width > w->map_len - (*off - w->map_off))
        goto fault;
    return w;
fault:
    h->stats.mmio_faults++;
    return NULL;
}

static uint32_t dk_host_op_mmio_read(void *ctx, uintptr_t addr, unsigned width)
{
    struct dk_host *h = dk_host_of(ctx);
    uint64_t off;
    struct dk_host_window *w = dk_host_decode(h, addr, width, &off);

    /* A faulting read returns all ones, as a bus error reads on hardware. */
    if (w == NULL || w->ops == NULL || w->ops->read == NULL)
        return 0xffffffffu;
    return w->ops->read(w->dev, off, width);
}

static void dk_host_op_mmio_write(void *ctx, uintptr_t addr, unsigned width, uint32_t value)
{
    struct dk_host *h = dk_host_of(ctx);
    uint64_t off;
    struct dk_host_window *w = dk_host_decode(h, addr, width, &off);

    if (w != NULL && w->ops != NULL && w->ops->write != NULL)
        w->ops->write(w->dev, off, width, value);
}

static void dk_host_op_barrier(void *ctx, enum dk_barrier kind)
{
    /* ORDERING: the simulated device runs on this thread, in program order,
     * so a compiler barrier is all the host needs. The real orderings are
     * the nexus backend's fences. */
    (void)ctx;
    (void)kind;
    __asm__ __volatile__("" ::: "memory");
}

static int dk_host_op_irq_bind(void *ctx, uint32_t irq)
{
    struct dk_host *h = dk_host_of(ctx);

    if (irq >= DK_HOST_IRQS)
        return dk_status_from_nx(-DK_NX_EINVAL);
    h->irq_bound |= 1u << irq;
    return DK_OK;
}

static int dk_host_op_irq_ack(void *ctx, uint32_t irq)
{
    struct dk_host *h = dk_host_of(ctx);

    if (irq >= DK_HOST_IRQS || (h->irq_bound & (1u << irq)) == 0)
        return dk_status_from_nx(-DK_NX_ENOENT);
    h->irq_pending &= ~(1u << irq);
    h->irq_delivered &= ~(1u << irq);
    return DK_OK;
}

static const struct dk_backend_ops dk_host_ops = {
    .abi_version = DK_BACKEND_ABI_VERSION,
    .size = sizeof(struct dk_backend_ops),
    .name = "host",
    .now_ns = dk_host_op_now,
    .wait = dk_host_op_wait,
    .vmo_create = dk_host_op_vmo_create,
    .vmo_destroy = dk_host_op_vmo_destroy,
    .vmo_map = dk_host_op_vmo_map,
    .vmo_unmap = dk_host_op_vmo_unmap,
    .vmo_query = dk_host_op_vmo_query,
    .mmio_map = dk_host_op_mmio_map,
    .mmio_query = dk_host_op_mmio_query,
    .mmio_read = dk_host_op_mmio_read,
    .mmio_write = dk_host_op_mmio_write,
    .barrier = dk_host_op_barrier,
    .irq_bind = dk_host_op_irq_bind,
    .irq_ack = dk_host_op_irq_ack,
    /* No kernel fences in the host backend: DriverKit fences are library-only here. */
};

static int dk_host_ok(const struct dk_host *h)
{
    return h != NULL && h->magic == DK_HOST_MAGIC;
}

int dk_host_init(struct dk_host *h, void *arena, size_t arena_size, uint64_t start_ns)
{
    if (h == NULL || arena == NULL)
        return DK_E_INVAL;
    if (arena_size == 0)
        return DK_E_INVAL;
    memset(h, 0, sizeof(*h));
    h->arena = (uint8_t *)arena;
    h->arena_size = arena_size;
    h->now = start_ns;
    h->dma_gen = 1;
    if (dk_backend_init(&h->base, &dk_host_ops, h, NULL) != DK_OK)
        return DK_E_CORRUPT;
    h->magic = DK_HOST_MAGIC;
    return DK_OK;
}

int dk_host_fini(struct dk_host *h)
{
    if (h != NULL)
        memset(h, 0, sizeof(*h));
    return DK_OK;
}

const struct dk_backend *dk_host_backend(const struct dk_host *h)
{
    return dk_host_ok(h) ? &h->base : NULL;
}

struct dk_host *dk_host_from_backend(const struct dk_backend *be)
{
    if (be == NULL || be->ops != &dk_host_ops)
        return NULL;
    return DK_CONTAINER_OF(be, struct dk_host, base);
}

uint64_t dk_host_now(const struct dk_host *h)
{
    return dk_host_ok(h) ? h->now : 0;
}

int dk_host_advance(struct dk_host *h, uint64_t ns)
{
    uint64_t target;
    uint32_t fired = 0;
    int idx;

    if (!dk_host_ok(h))
        return DK_E_INVAL;
    if (ns > UINT64_MAX - h->now)
        return DK_E_RANGE;
    target = h->now + ns;
    /* BOUND: an event may reschedule itself at the same instant for ever;
     * DK_HOST_FIRE_MAX stops such a simulation instead of hanging. */
    while ((idx = dk_host_next_event(h, target)) >= 0) {
        if (fired++ == DK_HOST_FIRE_MAX)
            return DK_E_BUSY;
        dk_host_fire(h, idx);
    }
    h->now = target;
    return DK_OK;
}

int dk_host_schedule(struct dk_host *h, uint64_t at_ns, dk_host_event_fn fn, void *arg,
                     uint32_t *id)
{
    unsigned i;

    if (!dk_host_ok(h) || fn == NULL || at_ns < h->now)
        return DK_E_INVAL;
    for (i = 0; i < DK_HOST_EVENTS_MAX; i++) {
        struct dk_host_event *e = &h->events[i];
        if (e->live)
            continue;
        e->at = at_ns;
        e->seq = ++h->seq;
        e->fn = fn;
        e->arg = arg;
        e->live = 1;
        if (i >= h->event_top)
            h->event_top = i + 1u;
        if (id != NULL)
            *id = i + 1u;
        return DK_OK;
    }
    return DK_E_NO_SPACE;
}

int dk_host_cancel(struct dk_host *h, uint32_t id)
{
    if (!dk_host_ok(h) || id == 0)
        return DK_E_INVAL;
    if (id > DK_HOST_EVENTS_MAX || !h->events[id - 1].live)
        return DK_E_NOT_FOUND;
    dk_host_event_free(h, id - 1u);
    return DK_OK;
}

int dk_host_window_add(struct dk_host *h, uint64_t cap, uint64_t phys, uint64_t len, uint32_t irq,
                       const struct dk_host_mmio_ops *ops, void *dev)
{
    unsigned i;

    if (!dk_host_ok(h) || ops == NULL || len < 4 || len > DK_HOST_WINDOW_LEN_MAX ||
        irq >= DK_HOST_IRQS)
        return DK_E_INVAL;
    if (dk_host_window_by_cap(h, cap) != NULL)
        return DK_E_EXISTS;
    for (i = 0; i < DK_HOST_WINDOWS_MAX; i++) {
        struct dk_host_window *w = &h->windows[i];
        if (w->used)
            continue;
        memset(w, 0, sizeof(*w));
        w->cap = cap;
        w->phys = phys;
        w->len = len;
        w->irq = irq;
        w->ops = ops;
        w->dev = dev;
        w->used = 1;
        return DK_OK;
    }
    return DK_E_NO_SPACE;
}

int dk_host_window_remove(struct dk_host *h, uint64_t cap)
{
    struct dk_host_window *w;

    if (!dk_host_ok(h))
        return DK_E_INVAL;
    w = dk_host_window_by_cap(h, cap);
    if (w == NULL)
        return DK_E_NOT_FOUND;
    memset(w, 0, sizeof(*w));
    return DK_OK;
}

int dk_host_grant(struct dk_host *h, uint64_t cap)
{
    struct dk_host_window *w;

    if (!dk_host_ok(h))
        return DK_E_INVAL;
    w = dk_host_window_by_cap(h, cap);
    if (w == NULL)
        return DK_E_NOT_FOUND;
    w->granted = 1;
    return DK_OK;
}

int dk_host_revoke(struct dk_host *h, uint64_t cap)
{
    struct dk_host_window *w;

    if (!dk_host_ok(h))
        return DK_E_INVAL;
    w = dk_host_window_by_cap(h, cap);
    if (w == NULL)
        return DK_E_NOT_FOUND;
    w->granted = 0;
    w->mapped = 0;
    return DK_OK;
}

int dk_host_raise_irq(struct dk_host *h, uint32_t irq)
{
    if (!dk_host_ok(h) || irq >= DK_HOST_IRQS)
        return DK_E_INVAL;
    h->irq_pending |= 1u << irq;
    h->stats.irqs_raised++;
    return DK_OK;
}

/* Is [off, off + len) inside live VMO @v? */
static int dk_host_vmo_holds(const struct dk_host_vmo *v, uint64_t off, uint64_t len)
{
    return v->live && off >= v->off && off - v->off < v->len && len <= v->len - (off - v->off);
}

/* The slot of the live VMO holding [off, off + len), or DK_HOST_VMOS_MAX. */
static unsigned dk_host_dma_slot(struct dk_host *h, uint64_t off, uint64_t len)
{
    unsigned i, k;

    /* SECURITY: a device may only touch memory inside one live VMO. The
     * VMOs that answered last are tried first (a device works on a few:
     * its rings, request headers, data buffers); a hint is only a slot
     * number, checked like any other. */
    for (k = 0; k < sizeof h->dma_hint; k++)
        if (dk_host_vmo_holds(&h->vmos[h->dma_hint[k]], off, len))
            goto hit;
    for (i = 0; i < h->vmo_top; i++)
        if (dk_host_vmo_holds(&h->vmos[i], off, len))
            break;
    if (i == h->vmo_top)
        return DK_HOST_VMOS_MAX;
    k = sizeof h->dma_hint - 1u;
    h->dma_hint[k] = (uint8_t)i;
hit:
    /* Move the slot that answered to the front. */
    for (i = h->dma_hint[k]; k > 0; k--)
        h->dma_hint[k] = h->dma_hint[k - 1u];
    h->dma_hint[0] = (uint8_t)i;
    return i;
}

void *dk_host_dma_vmo(struct dk_host *h, uint64_t dma, uint64_t len, uint64_t *vmo_dma,
                      uint64_t *vmo_len)
{
    unsigned i;

    if (!dk_host_ok(h) || dma < DK_HOST_DMA_BASE || len == 0)
        return NULL;
    dma -= DK_HOST_DMA_BASE;
    i = dk_host_dma_slot(h, dma, len);
    if (i == DK_HOST_VMOS_MAX)
        return NULL;
    if (vmo_dma != NULL)
        *vmo_dma = DK_HOST_DMA_BASE + h->vmos[i].off;
    if (vmo_len != NULL)
        *vmo_len = h->vmos[i].len;
    return h->arena + dma;
}

void *dk_host_dma_ptr(struct dk_host *h, uint64_t dma, uint64_t len)
{
    return dk_host_dma_vmo(h, dma, len, NULL, NULL);
}

int dk_host_stats(const struct dk_host *h, struct dk_host_stats *out)
{
    if (!dk_host_ok(h) || out == NULL)
        return DK_E_INVAL;
    *out = h->stats;
    return DK_OK;
}
