/* SPDX-License-Identifier: Apache-2.0 */
#include "escape.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Length of the well-formed UTF-8 sequence at s (2..4 bytes) that is not a
 * C1 control, 0 when there is none (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF). */
static size_t utf8_printable_len(const unsigned char *s, size_t avail) {
        unsigned char c = s[0];
        size_t n;
        uint32_t cp;

        if (c >= 0xc2 && c <= 0xdf)
                n = 2, cp = c & 0x1f;
        else if (c >= 0xe0 && c <= 0xef)
                n = 3, cp = c & 0x0f;
        else if (c >= 0xf0 && c <= 0xf4)
                n = 4, cp = c & 0x07;
        else
                return 0;
        if (avail < n)
                return 0;
        for (size_t i = 1; i < n; i++) {
                if ((s[i] & 0xc0) != 0x80)
                        return 0;
                cp = (cp << 6) | (s[i] & 0x3f);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
            (cp >= 0xd800 && cp <= 0xdfff) || (cp >= 0x80 && cp <= 0x9f))
                return 0;
        return n;
}

size_t escape_untrusted_to(const char *s, size_t len, char *buf, size_t size) {
        const unsigned char *p = (const unsigned char *)(s ? s : "");
        size_t need = 0, out = 0;
        bool full = false;

        if (!s)
                len = 0;
        for (size_t i = 0; i < len;) {
                char piece[8];
                size_t n, step = 1;
                unsigned char c = p[i];

                if (c == '\\')
                        n = (size_t)snprintf(piece, sizeof piece, "\\\\");
                else if (c == '\n')
                        n = (size_t)snprintf(piece, sizeof piece, "\\n");
                else if (c == '\t')
                        n = (size_t)snprintf(piece, sizeof piece, "\\t");
                else if (c == '\r')
                        n = (size_t)snprintf(piece, sizeof piece, "\\r");
                else if (c >= 0x20 && c < 0x7f) {
                        piece[0] = (char)c;
                        n = 1;
                } else if (c >= 0x80 && (step = utf8_printable_len(p + i, len - i)) > 0) {
                        memcpy(piece, p + i, step);
                        n = step;
                } else {
                        step = 1;
                        n = (size_t)snprintf(piece, sizeof piece, "\\x%02x", c);
                }
                i += step;
                need += n;
                if (!full && size > 0 && out + n < size) {
                        memcpy(buf + out, piece, n);
                        out += n;
                } else {
                        full = true;
                }
        }
        if (size > 0)
                buf[out] = '\0';
        return need;
}

char *escape_untrusted(const char *s) {
        size_t len = s ? strlen(s) : 0;
        size_t need = escape_untrusted_to(s, len, NULL, 0);
        char *buf = malloc(need + 1);

        if (!buf)
                return NULL;
        escape_untrusted_to(s, len, buf, need + 1);
        return buf;
}

size_t mask_url_userinfo(char *s, size_t len) {
        for (char *p = strstr(s, "://"); p; p = strstr(p, "://")) {
                char *u = p + 3;
                size_t span = strcspn(u, "@/ \t;\"'");
                p = u;
                if (u[span] != '@' || !memchr(u, ':', span))
                        continue;
                memmove(u + 3, u + span, len - (size_t)(u + span - s) + 1);
                memcpy(u, "***", 3);
                len = len - span + 3;
                p = u + 3;
        }
        return len;
}
