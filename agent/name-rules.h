/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* set_name, carried out by one udev rule file the agent writes whole from
 * the inventory on every apply, /etc/udev/rules.d/99-onepci-names.rules:
 *
 *   a network interface (a device that stays on its host driver and is a
 *   NIC) is named by its PCI address:
 *     SUBSYSTEM=="net", ACTION=="add", SUBSYSTEMS=="pci", KERNELS=="ADDR", NAME="NAME"
 *   a device on vfio-pci gets /dev/vfio/by-tag/NAME, found by its IOMMU group
 *   (whose number may change from one boot to the next):
 *     SUBSYSTEM=="vfio", ACTION!="remove", PROGRAM="/usr/bin/test
 *     /sys/bus/pci/devices/ADDR/iommu_group -ef /sys/kernel/iommu_groups/%k",
 *     SYMLINK+="vfio/by-tag/NAME"
 *
 * A name no longer asked for is gone at the next apply.  The kernel does not
 * rename an interface that is up: a new name shows when the device is added
 * again (a reboot, or its driver unbound and bound). */

#include <stdbool.h>
#include <stddef.h>

#define NAME_RULES_PATH "etc/udev/rules.d/99-onepci-names.rules"

struct name_rule {
        const char *address;
        const char *name;
        bool vfio; /* by-tag link; else an interface name */
};

int name_rules_render(const struct name_rule *rules, size_t n, char **ret);
