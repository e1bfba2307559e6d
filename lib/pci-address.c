/* SPDX-License-Identifier: Apache-2.0 */
#include "pci-address.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

/* Field widths of DDDD:BB:DD.F, and the separator after each field. */
static const struct {
        size_t width;
        char sep;
} full_shape[] = { { 4, ':' }, { 2, ':' }, { 2, '.' }, { 1, '\0' } };

/* Checks s against shape[first..]; fills out with the lowercase copy. */
static bool match_shape(const char *s, size_t first, char *out) {
        size_t o = 0;
        for (size_t f = first; f < 4; f++) {
                for (size_t i = 0; i < full_shape[f].width; i++, s++) {
                        if (!isxdigit((unsigned char)*s))
                                return false;
                        out[o++] = (char)tolower((unsigned char)*s);
                }
                if (*s != full_shape[f].sep)
                        return false;
                if (full_shape[f].sep)
                        out[o++] = *s++;
        }
        out[o] = '\0';
        return true;
}

static bool function_in_range(const char *canonical) {
        /* The function digit is 0-7, the slot 00-1f. */
        const char *fn = strrchr(canonical, '.');
        const char *slot = fn - 2;
        int slot_val = (int)strtol((char[3]){ slot[0], slot[1], 0 }, NULL, 16);
        return fn[1] >= '0' && fn[1] <= '7' && slot_val <= 0x1f;
}

int pci_address_normalize(const char *in, char ret[PCI_ADDRESS_MAX]) {
        char tmp[PCI_ADDRESS_MAX];
        if (!in || strlen(in) > 12)
                return -EINVAL;
        if (match_shape(in, 0, tmp)) {
                if (!function_in_range(tmp))
                        return -EINVAL;
                memcpy(ret, tmp, sizeof(tmp));
                return 0;
        }
        if (match_shape(in, 1, tmp))
                return -EDOM;
        return -EINVAL;
}

int pci_address_suggest_full(const char *in, char ret[PCI_ADDRESS_MAX]) {
        char tmp[PCI_ADDRESS_MAX];
        if (!in || strlen(in) != 7 || !match_shape(in, 1, tmp))
                return -EINVAL;
        memcpy(ret, "0000:", 5);
        memcpy(ret + 5, tmp, 8);
        return 0;
}

static bool is_glob_char(char c) {
        return c == '*' || c == '?' || c == '[' || c == ']' || c == '!' || c == '-';
}

int pci_address_glob_normalize(const char *in, char *ret, size_t size) {
        size_t len = in ? strlen(in) : 0;
        if (len == 0 || len >= size || len > 64)
                return -EINVAL;

        size_t colons = 0, dots = 0;
        for (size_t i = 0; i < len; i++) {
                char c = in[i];
                if (c == ':')
                        colons++;
                else if (c == '.')
                        dots++;
                else if (!isxdigit((unsigned char)c) && !is_glob_char(c))
                        return -EINVAL;
                ret[i] = (char)tolower((unsigned char)c);
        }
        ret[len] = '\0';
        if (colons == 1 && dots == 1)
                return -EDOM;
        /* A glob must still name the domain: two colons, or a lone "*". */
        if (colons != 2 && !(len == 1 && in[0] == '*'))
                return -EINVAL;
        if (dots > 1)
                return -EINVAL;
        return 0;
}

bool pci_address_glob_match(const char *glob, const char *address) {
        return fnmatch(glob, address, 0) == 0;
}

int pci_id_glob_normalize(const char *in, size_t max_len, char *ret, size_t size) {
        size_t len = in ? strlen(in) : 0;
        if (len == 0 || len > max_len || len >= size)
                return -EINVAL;
        size_t start = 0;
        if (len > 2 && in[0] == '0' && (in[1] == 'x' || in[1] == 'X'))
                start = 2; /* accept sysfs style 0x10de */
        size_t o = 0;
        for (size_t i = start; i < len; i++) {
                char c = in[i];
                if (!isxdigit((unsigned char)c) && !is_glob_char(c))
                        return -EINVAL;
                ret[o++] = (char)tolower((unsigned char)c);
        }
        if (o == 0)
                return -EINVAL;
        ret[o] = '\0';
        return 0;
}

bool pci_driver_name_valid(const char *name) {
        size_t len = name ? strlen(name) : 0;

        if (len == 0 || len >= 64)
                return false;
        for (; *name; name++)
                if (!(isalnum((unsigned char)*name) || *name == '_' || *name == '-'))
                        return false;
        return true;
}
