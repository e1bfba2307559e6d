/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* SR-IOV: enabling a PF's VFs and its eswitch mode, in the order the
 * reworked one-deploy role uses, and the udev rule that brings them back at
 * boot.
 *
 * Changing a PF (sriov_change_pf):
 *   1. its own driverctl override goes first (a PF that gets VFs stays on its
 *      host driver): driverctl unset-override PF;
 *   2. a different count is preceded by writing 0 (the kernel refuses one
 *      non-zero count over another with EBUSY);
 *   3. switchdev is set while the PF has no VFs: devlink dev eswitch set
 *      pci/PF mode switchdev (iproute2's devlink, through lib/run-program.h);
 *   4. the count is written to sriov_numvfs.
 *
 * At boot the VFs are gone.  The agent writes one rule file,
 * /etc/udev/rules.d/70-onepci-sriov.rules, with a line per PF it manages:
 * when the PF's host driver binds (ACTION "bind", or "add" with a driver
 * already bound; never vfio-pci) and it has no VFs, udev writes sriov_numvfs (ATTR{sriov_numvfs}="N"); for
 * switchdev it first runs devlink.  The VFs then appear as devices, and
 * driverctl's own udev rule applies their saved overrides as each one is
 * added.  No unit per PF, no network, and it happens during udev's
 * coldplug, before any network configuration. */

#include <stdbool.h>
#include <stddef.h>

#include "context.h"
#include "error-message.h"

#define SRIOV_RULE_PATH "etc/udev/rules.d/70-onepci-sriov.rules"
#define DEVLINK_TIMEOUT_MS (30 * 1000)

/* What the change does to the node; injectable for tests. */
struct sriov_io {
        /* Writes value to a sysfs attribute (path under the root). */
        int (*write_attr)(const char *path, const char *value, void *userdata);
        /* Runs program with args (NULL-terminated, without the program). */
        int (*run)(const char *program, const char *const *args, char **ret_stderr,
                   void *userdata);
        void *userdata;
};

/* The real thing: write the file, run_program(). */
extern const struct sriov_io sriov_io_default;

struct sriov_pf_change {
        const char *address;
        int current;           /* sriov_numvfs now */
        int want;              /* the count (max resolved) */
        bool has_override;     /* driverctl override on the PF (saved or in sysfs) */
        bool switchdev;        /* wanted */
        bool switchdev_done;   /* onepci set it before (the state file) */
        bool legacy;           /* onepci set switchdev before and it is no longer asked */
};

/* Does the change do anything? */
bool sriov_change_needed(const struct sriov_pf_change *c);

/* Carries out one PF's change (steps above).  driverctl and devlink are
 * programs (devlink only needed for switchdev). */
int sriov_change_pf(const struct onepci_context *ctx, const struct sriov_pf_change *c,
                    const char *driverctl, const char *devlink, const struct sriov_io *io,
                    struct error_message *ret_error);

/* Gives VFs back: 0 to sriov_numvfs; then, when legacy, the eswitch back to
 * legacy. */
int sriov_release_pf(const struct onepci_context *ctx, const char *address, bool legacy,
                     const char *devlink, const struct sriov_io *io,
                     struct error_message *ret_error);

struct sriov_rule_pf {
        const char *address;
        int numvfs;
        bool switchdev;
};

/* The rule file's content for these PFs (sorted by the caller); "" header
 * only when none.  devlink: the program's absolute path. */
int sriov_rule_render(const struct sriov_rule_pf *pfs, size_t n, const char *devlink,
                      char **ret);

/* devlink: ctx->devlink when set, else on PATH on a live root.  -ENOENT
 * otherwise (a fixture root needs --devlink). */
int devlink_locate(const struct onepci_context *ctx, char **ret_path);
