/* pngcat: a PNG's size and pixels as text, for system tests that check
 * screenshots (tests/system/screenshot.sh).  Decodes with libpng only, so a
 * test does not trust Amber's own code to read what Amber wrote.
 *
 *   pngcat FILE              prints "WIDTH HEIGHT"
 *   pngcat FILE X Y W H      prints H lines of W pixels "rrggbb" (lower-case
 *                            hex, one space between), the rectangle at X,Y
 *
 * Exit status 0, or 1 with a message on stderr (unreadable file, rectangle
 * outside the picture, bad arguments). */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int arg(const char *s, unsigned long *out)
{
    char *end;
    *out = strtoul(s, &end, 10);
    return *s >= '0' && *s <= '9' && !*end ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 2 && argc != 6) {
        fprintf(stderr, "usage: pngcat FILE [X Y W H]\n");
        return 1;
    }
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, argv[1])) {
        fprintf(stderr, "pngcat: %s: %s\n", argv[1], img.message);
        return 1;
    }
    if (argc == 2) {
        printf("%u %u\n", img.width, img.height);
        png_image_free(&img);
        return 0;
    }
    unsigned long x, y, w, h;
    if (arg(argv[2], &x) || arg(argv[3], &y) || arg(argv[4], &w) || arg(argv[5], &h) ||
        x + w > img.width || y + h > img.height) {
        fprintf(stderr, "pngcat: %s: the rectangle is not inside the %ux%u picture\n",
                argv[1], img.width, img.height);
        png_image_free(&img);
        return 1;
    }
    img.format = PNG_FORMAT_RGB;
    unsigned char *buf = malloc(PNG_IMAGE_SIZE(img));
    if (!buf || !png_image_finish_read(&img, NULL, buf, 0, NULL)) {
        fprintf(stderr, "pngcat: %s: %s\n", argv[1], buf ? img.message : "out of memory");
        free(buf);
        png_image_free(&img);
        return 1;
    }
    for (unsigned long r = y; r < y + h; r++) {
        for (unsigned long c = x; c < x + w; c++) {
            const unsigned char *p = &buf[(r * img.width + c) * 3];
            printf("%s%02x%02x%02x", c > x ? " " : "", p[0], p[1], p[2]);
        }
        putchar('\n');
    }
    free(buf);
    return 0;
}
