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
        PLAN_REFUSE_MISSING, /* an exact address that is not on the bus */
        PLAN_REFUSE_DEVICE,  /* a bridge, no IOMMU group, a PF with VFs enabled */
        PLAN_REFUSE_GUARD,   /* carries the default route / holds the root disk */
        PLAN_REFUSE_GROUP,   /* another member of the IOMMU group blocks it */
};

struct plan_item {
        char address[PCI_ADDRESS_MAX];
        enum plan_action action;
        const struct pci_device *dev; /* NULL for PLAN_REFUSE_MISSING */
        size_t selector;              /* index of the selector that chose it */
        char reason[256];             /* why, for people */
};

struct plan {
        bool enabled;         /* false: the host has passthrough off or no devices */
        struct plan_item *items; /* sorted by address */
        size_t n;
};

int plan_compute(const struct host_config *cfg, const struct pci_snapshot *snap,
                 const struct guard_facts *guards, struct plan **ret);
void plan_free(struct plan *p);

const char *plan_action_name(enum plan_action a); /* "bind", "keep", ... */
bool plan_action_is_refusal(enum plan_action a);
/* Does a device with this action end on vfio-pci (bind or keep)?  The one
 * definition the plan, the report, the output and the run use. */
bool plan_action_ends_on_vfio(enum plan_action a);
/* Counts of each kind, for summaries and exit codes. */
size_t plan_count(const struct plan *p, enum plan_action a);

/* The PCI_FILTER the devices that end on vfio-pci make (lib/pci-filter.h):
 * their unique, sorted vendor:device pairs, PCI_FILTER_NONE ("0:0") when
 * there are none, as the registrar writes it for the report of this plan. */
int plan_pci_filter(const struct plan *p, char **ret);
