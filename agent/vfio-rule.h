/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The udev rule that gives /dev/vfio/N its group and mode
 * (ROOT/etc/udev/rules.d/99-vfio.rules, the name the replaced role used),
 * and on a live system: reload udev, re-trigger the vfio devices and wait
 * until each node carries the expected group and mode. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "context.h"
#include "macros.h"

#define VFIO_RULE_PATH "etc/udev/rules.d/99-vfio.rules"

/* The rule's text for a group and mode. */
int vfio_rule_render(const char *group, mode_t mode, char **ret_text);

/* Writes the rule atomically (0644) only when its content differs. */
int vfio_rule_install(const struct onepci_context *ctx, const char *group, mode_t mode,
                      bool *ret_changed);

/* A udev monitor on subsystem vfio, started BEFORE binding (live only). */
struct vfio_watch;
int vfio_watch_start(struct vfio_watch **ret);
void vfio_watch_free(struct vfio_watch *w);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct vfio_watch *, vfio_watch_free)

struct vfio_node_state {
        int group;          /* IOMMU group N of /dev/vfio/N */
        bool present;
        gid_t gid;
        mode_t mode;
        bool ok;            /* matches the expected group and mode */
};

/* `udevadm control --reload`, then re-trigger /dev/vfio devices through
 * libudev (write "change" to their uevent), then wait up to timeout_ms until
 * every /dev/vfio/N in groups carries group and mode.  Live only.  w may be
 * NULL (the monitor could not start): the nodes are then polled on a timer.
 * ret_states (n_groups entries) is filled in every case; -ETIMEDOUT when a
 * node is still wrong at the deadline, -ENOENT when group does not exist. */
int vfio_rule_apply_live(struct vfio_watch *w, const int *groups, size_t n_groups,
                         const char *group, mode_t mode, int timeout_ms,
                         struct vfio_node_state *ret_states);

/* Reads the state of ROOT/dev/vfio/N without waiting (any root).  Knowing no
 * expectation, it leaves ok false. */
int vfio_node_stat(const struct onepci_context *ctx, int group, struct vfio_node_state *ret);

/* Like vfio_node_stat, with ok set when the node is present and carries the
 * gid of group_name (ROOT/etc/group; NSS first on a live root) and mode. */
int vfio_node_stat_expected(const struct onepci_context *ctx, int group, const char *group_name,
                            mode_t mode, struct vfio_node_state *ret);

/* The gid of a group: NSS on a live root, else ROOT/etc/group.  -ENOENT when
 * there is no such group. */
int vfio_group_gid(const struct onepci_context *ctx, const char *group, gid_t *ret_gid);

/* When user `oneadmin` exists in ROOT/etc/passwd and is not a member of
 * group in ROOT/etc/group: returns true. */
bool vfio_oneadmin_missing_from_group(const struct onepci_context *ctx, const char *group);
