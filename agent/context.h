/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Every path the agent reads or writes goes through one root (--root):
 * sysfs, /proc, /etc, /run, /var/lib.  With a root other than "/" the agent
 * never touches the running system (no udevadm, modprobe, package manager,
 * udev monitor); only the --driverctl program is run. */

#include <stdbool.h>

#include "macros.h"

struct onepci_context {
        char *root;          /* "/" on a live system */
        bool live;           /* root is "/" */
        char *driverctl;     /* driverctl program; NULL: search PATH */
        char *devlink;       /* devlink program (switchdev); NULL: search PATH */
        bool no_install;     /* do not install driverctl when missing */
};

int onepci_context_new(const char *root, struct onepci_context **ret);
void onepci_context_free(struct onepci_context *ctx);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct onepci_context *, onepci_context_free)

/* ROOT + rel ("sys/bus/pci/devices"); NULL on allocation failure. */
char *ctx_path(const struct onepci_context *ctx, const char *rel);
/* ROOT + printf(fmt, ...). */
char *ctx_pathf(const struct onepci_context *ctx, const char *fmt, ...)
        __attribute__((format(printf, 2, 3)));
