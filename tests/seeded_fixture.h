/* SPDX-License-Identifier: Apache-2.0 */
/*
 * What the seeded comparison tests share (test_wire_fast, test_wire_wide,
 * test_service_fast, test_submit_fast): a xorshift64* generator started
 * from the includer's DK_TEST_SEED, so every run draws the same inputs,
 * and a tally of the reasons the comparisons met, so a test can show its
 * inputs reach every check it is about (a generator that drifts would
 * otherwise pass quietly).
 */
#ifndef DK_TEST_SEEDED_FIXTURE_H
#define DK_TEST_SEEDED_FIXTURE_H

#include <criterion/criterion.h>
#include <driverkit/status.h>

#include <stddef.h>
#include <stdint.h>

#ifndef DK_TEST_SEED
#error "define DK_TEST_SEED before including seeded_fixture.h"
#endif

static uint64_t rng = DK_TEST_SEED;

static inline uint64_t rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static inline uint32_t pick(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

static unsigned seen[2048];

static inline void saw(enum dk_reason r)
{
    seen[(unsigned)r < sizeof seen / sizeof seen[0] ? (unsigned)r : 0]++;
}

static inline void saw_all(const enum dk_reason *list, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        cr_expect_gt(seen[list[i]], 0, "%s: no input met %s", what, dk_reason_str(list[i]));
}

#endif /* DK_TEST_SEEDED_FIXTURE_H */
