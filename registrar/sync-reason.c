/* SPDX-License-Identifier: Apache-2.0 */
#include "sync-reason.h"

#include <stdbool.h>
#include <string.h>

#include "escape.h"

/* Appends the non-empty lines of s (or only the last one) to raw, "; "
 * between them; stops when raw is full. */
static size_t join_lines(const char *s, size_t len, bool last_only, char *raw, size_t cap) {
        size_t n = 0;
        const char *end = s + len;

        for (const char *p = s; p < end;) {
                const char *nl = memchr(p, '\n', (size_t)(end - p));
                const char *e = nl ? nl : end;
                size_t l = (size_t)(e - p);

                while (l > 0 && (p[l - 1] == '\r' || p[l - 1] == ' ' || p[l - 1] == '\t'))
                        l--;
                if (l > 0) {
                        if (last_only)
                                n = 0;
                        else if (n > 0 && n + 2 < cap) {
                                memcpy(raw + n, "; ", 2);
                                n += 2;
                        }
                        if (l > cap - 1 - n)
                                l = cap - 1 - n;
                        memcpy(raw + n, p, l);
                        n += l;
                }
                p = e + 1;
        }
        raw[n] = '\0';
        return n;
}

static bool has_text(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (s[i] != '\n' && s[i] != '\r' && s[i] != ' ' && s[i] != '\t')
                        return true;
        return false;
}

void sync_reason(const char *out, size_t out_len, const char *err, size_t err_len, char *buf,
                 size_t size) {
        char raw[SYNC_REASON_MAX + 1];
        size_t n = has_text(err, err_len) ? join_lines(err, err_len, false, raw, sizeof(raw))
                                          : join_lines(out, out_len, true, raw, sizeof(raw));

        n = mask_url_userinfo(raw, n);
        escape_untrusted_to(raw, n, buf, size < SYNC_REASON_MAX + 1 ? size : SYNC_REASON_MAX + 1);
}
