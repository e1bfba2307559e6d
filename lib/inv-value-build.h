/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internal to the inventory reader: how values are made and changed. */

#include <stdint.h>
#include <sys/types.h>

#include "inv-value.h"
#include "macros.h"

/* A file name shared by every value read from that file. */
struct inv_file {
        unsigned ref;
        char name[];
};

struct inv_value {
        unsigned ref;
        enum inv_type type;
        uint8_t kind;  /* enum inv_kind, scalars */
        bool plain;    /* unquoted and untagged scalar */
        bool tagged;   /* an explicit tag */
        bool secret;   /* written under a secret-looking key: never copy its text */
        unsigned line, column;
        struct inv_file *file;
        size_t n_nodes; /* this node and everything below it (alias budget) */
        char *str;      /* scalars */
        size_t n, cap;  /* sequences and mappings */
        char **keys;    /* mappings */
        struct inv_value **items;
};

struct inv_file *inv_file_new(const char *name);
struct inv_file *inv_file_ref(struct inv_file *f);
void inv_file_unref(struct inv_file *f);

struct inv_value *inv_value_new(enum inv_type type, struct inv_file *file, unsigned line,
                                unsigned column);
DEFINE_TRIVIAL_CLEANUP_FUNC(struct inv_value *, inv_value_unref)

/* Both take over the caller's reference to item. */
int inv_seq_append(struct inv_value *seq, struct inv_value *item);
/* Appends without looking for the key (the caller knows it is new). */
int inv_map_append(struct inv_value *map, const char *key, struct inv_value *item);
/* Replaces the value of an existing key (whole value, never merged). */
int inv_map_set(struct inv_value *map, const char *key, struct inv_value *item);
/* Index of key in map, or -1. */
ssize_t inv_map_find(const struct inv_value *map, const char *key);

/* Copies src's pairs into *dst (a mapping or NULL), replacing whole values
 * as Ansible's combine_vars does; a shared *dst is copied first. */
int inv_map_update(struct inv_value **dst, const struct inv_value *src);

/* YAML 1.1 implicit resolution of a plain scalar, as PyYAML does it. */
enum inv_kind inv_resolve_plain(const char *s, size_t len);
/* The kind an explicit scalar tag gives; -EINVAL for a tag Ansible does not
 * construct (or one onepci cannot read, such as !!binary). */
int inv_resolve_tag(const char *tag, const char *s, enum inv_kind *ret);
