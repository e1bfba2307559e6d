/* SPDX-License-Identifier: Apache-2.0 */
#include "pci-ids.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "hex.h"

/* "XXXX  Name": 4 hex digits, then at least one blank, then the name.
 * Returns the ID and points *ret_name at the name, -1 when the line has
 * another shape. */
static long parse_id_line(const char *line, size_t len, const char **ret_name,
                          size_t *ret_name_len) {
        if (len < 6)
                return -1;
        long id = 0;
        for (int i = 0; i < 4; i++) {
                int d = hex_digit_value(line[i]);
                if (d < 0)
                        return -1;
                id = id * 16 + d;
        }
        if (line[4] != ' ' && line[4] != '\t')
                return -1;
        size_t start = 4;
        while (start < len && (line[start] == ' ' || line[start] == '\t'))
                start++;
        size_t end = len;
        while (end > start && (line[end - 1] == ' ' || line[end - 1] == '\t' ||
                               line[end - 1] == '\r'))
                end--;
        if (end == start)
                return -1;
        *ret_name = line + start;
        *ret_name_len = end - start;
        return id;
}

static void copy_name(char *dst, size_t size, const char *src, size_t len) {
        if (!dst || size == 0)
                return;
        snprintf(dst, size, "%.*s", (int)(len < size ? len : size - 1), src);
}

static bool any_wants_vendor(const struct pci_ids_query *q, size_t n, long vendor) {
        for (size_t i = 0; i < n; i++)
                if (q[i].vendor == (unsigned long)vendor)
                        return true;
        return false;
}

void pci_ids_lookup(const char *data, size_t len, struct pci_ids_query *queries, size_t n) {
        for (size_t i = 0; i < n; i++) {
                copy_name(queries[i].vendor_name, queries[i].vendor_size, "", 0);
                copy_name(queries[i].device_name, queries[i].device_size, "", 0);
        }
        if (!data || n == 0)
                return;

        long vendor = -1; /* the vendor block we are in, when one we want */
        const char *end = data + len;
        for (const char *line = data; line < end;) {
                const char *nl = memchr(line, '\n', (size_t)(end - line));
                size_t line_len = nl ? (size_t)(nl - line) : (size_t)(end - line);
                const char *name;
                size_t name_len;

                if (line_len > 0 && line[0] != '\t' && line[0] != '#') {
                        /* A new vendor (or the class section, which ends vendors). */
                        vendor = parse_id_line(line, line_len, &name, &name_len);
                        if (vendor >= 0 && !any_wants_vendor(queries, n, vendor))
                                vendor = -1;
                        for (size_t i = 0; vendor >= 0 && i < n; i++)
                                if (queries[i].vendor == (unsigned long)vendor)
                                        copy_name(queries[i].vendor_name,
                                                  queries[i].vendor_size, name, name_len);
                } else if (vendor >= 0 && line_len > 1 && line[0] == '\t' && line[1] != '\t') {
                        long device = parse_id_line(line + 1, line_len - 1, &name, &name_len);
                        for (size_t i = 0; device >= 0 && i < n; i++)
                                if (queries[i].vendor == (unsigned long)vendor &&
                                    queries[i].device == (unsigned long)device)
                                        copy_name(queries[i].device_name,
                                                  queries[i].device_size, name, name_len);
                }
                line = nl ? nl + 1 : end;
        }
}
