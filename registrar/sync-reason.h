/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The reason a failed `onehost sync` gives, from what it wrote.
 *
 * onehost writes its errors to stderr, unbuffered, and its progress ("* Adding
 * HOST to upgrade") to stdout, which Ruby buffers in a pipe and flushes at
 * exit: in one merged pipe the last line is that chatter, not the error. */

#include <stddef.h>

/* What a 503 quotes at most (escaped), without the NUL. */
#define SYNC_REASON_MAX 240

/* Fills buf (size bytes, NUL-terminated) with stderr's non-empty lines joined
 * by "; " when it has any, else stdout's last non-empty line ("" when both
 * are empty); a URL's user:password is masked and control characters are
 * escaped (escape.h), cut at SYNC_REASON_MAX bytes and at size. */
void sync_reason(const char *out, size_t out_len, const char *err, size_t err_len, char *buf,
                 size_t size);
