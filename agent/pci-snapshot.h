/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What the PCI bus looks like right now, read through libpci (pointed at
 * ROOT/sys/bus/pci with sysfs.path) plus the sysfs attributes libpci does not
 * report, plus driverctl's saved overrides in ROOT/etc/driverctl.d/. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "context.h"
#include "error-message.h"
#include "pci-address.h"

struct pci_device {
        char address[PCI_ADDRESS_MAX];
        char vendor[5];          /* "10de" */
        char device[5];          /* "2204" */
        char class6[7];          /* "030000" */
        char vendor_name[128];   /* from pci.ids, "" when unknown */
        char device_name[128];
        char driver[64];         /* bound driver, "" when unbound */
        char driver_override[64];/* "" when unset ("(null)" in sysfs) */
        char saved_override[64]; /* /etc/driverctl.d/pci-ADDR, "" when none */
        int iommu_group;         /* -1 when the device has none */
        int numa_node;           /* -1 when unknown */
        bool is_bridge;          /* class 0x06xx */
        bool has_vfs;            /* SR-IOV PF with sriov_numvfs > 0 */
        bool is_vf;              /* has a physfn link */
        bool boot_vga;           /* boot_vga reads 1 */
        int sriov_totalvfs;      /* -1: not an SR-IOV PF */
        int sriov_numvfs;        /* VFs enabled now (0 when not a PF) */
        char physfn[PCI_ADDRESS_MAX]; /* a VF's PF, "" otherwise */
        int vf_index;            /* a VF's N (the PF's virtfnN link), -1 otherwise */
        char ifname[16];         /* first network interface (net/NAME), "" when none */
        char mac[18];            /* its address, lower case, "" when none */
};

struct pci_snapshot {
        struct pci_device *devices; /* sorted by address */
        size_t n;
};

/* Reads every device.  -ENOENT when ROOT/sys/bus/pci/devices is missing; on
 * failure ret_error (optional) says what could not be read. */
int pci_snapshot_read(const struct onepci_context *ctx, struct pci_snapshot **ret,
                      struct error_message *ret_error);
void pci_snapshot_free(struct pci_snapshot *s);
const struct pci_device *pci_snapshot_find(const struct pci_snapshot *s, const char *address);

/* Bound to vfio-pci with driver_override and the saved file saying so:
 * the state driverctl set-override leaves, in which it must not run again. */
bool pci_device_is_settled_vfio(const struct pci_device *d);
