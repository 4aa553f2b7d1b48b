/* PNG screenshots (libpng): a rendered VGA frame written as an 8-bit RGB
 * PNG, at the frame's own size (devices/vga.h: mode 13h gives 320x200, mode
 * 3 720x400); no scaling.
 *
 * The file is written whole to a temporary file in the target's directory
 * (PATH.tmp-PID-N, created exclusively with mode 0666 less the umask),
 * flushed to disk, and renamed over PATH only when complete: a failure at
 * any point removes the temporary file and leaves whatever PATH held
 * untouched. */
#ifndef AMBER_UI_SCREENSHOT_H
#define AMBER_UI_SCREENSHOT_H

#include <stddef.h>

#include "bus/machine.h"
#include "devices/vga.h"

/* Writes f to path.  Returns 0, or -1 with a message naming the file in err
 * ("cannot write 'PATH': REASON"). */
int screenshot_write_png(const char *path, const struct vga_frame *f, char *err,
                         size_t errlen);

/* Renders the display of m (its "vga" device) and writes it to path, as
 * --screenshot does at the end of a run.  Returns 0, or -1 with a message in
 * err (no display device, no memory, or what screenshot_write_png says). */
int screenshot_machine(struct machine *m, const char *path, char *err, size_t errlen);

#endif
