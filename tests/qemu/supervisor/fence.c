/*
 * Timeline fences: a u64 value that only grows (signal sets max(value, new)). There is
 * one U-mode thread, so nothing can signal a fence while its only thread waits: a wait on
 * an unreached fence polls the clock until its deadline.
 */
#include "sv.h"

#define NFENCE 64 /* the kernel's bound on live fences */

struct fence {
    uint8_t used;
    uint64_t value;
};

static struct fence fences[NFENCE];

int64_t sv_sys_fence_create(void)
{
    int64_t slot = sv_cap_pick(UINT64_MAX);
    unsigned i;

    if (slot < 0)
        return slot;
    for (i = 0; i < NFENCE && fences[i].used; i++)
        ;
    if (i == NFENCE)
        return -SV_ENOMEM;
    fences[i] = (struct fence){.used = 1};
    sv_cap_set((uint64_t)slot, SV_CAP_FENCE, 0, (uint16_t)i);
    return slot;
}

int64_t sv_sys_fence_signal(uint64_t f, uint64_t value)
{
    struct sv_cap *c = sv_cap_get(f, SV_CAP_FENCE);

    if (!c)
        return -SV_EPERM;
    if (value > fences[c->obj].value)
        fences[c->obj].value = value;
    return 0;
}

int64_t sv_sys_fence_wait(uint64_t f, uint64_t target, uint64_t deadline)
{
    struct sv_cap *c = sv_cap_get(f, SV_CAP_FENCE);

    if (!c)
        return -SV_EPERM;
    if (fences[c->obj].value >= target)
        return 0;
    if (deadline == 0)
        sv_fatal("fence_wait forever on an unreached fence: no other thread can signal it");
    while (sv_now_ns() < deadline)
        ;
    return -SV_ETIMEDOUT;
}

void sv_fence_cap_closed(uint16_t obj)
{
    fences[obj].used = 0;
}
