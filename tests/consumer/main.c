/* Built against an installed libdriverkit by tests/install-consumer.sh. */
#include <driverkit/driverkit.h>

#include <stdio.h>

int main(void)
{
    unsigned long version = (unsigned long)dk_version();

    printf("driverkit version 0x%06lx, status 0 is \"%s\"\n", version, dk_status_str(0));
    return (version >> 16) == 1 ? 0 : 1;
}
