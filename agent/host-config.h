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
 * A selector: address (full address or glob), vendor / device / class (hex
 * globs), excluded: true, unguarded: true, set_driver (vfio-pci default,
 * "omit" leaves the driver alone).  At least one of address / vendor /
 * device / class. */

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct error_message; /* error-message.h */
#include "inventory.h"
#include "macros.h"

struct device_selector {
        char address[65]; /* normalised full address or glob; "" = any */
        char vendor[9];   /* normalised hex glob; "" = any */
        char device[9];
        char class_[9];   /* matched against "ccss" and "ccsspp" */
        bool excluded;
        bool unguarded;
        bool omit_driver; /* set_driver: omit */
        bool is_exact;    /* address given without glob characters */
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

/* Does the selector match a device? (ids as "10de", class as "030200") */
bool device_selector_match(const struct device_selector *sel, const char *address,
                           const char *vendor, const char *device, const char *class6);
