/* SPDX-License-Identifier: Apache-2.0 */
/* PCI_FILTER / PCI_SHORT_ADDRESS computation (see filter.h and the reference:
 * an empty list element matches every device, so none is ever produced). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "macros.h"
#include "pci-filter.h"

int filter_mode_from_string(const char *s, enum filter_mode *ret) {
        if (!s)
                return -EINVAL;
        if (STREQ(s, "auto"))
                *ret = FILTER_MODE_AUTO;
        else if (STREQ(s, "ids"))
                *ret = FILTER_MODE_IDS;
        else if (STREQ(s, "addresses"))
                *ret = FILTER_MODE_ADDRESSES;
        else
                return -EINVAL;
        return 0;
}

const char *filter_mode_to_string(enum filter_mode m) {
        switch (m) {
        case FILTER_MODE_IDS:
                return "ids";
        case FILTER_MODE_ADDRESSES:
                return "addresses";
        case FILTER_MODE_AUTO:
        default:
                return "auto";
        }
}

void filter_short_address(const char *address, char ret[PCI_ADDRESS_MAX]) {
        if (strncmp(address, "0000:", 5) == 0)
                snprintf(ret, PCI_ADDRESS_MAX, "%s", address + 5);
        else
                snprintf(ret, PCI_ADDRESS_MAX, "%s", address);
}

int filter_compute(const struct pci_report *r, enum filter_mode mode, char **ret_filter,
                   char **ret_short_address) {
        _cleanup_free_ char *ids_buf = NULL, *addr_buf = NULL;
        _cleanup_free_ char **ids = NULL, **addrs = NULL;
        _cleanup_free_ char *filter = NULL, *shorts = NULL;
        size_t n = r->n_devices;
        bool want_short;

        if (n == 0) {
                *ret_short_address = NULL;
                return pci_filter_join(NULL, 0, ret_filter);
        }

        ids_buf = calloc(n, 10);
        addr_buf = calloc(n, PCI_ADDRESS_MAX);
        ids = calloc(n, sizeof(char *));
        addrs = calloc(n, sizeof(char *));
        if (!ids_buf || !addr_buf || !ids || !addrs)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const struct report_device *d = &r->devices[i];

                ids[i] = ids_buf + 10 * i;
                snprintf(ids[i], 10, "%s:%s", d->vendor, d->device);
                addrs[i] = addr_buf + PCI_ADDRESS_MAX * i;
                filter_short_address(d->address, addrs[i]);
        }

        int ret = pci_filter_join(ids, n, &filter); /* lowercases: the rule lives there */
        if (ret < 0)
                return ret;
        want_short = mode == FILTER_MODE_ADDRESSES || (mode == FILTER_MODE_AUTO && r->n_twins > 0);
        if (want_short) {
                ret = pci_list_join(addrs, n, &shorts);
                if (ret < 0)
                        return ret;
        }
        *ret_filter = TAKE_PTR(filter);
        *ret_short_address = TAKE_PTR(shorts);
        return 0;
}
