/* SPDX-License-Identifier: Apache-2.0 */
#include "iommu.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macros.h"

/* True when dir has an entry that is not hidden (fixture roots keep empty
 * directories with a .keep file). */
static bool dir_has_entries(const char *path) {
        DIR *d = opendir(path);
        if (!d)
                return false;
        bool found = false;
        struct dirent *e;
        while (!found && (e = readdir(d)))
                found = e->d_name[0] != '.';
        closedir(d);
        return found;
}

static bool acpi_table_exists(const struct onepci_context *ctx, const char *table) {
        _cleanup_free_ char *p = ctx_pathf(ctx, "sys/firmware/acpi/tables/%s", table);
        return p && path_exists(p);
}

int iommu_check_active(const struct onepci_context *ctx, struct error_message *ret_error) {
        _cleanup_free_ char *groups = ctx_path(ctx, "sys/kernel/iommu_groups");
        if (!groups)
                return -ENOMEM;
        if (dir_has_entries(groups))
                return 0;
        if (!ret_error)
                return -ENODEV;

        const char *msg;
        if (acpi_table_exists(ctx, "DMAR"))
                msg = "the IOMMU is off: /sys/kernel/iommu_groups is empty, but the firmware "
                      "offers an Intel VT-d IOMMU (ACPI DMAR table present); add "
                      "intel_iommu=on iommu=pt to the kernel command line and reboot";
        else if (acpi_table_exists(ctx, "IVRS"))
                msg = "the IOMMU is off: /sys/kernel/iommu_groups is empty, but the firmware "
                      "offers an AMD-Vi IOMMU (ACPI IVRS table present); add "
                      "amd_iommu=on iommu=pt to the kernel command line (and remove any "
                      "amd_iommu=off) and reboot";
        else
                msg = "the IOMMU is off: /sys/kernel/iommu_groups is empty and the firmware "
                      "offers none (no ACPI DMAR or IVRS table); enable VT-d or AMD-Vi (IOMMU) "
                      "in the firmware setup, then add intel_iommu=on or amd_iommu=on to the "
                      "kernel command line";
        error_set(ret_error, "%s", msg);
        return -ENODEV;
}

static bool is_target(char *const *targets, const char *address) {
        for (char *const *t = targets; t && *t; t++)
                if (STREQ(*t, address))
                        return true;
        return false;
}

/* Drivers that hold no DMA for the host: a group member on them is harmless. */
static bool is_harmless_driver(const char *driver) {
        return driver[0] == '\0' || STREQ(driver, "vfio-pci") || STREQ(driver, "pci-stub");
}

bool iommu_group_blocker(const struct pci_snapshot *s, const struct pci_device *dev,
                         char *const *targets, const struct pci_device **ret_blocker) {
        if (!s || !dev || dev->iommu_group < 0)
                return false;
        for (size_t i = 0; i < s->n; i++) {
                const struct pci_device *m = &s->devices[i];
                if (m->iommu_group != dev->iommu_group || STREQ(m->address, dev->address))
                        continue;
                if (is_target(targets, m->address) || is_harmless_driver(m->driver) ||
                    m->is_bridge)
                        continue;
                if (ret_blocker)
                        *ret_blocker = m;
                return true;
        }
        return false;
}
