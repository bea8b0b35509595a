/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file driverkit.h
 * @brief Umbrella header: the whole DriverKit v1 core API.
 *        Backends have their own headers (host.h).
 */
#ifndef DRIVERKIT_DRIVERKIT_H
#define DRIVERKIT_DRIVERKIT_H

#include <driverkit/audit.h>
#include <driverkit/backend.h>
#include <driverkit/buf.h>
#include <driverkit/common.h>
#include <driverkit/device.h>
#include <driverkit/errmap.h>
#include <driverkit/fence.h>
#include <driverkit/ledger.h>
#include <driverkit/queue.h>
#include <driverkit/status.h>
#include <driverkit/submit.h>
#include <driverkit/version.h>
#include <driverkit/waitset.h>
#include <driverkit/wire.h>

#endif /* DRIVERKIT_DRIVERKIT_H */
