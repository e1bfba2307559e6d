/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Which processes hold /dev/vfio/N open: ROOT/proc/PID/fd/N links to
 * /dev/vfio/N, each named with its command line (for OpenNebula's QEMU the
 * command line holds the VM's name, "-name guest=one-42,..."). */

#include "context.h"

/* ret_strv: "PID (command line)" for each holder, NULL when none.  A process
 * whose fds cannot be read (gone, or not ours to read) is skipped. */
int vfio_group_holders(const struct onepci_context *ctx, int group, char ***ret_strv);
