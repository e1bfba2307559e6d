/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The agent's own variables of one inventory host, validated.
 *
 *   pci_passthrough_enabled  bool; absent with a non-empty pci_devices = enabled
 *   pci_devices              list of selectors (below)
 *   ansible_host             the OpenNebula host name when set
 *   onepci_vfio_group        group of /dev/vfio/N (default "kvm")
 *   onepci_vfio_mode         mode of /dev/vfio/N (default "0660"; "0666" allowed)
 *   pci_registrar_url        where to register (http:// or https://)
 *
 * A selector (the keys of one-deploy's reworked PCI role): address (full
 * PCI address or glob, or a MAC-address glob: exactly five ':'), vendor /
 * device / class (hex globs), excluded, unguarded, unlisted, virtual,
 * set_switchdev (booleans), set_driver (a driver name; vfio-pci by default,
 * "omit" leaves the driver alone), set_numvfs (integer >= 0 or "max"),
 * set_name (a str.format name, agent/name-format.h), set_counter (integer
 * >= 0).  At least one of address / vendor / device / class.
 *
 * Several entries matching one device: the last one wins whole (its omitted
 * keys take their defaults, as in the role), except `excluded`, which is
 * absolute: any matching excluded entry excludes the device. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct error_message; /* error-message.h */
#include "inventory.h"
#include "macros.h"

#define SELECTOR_NUMVFS_MAX (-1) /* set_numvfs: max (sriov_totalvfs) */
#define SELECTOR_COUNTER_UNSET (-1)

struct device_selector {
        char address[65]; /* normalised full address or glob; "" = any */
        char mac[64];     /* lower-case MAC-address glob; "" = not a MAC selector */
        char vendor[9];   /* normalised hex glob; "" = any */
        char device[9];
        char class_[9];   /* matched against "ccss" and "ccsspp" */
        bool excluded;
        bool unguarded;
        bool omit_driver; /* set_driver: omit */
        bool driver_explicit; /* set_driver written in the entry */
        char driver[64];  /* set_driver: "vfio-pci" unless another driver or omit */
        bool is_exact;    /* address given without glob characters */
        bool unlisted;    /* configured, never in PCI_FILTER / PCI_SHORT_ADDRESS */
        bool is_virtual;  /* matching nothing is not an error */
        bool switchdev;   /* set_switchdev */
        int numvfs;       /* set_numvfs: 0 (default), N, or SELECTOR_NUMVFS_MAX */
        char name[128];   /* set_name: a str.format template; "" = none */
        long counter;     /* set_counter, SELECTOR_COUNTER_UNSET when not given */
        char file[256];   /* where the entry is written */
        unsigned line, column;
};

struct host_config {
        char *name;          /* inventory name */
        char *ansible_host;  /* NULL when unset */
        char *one_host_name; /* ansible_host, else name: OpenNebula's host NAME */
        bool enabled;
        struct device_selector *selectors;
        size_t n_selectors;
        char vfio_group[33];
        mode_t vfio_mode;
        char *registrar_url; /* NULL when unset */
};

/* Validates and extracts.  -EINVAL with ret_err naming file, line, column and
 * the value for anything wrong (a short address gets the full form to use). */
int host_config_from_vars(const char *name, const struct inv_value *vars,
                          struct host_config **ret, struct error_message *ret_err);
void host_config_free(struct host_config *cfg);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct host_config *, host_config_free)

/* Does the selector match a device? (ids as "10de", class as "030200").
 * A MAC selector matches only through mac (lower case, NULL or "" when the
 * device has no network interface and none is remembered). */
bool device_selector_match(const struct device_selector *sel, const char *address,
                           const char *vendor, const char *device, const char *class6,
                           const char *mac);

/* Does the entry ask for VFs (set_numvfs max or > 0)? */
bool device_selector_wants_vfs(const struct device_selector *sel);
