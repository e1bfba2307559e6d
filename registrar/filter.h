/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* What a host's PCI_FILTER and PCI_SHORT_ADDRESS should be for a report.
 * Pure. */

#include <stdbool.h>

#include "report-validate.h"

enum filter_mode { FILTER_MODE_AUTO, FILTER_MODE_IDS, FILTER_MODE_ADDRESSES };

int filter_mode_from_string(const char *s, enum filter_mode *ret);
const char *filter_mode_to_string(enum filter_mode m);

/* The slot as the probe prints it: "bb:dd.f" in domain 0000, else
 * "dddd:bb:dd.f".  address is a full lowercase address. */
void filter_short_address(const char *address, char ret[PCI_ADDRESS_MAX]);

/* Computes the filters:
 *   ids:       PCI_FILTER = unique sorted "vendor:device"; no short address.
 *   addresses: PCI_FILTER as ids (it narrows by id too) and PCI_SHORT_ADDRESS
 *              = the sorted slots of the devices.
 *   auto:      ids, plus the short addresses when the report has twins.
 * With no devices PCI_FILTER is "0:0" (matches nothing): an empty filter
 * would match every device.  *ret_short_address is NULL when not set. */
int filter_compute(const struct pci_report *r, enum filter_mode mode, char **ret_filter,
                   char **ret_short_address);
