/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The lists OpenNebula's host template takes to narrow what the PCI probe
 * shows (PCI_FILTER, PCI_SHORT_ADDRESS): comma separated, and never with an
 * empty element, since an empty element matches every device.  One join for
 * the agent (what it shows) and the registrar (what it writes). */

#include <stddef.h>

/* The PCI_FILTER of no device: matches nothing.  An empty PCI_FILTER would
 * match every device. */
#define PCI_FILTER_NONE "0:0"

/* Sorts items in place and joins the distinct ones with commas; "" when n is
 * 0.  Items must be non-empty.  -EINVAL on an empty item, -ENOMEM. */
int pci_list_join(char **items, size_t n, char **ret);

/* PCI_FILTER from "vendor:device" ids: lowercased in place, then as
 * pci_list_join(); PCI_FILTER_NONE when n is 0. */
int pci_filter_join(char **ids, size_t n, char **ret);
