/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file common.h
 * @brief Shared definitions for every libdriverkit header: fixed-width types,
 *        the inline-emission macro and a container-of helper.
 *
 * Only C11 freestanding headers are used here, so the core builds without a
 * C library.
 */
#ifndef DRIVERKIT_COMMON_H
#define DRIVERKIT_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/**
 * Hot paths are defined in headers as `DK_INLINE` functions. Normal users get
 * `static inline` copies. Exactly one library source (src/core/inline.c)
 * defines DK_INLINE as empty before including the headers, which emits one
 * out-of-line copy of each function for FFI users and debuggers.
 */
#ifndef DK_INLINE
#define DK_INLINE static inline
#endif

/** Recover the enclosing struct from a pointer to one of its members. */
#define DK_CONTAINER_OF(ptr, type, member) \
    ((type *)(void *)((char *)(ptr) - offsetof(type, member)))

/** Number of elements of an array object (not a pointer). */
#define DK_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/**
 * Handles name slots in caller-owned tables. A handle packs a 16-bit slot
 * index plus one (so 0 is never valid) and a 16-bit generation that changes
 * every time the slot is reused, which makes stale handles detectable.
 * LIMIT: the generation is 16 bits, so a handle kept across 65536 reuses of
 * one slot would name the slot's current object again.
 */
#define DK_HANDLE_INVALID 0u
#define DK_HANDLE_MAKE(index, gen) \
    ((uint32_t)(((uint32_t)(gen) << 16) | (((uint32_t)(index) + 1u) & 0xffffu)))
#define DK_HANDLE_INDEX(h) ((uint32_t)((h) & 0xffffu) - 1u)
#define DK_HANDLE_GEN(h) ((uint16_t)((h) >> 16))

#endif /* DRIVERKIT_COMMON_H */
