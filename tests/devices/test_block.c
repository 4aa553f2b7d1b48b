/* Block back ends (devices/block.c): raw images and copy-on-write overlays.
 *
 * Expected values come from the contracts in devices/block.h and the
 * overlay format documented at the top of devices/block.c (header layout,
 * 64 KiB clusters, the base is never written), and for ISO images from
 * ECMA-119 8.4 (the primary volume descriptor at sector 16: type 1,
 * "CD001", version 1). */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/block.h"

static char dir[64];
static char err[512];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/amber-blk-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    err[0] = 0;
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
                snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
                unlink(p);
            }
        closedir(d);
    }
    rmdir(dir);
}

static const char *path(const char *name)
{
    static char bufs[4][512];
    static unsigned k;
    char *p = bufs[k++ % 4];
    snprintf(p, 512, "%s/%s", dir, name);
    return p;
}

static uint8_t pattern(uint64_t off, unsigned seed)
{
    return (uint8_t)((off * 131 + (off >> 9) * 7 + seed) ^ (off >> 13));
}

/* A file of size bytes: pattern(seed), or zeros when seed < 0. */
static void make_file(const char *p, size_t size, int seed)
{
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    for (size_t i = 0; i < size; i++)
        fputc(seed < 0 ? 0 : pattern(i, (unsigned)seed), f);
    ck_assert_int_eq(fclose(f), 0);
}

static uint8_t *slurp(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(b);
    ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static bool file_is_pattern(const char *p, size_t size, unsigned seed)
{
    size_t n;
    uint8_t *b = slurp(p, &n);
    bool ok = n == size;
    for (size_t i = 0; ok && i < n; i++)
        ok = b[i] == pattern(i, seed);
    free(b);
    return ok;
}

static unsigned count_files(void)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

#define ASSERT_ERR_HAS(s)                                                                \
    ck_assert_msg(strstr(err, (s)) != NULL, "error '%s' lacks '%s'", err, (s))

/* ================================================================== raw */

START_TEST(test_raw_open_errors)
{
    struct blk *b = (struct blk *)1;
    ck_assert_int_eq(blk_open(path("missing.img"), 0, NULL, &b, err, sizeof err), -1);
    ck_assert_ptr_null(b);
    ASSERT_ERR_HAS("missing.img");
    ASSERT_ERR_HAS("No such file");

    make_file(path("empty.img"), 0, 0);
    ck_assert_int_eq(blk_open(path("empty.img"), 0, NULL, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("empty.img");
    ASSERT_ERR_HAS("empty");

    make_file(path("odd.img"), 1000, 0);
    ck_assert_int_eq(blk_open(path("odd.img"), 0, NULL, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("odd.img");
    ASSERT_ERR_HAS("512");

    ck_assert_int_eq(blk_open(dir, 0, NULL, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("directory");

    ck_assert_int_eq(blk_open(NULL, 0, NULL, &b, err, sizeof err), -1);
    ck_assert_int_eq(blk_open(path("odd.img"), BLK_OVERLAY, NULL, &b, err, sizeof err),
                     -1);
    ASSERT_ERR_HAS("overlay");
}
END_TEST

START_TEST(test_raw_read_write)
{
    const char *p = path("disk.img");
    make_file(p, 64 * 1024, 1);
    struct blk *b;
    ck_assert_int_eq(blk_open(p, 0, NULL, &b, err, sizeof err), 0);
    ck_assert_str_eq(b->kind, "raw");
    ck_assert_str_eq(b->path, p);
    ck_assert_uint_eq(b->size, 64 * 1024);
    ck_assert(!b->read_only);

    uint8_t buf[3000];
    ck_assert_int_eq(blk_read(b, 12345, buf, sizeof buf), 0);
    for (size_t i = 0; i < sizeof buf; i++)
        ck_assert_uint_eq(buf[i], pattern(12345 + i, 1));

    uint8_t w[1024];
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = (uint8_t)(0xA0 ^ i);
    ck_assert_int_eq(blk_write(b, 4096 + 100, w, sizeof w), 0);
    ck_assert_int_eq(blk_read(b, 4096, buf, 2048), 0);
    for (size_t i = 0; i < 2048; i++) {
        uint8_t want =
            i >= 100 && i < 1124 ? (uint8_t)(0xA0 ^ (i - 100)) : pattern(4096 + i, 1);
        ck_assert_uint_eq(buf[i], want);
    }
    /* Out of range: past the end, or running past it. */
    ck_assert_int_eq(blk_read(b, 64 * 1024, buf, 1), -1);
    ck_assert_int_eq(blk_read(b, 64 * 1024 - 512, buf, 513), -1);
    ck_assert_int_eq(blk_write(b, UINT64_MAX - 10, w, 512), -1);
    ck_assert_int_eq(blk_read(b, 64 * 1024 - 512, buf, 512), 0);
    ck_assert_int_eq(blk_flush(b), 0);
    blk_close(b);

    /* The file holds the write. */
    size_t n;
    uint8_t *f = slurp(p, &n);
    ck_assert_uint_eq(n, 64 * 1024);
    ck_assert_mem_eq(f + 4196, w, sizeof w);
    ck_assert_uint_eq(f[4195], pattern(4195, 1));
    free(f);
}
END_TEST

START_TEST(test_raw_read_only)
{
    const char *p = path("ro.img");
    make_file(p, 8192, 2);
    struct blk *b;
    ck_assert_int_eq(blk_open(p, BLK_READ_ONLY, NULL, &b, err, sizeof err), 0);
    ck_assert(b->read_only);
    uint8_t buf[512] = {1, 2, 3};
    ck_assert_int_eq(blk_write(b, 0, buf, sizeof buf), -1);
    ck_assert_int_eq(blk_read(b, 512, buf, sizeof buf), 0);
    ck_assert_uint_eq(buf[0], pattern(512, 2));
    blk_close(b);
    ck_assert(file_is_pattern(p, 8192, 2));

    /* A file the user may not write cannot be opened read-write (root may
     * write anything, so the check only means something for others). */
    if (geteuid() != 0) {
        chmod(p, 0444);
        ck_assert_int_eq(blk_open(p, 0, NULL, &b, err, sizeof err), -1);
        ASSERT_ERR_HAS("for writing");
        ASSERT_ERR_HAS("ro.img");
    }
}
END_TEST

START_TEST(test_raw_lock)
{
    const char *p = path("locked.img");
    make_file(p, 4096, 3);
    struct blk *a, *b;
    ck_assert_int_eq(blk_open(p, 0, NULL, &a, err, sizeof err), 0);
    ck_assert_int_eq(blk_open(p, 0, NULL, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("in use");
    ck_assert_int_eq(blk_open(p, BLK_READ_ONLY, NULL, &b, err, sizeof err), -1);
    blk_close(a);
    /* Readers share. */
    ck_assert_int_eq(blk_open(p, BLK_READ_ONLY, NULL, &a, err, sizeof err), 0);
    ck_assert_int_eq(blk_open(p, BLK_READ_ONLY, NULL, &b, err, sizeof err), 0);
    blk_close(a);
    blk_close(b);
}
END_TEST

/* ============================================================= overlay */

#define BASE_SIZE (256u * 1024 + 1536) /* four clusters and a bit */

START_TEST(test_overlay_create_and_write)
{
    const char *base = path("base.img"), *ovl = path("base.ovl");
    make_file(base, BASE_SIZE, 4);
    struct blk *b;
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), 0);
    ck_assert_str_eq(b->kind, "overlay");
    ck_assert_uint_eq(b->size, BASE_SIZE);
    ck_assert_str_eq(blk_overlay_path(b), ovl);
    /* Created: the base and the overlay, no temporary file left. */
    ck_assert_uint_eq(count_files(), 2);

    /* Unwritten: the base shows through. */
    uint8_t buf[8192];
    ck_assert_int_eq(blk_read(b, 70000, buf, 5000), 0);
    for (size_t i = 0; i < 5000; i++)
        ck_assert_uint_eq(buf[i], pattern(70000 + i, 4));

    /* Writes: inside one cluster, across a cluster boundary, the last
     * (partial) cluster. */
    uint8_t w[6000];
    for (size_t i = 0; i < sizeof w; i++)
        w[i] = (uint8_t)(i * 7 + 3);
    ck_assert_int_eq(blk_write(b, 512, w, 1024), 0);
    ck_assert_int_eq(blk_write(b, 65536 - 2048, w, 6000), 0);
    ck_assert_int_eq(blk_write(b, BASE_SIZE - 512, w, 512), 0);

    ck_assert_int_eq(blk_read(b, 0, buf, 2048), 0);
    for (size_t i = 0; i < 2048; i++)
        ck_assert_uint_eq(buf[i], i >= 512 && i < 1536 ? w[i - 512] : pattern(i, 4));
    ck_assert_int_eq(blk_read(b, 65536 - 4096, buf, 8192), 0);
    for (size_t i = 0; i < 8192; i++) {
        size_t off = 65536 - 4096 + i;
        bool in = off >= 65536 - 2048 && off < 65536 - 2048 + 6000;
        ck_assert_uint_eq(buf[i], in ? w[off - (65536 - 2048)] : pattern(off, 4));
    }
    ck_assert_int_eq(blk_read(b, BASE_SIZE - 1024, buf, 1024), 0);
    for (size_t i = 0; i < 512; i++)
        ck_assert_uint_eq(buf[i], pattern(BASE_SIZE - 1024 + i, 4));
    ck_assert_mem_eq(buf + 512, w, 512);
    ck_assert_int_eq(blk_flush(b), 0);
    blk_close(b);

    /* The base is untouched; the overlay starts with its magic and the
     * base size, and holds header + table + 3 data clusters (clusters 0,
     * 1 and 4 were written). */
    ck_assert(file_is_pattern(base, BASE_SIZE, 4));
    size_t n;
    uint8_t *o = slurp(ovl, &n);
    ck_assert_mem_eq(o, "AMBEROVL", 8);
    ck_assert_uint_eq(o[8], 1);
    uint64_t sz = 0;
    for (int i = 7; i >= 0; i--)
        sz = sz << 8 | o[16 + i];
    ck_assert_uint_eq(sz, BASE_SIZE);
    ck_assert_uint_eq(o[28], 5); /* clusters */
    ck_assert_uint_eq(n, 4096 + 3 * 65536);
    free(o);
}
END_TEST

START_TEST(test_overlay_reopen)
{
    const char *base = path("base.img"), *ovl = path("disk.ovl");
    make_file(base, BASE_SIZE, 5);
    struct blk *b;
    uint8_t w[512];
    memset(w, 0x5A, sizeof w);
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), 0);
    ck_assert_int_eq(blk_write(b, 200 * 1024, w, sizeof w), 0);
    blk_close(b);

    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), 0);
    uint8_t buf[1024];
    ck_assert_int_eq(blk_read(b, 200 * 1024 - 512, buf, 1024), 0);
    for (size_t i = 0; i < 512; i++)
        ck_assert_uint_eq(buf[i], pattern(200 * 1024 - 512 + i, 5));
    ck_assert_mem_eq(buf + 512, w, 512);
    /* A second write to the same cluster goes in place; a new one appends. */
    memset(w, 0x33, sizeof w);
    ck_assert_int_eq(blk_write(b, 200 * 1024 + 4096, w, sizeof w), 0);
    ck_assert_int_eq(blk_write(b, 0, w, sizeof w), 0);
    blk_close(b);

    ck_assert_int_eq(
        blk_open(base, BLK_OVERLAY | BLK_READ_ONLY, ovl, &b, err, sizeof err), 0);
    ck_assert(b->read_only);
    ck_assert_int_eq(blk_read(b, 200 * 1024 + 4096, buf, 512), 0);
    ck_assert_mem_eq(buf, w, 512);
    ck_assert_int_eq(blk_read(b, 0, buf, 512), 0);
    ck_assert_mem_eq(buf, w, 512);
    ck_assert_int_eq(blk_write(b, 0, w, 512), -1); /* read-only refusal */
    blk_close(b);
    ck_assert(file_is_pattern(base, BASE_SIZE, 5));
    size_t n;
    free(slurp(ovl, &n));
    ck_assert_uint_eq(n, 4096 + 2 * 65536);

    /* A read-only open cannot create an overlay. */
    ck_assert_int_eq(
        blk_open(base, BLK_OVERLAY | BLK_READ_ONLY, path("new.ovl"), &b, err, sizeof err),
        -1);
    ASSERT_ERR_HAS("new.ovl");
    ASSERT_ERR_HAS("does not exist");
}
END_TEST

START_TEST(test_overlay_mismatch)
{
    const char *a = path("a.img"), *bigger = path("b.img"), *other = path("c.img");
    const char *ovl = path("a.ovl");
    make_file(a, 128 * 1024, 6);
    make_file(bigger, 192 * 1024, 6);
    make_file(other, 128 * 1024, 7);
    struct blk *b;
    ck_assert_int_eq(blk_open(a, BLK_OVERLAY, ovl, &b, err, sizeof err), 0);
    blk_close(b);

    ck_assert_int_eq(blk_open(bigger, BLK_OVERLAY, ovl, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("a.ovl");
    ASSERT_ERR_HAS("different base");
    ASSERT_ERR_HAS("131072");
    ck_assert_int_eq(blk_open(other, BLK_OVERLAY, ovl, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("different base");
    ASSERT_ERR_HAS("c.img");
    /* The base as its own overlay. */
    ck_assert_int_eq(blk_open(a, BLK_OVERLAY, a, &b, err, sizeof err), -1);
    ck_assert(file_is_pattern(a, 128 * 1024, 6));
}
END_TEST

/* Rewrites bytes of a file. */
static void poke(const char *p, long off, const void *data, size_t len)
{
    int fd = open(p, O_WRONLY);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, data, len, off), (ssize_t)len);
    close(fd);
}

START_TEST(test_overlay_corrupt)
{
    const char *base = path("base.img"), *ovl = path("x.ovl");
    make_file(base, 128 * 1024, 8);
    struct blk *b;
    uint8_t w[512] = {9};
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), 0);
    ck_assert_int_eq(blk_write(b, 0, w, sizeof w), 0);
    blk_close(b);
    size_t n;
    uint8_t *good = slurp(ovl, &n);

    /* Not an overlay at all. */
    poke(ovl, 0, "NOTANOVL", 8);
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("x.ovl");
    ASSERT_ERR_HAS("not an Amber overlay");

    /* A header byte changed: the checksum catches it. */
    poke(ovl, 0, good, 8);
    poke(ovl, 24, "\x00\x00\x02\x00", 4); /* cluster size */
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("corrupt");

    /* A table entry past the end of the file. */
    poke(ovl, 0, good, 512);
    poke(ovl, 512 + 4, "\x07\x00\x00\x00", 4);
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("corrupt");
    /* Two clusters sharing one data cluster. */
    poke(ovl, 512 + 4, "\x01\x00\x00\x00", 4);
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("corrupt");
    poke(ovl, 512 + 4, "\x00\x00\x00\x00", 4);
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), 0);
    blk_close(b);

    /* Truncated inside the header, and empty. */
    ck_assert_int_eq(truncate(ovl, 100), 0);
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("truncated");
    ck_assert_int_eq(truncate(ovl, 0), 0);
    ck_assert_int_eq(blk_open(base, BLK_OVERLAY, ovl, &b, err, sizeof err), -1);
    ASSERT_ERR_HAS("empty");
    free(good);
    ck_assert(file_is_pattern(base, 128 * 1024, 8));
}
END_TEST

/* =============================================================== ISO */

static void make_iso(const char *p, unsigned sectors, bool pvd)
{
    make_file(p, (size_t)sectors * 2048, -1);
    if (pvd)
        poke(p, 16 * 2048,
             "\x01"
             "CD001"
             "\x01",
             7);
}

START_TEST(test_iso_check)
{
    struct blk *b;
    make_iso(path("good.iso"), 40, true);
    ck_assert_int_eq(
        blk_open(path("good.iso"), BLK_READ_ONLY | BLK_ISO, NULL, &b, err, sizeof err),
        0);
    ck_assert_uint_eq(b->size, 40 * 2048);
    ck_assert_int_eq(blk_check_iso(b, err, sizeof err), 0);
    blk_close(b);

    make_iso(path("nopvd.iso"), 40, false);
    ck_assert_int_eq(
        blk_open(path("nopvd.iso"), BLK_READ_ONLY | BLK_ISO, NULL, &b, err, sizeof err),
        -1);
    ASSERT_ERR_HAS("nopvd.iso");
    ASSERT_ERR_HAS("is not an ISO 9660 image");
    /* The same file is a fine raw image. */
    ck_assert_int_eq(
        blk_open(path("nopvd.iso"), BLK_READ_ONLY, NULL, &b, err, sizeof err), 0);
    ck_assert_int_eq(blk_check_iso(b, err, sizeof err), -1);
    ASSERT_ERR_HAS("is not an ISO 9660 image");
    blk_close(b);

    make_file(path("half.iso"), 40 * 2048 + 512, -1);
    ck_assert_int_eq(
        blk_open(path("half.iso"), BLK_READ_ONLY | BLK_ISO, NULL, &b, err, sizeof err),
        -1);
    ASSERT_ERR_HAS("is not an ISO 9660 image");
    ASSERT_ERR_HAS("half.iso");
    make_file(path("odd.iso"), 40 * 2048 + 100, -1);
    ck_assert_int_eq(
        blk_open(path("odd.iso"), BLK_READ_ONLY | BLK_ISO, NULL, &b, err, sizeof err),
        -1);
    ASSERT_ERR_HAS("is not an ISO 9660 image");
    make_iso(path("tiny.iso"), 16, false);
    ck_assert_int_eq(
        blk_open(path("tiny.iso"), BLK_READ_ONLY | BLK_ISO, NULL, &b, err, sizeof err),
        -1);
    ASSERT_ERR_HAS("is not an ISO 9660 image");
    make_file(path("empty.iso"), 0, 0);
    ck_assert_int_eq(
        blk_open(path("empty.iso"), BLK_READ_ONLY | BLK_ISO, NULL, &b, err, sizeof err),
        -1);
    ASSERT_ERR_HAS("empty");
}
END_TEST

Suite *block_suite(void)
{
    Suite *s = suite_create("block");
    TCase *tc = tcase_create("block");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_raw_open_errors);
    tcase_add_test(tc, test_raw_read_write);
    tcase_add_test(tc, test_raw_read_only);
    tcase_add_test(tc, test_raw_lock);
    tcase_add_test(tc, test_overlay_create_and_write);
    tcase_add_test(tc, test_overlay_reopen);
    tcase_add_test(tc, test_overlay_mismatch);
    tcase_add_test(tc, test_overlay_corrupt);
    tcase_add_test(tc, test_iso_check);
    suite_add_tcase(s, tc);
    return s;
}
