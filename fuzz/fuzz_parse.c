/* SPDX-License-Identifier: Apache-2.0 */
/*
 * libFuzzer target: raw bytes into the frame parser. Invariants checked on
 * every input (a violation aborts, which libFuzzer reports as a crash):
 *  - a refusal is DK_E_MALFORMED with a DK_R_WIRE_* reason (or INVAL for
 *    nothing at all) and leaves the frame marked invalid;
 *  - an accepted frame re-encodes to exactly the input bytes: v1 has a
 *    single canonical encoding, so the parser accepted nothing it did not
 *    check (reserved bytes, lengths, padding).
 */
#include <driverkit/wire.h>

#include <stdlib.h>
#include <string.h>

static struct dk_frame frame;
static uint8_t out[DK_WIRE_FRAME_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum dk_reason why = DK_R_NONE;
    size_t len = 0;
    int rc = dk_wire_parse(&frame, data, size, &why);

    if (rc != DK_OK) {
        if (frame.magic == DK_FRAME_VALID)
            abort();
        if (rc != DK_E_MALFORMED || why < DK_R_WIRE_TRUNCATED || why > DK_R_WIRE_SIGNAL_ZERO)
            abort();
        if (dk_reason_status(why) != DK_E_MALFORMED)
            abort();
        return 0;
    }
    if (why != DK_R_NONE || dk_wire_size(&frame) != size)
        abort();
    if (dk_wire_encode(&frame, out, sizeof(out), &len, &why) != DK_OK || len != size)
        abort();
    if (memcmp(out, data, size) != 0)
        abort();
    return 0;
}
