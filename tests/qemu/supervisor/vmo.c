/*
 * VMOs carved from the pool at SV_POOL_BASE, 4 KiB granular, zero-filled on create.
 * No MMU: vm_map is the identity and returns base + offset. One mapping per VMO.
 * PMP has one NAPOT entry for the whole pool, open while any VMO is mapped: it keeps
 * U-mode out of the pool when nothing is mapped, but cannot tell VMOs apart.
 *
 * A VMO lives while its cap or its mapping does: cap_close of a mapped VMO leaves it
 * alive until vm_unmap; vmo_destroy refuses (-EBUSY) while it is mapped.
 */
#include "sv.h"

#define NVMO 64
#define NPAGES (SV_POOL_SIZE / SV_PAGE)

#define MAP_VALID 1u
#define MAP_READ 2u
#define MAP_WRITE 4u
#define MAP_EXECUTE 8u
#define MAP_USER 16u

struct vmo {
    uint8_t used;
    uint8_t capped; /* a cap still names it */
    uint8_t mapped;
    uint64_t base, len;        /* len is a multiple of SV_PAGE */
    uint64_t map_off, map_len; /* valid while mapped */
};

static struct vmo vmos[NVMO];
static uint64_t page_used[NPAGES / 64];
static unsigned nmapped;

static int page_busy(uint64_t i)
{
    return (page_used[i / 64] >> (i % 64)) & 1;
}

static void pages_mark(uint64_t first, uint64_t n, int busy)
{
    for (uint64_t i = first; i < first + n; i++) {
        if (busy)
            page_used[i / 64] |= 1ul << (i % 64);
        else
            page_used[i / 64] &= ~(1ul << (i % 64));
    }
}

/* First fit; returns the first page index or -1. */
static int64_t pages_find(uint64_t n)
{
    uint64_t run = 0;

    for (uint64_t i = 0; i < NPAGES; i++) {
        run = page_busy(i) ? 0 : run + 1;
        if (run == n)
            return (int64_t)(i + 1 - n);
    }
    return -1;
}

static void vmo_free(struct vmo *v)
{
    pages_mark((v->base - SV_POOL_BASE) / SV_PAGE, v->len / SV_PAGE, 0);
    v->used = 0;
}

static void set_mapped(struct vmo *v, int mapped)
{
    v->mapped = (uint8_t)mapped;
    nmapped = mapped ? nmapped + 1 : nmapped - 1;
    sv_pmp_pool(nmapped != 0);
}

int64_t sv_sys_vmo_create(uint64_t hint, uint64_t len, uint64_t zero)
{
    int64_t slot, first;
    uint64_t npages;
    unsigned i;

    if (zero != 0 || len == 0)
        return -SV_EINVAL;
    if (len > SV_POOL_SIZE) /* BOUND: also keeps the round-up below from overflowing */
        return -SV_ENOMEM;
    slot = sv_cap_pick(hint);
    if (slot < 0)
        return slot;
    for (i = 0; i < NVMO && vmos[i].used; i++)
        ;
    if (i == NVMO)
        return -SV_ENOMEM;
    npages = (len + SV_PAGE - 1) / SV_PAGE;
    first = pages_find(npages);
    if (first < 0)
        return -SV_ENOMEM;
    pages_mark((uint64_t)first, npages, 1);
    vmos[i] = (struct vmo){
        .used = 1,
        .capped = 1,
        .base = SV_POOL_BASE + (uint64_t)first * SV_PAGE,
        .len = npages * SV_PAGE,
    };
    for (uint64_t *p = (uint64_t *)vmos[i].base; p < (uint64_t *)(vmos[i].base + vmos[i].len); p++)
        *p = 0;
    sv_cap_set((uint64_t)slot, SV_CAP_VMO, SV_RIGHT_MAP, (uint16_t)i);
    return slot;
}

int64_t sv_sys_vmo_destroy(uint64_t cap)
{
    struct sv_cap *c = sv_cap_get(cap, SV_CAP_VMO);

    if (!c)
        return -SV_EPERM;
    if (vmos[c->obj].mapped)
        return -SV_EBUSY;
    vmo_free(&vmos[c->obj]);
    sv_cap_set(cap, SV_CAP_EMPTY, 0, 0);
    return 0;
}

void sv_vmo_cap_closed(uint16_t obj)
{
    vmos[obj].capped = 0;
    if (!vmos[obj].mapped)
        vmo_free(&vmos[obj]);
}

void sv_vmo_query(uint16_t obj, uint64_t *base, uint64_t *len)
{
    *base = vmos[obj].base;
    *len = vmos[obj].len;
}

/*
 * flags: READ is required; EXECUTE is refused (-EPERM: the pool is never executable);
 * unknown bits are -EINVAL. WRITE is not enforced separately: PMP grants the pool RW.
 */
int64_t sv_sys_vm_map(uint64_t cap, uint64_t off, uint64_t len, uint64_t flags)
{
    struct sv_cap *c = sv_cap_get(cap, SV_CAP_VMO);
    struct vmo *v;

    if (!c || !(c->rights & SV_RIGHT_MAP))
        return -SV_EPERM;
    v = &vmos[c->obj];
    if (flags & ~(uint64_t)(MAP_VALID | MAP_READ | MAP_WRITE | MAP_EXECUTE | MAP_USER))
        return -SV_EINVAL;
    if (flags & MAP_EXECUTE)
        return -SV_EPERM;
    if (!(flags & MAP_READ))
        return -SV_EINVAL;
    if (len == 0 || (off % SV_PAGE) != 0 || off >= v->len || len > v->len - off)
        return -SV_EINVAL;
    if (v->mapped)
        return -SV_EEXIST; /* identity mapping: its address is already mapped */
    v->map_off = off;
    v->map_len = (len + SV_PAGE - 1) & ~(SV_PAGE - 1); /* cannot pass v->len - off */
    set_mapped(v, 1);
    return (int64_t)(v->base + off);
}

/* Removes every mapping [va, va + len) overlaps (whole mappings: no partial unmap). */
int64_t sv_sys_vm_unmap(uint64_t va, uint64_t len)
{
    uint64_t end = va + len;
    int n = 0;

    if (len == 0 || end < va)
        return -SV_EINVAL;
    for (unsigned i = 0; i < NVMO; i++) {
        struct vmo *v = &vmos[i];
        uint64_t lo = v->base + v->map_off;

        if (!v->used || !v->mapped || va >= lo + v->map_len || end <= lo)
            continue;
        set_mapped(v, 0);
        if (!v->capped)
            vmo_free(v);
        n++;
    }
    n += sv_mmio_unmap_range(va, end);
    return n ? 0 : -SV_ENOENT;
}

int sv_vmo_range_mapped(uint64_t p, uint64_t n)
{
    uint64_t end = p + n;

    if (end < p)
        return 0;
    for (unsigned i = 0; i < NVMO; i++) {
        const struct vmo *v = &vmos[i];
        uint64_t lo = v->base + v->map_off;

        if (v->used && v->mapped && p >= lo && end <= lo + v->map_len)
            return 1;
    }
    return 0;
}
