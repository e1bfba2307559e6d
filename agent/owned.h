/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What onepci itself did to the node, kept in the state file under "owned"
 * so that it can be given back when the inventory stops asking for it, and
 * nothing else is ever undone:
 *
 *   "owned": { "overrides": [ { "address": "0000:09:00.0", "driver": "vfio-pci",
 *                               "mac": "3c:fd:fe:a0:00:01" }, ... ],
 *              "vfs": [ { "pf": "0000:03:00.1", "driver": "i40e", "numvfs": 2,
 *                         "switchdev": false }, ... ] }
 *
 * An override is recorded when `apply` ran driverctl set-override for it;
 * "mac" is the address of the device's network interface before the bind
 * (vfio-pci leaves none), so a MAC selector keeps matching it. */

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "pci-address.h"

struct owned_override {
        char address[PCI_ADDRESS_MAX];
        char driver[64];
        char mac[18]; /* "" when none */
};

/* VFs onepci enabled on a PF (and the eswitch mode it set). */
struct owned_vfs {
        char pf[PCI_ADDRESS_MAX];
        char driver[64]; /* the PF's host driver, for the boot rule */
        int numvfs;
        bool switchdev;
};

struct owned {
        struct owned_override *overrides;
        size_t n;
        struct owned_vfs *vfs;
        size_t n_vfs;
};

/* Reads state["owned"]; a state without it (or NULL) owns nothing.  Entries
 * that are not well formed are skipped: the file is ours, but never trusted
 * to name a path. */
int owned_from_state(struct json_object *state, struct owned *ret);
struct json_object *owned_to_json(const struct owned *o);
const struct owned_override *owned_find(const struct owned *o, const char *address);
/* Adds or replaces (the MAC is kept when mac is NULL or ""). */
int owned_add(struct owned *o, const char *address, const char *driver, const char *mac);
void owned_remove(struct owned *o, const char *address);
void owned_clear(struct owned *o);
const struct owned_vfs *owned_find_vfs(const struct owned *o, const char *pf);
int owned_add_vfs(struct owned *o, const char *pf, const char *driver, int numvfs, bool switchdev);
void owned_remove_vfs(struct owned *o, const char *pf);

/* "ADDRESS=MAC" for each override with a MAC (for plan_compute_with_macs). */
int owned_macs(const struct owned *o, char ***ret_strv);
