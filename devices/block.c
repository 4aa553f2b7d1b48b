/* Block back ends: raw image files and copy-on-write overlays.
 *
 * Raw: the image is the disk.  pread/pwrite at the guest's offsets.
 *
 * Overlay: the base image is opened read-only and never written; every
 * write lands in an overlay file, allocated in clusters.  The overlay file
 * (all integers little-endian):
 *
 *   offset  size  field
 *        0     8  magic "AMBEROVL"
 *        8     4  format version (1)
 *       12     4  header size (512)
 *       16     8  base size in bytes (the disk size the guest sees)
 *       24     4  cluster size in bytes (65536; a power of two, 4 KiB-16 MiB)
 *       28     4  number of clusters: ceil(base size / cluster size)
 *       32     8  table offset (512)
 *       40     8  data offset: table end rounded up to 4 KiB
 *       48     4  base signature: CRC-32 of the base's first min(size, 64 KiB)
 *       52     4  CRC-32 of header bytes 0-51
 *       56   456  zero
 *   table         one u32 per cluster: 0 = the cluster still reads from the
 *                 base; k >= 1 = its current contents are data cluster k-1
 *   data          clusters, appended in allocation order
 *
 * The first write to a cluster copies the base's cluster into a new data
 * cluster, merges the write, appends it, and only then writes the table
 * entry: a crash in between leaks the appended cluster, never corrupts the
 * map.  (Data reaches the disk when the guest flushes; see blk_flush.)  A
 * new overlay is written to a temporary file in the same directory, synced
 * and linked (or renamed) into place, so there is never a half-written
 * header.
 *
 * Opening checks everything: magic, version, header checksum, a base of the
 * recorded size and signature, a complete table whose entries point inside
 * the file and never twice at one cluster.  Each failure is an error naming
 * the file. */
#include "devices/block.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define SECTOR 512u
#define OVL_MAGIC "AMBEROVL"
#define OVL_VERSION 1u
#define OVL_HEADER_SIZE 512u
#define OVL_CLUSTER_SIZE 65536u
#define OVL_SIG_BYTES 65536u
#define OVL_ALIGN 4096u

/* ------------------------------------------------------------ helpers */

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Whole reads and writes: a short count (end of file, a file truncated
 * under us) is an error. */
static int pio_full(int fd, void *buf, size_t len, uint64_t off, bool write)
{
    uint8_t *p = buf;
    while (len) {
        if (off > (uint64_t)INT64_MAX)
            return -1;
        ssize_t n = write ? pwrite(fd, p, len, (off_t)off) : pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (n == 0)
                errno = EIO;
            return -1;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    return pio_full(fd, buf, len, off, false);
}

static int pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
    return pio_full(fd, (void *)buf, len, off, true);
}

static int sync_fd(int fd)
{
    while (fdatasync(fd)) {
        if (errno == EINTR)
            continue;
        /* Pipes and some special files cannot be synced: nothing to do. */
        return errno == EINVAL || errno == EROFS ? 0 : -1;
    }
    return 0;
}

static void put_le(uint8_t *p, uint64_t v, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t rd_le(const uint8_t *p, unsigned bytes)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Another Amber (or anything using flock) writing the same file would
 * corrupt it: writers take an exclusive lock, readers a shared one.
 * Filesystems without locks are not an error. */
static int lock_fd(int fd, bool exclusive, const char *path, char *err, size_t errlen)
{
    while (flock(fd, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB)) {
        if (errno == EINTR)
            continue;
        if (errno == EWOULDBLOCK) {
            set_err(err, errlen, "'%s' is in use by another program (it is locked)",
                    path);
            return -1;
        }
        return 0;
    }
    return 0;
}

/* Opens an image file and finds its size; errors name the file. */
static int open_image(const char *path, bool writable, int *fd_out, uint64_t *size_out,
                      char *err, size_t errlen)
{
    int fd;
    do
        fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        if (writable && (errno == EACCES || errno == EROFS || errno == EPERM))
            set_err(err, errlen, "cannot open '%s' for writing: %s", path,
                    strerror(errno));
        else
            set_err(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        set_err(err, errlen, "cannot examine '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (S_ISDIR(st.st_mode)) {
        set_err(err, errlen, "'%s' is a directory, not an image file", path);
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
        set_err(err, errlen, "'%s' is not a regular file or block device", path);
        close(fd);
        return -1;
    }
    off_t end = lseek(fd, 0, SEEK_END);
    if (end < 0) {
        set_err(err, errlen, "cannot find the size of '%s': %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    *fd_out = fd;
    *size_out = (uint64_t)end;
    return 0;
}

/* A disk image: not empty, whole 512-byte sectors. */
static int check_disk_size(const char *path, uint64_t size, char *err, size_t errlen)
{
    if (size == 0) {
        set_err(err, errlen, "'%s' is empty", path);
        return -1;
    }
    if (size % SECTOR) {
        set_err(err, errlen,
                "'%s' is %llu bytes, not a whole number of 512-byte sectors "
                "(truncated or not a disk image?)",
                path, (unsigned long long)size);
        return -1;
    }
    return 0;
}

/* An ISO 9660 image: whole 2048-byte sectors, room for sector 16. */
static int check_iso_size(const char *path, uint64_t size, char *err, size_t errlen)
{
    if (size == 0) {
        set_err(err, errlen, "'%s' is empty (not an ISO 9660 image)", path);
        return -1;
    }
    if (size % 2048) {
        set_err(
            err, errlen,
            "'%s' is not an ISO 9660 image: its size (%llu bytes) is not a whole number "
            "of 2048-byte sectors (truncated?)",
            path, (unsigned long long)size);
        return -1;
    }
    if (size < 17 * 2048ull) {
        set_err(
            err, errlen,
            "'%s' is not an ISO 9660 image: too small to hold the volume descriptor at "
            "sector 16",
            path);
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- raw */

struct blk_raw {
    struct blk b;
    int fd;
};

static int raw_read(struct blk *b, uint64_t off, void *buf, size_t len)
{
    return pread_full(((struct blk_raw *)b)->fd, buf, len, off);
}

static int raw_write(struct blk *b, uint64_t off, const void *buf, size_t len)
{
    return pwrite_full(((struct blk_raw *)b)->fd, buf, len, off);
}

static int raw_flush(struct blk *b)
{
    return sync_fd(((struct blk_raw *)b)->fd);
}

static void raw_close(struct blk *b)
{
    struct blk_raw *r = (struct blk_raw *)b;
    close(r->fd);
    free(r->b.path);
    free(r);
}

static const struct blk_ops raw_ops = {
    .read = raw_read,
    .write = raw_write,
    .flush = raw_flush,
    .close = raw_close,
};

/* ------------------------------------------------------------ overlay */

struct blk_ovl {
    struct blk b;
    int base_fd;
    int fd; /* the overlay file */
    char *ovl_path;
    uint32_t cluster_size;
    unsigned cluster_shift;
    uint32_t n_clusters;
    uint64_t table_offset;
    uint64_t data_offset;
    uint32_t *table;  /* n_clusters entries, as on disk */
    uint32_t n_alloc; /* data clusters in the file (next one appends) */
    uint8_t *cbuf;    /* one cluster: the copy made on first write */
};

static uint64_t ovl_data_pos(const struct blk_ovl *o, uint32_t entry)
{
    return o->data_offset + (uint64_t)(entry - 1) * o->cluster_size;
}

static int ovl_read(struct blk *b, uint64_t off, void *buf, size_t len)
{
    struct blk_ovl *o = (struct blk_ovl *)b;
    uint8_t *p = buf;
    while (len) {
        uint64_t c = off >> o->cluster_shift;
        uint32_t in = (uint32_t)(off & (o->cluster_size - 1));
        size_t n = o->cluster_size - in;
        if (n > len)
            n = len;
        if (c >= o->n_clusters)
            return -1;
        uint32_t e = o->table[c];
        int r = e ? pread_full(o->fd, p, n, ovl_data_pos(o, e) + in)
                  : pread_full(o->base_fd, p, n, off);
        if (r)
            return -1;
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

/* First write to cluster c: copy it from the base, merge, append, map. */
static int ovl_alloc(struct blk_ovl *o, uint64_t c, uint32_t in, const uint8_t *src,
                     size_t n)
{
    if (o->n_alloc == UINT32_MAX)
        return -1;
    uint64_t start = c << o->cluster_shift;
    uint64_t avail = o->b.size - start;
    size_t from_base = avail < o->cluster_size ? (size_t)avail : o->cluster_size;
    memset(o->cbuf, 0, o->cluster_size);
    if (pread_full(o->base_fd, o->cbuf, from_base, start))
        return -1;
    memcpy(o->cbuf + in, src, n);
    uint32_t e = o->n_alloc + 1;
    if (pwrite_full(o->fd, o->cbuf, o->cluster_size, ovl_data_pos(o, e)))
        return -1;
    uint8_t le[4];
    put_le(le, e, 4);
    if (pwrite_full(o->fd, le, 4, o->table_offset + 4 * c))
        return -1;
    o->table[c] = e;
    o->n_alloc = e;
    return 0;
}

static int ovl_write(struct blk *b, uint64_t off, const void *buf, size_t len)
{
    struct blk_ovl *o = (struct blk_ovl *)b;
    const uint8_t *p = buf;
    while (len) {
        uint64_t c = off >> o->cluster_shift;
        uint32_t in = (uint32_t)(off & (o->cluster_size - 1));
        size_t n = o->cluster_size - in;
        if (n > len)
            n = len;
        if (c >= o->n_clusters)
            return -1;
        uint32_t e = o->table[c];
        int r = e ? pwrite_full(o->fd, p, n, ovl_data_pos(o, e) + in)
                  : ovl_alloc(o, c, in, p, n);
        if (r)
            return -1;
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

static int ovl_flush(struct blk *b)
{
    return sync_fd(((struct blk_ovl *)b)->fd);
}

static void ovl_close(struct blk *b)
{
    struct blk_ovl *o = (struct blk_ovl *)b;
    if (o->fd >= 0)
        close(o->fd);
    if (o->base_fd >= 0)
        close(o->base_fd);
    free(o->table);
    free(o->cbuf);
    free(o->ovl_path);
    free(o->b.path);
    free(o);
}

static const struct blk_ops ovl_ops = {
    .read = ovl_read,
    .write = ovl_write,
    .flush = ovl_flush,
    .close = ovl_close,
};

/* CRC-32 of the base's first bytes: tells one base from another of the
 * same size. */
static int base_signature(int fd, uint64_t size, uint32_t *sig)
{
    size_t n = size < OVL_SIG_BYTES ? (size_t)size : OVL_SIG_BYTES;
    uint8_t *buf = malloc(n);
    if (!buf)
        return -1;
    int r = pread_full(fd, buf, n, 0);
    if (!r)
        *sig = (uint32_t)crc32(crc32(0L, Z_NULL, 0), buf, (uInt)n);
    free(buf);
    return r;
}

static uint64_t ovl_data_offset(uint32_t n_clusters)
{
    uint64_t end = OVL_HEADER_SIZE + 4ull * n_clusters;
    return (end + OVL_ALIGN - 1) / OVL_ALIGN * OVL_ALIGN;
}

static void ovl_make_header(uint8_t *h, uint64_t base_size, uint32_t sig)
{
    uint32_t n = (uint32_t)((base_size + OVL_CLUSTER_SIZE - 1) / OVL_CLUSTER_SIZE);
    memset(h, 0, OVL_HEADER_SIZE);
    memcpy(h, OVL_MAGIC, 8);
    put_le(h + 8, OVL_VERSION, 4);
    put_le(h + 12, OVL_HEADER_SIZE, 4);
    put_le(h + 16, base_size, 8);
    put_le(h + 24, OVL_CLUSTER_SIZE, 4);
    put_le(h + 28, n, 4);
    put_le(h + 32, OVL_HEADER_SIZE, 8);
    put_le(h + 40, ovl_data_offset(n), 8);
    put_le(h + 48, sig, 4);
    put_le(h + 52, (uint32_t)crc32(crc32(0L, Z_NULL, 0), h, 52), 4);
}

/* A new, empty overlay: written under a temporary name beside the final
 * one, synced, then renamed into place. */
static int ovl_create(const char *path, uint64_t base_size, uint32_t sig, char *err,
                      size_t errlen)
{
    if (base_size > (uint64_t)UINT32_MAX * OVL_CLUSTER_SIZE) {
        set_err(err, errlen, "cannot create overlay '%s': the base is too large", path);
        return -1;
    }
    /* A temporary name of our own (created exclusively, with the mode a
     * new file gets from the umask). */
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 48);
    if (!tmp) {
        set_err(err, errlen, "cannot create overlay '%s': out of memory", path);
        return -1;
    }
    int fd = -1;
    for (unsigned i = 0; i < 100 && fd < 0; i++) {
        snprintf(tmp, plen + 48, "%s.tmp-%ld-%u", path, (long)getpid(), i);
        fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST && errno != EINTR)
            break;
    }
    if (fd < 0) {
        set_err(err, errlen, "cannot create overlay '%s': %s", path, strerror(errno));
        free(tmp);
        return -1;
    }
    uint8_t h[OVL_HEADER_SIZE];
    ovl_make_header(h, base_size, sig);
    uint32_t n = (uint32_t)rd_le(h + 28, 4);
    uint64_t data_off = ovl_data_offset(n);
    int r = pwrite_full(fd, h, sizeof h, 0);
    /* The table is all zeros: extending the file gives exactly that. */
    if (!r && ftruncate(fd, (off_t)data_off))
        r = -1;
    if (!r && fsync(fd))
        r = -1;
    /* link() never replaces an overlay another process made meanwhile (then
     * that one is used); filesystems without hard links get rename(). */
    if (!r && link(tmp, path) && errno != EEXIST && rename(tmp, path))
        r = -1;
    if (r) {
        set_err(err, errlen, "cannot create overlay '%s': %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        free(tmp);
        return -1;
    }
    close(fd);
    unlink(tmp);
    free(tmp);
    return 0;
}

/* Reads and checks an overlay's header and table for base b. */
static int ovl_load(struct blk_ovl *o, uint32_t base_sig, char *err, size_t errlen)
{
    const char *p = o->ovl_path;
    off_t end = lseek(o->fd, 0, SEEK_END);
    if (end < 0) {
        set_err(err, errlen, "cannot find the size of overlay '%s': %s", p,
                strerror(errno));
        return -1;
    }
    uint64_t fsize = (uint64_t)end;
    if (fsize == 0) {
        set_err(err, errlen, "overlay '%s' is empty (not an Amber overlay file)", p);
        return -1;
    }
    uint8_t h[OVL_HEADER_SIZE];
    if (fsize < 8 ||
        pread_full(o->fd, h, fsize < sizeof h ? (size_t)fsize : sizeof h, 0)) {
        set_err(err, errlen, "overlay '%s' is not an Amber overlay file (too short)", p);
        return -1;
    }
    if (memcmp(h, OVL_MAGIC, 8)) {
        set_err(err, errlen, "'%s' is not an Amber overlay file (bad magic)", p);
        return -1;
    }
    if (fsize < OVL_HEADER_SIZE) {
        set_err(err, errlen,
                "overlay '%s' is truncated (%llu bytes, its header needs %u)", p,
                (unsigned long long)fsize, OVL_HEADER_SIZE);
        return -1;
    }
    uint32_t version = (uint32_t)rd_le(h + 8, 4);
    if (version != OVL_VERSION) {
        set_err(err, errlen,
                "overlay '%s' has format version %u; this Amber reads version %u", p,
                version, OVL_VERSION);
        return -1;
    }
    if ((uint32_t)rd_le(h + 52, 4) != (uint32_t)crc32(crc32(0L, Z_NULL, 0), h, 52)) {
        set_err(err, errlen, "overlay '%s' is corrupt (header checksum mismatch)", p);
        return -1;
    }
    uint64_t base_size = rd_le(h + 16, 8);
    uint32_t cs = (uint32_t)rd_le(h + 24, 4);
    uint32_t n = (uint32_t)rd_le(h + 28, 4);
    uint64_t toff = rd_le(h + 32, 8), doff = rd_le(h + 40, 8);
    if (rd_le(h + 12, 4) != OVL_HEADER_SIZE || cs < 4096 || cs > (16u << 20) ||
        (cs & (cs - 1)) || n != (base_size + cs - 1) / cs || toff < OVL_HEADER_SIZE ||
        toff > (1ull << 40) || doff < toff + 4ull * n || doff > (1ull << 48)) {
        set_err(err, errlen, "overlay '%s' is corrupt (inconsistent header fields)", p);
        return -1;
    }
    if (base_size != o->b.size) {
        set_err(err, errlen,
                "overlay '%s' belongs to a different base image: it was made for a "
                "%llu-byte base, '%s' has %llu bytes",
                p, (unsigned long long)base_size, o->b.path,
                (unsigned long long)o->b.size);
        return -1;
    }
    if ((uint32_t)rd_le(h + 48, 4) != base_sig) {
        set_err(err, errlen,
                "overlay '%s' belongs to a different base image: the first 64 KiB of "
                "'%s' are not the ones it was made for",
                p, o->b.path);
        return -1;
    }
    if (fsize < doff) {
        set_err(err, errlen,
                "overlay '%s' is truncated (its cluster table is incomplete)", p);
        return -1;
    }
    o->cluster_size = cs;
    o->cluster_shift = (unsigned)__builtin_ctz(cs);
    o->n_clusters = n;
    o->table_offset = toff;
    o->data_offset = doff;
    uint64_t whole = (fsize - doff) / cs; /* complete data clusters in the file */
    if (whole > UINT32_MAX)
        whole = UINT32_MAX;
    o->table = malloc(n ? 4ull * n : 4);
    uint8_t *raw = malloc(n ? 4ull * n : 4);
    uint8_t *seen = calloc((size_t)(whole / 8 + 1), 1);
    o->cbuf = malloc(cs);
    if (!o->table || !raw || !seen || !o->cbuf) {
        set_err(err, errlen, "overlay '%s': out of memory for its cluster table", p);
        free(raw);
        free(seen);
        return -1;
    }
    if (n && pread_full(o->fd, raw, 4ull * n, toff)) {
        set_err(err, errlen, "cannot read overlay '%s': %s", p, strerror(errno));
        free(raw);
        free(seen);
        return -1;
    }
    int r = 0;
    for (uint32_t i = 0; i < n && !r; i++) {
        uint32_t e = (uint32_t)rd_le(raw + 4ull * i, 4);
        o->table[i] = e;
        if (!e)
            continue;
        if (e > whole) {
            set_err(err, errlen,
                    "overlay '%s' is corrupt (cluster %u maps past the end of the file)",
                    p, i);
            r = -1;
        } else if (seen[(e - 1) / 8] & (1u << ((e - 1) % 8))) {
            set_err(err, errlen,
                    "overlay '%s' is corrupt (two clusters map to data cluster %u)", p,
                    e);
            r = -1;
        } else {
            seen[(e - 1) / 8] |= (uint8_t)(1u << ((e - 1) % 8));
        }
    }
    free(raw);
    free(seen);
    /* New clusters go after every complete one (a torn final cluster left
     * by a crash is overwritten). */
    o->n_alloc = (uint32_t)whole;
    return r;
}

static int open_overlay(struct blk_ovl *o, const char *ovl_path, bool read_only,
                        char *err, size_t errlen)
{
    uint32_t sig;
    if (base_signature(o->base_fd, o->b.size, &sig)) {
        set_err(err, errlen, "cannot read '%s': %s", o->b.path, strerror(errno));
        return -1;
    }
    int fd;
    do
        fd = open(ovl_path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0 && errno == ENOENT) {
        if (read_only) {
            set_err(err, errlen,
                    "overlay '%s' does not exist (a read-only open cannot create it)",
                    ovl_path);
            return -1;
        }
        if (ovl_create(ovl_path, o->b.size, sig, err, errlen))
            return -1;
        do
            fd = open(ovl_path, O_RDWR | O_CLOEXEC);
        while (fd < 0 && errno == EINTR);
    }
    if (fd < 0) {
        set_err(err, errlen, "cannot open overlay '%s': %s", ovl_path, strerror(errno));
        return -1;
    }
    o->fd = fd;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        set_err(err, errlen, "overlay '%s' is not a regular file", ovl_path);
        return -1;
    }
    if (lock_fd(fd, !read_only, ovl_path, err, errlen))
        return -1;
    return ovl_load(o, sig, err, errlen);
}

/* ---------------------------------------------------------------- API */

int blk_open(const char *path, unsigned flags, const char *overlay_path, struct blk **out,
             char *err, size_t errlen)
{
    if (out)
        *out = NULL;
    if (!path || !*path || !out) {
        set_err(err, errlen, "no image file given");
        return -1;
    }
    bool ro = flags & BLK_READ_ONLY;
    bool overlay = flags & BLK_OVERLAY;
    if (overlay && (!overlay_path || !*overlay_path)) {
        set_err(err, errlen, "'%s': an overlay was asked for without an overlay file",
                path);
        return -1;
    }
    if (overlay && strcmp(path, overlay_path) == 0) {
        set_err(err, errlen, "'%s' cannot be its own overlay", path);
        return -1;
    }
    int fd;
    uint64_t size;
    if (open_image(path, !ro && !overlay, &fd, &size, err, errlen))
        return -1;
    if ((flags & BLK_ISO) ? check_iso_size(path, size, err, errlen)
                          : check_disk_size(path, size, err, errlen)) {
        close(fd);
        return -1;
    }
    if (lock_fd(fd, !ro && !overlay, path, err, errlen)) {
        close(fd);
        return -1;
    }
    char *pcopy = strdup(path);
    if (!pcopy) {
        set_err(err, errlen, "'%s': out of memory", path);
        close(fd);
        return -1;
    }
    if (!overlay) {
        struct blk_raw *r = calloc(1, sizeof *r);
        if (!r) {
            set_err(err, errlen, "'%s': out of memory", path);
            free(pcopy);
            close(fd);
            return -1;
        }
        r->b = (struct blk){
            .ops = &raw_ops, .kind = "raw", .path = pcopy, .size = size, .read_only = ro};
        r->fd = fd;
        if ((flags & BLK_ISO) && blk_check_iso(&r->b, err, errlen)) {
            raw_close(&r->b);
            return -1;
        }
        *out = &r->b;
        return 0;
    }
    struct blk_ovl *o = calloc(1, sizeof *o);
    char *ocopy = strdup(overlay_path);
    if (!o || !ocopy) {
        set_err(err, errlen, "'%s': out of memory", path);
        free(o);
        free(ocopy);
        free(pcopy);
        close(fd);
        return -1;
    }
    o->b = (struct blk){
        .ops = &ovl_ops, .kind = "overlay", .path = pcopy, .size = size, .read_only = ro};
    o->base_fd = fd;
    o->fd = -1;
    o->ovl_path = ocopy;
    if (open_overlay(o, overlay_path, ro, err, errlen) ||
        ((flags & BLK_ISO) && blk_check_iso(&o->b, err, errlen))) {
        ovl_close(&o->b);
        return -1;
    }
    *out = &o->b;
    return 0;
}

void blk_close(struct blk *b)
{
    if (b)
        b->ops->close(b);
}

int blk_check_iso(struct blk *b, char *err, size_t errlen)
{
    if (check_iso_size(b->path, b->size, err, errlen))
        return -1;
    uint8_t vd[7];
    if (blk_read(b, 16 * 2048ull, vd, sizeof vd)) {
        set_err(err, errlen, "cannot read '%s': %s", b->path, strerror(errno));
        return -1;
    }
    /* ECMA-119 8.4: type 1 (primary), "CD001", version 1. */
    if (vd[0] != 1 || memcmp(vd + 1, "CD001", 5) || vd[6] != 1) {
        set_err(
            err, errlen,
            "'%s' is not an ISO 9660 image (no primary volume descriptor \"CD001\" at "
            "sector 16)",
            b->path);
        return -1;
    }
    return 0;
}

const char *blk_overlay_path(const struct blk *b)
{
    return b && b->ops == &ovl_ops ? ((const struct blk_ovl *)b)->ovl_path : NULL;
}
