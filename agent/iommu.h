/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "context.h"
#include "error-message.h"
#include "pci-snapshot.h"

/* IOMMU is active when ROOT/sys/kernel/iommu_groups has entries.  When it is
 * not, ret_error (optional) says whether the firmware offers one (DMAR / IVRS under
 * ROOT/sys/firmware/acpi/tables) and which kernel parameter to add.
 * Returns 0 when active, -ENODEV otherwise. */
int iommu_check_active(const struct onepci_context *ctx, struct error_message *ret_error);

/* Finds the member of dev's IOMMU group that keeps the group from being
 * usable by a VM: a member that is not in targets (a NULL-terminated list of
 * addresses being bound), not unbound, not on vfio-pci or pci-stub, and not
 * a bridge.  Returns true and *ret_blocker when one blocks. */
bool iommu_group_blocker(const struct pci_snapshot *s, const struct pci_device *dev,
                         char *const *targets, const struct pci_device **ret_blocker);
