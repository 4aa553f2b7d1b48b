/* Port 0x80: POST codes.  Firmware writes progress codes here; Amber keeps
 * the latest ones for --stats and the debugger.  Reads return the last
 * code written (as on boards with a POST display latch). */
#ifndef AMBER_DEVICES_POSTCODE_H
#define AMBER_DEVICES_POSTCODE_H

#include "bus/machine.h"

#define POSTCODE_PORT 0x80
#define POSTCODE_HISTORY 16

struct postcode_info {
    uint64_t writes;                   /* codes written since power-on */
    uint8_t last[POSTCODE_HISTORY];    /* most recent first */
    unsigned count;                    /* valid entries in last[] */
};

extern const struct dev_ops postcode_ops;
void postcode_get(void *dev, struct postcode_info *out);

#endif
