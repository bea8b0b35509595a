/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The device classes behind the simulated transport: virtio-blk on a RAM
 * disk (virtio 5.2), virtio-rng from a seeded generator (5.4) and the
 * copy/fill/checksum accelerator (docs/virtio-accel.md); their config
 * spaces; and the public set-up calls. Device role only.
 *
 * A request's bytes are read and written at completion time, through the
 * pointers its walk translated while the host's DMA generation holds, else
 * through dk_sim_read/dk_sim_write/dk_sim_locate, which translate again.
 * Status is written last, after the data.
 */
#include "sim_internal.h"

#include <string.h>

#define DK_SIM_RNG_MAX 65536u /* BOUND: random bytes per rng request */
#define DK_SIM_LAT_MAX (1ull << 40)

static const uint64_t dk_sim_common_features =
    1ull << DK_VIRTIO_F_INDIRECT_DESC | 1ull << DK_VIRTIO_F_EVENT_IDX;
static const uint64_t dk_sim_blk_features =
    1ull << DK_SIM_BLK_F_SIZE_MAX | 1ull << DK_SIM_BLK_F_SEG_MAX | 1ull << DK_SIM_BLK_F_BLK_SIZE |
    1ull << DK_SIM_BLK_F_FLUSH;

/* With SEG_MAX / SIZE_MAX negotiated, hold the driver to them: data
 * buffers are the chain minus the header and status buffers. */
static int dk_sim_blk_segs_ok(struct dk_sim_dev *d, const struct dk_sim_req *r)
{
    unsigned i;

    if (dk_sim_has(d, DK_SIM_BLK_F_SEG_MAX) && r->nseg > 2u && r->nseg - 2u > d->seg_max)
        goto bad;
    if (dk_sim_has(d, DK_SIM_BLK_F_SIZE_MAX))
        for (i = 1; i + 1u < r->nseg; i++)
            if (r->seg[i].len > d->size_max)
                goto bad;
    return 1;
bad:
    dk_sim_violation(d);
    return 0;
}

static void dk_sim_blk_id(const struct dk_sim_dev *d, uint8_t id[DK_SIM_BLK_ID_BYTES])
{
    static const char prefix[] = "dk-sim-blk-";
    static const char hex[] = "0123456789abcdef";
    unsigned i;

    /* From the configuration only, not the seed: a replay with another
     * seed must read the same id. */
    memset(id, 0, DK_SIM_BLK_ID_BYTES);
    memcpy(id, prefix, sizeof prefix - 1u);
    for (i = 0; i < 8u; i++)
        id[sizeof prefix - 1u + i] = (uint8_t)hex[(d->cap >> (28u - 4u * i)) & 15u];
}

int dk_sim_blk_exec(struct dk_sim_dev *d, const struct dk_sim_req *r, int fail, uint32_t *used_len,
                    uint8_t *status)
{
    uint8_t hdr[16], id[DK_SIM_BLK_ID_BYTES];
    uint64_t in = r->writable - 1u, out = r->readable - 16u, sector;
    uint32_t type;
    uint8_t st = DK_SIM_S_OK;

    *used_len = 1;
    /* The header is usually one buffer translated at take time: read its
     * two fields in place (each once); otherwise gather it. */
    if (r->gen == dk_host_dma_gen(d->host) && r->seg[0].len >= sizeof hdr && r->nread != 0) {
        type = dk_sim_ld32(r->seg[0].ptr);
        sector = dk_sim_ld64(r->seg[0].ptr + 8);
    } else {
        if (dk_sim_read(d, r, 0, hdr, sizeof hdr) != 0)
            return -1;
        type = dk_sim_ld32(hdr);
        sector = dk_sim_ld64(hdr + 8);
    }
    if (fail || r->readable > UINT32_MAX || r->writable > UINT32_MAX) {
        st = DK_SIM_S_IOERR;
    } else if (type == DK_SIM_BLK_T_IN || type == DK_SIM_BLK_T_OUT) {
        int is_in = type == DK_SIM_BLK_T_IN;
        uint64_t n = is_in ? in : out;

        if ((is_in ? out : in) != 0 || !dk_sim_blk_range(d, sector, n) || !dk_sim_blk_segs_ok(d, r))
            st = DK_SIM_S_IOERR;
        else if (is_in && dk_sim_write(d, r, 0, d->disk + sector * DK_SIM_SECTOR, n) != 0)
            return -1;
        else if (!is_in && dk_sim_read(d, r, 16, d->disk + sector * DK_SIM_SECTOR, n) != 0)
            return -1;
        else if (is_in)
            *used_len = (uint32_t)n + 1u;
    } else if (type == DK_SIM_BLK_T_FLUSH || (type == DK_SIM_BLK_T_FLUSH_OUT && d->version == 1)) {
        /* The RAM disk is always durable; FLUSH exists only if negotiated. */
        st = dk_sim_has(d, DK_SIM_BLK_F_FLUSH) ? DK_SIM_S_OK : DK_SIM_S_UNSUPP;
    } else if (type == DK_SIM_BLK_T_GET_ID) {
        uint64_t n = in < DK_SIM_BLK_ID_BYTES ? in : DK_SIM_BLK_ID_BYTES;

        dk_sim_blk_id(d, id);
        if (dk_sim_write(d, r, 0, id, n) != 0)
            return -1;
        *used_len = (uint32_t)n + 1u;
    } else {
        st = DK_SIM_S_UNSUPP;
    }
    *status = st;
    /* The status byte ends the last buffer, which is writable (shape). */
    if (r->gen == dk_host_dma_gen(d->host)) {
        const struct dk_sim_seg *last = &r->seg[r->nseg - 1u];
        last->ptr[last->len - 1u] = st;
        return 0;
    }
    return dk_sim_write(d, r, r->writable - 1u, &st, 1);
}

/* Length and bytes of an rng answer follow from the request's seed alone:
 * mostly the whole buffer, one time in four a shorter (never empty) one. */
static int dk_sim_rng_exec(struct dk_sim_dev *d, const struct dk_sim_req *r, int fail,
                           uint32_t *used_len, uint8_t *status)
{
    uint64_t g = r->rng_seed, n = r->writable, off = 0;

    *status = DK_SIM_S_OK;
    *used_len = 0;
    if (fail)
        return 0;
    if (n > DK_SIM_RNG_MAX)
        n = DK_SIM_RNG_MAX;
    if ((r->rng_seed & 3u) == 0)
        n = 1u + (r->rng_seed >> 8) % n;
    *used_len = (uint32_t)n;
    while (off < n) {
        uint64_t rem, i;
        uint8_t *p = dk_sim_locate(d, r, 1, off, &rem);

        if (p == NULL)
            return -1;
        if (rem > n - off)
            rem = n - off;
        for (i = 0; i < rem; i += 8u) {
            uint64_t w = dk_sim_mix(&g);
            unsigned k;

            for (k = 0; k < 8u && i + k < rem; k++)
                p[i + k] = (uint8_t)(w >> (8u * k));
        }
        off += rem;
    }
    return 0;
}

/* COPY: the readable bytes after the header onto the writable bytes before
 * the status, buffer piece by buffer piece (memmove: they may overlap). */
static int dk_sim_accel_copy(struct dk_sim_dev *d, const struct dk_sim_req *r, uint64_t len)
{
    uint64_t done = 0;

    while (done < len) {
        uint64_t srem = 0, drem = 0;
        const uint8_t *s = dk_sim_locate(d, r, 0, DK_SIM_ACCEL_HDR_BYTES + done, &srem);
        uint8_t *t = dk_sim_locate(d, r, 1, done, &drem);
        uint64_t n = len - done;

        if (s == NULL || t == NULL)
            return -1;
        n = n < srem ? n : srem;
        n = n < drem ? n : drem;
        memmove(t, s, (size_t)n);
        done += n;
    }
    return 0;
}

static int dk_sim_accel_fill(struct dk_sim_dev *d, const struct dk_sim_req *r, uint64_t len,
                             uint8_t byte)
{
    uint64_t done = 0;

    while (done < len) {
        uint64_t rem = 0;
        uint8_t *t = dk_sim_locate(d, r, 1, done, &rem);

        if (t == NULL)
            return -1;
        rem = rem < len - done ? rem : len - done;
        memset(t, byte, (size_t)rem);
        done += rem;
    }
    return 0;
}

static int dk_sim_accel_csum(struct dk_sim_dev *d, const struct dk_sim_req *r, uint64_t len,
                             uint32_t *out)
{
    uint32_t h = DK_SIM_FNV_BASIS;
    uint64_t done = 0;

    while (done < len) {
        uint64_t rem, i;
        const uint8_t *s = dk_sim_locate(d, r, 0, DK_SIM_ACCEL_HDR_BYTES + done, &rem);

        if (s == NULL)
            return -1;
        rem = rem < len - done ? rem : len - done;
        for (i = 0; i < rem; i++)
            h = (h ^ s[i]) * DK_SIM_FNV_PRIME;
        done += rem;
    }
    *out = h;
    return 0;
}

static int dk_sim_accel_exec(struct dk_sim_dev *d, const struct dk_sim_req *r, int fail,
                             uint32_t *used_len, uint8_t *status)
{
    uint8_t hdr[DK_SIM_ACCEL_HDR_BYTES], st_bytes[DK_SIM_ACCEL_STATUS_BYTES];
    uint64_t src = r->readable - DK_SIM_ACCEL_HDR_BYTES;
    uint64_t dst = r->writable - DK_SIM_ACCEL_STATUS_BYTES;
    uint32_t op, len, st = DK_SIM_S_OK, result = 0;
    int rc = 0;

    *used_len = DK_SIM_ACCEL_STATUS_BYTES;
    if (dk_sim_read(d, r, 0, hdr, sizeof hdr) != 0)
        return -1;
    op = dk_sim_ld32(hdr);
    len = dk_sim_ld32(hdr + 4);
    if (fail) {
        st = DK_SIM_S_IOERR;
    } else if (op < DK_SIM_ACCEL_OP_COPY || op > DK_SIM_ACCEL_OP_CSUM) {
        st = DK_SIM_S_UNSUPP;
    } else if (dk_sim_ld32(hdr + 12) != 0 || len > d->accel_max_len ||
               src != (op == DK_SIM_ACCEL_OP_FILL ? 0u : len) ||
               dst != (op == DK_SIM_ACCEL_OP_CSUM ? 0u : len)) {
        /* Malformed: reserved set, too long, or data descriptors that do
         * not match len and the op's directions. Only the status is written. */
        st = DK_SIM_S_IOERR;
    } else if (op == DK_SIM_ACCEL_OP_COPY) {
        rc = dk_sim_accel_copy(d, r, len);
        *used_len = len + DK_SIM_ACCEL_STATUS_BYTES;
    } else if (op == DK_SIM_ACCEL_OP_FILL) {
        rc = dk_sim_accel_fill(d, r, len, (uint8_t)dk_sim_ld32(hdr + 8));
        *used_len = len + DK_SIM_ACCEL_STATUS_BYTES;
    } else {
        rc = dk_sim_accel_csum(d, r, len, &result);
    }
    if (rc != 0)
        return -1;
    *status = (uint8_t)st;
    dk_sim_st32(st_bytes, st);
    dk_sim_st32(st_bytes + 4, result);
    return dk_sim_write(d, r, dst, st_bytes, sizeof st_bytes);
}

int dk_sim_dev_exec_general(struct dk_sim_dev *d, const struct dk_sim_req *r, int fail,
                            uint32_t *used_len, uint8_t *status)
{
    switch (d->kind) {
    case DK_SIM_BLK:
        return dk_sim_blk_exec(d, r, fail, used_len, status);
    case DK_SIM_RNG:
        return dk_sim_rng_exec(d, r, fail, used_len, status);
    default:
        return dk_sim_accel_exec(d, r, fail, used_len, status);
    }
}

/* The config space as bytes; returns its length. */
static uint32_t dk_sim_config_image(const struct dk_sim_dev *d, uint8_t img[DK_SIM_BLK_CFG_LEN])
{
    memset(img, 0, DK_SIM_BLK_CFG_LEN);
    if (d->kind == DK_SIM_BLK) {
        dk_sim_st32(img + DK_SIM_BLK_CFG_CAPACITY, (uint32_t)d->capacity);
        dk_sim_st32(img + DK_SIM_BLK_CFG_CAPACITY + 4, (uint32_t)(d->capacity >> 32));
        dk_sim_st32(img + DK_SIM_BLK_CFG_SIZE_MAX, d->size_max);
        dk_sim_st32(img + DK_SIM_BLK_CFG_SEG_MAX, d->seg_max);
        dk_sim_st32(img + DK_SIM_BLK_CFG_BLK_SIZE, DK_SIM_SECTOR);
        return DK_SIM_BLK_CFG_LEN;
    }
    if (d->kind == DK_SIM_ACCEL) {
        dk_sim_st32(img + DK_SIM_ACCEL_CFG_MAX_LEN, d->accel_max_len);
        dk_sim_st32(img + DK_SIM_ACCEL_CFG_OPS, DK_SIM_ACCEL_OPS_MASK);
        return DK_SIM_ACCEL_CFG_LEN;
    }
    return 0; /* rng: no config space */
}

/* A config change, as a resize would make it: new generation, and a config
 * interrupt (virtio 2.5.1, 4.2.2.1). */
static void dk_sim_config_changed(struct dk_sim_dev *d)
{
    d->generation++;
    dk_sim_interrupt(d, DK_VIRTIO_INT_CONFIG);
}

static void dk_sim_config_tear(struct dk_sim_dev *d)
{
    d->fault = DK_SIM_FAULT_NONE;
    d->stats.faults_injected++;
    if (d->kind == DK_SIM_BLK && d->disk_sectors > 1u)
        d->capacity = d->capacity == d->disk_sectors ? d->disk_sectors - 1u : d->disk_sectors;
    else if (d->kind == DK_SIM_ACCEL)
        d->accel_max_len =
            d->accel_max_len == d->accel_max_cfg ? d->accel_max_cfg / 2u : d->accel_max_cfg;
    dk_sim_log_put(d, DK_SIM_LOG_FAULT, 0, 0, 0, 0, DK_SIM_FAULT_CONFIG_TEAR);
    dk_sim_config_changed(d);
}

uint32_t dk_sim_config_read(struct dk_sim_dev *d, uint64_t off, unsigned width)
{
    uint8_t img[DK_SIM_BLK_CFG_LEN];
    uint32_t len = dk_sim_config_image(d, img), v = 0;
    unsigned i;

    d->stats.config_reads++;
    if (off >= len || width > len - off) {
        dk_sim_violation(d); /* outside the fields this device defines */
    } else {
        for (i = 0; i < width; i++)
            v |= (uint32_t)img[off + i] << (8u * i);
        /* Modern drivers read these 32/64-bit fields 32 bits at a time
         * (virtio 4.2.2.2); legacy drivers may go byte by byte. */
        if (d->version == 2 && width != 4)
            dk_sim_violation(d);
    }
    dk_sim_log_put(d, DK_SIM_LOG_CONFIG_READ, 0, (uint32_t)off, width, 0, v);
    if (d->fault == DK_SIM_FAULT_CONFIG_TEAR) {
        if (d->fault_after > 0)
            d->fault_after--;
        else
            dk_sim_config_tear(d);
    }
    return v;
}

int dk_sim_init(struct dk_sim_dev *d, struct dk_host *h, const struct dk_sim_cfg *cfg)
{
    uint64_t allowed = dk_sim_common_features;
    uint32_t num_max;
    int rc;

    if (d == NULL || cfg == NULL || dk_host_backend(h) == NULL)
        return DK_E_INVAL;
    if (cfg->kind < DK_SIM_BLK || cfg->kind > DK_SIM_ACCEL ||
        (cfg->version != 1 && cfg->version != 2))
        return DK_E_INVAL;
    num_max = cfg->queue_num_max != 0 ? cfg->queue_num_max : DK_VIRTQ_SIZE_MAX;
    if (num_max > DK_VIRTQ_SIZE_MAX || (num_max & (num_max - 1u)) != 0)
        return DK_E_INVAL;
    if (cfg->latency_ns > DK_SIM_LAT_MAX || cfg->jitter_ns > DK_SIM_LAT_MAX)
        return DK_E_INVAL;
    if (cfg->kind == DK_SIM_BLK) {
        allowed |= dk_sim_blk_features;
        if (cfg->disk == NULL || cfg->disk_bytes == 0 || cfg->disk_bytes % DK_SIM_SECTOR != 0)
            return DK_E_INVAL;
        if (((cfg->extra_features >> DK_SIM_BLK_F_SEG_MAX) & 1u) && cfg->seg_max == 0)
            return DK_E_INVAL;
        if (((cfg->extra_features >> DK_SIM_BLK_F_SIZE_MAX) & 1u) && cfg->size_max == 0)
            return DK_E_INVAL;
    }
    if (cfg->extra_features & ~allowed)
        return DK_E_INVAL;
    if ((cfg->log != NULL && cfg->log->magic != DK_SIM_LOG_MAGIC) ||
        (cfg->replay != NULL && cfg->replay->magic != DK_SIM_LOG_MAGIC))
        return DK_E_INVAL;

    memset(d, 0, sizeof(*d));
    d->kind = cfg->kind;
    d->version = cfg->version;
    d->device_id = cfg->kind == DK_SIM_BLK   ? DK_VIRTIO_ID_BLOCK
                   : cfg->kind == DK_SIM_RNG ? DK_VIRTIO_ID_RNG
                                             : DK_VIRTIO_ID_DK_ACCEL;
    d->host = h;
    d->cap = cfg->cap;
    d->irq = cfg->irq;
    d->num_max = num_max;
    /* Legacy devices never offer VERSION_1 (virtio 2.2.3). */
    d->offered = cfg->extra_features | (cfg->version == 2 ? 1ull << DK_VIRTIO_F_VERSION_1 : 0u);
    if (cfg->kind == DK_SIM_BLK) {
        d->disk = cfg->disk;
        d->disk_sectors = cfg->disk_bytes / DK_SIM_SECTOR;
        d->capacity = d->disk_sectors;
        d->seg_max = cfg->seg_max;
        d->size_max = cfg->size_max;
    }
    d->accel_max_cfg = cfg->accel_max_len != 0 ? cfg->accel_max_len : DK_SIM_ACCEL_MAX_LEN_DEFAULT;
    d->accel_max_len = d->accel_max_cfg;
    d->prng = cfg->seed;
    d->latency = cfg->latency_ns;
    d->jitter = cfg->jitter_ns;
    d->log = cfg->log;
    d->replay = cfg->replay;
    dk_sim_reset(d);
    rc = dk_host_window_add(h, cfg->cap, cfg->phys, DK_VMMIO_WINDOW, cfg->irq, &dk_sim_mmio_ops, d);
    if (rc != DK_OK) {
        memset(d, 0, sizeof(*d));
        return rc;
    }
    d->magic = DK_SIM_MAGIC;
    return DK_OK;
}

int dk_sim_fini(struct dk_sim_dev *d)
{
    if (d == NULL)
        return DK_OK;
    if (d->magic == DK_SIM_MAGIC) {
        dk_sim_vq_cancel(d);
        (void)dk_host_window_remove(d->host, d->cap);
    }
    memset(d, 0, sizeof(*d));
    return DK_OK;
}

static int dk_sim_ok(const struct dk_sim_dev *d)
{
    return d != NULL && d->magic == DK_SIM_MAGIC;
}

int dk_sim_inject(struct dk_sim_dev *d, enum dk_sim_fault f, uint32_t after_n)
{
    if (!dk_sim_ok(d) || (unsigned)f >= DK_SIM_FAULT_COUNT)
        return DK_E_INVAL;
    d->fault = (uint32_t)f;
    d->fault_after = after_n;
    return DK_OK;
}

int dk_sim_set_capacity(struct dk_sim_dev *d, uint64_t sectors)
{
    if (!dk_sim_ok(d) || d->kind != DK_SIM_BLK)
        return DK_E_INVAL;
    if (sectors > d->disk_sectors)
        return DK_E_RANGE;
    d->capacity = sectors;
    dk_sim_config_changed(d);
    return DK_OK;
}

uint32_t dk_sim_pending(const struct dk_sim_dev *d)
{
    return dk_sim_ok(d) ? d->q[0].pending : 0u;
}

int dk_sim_stats(const struct dk_sim_dev *d, struct dk_sim_stats *out)
{
    if (!dk_sim_ok(d) || out == NULL)
        return DK_E_INVAL;
    *out = d->stats;
    return DK_OK;
}
