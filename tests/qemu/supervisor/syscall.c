/*
 * System-call dispatch: a7 = number, a0..a5 = arguments, a0 = result (-errno on error).
 * Numbers are the Nexus ABI's; 0x7d0..0x7d2 exist only in this stand-in.
 */
#include "sv.h"

enum {
    NR_NSEC = 1,
    NR_VMO_CREATE = 5,
    NR_IPC_ENDPOINT_CREATE = 19,
    NR_CAP_CLOSE = 20,
    NR_CAP_QUERY = 28,
    NR_IRQ_BIND = 36,
    NR_IRQ_COMPLETE = 37,
    NR_WAITSET_CREATE = 38,
    NR_WAITSET_ADD = 39,
    NR_WAITSET_WAIT = 40,
    NR_FENCE_CREATE = 41,
    NR_FENCE_SIGNAL = 42,
    NR_FENCE_WAIT = 43,
    NR_VMO_DESTROY = 46,
    NR_VM_MAP = 53,
    NR_VM_UNMAP = 54,
    NR_MMIO_MAP_AUTO = 55,
    NR_DEBUG_WRITE = 0x7d0,
    NR_EXIT = 0x7d1,
    NR_TEST_FAULTS = 0x7d2,
};

uint64_t sv_now_ns(void)
{
    uint64_t t;
    __asm__ volatile("csrr %0, time" : "=r"(t));
    return t * 100; /* 10 MHz timebase */
}

static int within(uint64_t p, uint64_t end, uint64_t lo, uint64_t hi)
{
    return p >= lo && end <= hi;
}

/*
 * SECURITY: [p, p + n) must lie wholly inside memory U-mode itself may access that way:
 * its data/stack, a mapped VMO, and (for reads only) its text/rodata. Overflow is refused.
 */
int sv_user_range(uint64_t p, uint64_t n, int write)
{
    uint64_t end = p + n;

    if (end < p)
        return 0;
    if (within(p, end, SV_U_DATA, SV_U_END))
        return 1;
    if (!write && within(p, end, SV_U_TEXT, SV_U_DATA))
        return 1;
    return n != 0 && sv_vmo_range_mapped(p, n);
}

static int64_t sys_debug_write(uint64_t ptr, uint64_t len)
{
    if (len == 0)
        return 0;
    if (!sv_user_range(ptr, len, 0))
        return -SV_EFAULT;
    for (uint64_t i = 0; i < len; i++)
        sv_putc(((const volatile char *)ptr)[i]);
    return (int64_t)len;
}

int64_t sv_syscall(uint64_t nr, const uint64_t a[6])
{
    switch (nr) {
    case NR_NSEC:
        return (int64_t)sv_now_ns();
    case NR_VMO_CREATE:
        return sv_sys_vmo_create(a[0], a[1], a[2]);
    case NR_VMO_DESTROY:
        return sv_sys_vmo_destroy(a[0]);
    case NR_VM_MAP:
        return sv_sys_vm_map(a[0], a[1], a[2], a[3]);
    case NR_VM_UNMAP:
        return sv_sys_vm_unmap(a[0], a[1]);
    case NR_CAP_QUERY:
        return sv_sys_cap_query(a[0], a[1]);
    case NR_MMIO_MAP_AUTO:
        return sv_sys_mmio_map_auto(a[0], a[1], a[2]);
    case NR_CAP_CLOSE:
        return sv_sys_cap_close(a[0]);
    case NR_IPC_ENDPOINT_CREATE:
        return sv_sys_endpoint_create(a[0]);
    case NR_IRQ_BIND:
        return sv_sys_irq_bind(a[0], a[1]);
    case NR_IRQ_COMPLETE:
        return sv_sys_irq_complete(a[0]);
    case NR_WAITSET_CREATE:
        return sv_sys_waitset_create();
    case NR_WAITSET_ADD:
        return sv_sys_waitset_add(a[0], a[1]);
    case NR_WAITSET_WAIT:
        return sv_sys_waitset_wait(a[0], a[1]);
    case NR_FENCE_CREATE:
        return sv_sys_fence_create();
    case NR_FENCE_SIGNAL:
        return sv_sys_fence_signal(a[0], a[1]);
    case NR_FENCE_WAIT:
        return sv_sys_fence_wait(a[0], a[1], a[2]);
    case NR_DEBUG_WRITE:
        return sys_debug_write(a[0], a[1]);
    case NR_EXIT:
        sv_exit(a[0]);
    case NR_TEST_FAULTS:
        return (int64_t)sv_faults;
    default:
        return -SV_ENOSYS;
    }
}
