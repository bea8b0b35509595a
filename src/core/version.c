/* SPDX-License-Identifier: Apache-2.0 */
#include <driverkit/version.h>

uint32_t dk_version(void)
{
    return DK_VERSION;
}
