/* SPDX-License-Identifier: Apache-2.0 */
#include "error-message.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static void copy_bounded(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
}

void error_set(struct error_message *err, const char *fmt, ...) {
        if (!err)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
        va_end(ap);
        err->file[0] = err->value[0] = '\0';
        err->line = err->column = 0;
}

void error_set_at(struct error_message *err, const char *file, unsigned line, unsigned column,
                  const char *value, const char *fmt, ...) {
        if (!err)
                return;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
        va_end(ap);
        copy_bounded(err->file, sizeof(err->file), file);
        copy_bounded(err->value, sizeof(err->value), value);
        err->line = line;
        err->column = column;
}

void error_prefix(struct error_message *err, const char *fmt, ...) {
        if (!err)
                return;
        char prefix[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof(prefix), fmt, ap);
        va_end(ap);
        char old[sizeof(err->text)];
        memcpy(old, err->text, sizeof(old));
        snprintf(err->text, sizeof(err->text), "%s: %s", prefix, old);
}
