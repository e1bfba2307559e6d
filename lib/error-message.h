/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The one way library code hands a message for a person back to its caller.
 *
 * A function that can fail in a way a person must understand takes a
 * `struct error_message *ret_error` as its last parameter (NULL allowed: the
 * caller does not want the text).  It returns a negative errno as always and,
 * on failure, fills the message; the program logs it once at its boundary.
 * Errors about a place in a file (inventories, configuration files) also
 * carry the file, 1-based line and column, and the offending value. */

#include <stddef.h>

#include "macros.h"

struct error_message {
        char file[256];
        unsigned line, column; /* 1-based; 0 when not known */
        char value[128];       /* the offending text, truncated; "" when none */
        char text[512];        /* what is wrong, for a person */
};

/* Sets the text (printf-style) and clears the location.  err may be NULL. */
void error_set(struct error_message *err, const char *fmt, ...) _printf_(2, 3);

/* Sets the text with a location; file and value may be NULL. */
void error_set_at(struct error_message *err, const char *file, unsigned line, unsigned column,
                  const char *value, const char *fmt, ...) _printf_(6, 7);

/* Puts "prefix: " before the existing text (printf-style), keeping the location. */
void error_prefix(struct error_message *err, const char *fmt, ...) _printf_(2, 3);

/* The message as one line for a person: "FILE:LINE:COLUMN: TEXT (value: "V")"
 * when it has a place, else "FILE: TEXT" (fallback_file when it names no file;
 * fallback_text when no text was set).  The file, the text and the value may
 * quote an inventory, so every control character in them is escaped (see
 * escape.h): a name in a file cannot recolour a terminal or fake a log line.
 * Writes at most size bytes into buf, NUL-terminated, and returns buf. */
char *error_message_format(const struct error_message *err, const char *fallback_file,
                           const char *fallback_text, char *buf, size_t size);

/* Room for error_message_format(): every byte of the parts escaped (\xHH). */
#define ERROR_MESSAGE_FORMAT_MAX (4 * (256 + 128 + 512) + 64)

/* True when a message was set. */
static inline int error_is_set(const struct error_message *err) {
        return err && err->text[0] != '\0';
}
