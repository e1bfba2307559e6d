/* SPDX-License-Identifier: Apache-2.0 */
/* PCI_FILTER / PCI_SHORT_ADDRESS computation (see filter.h and the reference:
 * an empty list element matches every device, so none is ever produced). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "macros.h"

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

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorts items, drops duplicates and joins them with commas. */
static char *join_unique_sorted(char **items, size_t n) {
        size_t len = 0, out = 0;
        char *s;

        qsort(items, n, sizeof(char *), cmp_str);
        for (size_t i = 0; i < n; i++)
                len += strlen(items[i]) + 1;
        s = malloc(len + 1);
        if (!s)
                return NULL;
        s[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (i > 0 && STREQ(items[i], items[i - 1]))
                        continue;
                size_t l = strlen(items[i]);
                if (out > 0)
                        s[out++] = ',';
                memcpy(s + out, items[i], l);
                out += l;
                s[out] = '\0';
        }
        return s;
}

int filter_compute(const struct pci_report *r, enum filter_mode mode, char **ret_filter,
                   char **ret_short_address) {
        _cleanup_free_ char *ids_buf = NULL, *addr_buf = NULL;
        _cleanup_free_ char **ids = NULL, **addrs = NULL;
        _cleanup_free_ char *filter = NULL, *shorts = NULL;
        size_t n = r->n_devices;
        bool want_short;

        if (n == 0) {
                filter = strdup("0:0");
                if (!filter)
                        return -ENOMEM;
                *ret_filter = TAKE_PTR(filter);
                *ret_short_address = NULL;
                return 0;
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
                /* Already validated lowercase; lowercase again so the rule lives here too. */
                for (char *c = ids[i]; *c; c++)
                        if (*c >= 'A' && *c <= 'F')
                                *c = (char)(*c - 'A' + 'a');
                addrs[i] = addr_buf + PCI_ADDRESS_MAX * i;
                filter_short_address(d->address, addrs[i]);
        }

        filter = join_unique_sorted(ids, n);
        if (!filter)
                return -ENOMEM;
        want_short = mode == FILTER_MODE_ADDRESSES || (mode == FILTER_MODE_AUTO && r->n_twins > 0);
        if (want_short) {
                shorts = join_unique_sorted(addrs, n);
                if (!shorts)
                        return -ENOMEM;
        }
        *ret_filter = TAKE_PTR(filter);
        *ret_short_address = TAKE_PTR(shorts);
        return 0;
}
