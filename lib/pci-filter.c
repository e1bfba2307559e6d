/* SPDX-License-Identifier: Apache-2.0 */
#include "pci-filter.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"

static int compare_strings(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int pci_list_join(char **items, size_t n, char **ret) {
        size_t len = 1, out = 0;
        char *s;

        if (!ret || (n > 0 && !items))
                return -EINVAL;
        for (size_t i = 0; i < n; i++) {
                if (!items[i] || !items[i][0])
                        return -EINVAL;
                len += strlen(items[i]) + 1;
        }
        if (n > 1)
                qsort(items, n, sizeof(char *), compare_strings);
        s = malloc(len);
        if (!s)
                return -ENOMEM;
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
        *ret = s;
        return 0;
}

int pci_filter_join(char **ids, size_t n, char **ret) {
        if (!ret)
                return -EINVAL;
        if (n == 0) {
                *ret = strdup(PCI_FILTER_NONE);
                return *ret ? 0 : -ENOMEM;
        }
        for (size_t i = 0; ids && i < n; i++)
                for (char *c = ids[i]; c && *c; c++)
                        *c = (char)tolower((unsigned char)*c);
        return pci_list_join(ids, n, ret);
}
