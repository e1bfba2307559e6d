/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Internal to the inventory reader: turns libyaml events into values.
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

#include "error-message.h"
#include "inv-value-build.h"
#include "macros.h"
#include "strmap.h"

/* One YAML document stream being read. */
struct yaml_reader {
        yaml_parser_t parser;
        bool parser_ready;
        struct inv_file *file;
        size_t max_alias_nodes;
        size_t alias_nodes;
        struct error_message *err;

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
                     size_t max_alias_nodes, struct error_message *err);
/* The same reading f as it parses (f stays the caller's), so memory does not
 * grow with the file; more than max_size bytes fail the parse with -EFBIG. */
int yaml_reader_init_file(struct yaml_reader *r, FILE *f, size_t max_size, const char *filename,
                          size_t max_alias_nodes, struct error_message *err);
void yaml_reader_done(struct yaml_reader *r);

/* The stream and document start, then the root's first event in *root
 * (*ret_root false for an empty stream); the end: only one document. */
int yaml_reader_document_start(struct yaml_reader *r, bool *ret_root, yaml_event_t *root);
int yaml_reader_document_end(struct yaml_reader *r);

/* One document that is a mapping (or empty: *ret NULL), such as a vars file. */
int yaml_read_mapping(const char *data, size_t len, const char *filename, size_t max_alias_nodes,
                      struct inv_value **ret, struct error_message *err);

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
