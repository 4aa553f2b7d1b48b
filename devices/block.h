/* Block back ends: where a disk's, CD-ROM's or floppy's sectors live.
 *
 *   raw       an image file, read-write (or read-only when asked)
 *   overlay   copy-on-write: the base image is opened read-only and every
 *             write goes to an overlay file, so a checkpoint can capture the
 *             disk state without copying the base image
 *
 * A back end is a table of functions (ARCHITECTURE.md, "Devices and back
 * ends"); a device holds a struct blk pointer and never knows which kind it
 * has.  Offsets and lengths are in bytes; devices do sector arithmetic.
 * Every call returns 0, or -1 after an I/O error (the device reports a
 * medium error to the guest; nothing aborts). */
#ifndef AMBER_DEVICES_BLOCK_H
#define AMBER_DEVICES_BLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct blk;

struct blk_ops {
    int (*read)(struct blk *b, uint64_t offset, void *buf, size_t len);
    int (*write)(struct blk *b, uint64_t offset, const void *buf, size_t len);
    int (*flush)(struct blk *b);          /* optional: data reaches the file */
    void (*close)(struct blk *b);
};

struct blk {
    const struct blk_ops *ops;
    const char *kind;       /* "raw", "overlay" */
    char *path;             /* the image the user named (for messages) */
    uint64_t size;          /* bytes the guest sees */
    bool read_only;         /* writes fail (a CD-ROM, a read-only image) */
};

/* Open flags. */
#define BLK_READ_ONLY 0x1u  /* the guest cannot write (CD-ROM) */
#define BLK_OVERLAY   0x2u  /* writes go to overlay_path, base opened read-only */
#define BLK_ISO       0x4u  /* must be an ISO 9660 image (see blk_check_iso) */

/* Opens an image.  Returns 0, or -1 with a message naming the file and the
 * problem (missing, unreadable, empty, not a multiple of 512 bytes, an
 * overlay that does not belong to this base, ...). */
int blk_open(const char *path, unsigned flags, const char *overlay_path, struct blk **out,
             char *err, size_t errlen);
void blk_close(struct blk *b);

/* Whether b holds an ISO 9660 image: a whole number of 2048-byte sectors
 * and the primary volume descriptor (type 1, "CD001", version 1) at sector
 * 16.  Returns 0, or -1 with "'PATH' is not an ISO 9660 image (...)".
 * blk_open does this itself when given BLK_ISO. */
int blk_check_iso(struct blk *b, char *err, size_t errlen);

/* The overlay file of an overlay back end, NULL for any other. */
const char *blk_overlay_path(const struct blk *b);

static inline int blk_read(struct blk *b, uint64_t off, void *buf, size_t len)
{
    if (off > b->size || len > b->size - off)
        return -1;
    return b->ops->read(b, off, buf, len);
}

static inline int blk_write(struct blk *b, uint64_t off, const void *buf, size_t len)
{
    if (b->read_only || off > b->size || len > b->size - off)
        return -1;
    return b->ops->write(b, off, buf, len);
}

static inline int blk_flush(struct blk *b)
{
    return b->ops->flush ? b->ops->flush(b) : 0;
}

#endif
