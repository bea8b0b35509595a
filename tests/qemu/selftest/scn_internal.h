/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Shared by scenarios.c (the scenarios) and scn_support.c (the plumbing
 * under them: printing, checks, device pumps, bounded waits, core objects).
 * Not part of the library; freestanding like the scenarios.
 */
#ifndef DK_SELFTEST_SCN_INTERNAL_H
#define DK_SELFTEST_SCN_INTERNAL_H

#include "scenarios.h"

#include <driverkit/fence.h>
#include <driverkit/ledger.h>
#include <driverkit/queue.h>
#include <driverkit/status.h>
#include <driverkit/virtio.h>

#define SCN_QSIZE 16u           /* virtqueue entries (blk and rng) */
#define SCN_SPINS 100000u       /* BOUND: wake-ups one wait loop accepts */
#define SCN_TICKET (1ull << 63) /* cookie bit: the low bits are a queue ticket */
#define SCN_RAW_MAX 8u          /* ticketless request slots */
#define SCN_BP_CAP 4u           /* backpressure queue capacity */
#define SCN_SECTOR 512u

/* One DMA area (a VMO) for every buffer the device reads or writes. */
#define SCN_DMA_BYTES 8192u
#define SCN_ID_OFF 0u   /* 20-byte GET_ID answer */
#define SCN_RNG_OFF 64u /* 64 random bytes */
#define SCN_RNG_LEN 64u
#define SCN_SEC0_OFF 512u /* sector 0 as read */
#define SCN_A_OFF 1024u   /* pattern written */
#define SCN_B_OFF 1536u   /* pattern read back */
#define SCN_C_OFF 2048u   /* SCN_BP_CAP sectors for backpressure */
#define SCN_D_OFF 4096u   /* fence-wait read */

#define SCN_VQ_STORE (SCN_QSIZE * (sizeof(struct dk_virtq_head) + sizeof(uint16_t)))

struct scn_fail {
    const char *scenario;
    const char *check;
    int got;
    int want; /* DK_OK: no particular status was wanted */
};

struct scn_state {
    const struct dk_scn_platform *p;
    const struct dk_backend *be;
    struct dk_virtio_dev probe;
    struct dk_vblk blk;
    struct dk_vrng rng;
    _Alignas(8) uint8_t blk_store[SCN_VQ_STORE];
    _Alignas(8) uint8_t rng_store[SCN_VQ_STORE];
    uint64_t dma_vmo, dma_addr;
    uint8_t *dma;
    /* Ticketless requests: done flag, status, used length. */
    uint8_t raw_done[SCN_RAW_MAX];
    int raw_status[SCN_RAW_MAX];
    uint32_t raw_len[SCN_RAW_MAX];
    /* The queue whose tickets the blk pump resolves. */
    struct dk_queue *q;
    uint32_t irq_events;  /* DK_EVENT_IRQ reports seen by the pumps */
    uint32_t pump_errors; /* completions that named no open ticket */
    /* Core objects. */
    struct dk_ledger ledger;
    struct dk_client clients[2];
    uint16_t client;
    struct dk_fence_table fences;
    struct dk_fence fence_slots[4];
    struct dk_queue queue;
    struct dk_queue_slot qslots[8];
    uint8_t outcome[64]; /* by ticket, as retired */
    uint32_t retired;
    struct scn_fail fail;
};

/* The one run in progress (scenarios are not reentrant: one driver thread). */
extern struct scn_state scn;

/* Helpers (scn_support.c). */
void scn_zero(void *p, size_t n);
int scn_same(const uint8_t *a, const uint8_t *b, size_t n);
size_t scn_len(const char *s);
void scn_print(const char *const *parts, size_t n);
/* @v in decimal, in @buf; returns where the digits start. */
const char *scn_dec(char buf[21], uint64_t v);
uint64_t scn_now(void);
int scn_fail_at(const char *scenario, const char *check, int got, int want);
int scn_blk_pump(void *arg, uint32_t events);
int scn_rng_pump(void *arg, uint32_t events);
int scn_wait_until(const uint8_t *flag, int (*pump)(void *, uint32_t));
/* Block on the backend alone (no pump, nothing harvested) until it reports
 * an interrupt: DK_OK with DK_EVENT_IRQ in *events, or DK_E_TIMED_OUT. */
int scn_wait_irq(uint32_t *events);
/* A ticketless blk request in slot @idx, posted and kicked (post) or also
 * waited for (raw: returns its completion status). */
int scn_blk_post(unsigned idx, unsigned type, uint64_t sector, uint32_t off, uint32_t len);
int scn_blk_raw(unsigned idx, unsigned type, uint64_t sector, uint32_t off, uint32_t len);
int scn_blk_ticket(unsigned type, uint64_t sector, uint32_t off, uint64_t *ticket);
int scn_core_up(uint32_t cap, uint32_t *cfence);
int scn_core_down(uint32_t cfence);

/* Print the strings, in order, as one line. */
#define SCN_LINE(...)                                                                              \
    scn_print((const char *const[]){__VA_ARGS__},                                                  \
              sizeof((const char *const[]){__VA_ARGS__}) / sizeof(const char *))

/* Checks. `got` is evaluated once. */
#define SCN_OK(where, check, expr)                                                                 \
    do {                                                                                           \
        int got_ = (expr);                                                                         \
        if (got_ != DK_OK)                                                                         \
            return scn_fail_at(where, check, got_, DK_OK);                                         \
    } while (0)
#define SCN_EXPECT(where, check, expr, want)                                                       \
    do {                                                                                           \
        int got_ = (expr);                                                                         \
        if (got_ != (want))                                                                        \
            return scn_fail_at(where, check, got_, want);                                          \
    } while (0)
#define SCN_TRUE(where, check, cond, status)                                                       \
    do {                                                                                           \
        if (!(cond))                                                                               \
            return scn_fail_at(where, check, status, DK_OK);                                       \
    } while (0)

#endif /* DK_SELFTEST_SCN_INTERNAL_H */
