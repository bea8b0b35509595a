/* SPDX-License-Identifier: Apache-2.0 */
/**
 * @file buf.h
 * @brief Buffers: handles to backend VMOs with rights, one-way read-only
 *        sealing, overflow-safe slices, pinning and per-client budgets.
 *
 * A buffer belongs to the client that created it; other clients get
 * DK_E_NOT_FOUND for its handle. Handles carry a generation, so a handle to a
 * destroyed buffer is rejected with DK_E_STALE even after the slot is reused.
 *
 * Pinning: submissions pin the buffers they use. Destroying a pinned buffer
 * answers DK_E_BUSY (DK_R_BUF_PINNED): the handle is retired at once (no new
 * slices or pins), and the VMO and the ledger charge are returned when the
 * last pin drops. Releases are keyed by the handle; the size returned is the
 * size recorded at creation, never a caller's figure.
 *
 * Ownership: caller storage for the table and its slots; single-threaded.
 */
#ifndef DRIVERKIT_BUF_H
#define DRIVERKIT_BUF_H

#include <driverkit/audit.h>
#include <driverkit/backend.h>
#include <driverkit/common.h>
#include <driverkit/ledger.h>
#include <driverkit/status.h>

#define DK_BUF_TABLE_MAX 4096u           /**< hard cap on buffers per table */
#define DK_BUF_SIZE_LIMIT (1ull << 32)   /**< hard cap on max_size (4 GiB) */
#define DK_BUF_PINS_MAX 0xffffu          /**< hard cap on pins per buffer */

/** Buffer rights and slice access bits. */
#define DK_BUF_READ 1u
#define DK_BUF_WRITE 2u
#define DK_BUF_MAP 4u
#define DK_BUF_RIGHTS_ALL 7u

/** Slot states. */
enum dk_buf_state { DK_BUF_FREE = 0, DK_BUF_LIVE = 1, DK_BUF_DOOMED = 2 };

/** One buffer slot. Written only by dk_buf_* functions. */
struct dk_buf {
    uint64_t vmo;      /**< backend VMO id */
    void *va;          /**< the one mapping made by dk_buf_map, or NULL */
    uint64_t size;     /**< bytes, as created (and as charged) */
    uint64_t dma_addr; /**< from vmo_query */
    uint32_t pins;
    uint16_t gen;
    uint16_t owner;    /**< ledger slot */
    uint8_t state;     /**< enum dk_buf_state */
    uint8_t rights;    /**< DK_BUF_* */
    uint8_t sealed;    /**< 1 once sealed read-only (one-way) */
    uint8_t map_prot;  /**< DK_MAP_* of the mapping, 0 if unmapped */
};

/** A checked view of a buffer. */
struct dk_slice {
    uint64_t offset;
    uint64_t length;
    uint64_t dma_addr; /**< buffer dma_addr + offset */
    uint32_t buf;      /**< handle */
    uint32_t access;   /**< DK_BUF_READ and/or DK_BUF_WRITE */
};

/** Configuration for dk_buf_table_init(). */
struct dk_buf_cfg {
    uint32_t nslots;                  /**< buffers in the table, 1..DK_BUF_TABLE_MAX */
    uint64_t max_size;                /**< per-buffer size cap, 1..DK_BUF_SIZE_LIMIT */
    struct dk_ledger *ledger;         /**< mandatory */
    const struct dk_backend *backend; /**< mandatory (VMOs) */
    struct dk_audit audit;            /**< optional */
};

/** A buffer table. Fields are read-only to callers. */
struct dk_buf_table {
    struct dk_buf *slots;
    uint32_t nslots;
    uint32_t live;
    uint64_t max_size;
    struct dk_ledger *ledger;
    const struct dk_backend *backend;
    struct dk_audit audit;
    uint32_t magic;
};

#define DK_BUF_MAGIC 0x444b4231u /* "DKB1" */

/** @return Bytes of slot storage for @p nslots buffers (0 if out of range). */
size_t dk_buf_table_storage_size(uint32_t nslots);

/**
 * @brief Initialise a buffer table over caller storage.
 * @return DK_OK; DK_E_INVAL (NULL_ARG, ZERO_LEN, OVER_CAP, STORAGE_SMALL).
 */
int dk_buf_table_init(struct dk_buf_table *t, const struct dk_buf_cfg *cfg, void *storage,
                      size_t storage_size, enum dk_reason *why);

/** @brief Finalise. @return DK_OK; DK_E_BUSY while buffers exist. Safe twice. */
int dk_buf_table_fini(struct dk_buf_table *t);

/**
 * @brief Create a zero-filled buffer of @p size bytes for @p client.
 * @param rights DK_BUF_* (nonzero)
 * @return DK_OK; DK_E_INVAL (NULL_ARG, NOT_INIT, ZERO_LEN, BAD_ENUM);
 *         DK_E_TOO_BIG (BUF_TOO_BIG); DK_E_QUOTA (CLIENT_BYTES, CLIENT_BUFFERS);
 *         DK_E_NO_SPACE (GLOBAL_*, TABLE_FULL); DK_E_NOT_FOUND (BAD_CLIENT);
 *         a backend status (OS_ERROR). A refusal changes nothing.
 */
int dk_buf_create(struct dk_buf_table *t, uint16_t client, uint64_t size, unsigned rights,
                  uint32_t *handle, enum dk_reason *why);

/**
 * @brief Destroy a buffer (owner only).
 * @return DK_OK (reclaimed now); DK_E_BUSY (BUF_PINNED: retired now,
 *         reclaimed when the last pin drops); DK_E_INVAL; DK_E_NOT_FOUND
 *         (BAD_HANDLE, NOT_OWNER); DK_E_STALE (STALE_HANDLE).
 */
int dk_buf_destroy(struct dk_buf_table *t, uint16_t client, uint32_t handle, enum dk_reason *why);

/**
 * @brief Seal a buffer read-only: the WRITE right is gone for good.
 *        Sealing a sealed buffer is DK_OK and changes nothing. A buffer
 *        mapped writable must be unmapped first, so no writable view
 *        outlives the seal.
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND; DK_E_STALE;
 *         DK_E_BUSY (BUF_MAPPED).
 */
int dk_buf_seal(struct dk_buf_table *t, uint16_t client, uint32_t handle, enum dk_reason *why);

/**
 * @brief Check a slice [offset, offset + length) with @p access.
 * @return DK_OK; DK_E_INVAL (NULL_ARG, ZERO_LEN, BAD_ENUM); DK_E_NOT_FOUND;
 *         DK_E_STALE; DK_E_SEALED (BUF_SEALED for write access);
 *         DK_E_DENIED (NO_READ_RIGHT, NO_WRITE_RIGHT);
 *         DK_E_RANGE (SLICE_OOB, including offset + length overflow).
 */
int dk_buf_slice(const struct dk_buf_table *t, uint16_t client, uint32_t handle, uint64_t offset,
                 uint64_t length, unsigned access, struct dk_slice *out, enum dk_reason *why);

/**
 * @brief Pin a buffer for a submission (the slice was checked already).
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND; DK_E_STALE;
 *         DK_E_NO_SPACE (PIN_OVERFLOW).
 */
int dk_buf_pin(struct dk_buf_table *t, uint16_t client, uint32_t handle, enum dk_reason *why);

/**
 * @brief Drop one pin. Reclaims a destroyed buffer at its last pin.
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND; DK_E_STALE;
 *         DK_E_STATE (NOT_PINNED).
 */
int dk_buf_unpin(struct dk_buf_table *t, uint32_t handle, enum dk_reason *why);

/**
 * @brief Map a buffer (needs DK_BUF_MAP; write mapping also needs WRITE and
 *        an unsealed buffer). A buffer has at most one mapping: mapping it
 *        again with the same or fewer rights returns the same address.
 * @param prot DK_MAP_READ and/or DK_MAP_WRITE
 * @return DK_OK; DK_E_INVAL (NULL_ARG, BAD_ENUM); DK_E_NOT_FOUND; DK_E_STALE;
 *         DK_E_DENIED (NO_MAP_RIGHT, NO_READ_RIGHT, NO_WRITE_RIGHT);
 *         DK_E_SEALED; DK_E_BUSY (BUF_MAPPED: mapped with fewer rights);
 *         backend statuses (OS_ERROR).
 */
int dk_buf_map(struct dk_buf_table *t, uint16_t client, uint32_t handle, unsigned prot, void **va,
               enum dk_reason *why);

/**
 * @brief Drop the buffer's mapping.
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND; DK_E_STALE;
 *         DK_E_STATE (NOT_MAPPED); backend statuses (OS_ERROR).
 */
int dk_buf_unmap(struct dk_buf_table *t, uint16_t client, uint32_t handle, enum dk_reason *why);

/**
 * @brief Copy a buffer's slot (size, rights, pins, sealed, dma address).
 * @return DK_OK; DK_E_INVAL; DK_E_NOT_FOUND; DK_E_STALE.
 */
int dk_buf_info(const struct dk_buf_table *t, uint16_t client, uint32_t handle,
                struct dk_buf *info);

/**
 * @brief Kill path: destroy every buffer @p client owns (pinned ones are
 *        reclaimed at their last unpin). Emits DK_AUDIT_BUF_RECLAIM.
 * @param count optional; receives buffers destroyed or retired
 * @return DK_OK; DK_E_INVAL.
 */
int dk_buf_reclaim_client(struct dk_buf_table *t, uint16_t client, uint32_t *count);

#endif /* DRIVERKIT_BUF_H */
