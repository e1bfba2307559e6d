/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internal to the inventory reader: the value tree behind struct inv_value,
 * a small string map, and a reader that turns libyaml events into values.
 *
 * A value subtree is first recorded as a flat "tape" (one reused buffer, no
 * allocation per event), then either built into a tree or skipped.  Skipping
 * costs nothing but the recording, which keeps the memory and time of an
 * inventory load flat in the number of hosts whose variables are dropped. */

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <yaml.h>

#include "inventory.h"
#include "macros.h"

/* A file name shared by every value read from that file. */
struct inv_file {
        unsigned ref;
        char name[];
};

struct inv_value {
        unsigned ref;
        enum inv_type type;
        bool plain;  /* unquoted and untagged scalar */
        bool secret; /* written under a secret-looking key: never copy its text */
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
/* Replaces the value of an existing key (whole value, never merged). */
int inv_map_set(struct inv_value *map, const char *key, struct inv_value *item);
/* Index of key in map, or -1. */
ssize_t inv_map_find(const struct inv_value *map, const char *key);

/* Does a variable name look like it holds a secret (one_pass, api_token...)? */
bool inv_key_is_secret(const char *key);

/* Fills err; value may be NULL.  The message is printf formatted. */
void inv_error_at(struct inv_error *err, const char *file, unsigned line, unsigned column,
                  const char *value, const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Open-addressing map from borrowed strings to indexes. */
struct strmap {
        struct strmap_slot {
                const char *key;
                size_t val;
        } * slots;
        size_t n, cap;
};

/* Inserts key; when it is already there, leaves it and returns 1 with its
 * value in *ret_existing (may be NULL).  0 inserted, -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, size_t val, size_t *ret_existing);
bool strmap_get(const struct strmap *m, const char *key, size_t *ret);
void strmap_done(struct strmap *m);

/* One YAML document stream being read. */
struct yaml_reader {
        yaml_parser_t parser;
        bool parser_ready;
        struct inv_file *file;
        size_t max_alias_nodes;
        size_t alias_nodes;
        struct inv_error *err;

        /* Reading from a file: what may still be read, and whether the file
         * went past that (the parse then fails with -EFBIG). */
        FILE *input;
        size_t input_left;
        bool input_too_big;

        /* The recorded subtree. */
        char *tape;
        size_t tape_len, tape_cap;
        bool tape_has_anchors; /* skipping has nothing to keep without them */

        /* Anchors of the current document. */
        char **anchor_names;
        struct inv_value **anchor_values;
        size_t n_anchors, cap_anchors;
        struct strmap anchor_index;
};

int yaml_reader_init(struct yaml_reader *r, const char *data, size_t len, const char *filename,
                     size_t max_alias_nodes, struct inv_error *err);
/* The same reading f as it parses (f stays the caller's), so memory does not
 * grow with the file; more than max_size bytes fail the parse with -EFBIG. */
int yaml_reader_init_file(struct yaml_reader *r, FILE *f, size_t max_size, const char *filename,
                          size_t max_alias_nodes, struct inv_error *err);
void yaml_reader_done(struct yaml_reader *r);

/* The next event; -EINVAL with err filled on a YAML error.  The caller
 * deletes the event. */
int yaml_reader_next(struct yaml_reader *r, yaml_event_t *ev);

/* Records the value that starts with ev (which it deletes) onto the tape,
 * replacing what was there. */
int yaml_reader_record(struct yaml_reader *r, yaml_event_t *ev);
/* Builds the recorded value; -E2BIG when aliases expand beyond the budget. */
int yaml_reader_build(struct yaml_reader *r, struct inv_value **ret);
/* Drops the recorded value, keeping only what anchors inside it define. */
int yaml_reader_skip(struct yaml_reader *r);
/* The recorded value's kind and position. */
enum inv_type yaml_reader_tape_type(const struct yaml_reader *r);
bool yaml_reader_tape_is_alias(const struct yaml_reader *r);
void yaml_reader_tape_mark(const struct yaml_reader *r, unsigned *ret_line, unsigned *ret_column);
/* When the recorded value is a mapping whose key `key` holds a scalar (or
 * an alias of one), its text (valid until the next record), else NULL. */
const char *yaml_reader_tape_lookup(const struct yaml_reader *r, const char *key);
