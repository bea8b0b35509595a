/* SPDX-License-Identifier: Apache-2.0 */
/*
 * bench_wire: parse-and-validate throughput of a typical submit frame
 * (2 waits, 2 signals, 8 buffer refs, 8 commands of 80 bytes: 992 bytes),
 * next to a plain memcpy of the same bytes, measured in the same run.
 *
 *   bench_wire [--iters=N] [--reps=R]   timed table (default N = 2^18, R = 15)
 *   bench_wire --callgrind=ITER         ITER parses (or copies with --copy), no timing,
 *                                       for bench/callgrind.sh-style instruction counts
 *
 * Not a test: it prints what it measured and exits nonzero only if a parse
 * failed (then no figure would mean anything) or on a usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <driverkit/buf.h>
#include <driverkit/wire.h>

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BARRIER() atomic_signal_fence(memory_order_seq_cst)

static struct dk_frame frame;
static uint8_t wire[DK_WIRE_FRAME_MAX];
static uint8_t copy_dst[DK_WIRE_FRAME_MAX];
static size_t wire_len;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int build_typical(void)
{
    static uint8_t payload[80];
    unsigned i;

    memset(payload, 0xa5, sizeof(payload));
    dk_frame_init(&frame, 1, 0);
    dk_frame_add_wait(&frame, 0x00010001, 3);
    dk_frame_add_wait(&frame, 0x00010002, 4);
    dk_frame_add_signal(&frame, 0x00010003, 5);
    dk_frame_add_signal(&frame, 0x00010004, 6);
    for (i = 0; i < 8; i++)
        dk_frame_add_buf(&frame, 0x00010005 + i, DK_BUF_READ, i * 4096u, 4096);
    for (i = 0; i < 8; i++)
        dk_frame_add_cmd(&frame, (uint16_t)(0x2001 + i), payload, sizeof(payload));
    return dk_wire_encode(&frame, wire, sizeof(wire), &wire_len, NULL);
}

/* One kernel: N parses. Returns the number of failed parses (must be 0). */
static unsigned run_parse(unsigned n)
{
    unsigned i, bad = 0;
    for (i = 0; i < n; i++) {
        bad += dk_wire_parse(&frame, wire, wire_len, NULL) != DK_OK;
        BARRIER();
    }
    return bad;
}

static void run_copy(unsigned n)
{
    unsigned i;
    for (i = 0; i < n; i++) {
        memcpy(copy_dst, wire, wire_len);
        BARRIER();
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    unsigned iters = 1u << 18, reps = 15, r, callgrind = 0, copy_only = 0;
    double parse_ns[64], copy_ns[64];
    int i;

    for (i = 1; i < argc; i++) {
        if (strncmp(argv[i], "--iters=", 8) == 0)
            iters = (unsigned)strtoul(argv[i] + 8, NULL, 0);
        else if (strncmp(argv[i], "--reps=", 7) == 0)
            reps = (unsigned)strtoul(argv[i] + 7, NULL, 0);
        else if (strncmp(argv[i], "--callgrind=", 12) == 0)
            callgrind = (unsigned)strtoul(argv[i] + 12, NULL, 0);
        else if (strcmp(argv[i], "--copy") == 0)
            copy_only = 1;
        else {
            fprintf(stderr, "usage: bench_wire [--iters=N] [--reps=R] [--callgrind=ITER [--copy]]\n");
            return 2;
        }
    }
    if (iters == 0 || reps == 0 || reps > 64) {
        fprintf(stderr, "bench_wire: iters must be > 0 and reps 1..64\n");
        return 2;
    }
    if (build_typical() != DK_OK) {
        fprintf(stderr, "bench_wire: typical frame does not encode\n");
        return 1;
    }
    if (callgrind) {
        if (copy_only)
            run_copy(callgrind);
        else if (run_parse(callgrind) != 0)
            return 1;
        return 0;
    }
    if (run_parse(1024) != 0) { /* warm-up, and the parse must succeed */
        fprintf(stderr, "bench_wire: typical frame does not parse\n");
        return 1;
    }
    run_copy(1024);
    /* Alternate the two kernels so machine noise lands on both. */
    for (r = 0; r < reps; r++) {
        double t0 = now_ns();
        if (run_parse(iters) != 0)
            return 1;
        parse_ns[r] = (now_ns() - t0) / iters;
        t0 = now_ns();
        run_copy(iters);
        copy_ns[r] = (now_ns() - t0) / iters;
    }
    qsort(parse_ns, reps, sizeof(double), cmp_double);
    qsort(copy_ns, reps, sizeof(double), cmp_double);
    printf("frame: %zu bytes (2 waits, 2 signals, 8 buffer refs, 8 commands x 80 B)\n", wire_len);
    printf("%-22s %10s %10s %10s %10s\n", "kernel", "median ns", "min ns", "max ns", "GB/s");
    printf("%-22s %10.1f %10.1f %10.1f %10.2f\n", "dk_wire_parse", parse_ns[reps / 2], parse_ns[0],
           parse_ns[reps - 1], (double)wire_len / parse_ns[reps / 2]);
    printf("%-22s %10.1f %10.1f %10.1f %10.2f\n", "memcpy same bytes", copy_ns[reps / 2],
           copy_ns[0], copy_ns[reps - 1], (double)wire_len / copy_ns[reps / 2]);
    printf("parse/memcpy time ratio (medians): %.2f; target >= 4 GB/s: %s\n",
           parse_ns[reps / 2] / copy_ns[reps / 2],
           (double)wire_len / parse_ns[reps / 2] >= 4.0 ? "met" : "NOT met");
    printf("%u iterations x %u repetitions, CLOCK_MONOTONIC\n", iters, reps);
    return 0;
}
