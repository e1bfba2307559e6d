/* SPDX-License-Identifier: Apache-2.0 */
#include "error-message.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy_bounded(char *dst, size_t size, const char *src) {
        size_t len = src ? strnlen(src, size - 1) : 0;

        if (len)
                memcpy(dst, src, len);
        dst[len] = '\0';
}

_printf_(6, 0) static void set_at(struct error_message *err, const char *file, unsigned line,
                                   unsigned column, const char *value, const char *fmt,
                                   va_list ap) {
        if (!err)
                return;
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
        copy_bounded(err->file, sizeof(err->file), file);
        copy_bounded(err->value, sizeof(err->value), value);
        err->line = line;
        err->column = column;
}

void error_set(struct error_message *err, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        set_at(err, NULL, 0, 0, NULL, fmt, ap);
        va_end(ap);
}

void error_set_at(struct error_message *err, const char *file, unsigned line, unsigned column,
                  const char *value, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        set_at(err, file, line, column, value, fmt, ap);
        va_end(ap);
}

void error_prefix(struct error_message *err, const char *fmt, ...) {
        if (!err)
                return;
        char prefix[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        char joined[sizeof(prefix) + 2 + sizeof(err->text)];
        snprintf(joined, sizeof(joined), "%s: %s", prefix, err->text);
        copy_bounded(err->text, sizeof(err->text), joined); /* cut at the end, as every setter */
}
