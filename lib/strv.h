/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* NULL-terminated string lists (freed with strv_free from macros.h). */

#include <stdbool.h>
#include <stddef.h>

size_t strv_length(char *const *v);
/* Appends a copy of s.  -ENOMEM on failure (the list is unchanged). */
int strv_push(char ***v, const char *s);
/* Appends a printf-formatted string. */
int strv_pushf(char ***v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool strv_contains(char *const *v, const char *s);
