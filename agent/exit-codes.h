/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* onepci-agent's exit codes (documented in docs/onepci-agent.8.scd). */
enum agent_exit {
        EXIT_OK = 0,            /* done, or nothing to do */
        EXIT_INTERNAL = 1,      /* unexpected failure (out of memory, bug) */
        EXIT_USAGE = 2,         /* bad command line */
        EXIT_CONFIG = 3,        /* inventory unreadable or invalid */
        EXIT_IDENTITY = 4,      /* no or several inventory hosts match this machine */
        EXIT_PREFLIGHT = 5,     /* IOMMU off, device missing, bridge, set_name unusable for a device, driverctl/vfio-pci unavailable */
        EXIT_GUARD = 6,         /* a guard refused a device (default route, root disk, IOMMU group) */
        EXIT_APPLY = 7,         /* binding or udev rule failed */
        EXIT_DRIFT = 8,         /* `check`: the node differs from the inventory */
        EXIT_REGISTER = 9,      /* registration with the registrar finally failed */
};
