/* Direct Linux boot (--kernel --initrd --append): Amber loads a bzImage
 * itself and enters it through the 32-bit boot protocol of the kernel's
 * Documentation/arch/x86/boot.rst — no BIOS involved. */
#ifndef AMBER_BUS_LINUXBOOT_H
#define AMBER_BUS_LINUXBOOT_H

#include <stddef.h>

struct machine;

/* Loads the protected-mode kernel at its code32_start, the initrd as high
 * as the kernel allows, the command line and a boot_params page with the
 * e820 map, and sets the CPU up as the protocol requires (flat 32-bit
 * protected mode, paging off, interrupts off, ESI = boot_params).  Returns 0,
 * or -1 with a message naming the option and the file. */
int linux_boot(struct machine *m, const char *kernel, const char *initrd, const char *cmdline,
               char *err, size_t errlen);

#endif
