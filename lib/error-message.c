/* SPDX-License-Identifier: Apache-2.0 */
#include "error-message.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "escape.h"

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

char *error_message_format(const struct error_message *err, const char *fallback_file,
                           const char *fallback_text, char *buf, size_t size) {
        const char *file = err->file[0] ? err->file : fallback_file ? fallback_file : "";
        const char *text = err->text[0] ? err->text : fallback_text ? fallback_text : "";
        char file_e[4 * sizeof(err->file)], text_e[4 * sizeof(err->text)];
        char value_e[4 * sizeof(err->value)];

        escape_untrusted_to(file, strlen(file), file_e, sizeof(file_e));
        escape_untrusted_to(text, strlen(text), text_e, sizeof(text_e));
        escape_untrusted_to(err->value, strlen(err->value), value_e, sizeof(value_e));
        if (err->line > 0)
                snprintf(buf, size, "%s:%u:%u: %s%s%s%s", file_e, err->line, err->column, text_e,
                         value_e[0] ? " (value: \"" : "", value_e, value_e[0] ? "\")" : "");
        else
                snprintf(buf, size, "%s: %s", file_e, text_e);
        return buf;
}
