/* PNG screenshots with libpng: see ui/screenshot.h. */
#include "ui/screenshot.h"

#include <errno.h>
#include <fcntl.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TMP_TRIES 100

static void fail(char *err, size_t errlen, const char *path, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (errlen)
        snprintf(err, errlen, "cannot write '%s': %s", path, why);
}

/* libpng reports errors here; the message is kept and the write unwinds to
 * the setjmp in png_encode. */
struct png_ctx {
    char msg[200];
};

static void png_fail(png_structp png, png_const_charp msg)
{
    struct png_ctx *ctx = png_get_error_ptr(png);
    snprintf(ctx->msg, sizeof ctx->msg, "%s", msg);
    png_longjmp(png, 1);
}

static void png_warn(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

/* Encodes f into fp, using row (3 x width bytes) for the conversion.
 * Returns 0, or -1 with ctx->msg set. */
static int png_encode(FILE *fp, const struct vga_frame *f, png_bytep row,
                      struct png_ctx *ctx)
{
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, png_fail, png_warn);
    if (!png) {
        snprintf(ctx->msg, sizeof ctx->msg, "libpng: cannot start");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(ctx->msg, sizeof ctx->msg, "libpng: out of memory");
        return -1;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    png_init_io(png, fp);
    png_set_IHDR(png, info, f->width, f->height, 8, PNG_COLOR_TYPE_RGB,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
                 PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (unsigned y = 0; y < f->height; y++) {
        const uint32_t *src = &f->pixels[(size_t)y * f->width];
        for (unsigned x = 0; x < f->width; x++) {
            row[3 * x] = (png_byte)(src[x] >> 16);
            row[3 * x + 1] = (png_byte)(src[x] >> 8);
            row[3 * x + 2] = (png_byte)src[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

/* Creates PATH.tmp-PID-N exclusively; returns its descriptor, or -1. */
static int open_tmp(const char *path, char *tmp, size_t tmplen)
{
    for (unsigned n = 0; n < TMP_TRIES; n++) {
        int len = snprintf(tmp, tmplen, "%s.tmp-%ld-%u", path, (long)getpid(), n);
        if (len < 0 || (size_t)len >= tmplen) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

int screenshot_write_png(const char *path, const struct vga_frame *f, char *err,
                         size_t errlen)
{
    if (!f || !f->pixels || !f->width || !f->height) {
        fail(err, errlen, path, "no picture to write");
        return -1;
    }
    if (f->width > PNG_USER_WIDTH_MAX || f->height > PNG_USER_HEIGHT_MAX) {
        fail(err, errlen, path, "a %ux%u picture is too large for PNG", f->width,
             f->height);
        return -1;
    }
    png_bytep row = malloc((size_t)f->width * 3);
    if (!row) {
        fail(err, errlen, path, "out of memory");
        return -1;
    }
    size_t tmplen = strlen(path) + 64;
    char *tmp = malloc(tmplen);
    int fd = tmp ? open_tmp(path, tmp, tmplen) : -1;
    if (fd < 0) {
        fail(err, errlen, path, "%s", tmp ? strerror(errno) : "out of memory");
        free(tmp);
        free(row);
        return -1;
    }
    FILE *fp = fdopen(fd, "wb");
    if (!fp) {
        fail(err, errlen, path, "%s", strerror(errno));
        close(fd);
        goto remove_tmp;
    }
    struct png_ctx ctx = { .msg = "" };
    errno = 0;
    if (png_encode(fp, f, row, &ctx)) {
        int e = errno;
        if (e)
            fail(err, errlen, path, "%s", strerror(e));
        else
            fail(err, errlen, path, "libpng: %s", ctx.msg);
        fclose(fp);
        goto remove_tmp;
    }
    if (fflush(fp) || fsync(fileno(fp))) {
        fail(err, errlen, path, "%s", strerror(errno));
        fclose(fp);
        goto remove_tmp;
    }
    if (fclose(fp)) {
        fail(err, errlen, path, "%s", strerror(errno));
        goto remove_tmp;
    }
    if (rename(tmp, path)) {
        fail(err, errlen, path, "%s", strerror(errno));
        goto remove_tmp;
    }
    free(tmp);
    free(row);
    return 0;

remove_tmp:
    unlink(tmp);
    free(tmp);
    free(row);
    return -1;
}

int screenshot_machine(struct machine *m, const char *path, char *err, size_t errlen)
{
    void *vga = machine_find_device(m, "vga");
    if (!vga) {
        fail(err, errlen, path, "the machine has no display");
        return -1;
    }
    struct vga_frame f = VGA_FRAME_INIT;
    int r;
    if (vga_render(vga, &f)) {
        fail(err, errlen, path, "out of memory");
        r = -1;
    } else {
        r = screenshot_write_png(path, &f, err, errlen);
    }
    vga_frame_free(&f);
    return r;
}
