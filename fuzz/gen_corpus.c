/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Writes the seed corpus for the fuzz targets: a set of valid frames of
 * known shapes, made with the library's own encoder, one file each, named
 * after the shape. Usage: gen_corpus OUTDIR. The corpus is generated, never
 * committed, so every seed has a known origin.
 */
#include <driverkit/buf.h>
#include <driverkit/wire.h>

#include <stdio.h>
#include <string.h>

static struct dk_frame f;
static uint8_t bytes[DK_WIRE_FRAME_MAX];

static int emit(const char *dir, const char *name)
{
    char path[512];
    size_t len;
    FILE *fp;

    if (dk_wire_encode(&f, bytes, sizeof(bytes), &len, NULL) != DK_OK) {
        fprintf(stderr, "gen_corpus: %s does not encode\n", name);
        return 1;
    }
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    fp = fopen(path, "wb");
    if (fp == NULL || fwrite(bytes, 1, len, fp) != len || fclose(fp) != 0) {
        fprintf(stderr, "gen_corpus: cannot write %s\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const uint8_t payload[256] = {1, 2, 3, 4};
    int rc = 0;
    unsigned i;

    if (argc != 2) {
        fprintf(stderr, "usage: gen_corpus OUTDIR\n");
        return 2;
    }
    dk_frame_init(&f, 1, 0);
    rc |= emit(argv[1], "empty");

    dk_frame_init(&f, 2, DK_WIRE_F_BARRIER);
    dk_frame_add_cmd(&f, DK_OP_NOP, NULL, 0);
    rc |= emit(argv[1], "nop-barrier");

    dk_frame_init(&f, 1, 0);
    dk_frame_add_wait(&f, 0x00010001, 3);
    dk_frame_add_wait(&f, 0x00010002, 4);
    dk_frame_add_signal(&f, 0x00010003, 5);
    dk_frame_add_signal(&f, 0x00010004, 6);
    for (i = 0; i < 8; i++)
        dk_frame_add_buf(&f, 0x00010005 + i, DK_BUF_READ, i * 4096u, 4096);
    for (i = 0; i < 8; i++)
        dk_frame_add_cmd(&f, (uint16_t)(0x2001 + i), payload, 80);
    rc |= emit(argv[1], "typical-1k");

    dk_frame_init(&f, 3, 0);
    for (i = 0; i < DK_WIRE_WAITS_MAX; i++)
        dk_frame_add_wait(&f, 0x100u + i, i);
    for (i = 0; i < DK_WIRE_SIGNALS_MAX; i++)
        dk_frame_add_signal(&f, 0x200u + i, 1u + i);
    for (i = 0; i < DK_WIRE_BUFS_MAX; i++)
        dk_frame_add_buf(&f, 0x300u + i, DK_BUF_READ | DK_BUF_WRITE, 0, 512);
    for (i = 0; i < DK_WIRE_CMDS_MAX; i++)
        dk_frame_add_cmd(&f, 0x4000, payload, 16);
    rc |= emit(argv[1], "all-caps");

    dk_frame_init(&f, 0, 0);
    dk_frame_add_buf(&f, 7, DK_BUF_WRITE, UINT64_MAX - 4096, 4096);
    dk_frame_add_cmd(&f, 0x3001, payload, sizeof(payload));
    dk_frame_add_cmd(&f, 0xf123, payload, 1);
    rc |= emit(argv[1], "edge-offsets-vendor");
    return rc;
}
