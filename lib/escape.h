/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Text another party wrote (the registrar's answers), made safe to print on
 * a terminal or into the journal: every control character (C0, DEL, and
 * the C1 range U+0080..U+009F), every byte that is not part of well-formed
 * UTF-8, and the backslash itself are written as C escapes (\n, \t, \\,
 * \xHH per byte), so nothing in it can move the cursor, recolour, retitle
 * the terminal, or fake a log line.  Printable ASCII and other UTF-8 pass
 * unchanged.  Text the agent itself made needs none of this. */

#include <stddef.h>

/* Escapes the len bytes at s into buf (size bytes, NUL-terminated), never
 * cutting an escape or a UTF-8 sequence; returns the length the whole
 * escaped text needs (as snprintf does), so a result >= size means cut. */
size_t escape_untrusted_to(const char *s, size_t len, char *buf, size_t size);

/* The escaped copy of the NUL-terminated s (NULL reads as ""), malloc'ed;
 * NULL when out of memory. */
char *escape_untrusted(const char *s);

/* Every URL's "user:password@" in the len bytes of the NUL-terminated s
 * becomes "***@", in place (a URL in a message or a log line must not carry
 * its password); returns the new length. */
size_t mask_url_userinfo(char *s, size_t len);
