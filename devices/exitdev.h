/* The exit device at port 0xF4: a byte the guest writes there ends the run
 * with that byte as the exit status (a guest test reports 0 for success). */
#ifndef AMBER_DEVICES_EXITDEV_H
#define AMBER_DEVICES_EXITDEV_H

#include "bus/machine.h"

#define EXITDEV_PORT 0xF4

extern const struct dev_ops exitdev_ops;

#endif
