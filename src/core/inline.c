/* SPDX-License-Identifier: Apache-2.0 */
/* Emits one out-of-line, externally visible copy of every DK_INLINE function
 * in the public headers, for FFI users and debuggers. Nothing else may
 * define DK_INLINE. The prototypes are the inline definitions themselves. */
#pragma GCC diagnostic ignored "-Wmissing-prototypes"
#define DK_INLINE
#include <driverkit/driverkit.h>
