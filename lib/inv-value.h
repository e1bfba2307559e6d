/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A value read from an inventory: a scalar, a list or a mapping, with the
 * file, line and column it was written at, and the type Ansible's YAML
 * loader (PyYAML, YAML 1.1) gives it.
 *
 * Values are reference counted and shared (an alias is the same value as
 * its anchor); a value stays valid while a reference is held. */

#include <stdbool.h>
#include <stddef.h>


enum inv_type { INV_NULL, INV_SCALAR, INV_SEQUENCE, INV_MAPPING };

/* What a scalar is for Ansible, after YAML 1.1's implicit resolution of a
 * plain scalar or an explicit tag (!!bool "true", !!str yes). */
enum inv_kind {
        INV_KIND_STR,       /* quoted, !!str, !unsafe, or plain and nothing else */
        INV_KIND_BOOL,      /* yes/no/true/false/on/off in lower, Capitalised, UPPER case */
        INV_KIND_INT,       /* 10, 0302 (octal), 0x1f, 1_000, 1:20 (sexagesimal) */
        INV_KIND_FLOAT,     /* 1.5, 0000:09:00.0 (sexagesimal: 540.0), .inf */
        INV_KIND_TIMESTAMP, /* 2024-01-02 */
        INV_KIND_NULL,      /* ~, null, empty */
        INV_KIND_VAULT,     /* !vault: encrypted, unreadable without the vault password */
};

struct inv_value;
struct error_message; /* error-message.h */

struct inv_value *inv_value_ref(struct inv_value *v);
void inv_value_unref(struct inv_value *v);

enum inv_type inv_value_type(const struct inv_value *v);
/* The scalar's kind; INV_KIND_NULL for a null or absent value, INV_KIND_STR
 * for a list or mapping (not meaningful there). */
enum inv_kind inv_value_kind(const struct inv_value *v);
/* "a string", "an integer", ... for messages. */
const char *inv_kind_name(enum inv_kind kind);
/* The scalar's text as written, NULL when v is not a scalar. */
const char *inv_value_str(const struct inv_value *v);
/* True for a plain (unquoted, untagged) scalar. */
bool inv_value_is_plain(const struct inv_value *v);
/* True when the scalar carried an explicit tag (!!bool "true"). */
bool inv_value_is_tagged(const struct inv_value *v);
size_t inv_value_len(const struct inv_value *v);             /* items or pairs */
const struct inv_value *inv_value_item(const struct inv_value *v, size_t i);
const char *inv_value_key(const struct inv_value *v, size_t i); /* mappings */
const struct inv_value *inv_map_get(const struct inv_value *map, const char *key);
/* A boolean as Ansible reads it (kind INV_KIND_BOOL); -EINVAL for anything
 * else, including the strings "y", "n" and quoted "true". */
int inv_value_to_bool(const struct inv_value *v, bool *ret);
/* Where the value was written: file name (owned by the value), 1-based line/column. */
const char *inv_value_file(const struct inv_value *v);
unsigned inv_value_line(const struct inv_value *v);
unsigned inv_value_column(const struct inv_value *v);

/* Does a variable name look like it holds a secret (one_pass, api_token...)? */
bool inv_key_is_secret(const char *key);

/* Fills err with v's place, a printf message and v's text (never the text
 * of a value written under a secret-looking key). */
void inv_value_error(struct error_message *err, const struct inv_value *v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));
