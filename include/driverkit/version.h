/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file version.h
 * @brief Library version. Rules for moving it: docs/adr/0018.
 */
#ifndef DRIVERKIT_VERSION_H
#define DRIVERKIT_VERSION_H

#include <stdint.h>

#define DK_VERSION_MAJOR 1
#define DK_VERSION_MINOR 0
#define DK_VERSION_PATCH 0

/** Pack a version as 0x00MMmmpp (major, minor, patch; 8 bits each). */
#define DK_VERSION_ENCODE(maj, min, pat) \
    ((uint32_t)(((uint32_t)(maj) << 16) | ((uint32_t)(min) << 8) | (uint32_t)(pat)))

/** The version of the headers the caller compiled against. */
#define DK_VERSION DK_VERSION_ENCODE(DK_VERSION_MAJOR, DK_VERSION_MINOR, DK_VERSION_PATCH)

/**
 * @brief Version of the library actually linked.
 * @return DK_VERSION_ENCODE(major, minor, patch) of the library binary. A
 *         caller built against headers of major M may use the library when
 *         `dk_version() >> 16 == M` and the linked minor is at least the one
 *         it compiled against.
 */
uint32_t dk_version(void);

#endif /* DRIVERKIT_VERSION_H */
