/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What `apply` would do to each device the inventory selects: pure logic over
 * the host's configuration, a PCI snapshot and the guard facts. */

#include <stdbool.h>
#include <stddef.h>

#include "guards.h"
#include "host-config.h"
#include "pci-snapshot.h"

enum plan_action {
        PLAN_BIND,           /* run driverctl set-override ADDR vfio-pci */
        PLAN_KEEP,           /* already settled on vfio-pci: leave it alone */
        PLAN_LEAVE,          /* set_driver: omit, driver left as it is */
        PLAN_OVERRIDE,       /* run driverctl set-override ADDR DRIVER (not vfio-pci) */
        PLAN_VFS,            /* an SR-IOV PF that gets VFs: stays on its host driver */
        PLAN_EXCLUDED,       /* excluded although a later entry matches too (shown) */
        PLAN_RELEASE,        /* onepci set its override, the inventory no longer asks: give back */
        PLAN_RELEASE_VFS,    /* onepci enabled the PF's VFs, no longer asked: 0 VFs (legacy) */
        PLAN_REFUSE_MISSING, /* an exact address that is not on the bus */
        PLAN_REFUSE_DEVICE,  /* a bridge, no IOMMU group, a PF with VFs enabled */
        PLAN_REFUSE_GUARD,   /* carries the default route / holds the root disk */
        PLAN_REFUSE_GROUP,   /* another member of the IOMMU group blocks it */
        PLAN_REFUSE_NAME,    /* set_name cannot be formatted, is too long or taken */
        PLAN_REFUSE_HELD,    /* to be given back, but a process holds its /dev/vfio/N */
};

struct plan_item {
        char address[PCI_ADDRESS_MAX];
        enum plan_action action;
        const struct pci_device *dev; /* NULL for PLAN_REFUSE_MISSING */
        size_t selector;              /* index of the selector that chose it */
        char entry[280];              /* that entry as FILE:LINE, for people */
        char reason[384];             /* why, for people */
        char driver[64];              /* PLAN_OVERRIDE: the driver */
        bool unlisted;                /* never in PCI_FILTER / PCI_SHORT_ADDRESS */
        int numvfs;                   /* PLAN_VFS: the count wanted (max resolved) */
        char name[64];                /* set_name formatted; "" = none */
        size_t order;                 /* first matching entry (the role's list order) */
        long counter;                 /* set_counter it carries; SELECTOR_COUNTER_UNSET none */
        bool give_back_vfs;           /* the VFs onepci made on this PF go first (0 VFs) */
};

struct plan {
        bool enabled;         /* false: the host has passthrough off or no devices */
        struct plan_item *items; /* sorted by address */
        size_t n;
};

int plan_compute(const struct host_config *cfg, const struct pci_snapshot *snap,
                 const struct guard_facts *guards, struct plan **ret);
struct owned;
/* The same, knowing what onepci did (the state file's "owned"; NULL:
 * nothing): the MAC addresses it remembers for devices that have no network
 * interface now, so a MAC selector keeps matching a device once it is on
 * vfio-pci; and the VFs it made, so a PF whose entry no longer asks for VFs
 * is judged as it will be once they are gone (give_back_vfs). */
int plan_compute_owned(const struct host_config *cfg, const struct pci_snapshot *snap,
                       const struct guard_facts *guards, const struct owned *owned,
                       struct plan **ret);
void plan_free(struct plan *p);

const char *plan_action_name(enum plan_action a); /* "bind", "keep", ... */
bool plan_action_is_refusal(enum plan_action a);
/* Does a device with this action end on vfio-pci (bind or keep)?  The one
 * definition the plan, the report, the output and the run use. */
bool plan_action_ends_on_vfio(enum plan_action a);
/* Adds a PLAN_RELEASE item for each override onepci set (owned, from the
 * state file) that the plan no longer asks for: the device is not planned
 * to end on that driver (dropped from pci_devices, excluded, set_driver
 * changed or omit, a PF that now gets VFs).  A device refused by the plan
 * is not released (apply stops on refusals anyway).  The VFs onepci made on
 * a PF whose entry no longer asks for them (gone, excluded, set_numvfs 0 or
 * none, so the PF itself is bound, overridden or left) are given back first:
 * the PF gets give_back_vfs (PLAN_RELEASE_VFS when nothing else is done to
 * it), each of its VFs PLAN_RELEASE when onepci set the VF's override, else
 * PLAN_LEAVE (it goes with the VFs).  Never anything onepci did not do. */
int plan_add_releases(struct plan *p, const struct pci_snapshot *snap, const struct owned *owned);

/* Does the device end on vfio-pci and get listed for OpenNebula? */
bool plan_item_is_listed(const struct plan_item *it);
/* Counts of each kind, for summaries and exit codes. */
size_t plan_count(const struct plan *p, enum plan_action a);
/* Items whose PF gives back the VFs onepci made (release-vfs, or bound after). */
size_t plan_count_give_back_vfs(const struct plan *p);

/* The PCI_FILTER the devices that end on vfio-pci make (lib/pci-filter.h):
 * their unique, sorted vendor:device pairs, PCI_FILTER_NONE ("0:0") when
 * there are none, as the registrar writes it for the report of this plan. */
int plan_pci_filter(const struct plan *p, char **ret);
