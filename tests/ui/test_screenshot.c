/* PNG screenshots (ui/screenshot.c): frames written to a temporary
 * directory and read back with libpng's own simplified API (png_image), so
 * the check does not trust the writer; errors that leave no file behind and
 * never replace a good file; --screenshot's render-and-write of a machine. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <png.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bus/machine.h"
#include "devices/vga.h"
#include "ui/screenshot.h"

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/amber-shot-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

/* Removes the directory and everything in it (one level: tests make no
 * deeper trees except the one they remove themselves). */
static void teardown(void)
{
    DIR *d = opendir(dir);
    if (d) {
        struct dirent *e;
        char p[512];
        while ((e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
            if (remove(p))
                rmdir(p);
        }
        closedir(d);
    }
    rmdir(dir);
}

static void path_in(char *out, size_t n, const char *name)
{
    snprintf(out, n, "%s/%s", dir, name);
}

/* How many entries the directory holds (. and .. aside). */
static unsigned dir_entries(void)
{
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    unsigned n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* Reads a PNG as 8-bit RGB; returns the pixels (free them) and the size. */
static uint8_t *read_png(const char *path, unsigned *w, unsigned *h)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    ck_assert_msg(png_image_begin_read_from_file(&img, path), "%s: %s", path,
                  img.message);
    img.format = PNG_FORMAT_RGB;
    uint8_t *buf = malloc(PNG_IMAGE_SIZE(img));
    ck_assert_ptr_nonnull(buf);
    ck_assert_msg(png_image_finish_read(&img, NULL, buf, 0, NULL), "%s: %s", path,
                  img.message);
    *w = img.width;
    *h = img.height;
    return buf;
}

static uint8_t *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    uint8_t *buf = malloc(1 << 20);
    ck_assert_ptr_nonnull(buf);
    *len = fread(buf, 1, 1 << 20, f);
    fclose(f);
    return buf;
}

/* A frame of width x height, pixel (x, y) = a colour made from x and y. */
static struct vga_frame make_frame(unsigned width, unsigned height, uint32_t *pixels)
{
    for (unsigned y = 0; y < height; y++)
        for (unsigned x = 0; x < width; x++)
            pixels[y * width + x] = (x * 37u & 0xff) << 16 | (y * 91u & 0xff) << 8 |
                                    ((x ^ y) * 13u & 0xff);
    return (struct vga_frame){ .pixels = pixels, .width = width, .height = height,
                               .pixel_w = 1, .pixel_h = 1, .kind = VGA_FRAME_GRAPHICS,
                               .capacity = (size_t)width * height };
}

START_TEST(test_round_trip)
{
    static uint32_t pix[33 * 7];
    struct vga_frame f = make_frame(33, 7, pix);
    pix[0] = 0xff0000;
    pix[1] = 0x00ff00;
    pix[2] = 0x0000ff;
    pix[33 * 7 - 1] = 0xffffff;
    pix[3] = 0xff123456; /* the top byte is not part of the colour */
    char path[128], err[512] = "";
    path_in(path, sizeof path, "shot.png");
    ck_assert_int_eq(screenshot_write_png(path, &f, err, sizeof err), 0);
    ck_assert_uint_eq(dir_entries(), 1); /* no temporary file left */
    unsigned w, h;
    uint8_t *rgb = read_png(path, &w, &h);
    ck_assert_uint_eq(w, 33);
    ck_assert_uint_eq(h, 7);
    ck_assert_mem_eq(rgb, "\xff\x00\x00\x00\xff\x00\x00\x00\xff\x12\x34\x56", 12);
    ck_assert_mem_eq(rgb + (33 * 7 - 1) * 3, "\xff\xff\xff", 3);
    for (unsigned k = 4; k < 33 * 7 - 1; k++) {
        ck_assert_uint_eq(rgb[3 * k], pix[k] >> 16 & 0xff);
        ck_assert_uint_eq(rgb[3 * k + 1], pix[k] >> 8 & 0xff);
        ck_assert_uint_eq(rgb[3 * k + 2], pix[k] & 0xff);
    }
    free(rgb);

    /* Writing again replaces the file. */
    pix[0] = 0x000000;
    ck_assert_int_eq(screenshot_write_png(path, &f, err, sizeof err), 0);
    rgb = read_png(path, &w, &h);
    ck_assert_mem_eq(rgb, "\x00\x00\x00", 3);
    free(rgb);
    ck_assert_uint_eq(dir_entries(), 1);
}
END_TEST

START_TEST(test_unwritable_path)
{
    static uint32_t pix[16 * 16];
    struct vga_frame f = make_frame(16, 16, pix);
    char path[128], err[512] = "";
    /* A directory that does not exist. */
    path_in(path, sizeof path, "no/such/dir/shot.png");
    ck_assert_int_eq(screenshot_write_png(path, &f, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) != NULL, "error '%s' does not name the file", err);
    ck_assert_msg(strstr(err, strerror(ENOENT)) != NULL, "error '%s'", err);
    ck_assert_uint_eq(dir_entries(), 0);
    /* A regular file where a directory should be. */
    char file[128];
    path_in(file, sizeof file, "plain");
    FILE *fp = fopen(file, "w");
    ck_assert_ptr_nonnull(fp);
    fclose(fp);
    path_in(path, sizeof path, "plain/shot.png");
    ck_assert_int_eq(screenshot_write_png(path, &f, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) != NULL, "error '%s' does not name the file", err);
    ck_assert_uint_eq(dir_entries(), 1);
    /* The target is a directory: the rename fails, the temporary goes. */
    path_in(path, sizeof path, "adir");
    ck_assert_int_eq(mkdir(path, 0755), 0);
    ck_assert_int_eq(screenshot_write_png(path, &f, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) != NULL, "error '%s' does not name the file", err);
    ck_assert_uint_eq(dir_entries(), 2);
    /* No picture at all. */
    struct vga_frame empty = VGA_FRAME_INIT;
    path_in(path, sizeof path, "empty.png");
    ck_assert_int_eq(screenshot_write_png(path, &empty, err, sizeof err), -1);
    ck_assert_msg(strstr(err, path) != NULL, "error '%s' does not name the file", err);
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* A failure in the middle of writing (the file size limit) leaves the good
 * file that was there before, byte for byte, and no temporary file. */
START_TEST(test_good_file_survives)
{
    static uint32_t pix[64 * 64];
    struct vga_frame f = make_frame(64, 64, pix);
    char path[128], err[512] = "";
    path_in(path, sizeof path, "good.png");
    ck_assert_int_eq(screenshot_write_png(path, &f, err, sizeof err), 0);
    size_t len;
    uint8_t *before = read_file(path, &len);
    ck_assert_uint_gt(len, 200);

    for (unsigned k = 0; k < 64 * 64; k++) /* different, hard to compress */
        pix[k] = (uint32_t)(k * 2654435761u) >> 8;
    struct rlimit old, small = { .rlim_cur = 128 };
    ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
    small.rlim_max = old.rlim_max;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    int r = screenshot_write_png(path, &f, err, sizeof err);
    ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    ck_assert_int_eq(r, -1);
    ck_assert_msg(strstr(err, path) != NULL, "error '%s' does not name the file", err);
    ck_assert_msg(strstr(err, strerror(EFBIG)) != NULL, "error '%s'", err);

    size_t len2;
    uint8_t *after = read_file(path, &len2);
    ck_assert_uint_eq(len2, len);
    ck_assert_mem_eq(after, before, len);
    ck_assert_uint_eq(dir_entries(), 1);
    free(before);
    free(after);
}
END_TEST

/* --screenshot's path: the machine's VGA rendered and written. */
START_TEST(test_screenshot_machine)
{
    struct machine *m = calloc(1, sizeof *m);
    ck_assert_ptr_nonnull(m);
    ck_assert_int_eq(machine_init(m, 16u << 20, 0), 0);
    char path[128], err[512] = "";
    path_in(path, sizeof path, "machine.png");
    /* No display device: an error, no file. */
    ck_assert_int_eq(screenshot_machine(m, path, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "no display") != NULL, "error '%s'", err);
    ck_assert_int_eq(access(path, F_OK), -1);

    void *vga = machine_add_device(m, &vga_ops, NULL);
    ck_assert_ptr_nonnull(vga);
    /* A 40x30 DISPI mode, 32 bpp: a red pixel at (0,0), blue at (39,29),
     * written straight into VRAM (B, G, R, x at offset 0). */
    bus_out(&m->bus, 0x1CE, VBE_DISPI_INDEX_XRES, 2);
    bus_out(&m->bus, 0x1CF, 40, 2);
    bus_out(&m->bus, 0x1CE, VBE_DISPI_INDEX_YRES, 2);
    bus_out(&m->bus, 0x1CF, 30, 2);
    bus_out(&m->bus, 0x1CE, VBE_DISPI_INDEX_BPP, 2);
    bus_out(&m->bus, 0x1CF, 32, 2);
    bus_out(&m->bus, 0x1CE, VBE_DISPI_INDEX_ENABLE, 2);
    bus_out(&m->bus, 0x1CF, VBE_DISPI_ENABLED, 2);
    uint8_t *vram = vga_vram(vga, NULL);
    vram[2] = 0xff;
    vram[(29 * 40 + 39) * 4] = 0xff;
    ck_assert_int_eq(screenshot_machine(m, path, err, sizeof err), 0);
    unsigned w, h;
    uint8_t *rgb = read_png(path, &w, &h);
    ck_assert_uint_eq(w, 40);
    ck_assert_uint_eq(h, 30);
    ck_assert_mem_eq(rgb, "\xff\x00\x00\x00\x00\x00", 6);
    ck_assert_mem_eq(rgb + (29 * 40 + 39) * 3, "\x00\x00\xff", 3);
    free(rgb);
    machine_destroy(m);
    free(m);
}
END_TEST

Suite *screenshot_suite(void)
{
    Suite *s = suite_create("screenshot");
    TCase *tc = tcase_create("png");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_unwritable_path);
    tcase_add_test(tc, test_good_file_survives);
    tcase_add_test(tc, test_screenshot_machine);
    suite_add_tcase(s, tc);
    return s;
}
