/*
 * The task's capability table and its device-MMIO windows. Every capability error
 * (empty slot, out of range, wrong kind, missing right) is -EPERM, as the ABI says;
 * only a full table is -ENOSPC.
 */
#include "sv.h"

#define HINT_ANY UINT64_MAX

static struct sv_cap caps[SV_NCAPS];

struct window {
    uint64_t base;
    uint64_t len;
    uint8_t mapped; /* PMP entry open */
};
static struct window windows[SV_VIRTIO_SLOTS];

void sv_cap_init(void)
{
    for (unsigned i = 0; i < SV_VIRTIO_SLOTS; i++) {
        windows[i].base = SV_VIRTIO_BASE + 0x1000ul * i;
        windows[i].len = 0x1000;
    }
    /* ABI.md: the first -device (virtio-blk) lands in slot 7, the next (rng) in slot 6. */
    sv_cap_set(1, SV_CAP_DEVICE, SV_RIGHT_MAP, 7);
    sv_cap_set(2, SV_CAP_DEVICE, SV_RIGHT_MAP, 6);
    sv_cap_set(3, SV_CAP_DEVICE, 0, 5); /* present, not permitted */
}

/* A free slot: the hint if it is a valid empty slot, any free slot for usize::MAX. */
int64_t sv_cap_pick(uint64_t hint)
{
    if (hint != HINT_ANY) {
        if (hint == 0 || hint >= SV_NCAPS || caps[hint].kind != SV_CAP_EMPTY)
            return -SV_EPERM;
        return (int64_t)hint;
    }
    for (unsigned i = 1; i < SV_NCAPS; i++)
        if (caps[i].kind == SV_CAP_EMPTY)
            return i;
    return -SV_ENOSPC;
}

void sv_cap_set(uint64_t slot, uint8_t kind, uint8_t rights, uint16_t obj)
{
    caps[slot].kind = kind;
    caps[slot].rights = rights;
    caps[slot].obj = obj;
}

struct sv_cap *sv_cap_get(uint64_t slot, uint8_t kind)
{
    if (slot == 0 || slot >= SV_NCAPS || caps[slot].kind == SV_CAP_EMPTY)
        return NULL;
    if (caps[slot].kind != kind)
        return NULL;
    return &caps[slot];
}

static struct sv_cap *any_cap(uint64_t slot)
{
    if (slot == 0 || slot >= SV_NCAPS || caps[slot].kind == SV_CAP_EMPTY)
        return NULL;
    return &caps[slot];
}

int64_t sv_sys_cap_query(uint64_t cap, uint64_t ptr)
{
    struct sv_cap *c = any_cap(cap);
    uint64_t out[3];

    if (!c || (c->kind != SV_CAP_VMO && c->kind != SV_CAP_DEVICE))
        return -SV_EPERM;
    if (!sv_user_range(ptr, sizeof(out), 1))
        return -SV_EFAULT;
    out[0] = c->kind; /* u32 kind; u32 reserved = 0 (little-endian) */
    if (c->kind == SV_CAP_VMO) {
        sv_vmo_query(c->obj, &out[1], &out[2]);
    } else {
        out[1] = windows[c->obj].base;
        out[2] = windows[c->obj].len;
    }
    /* The pointer need not be aligned: copy bytes. */
    for (unsigned i = 0; i < sizeof(out); i++)
        ((volatile uint8_t *)ptr)[i] = ((const uint8_t *)out)[i];
    return 0;
}

int64_t sv_sys_cap_close(uint64_t cap)
{
    struct sv_cap *c = any_cap(cap);

    if (!c)
        return -SV_EPERM;
    switch (c->kind) {
    case SV_CAP_VMO:
        sv_vmo_cap_closed(c->obj);
        break;
    case SV_CAP_ENDPOINT:
        sv_endpoint_cap_closed(c->obj);
        break;
    case SV_CAP_WAITSET:
        sv_waitset_cap_closed(c->obj);
        break;
    case SV_CAP_FENCE:
        sv_fence_cap_closed(c->obj);
        break;
    default: /* device: an open window stays mapped until vm_unmap */
        break;
    }
    sv_cap_set(cap, SV_CAP_EMPTY, 0, 0);
    return 0;
}

/*
 * The whole 4 KiB window is opened in PMP (its granule); the address returned is
 * base + off, and [off, off + len) must lie inside the window.
 */
int64_t sv_sys_mmio_map_auto(uint64_t cap, uint64_t off, uint64_t len)
{
    struct sv_cap *c = sv_cap_get(cap, SV_CAP_DEVICE);
    struct window *w;

    if (!c || !(c->rights & SV_RIGHT_MAP))
        return -SV_EPERM;
    w = &windows[c->obj];
    if (len == 0 || off >= w->len || len > w->len - off)
        return -SV_EINVAL;
    if (!w->mapped) {
        sv_pmp_mmio(c->obj, 1);
        w->mapped = 1;
    }
    return (int64_t)(w->base + off);
}

/* vm_unmap of MMIO: close every open window that [va, end) overlaps; how many. */
int sv_mmio_unmap_range(uint64_t va, uint64_t end)
{
    int n = 0;

    for (unsigned i = 0; i < SV_VIRTIO_SLOTS; i++) {
        struct window *w = &windows[i];

        if (w->mapped && va < w->base + w->len && end > w->base) {
            sv_pmp_mmio(i, 0);
            w->mapped = 0;
            n++;
        }
    }
    return n;
}
