/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Vendor and device names from a pci.ids database, the text file pciutils
 * and hwdata ship:
 *
 *   # comment
 *   10de  NVIDIA Corporation          vendor: 4 hex digits, two spaces, name
 *   \t26b9  AD102GL [L40S]            device of the vendor above
 *   \t\t10de 1851  ...                subsystem (ignored)
 *   C 03  Display controller          class section (ignored)
 *
 * Every query is answered in one pass over the buffer that looks closely only
 * at the vendors asked for.  libpci's pci_lookup_name() instead parses the
 * whole database into a hash table first (1.3 MB, ~25 M instructions): more
 * than half of an agent run, for two names a person may read. */

#include <stddef.h>

struct pci_ids_query {
        unsigned vendor, device; /* 16-bit IDs */
        char *vendor_name;       /* filled with the name, "" when unknown */
        size_t vendor_size;
        char *device_name;
        size_t device_size;
};

/* Fills every query's names from data (len bytes, need not be NUL-terminated).
 * Lines that do not have the shape above are skipped: names are cosmetic, a
 * damaged database loses names, never the run. */
void pci_ids_lookup(const char *data, size_t len, struct pci_ids_query *queries, size_t n);
