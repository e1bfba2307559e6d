/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* An Ansible-style YAML inventory read with libyaml.
 *
 * Semantics (Ansible's): top-level keys are groups with `hosts`, `vars`,
 * `children`; `all` is the implicit parent of every group; a host may sit in
 * several groups; variable precedence is all < parent group < child group <
 * host (deeper groups win, same depth: alphabetical by group name, as
 * Ansible sorts them), whole values replaced, never deep-merged;
 * `group_vars/NAME.yml` and `host_vars/NAME.yml` beside the inventory file
 * apply with the group's / host's precedence and override what the inventory
 * itself says for the same level.  YAML 1.1 booleans, anchors and aliases
 * (bounded: an alias bomb fails with -E2BIG), and a size limit on every file.
 *
 * Memory stays flat in the number of hosts when a keep_host filter is given:
 * only the kept hosts' variable subtrees are retained; for every host the
 * inventory only keeps its name, its `ansible_host` (when the host entry
 * itself sets it) and its group membership. */

#include <stdbool.h>
#include <stddef.h>

enum inv_type { INV_NULL, INV_SCALAR, INV_SEQUENCE, INV_MAPPING };

struct inv_value;

/* Where an error is and what it is about.  value is the offending text,
 * truncated; values of keys that look secret (pass, secret, token, key)
 * are never copied into it. */
struct inv_error {
        char file[256];
        unsigned line, column; /* 1-based; 0 when not known */
        char value[128];
        char message[256];
};

struct inventory;

struct inventory_load_options {
        size_t max_file_size;       /* bytes per file; 0 = default 64 MiB */
        size_t max_alias_nodes;     /* nodes created through aliases; 0 = default 100000 */
        bool no_vars_dirs;          /* do not read group_vars/ and host_vars/ */
        /* Called once per host entry when its mapping ends; return false to
         * drop its variables.  NULL keeps every host. */
        bool (*keep_host)(const char *name, const char *ansible_host, void *userdata);
        void *userdata;
};

/* Loads an inventory file (and its group_vars/host_vars directories).
 * On failure returns a negative errno and fills ret_err:
 *   -EINVAL  YAML or inventory-shape error, -E2BIG alias expansion limit,
 *   -EFBIG   file larger than the limit, other -errno from opening it. */
int inventory_load(const char *path, const struct inventory_load_options *opts,
                   struct inventory **ret, struct inv_error *ret_err);

/* The same from a buffer (no vars directories); filename is used in errors. */
int inventory_load_buffer(const char *data, size_t len, const char *filename,
                          const struct inventory_load_options *opts, struct inventory **ret,
                          struct inv_error *ret_err);

void inventory_free(struct inventory *inv);

/* Every host in the inventory, in order of first appearance. */
size_t inventory_n_hosts(const struct inventory *inv);
const char *inventory_host_name(const struct inventory *inv, size_t i);
/* The host's `ansible_host` as set in the inventory entry, NULL when unset. */
const char *inventory_host_address(const struct inventory *inv, size_t i);
bool inventory_host_kept(const struct inventory *inv, size_t i);

/* The hosts of a group and of its children (recursively), in order, no
 * duplicates.  -ENOENT when there is no such group. */
int inventory_group_hosts(const struct inventory *inv, const char *group, char ***ret_strv);

/* The host's variables after precedence: a new mapping the caller releases
 * with inv_value_unref().  -ENOENT unknown host, -ESTALE host was not kept. */
int inventory_host_vars(const struct inventory *inv, const char *host, struct inv_value **ret);

/* Value accessors.  A value stays valid while a reference is held. */
struct inv_value *inv_value_ref(struct inv_value *v);
void inv_value_unref(struct inv_value *v);
enum inv_type inv_value_type(const struct inv_value *v);
/* The scalar's text, NULL when v is not a scalar. */
const char *inv_value_str(const struct inv_value *v);
/* True for an unquoted scalar (only plain scalars can be booleans / null). */
bool inv_value_is_plain(const struct inv_value *v);
size_t inv_value_len(const struct inv_value *v);             /* items or pairs */
const struct inv_value *inv_value_item(const struct inv_value *v, size_t i);
const char *inv_value_key(const struct inv_value *v, size_t i); /* mappings */
const struct inv_value *inv_map_get(const struct inv_value *map, const char *key);
/* YAML 1.1 boolean (true/True/TRUE/yes/Yes/on/On/y... and their false twins);
 * -EINVAL when v is not one. */
int inv_value_to_bool(const struct inv_value *v, bool *ret);
/* Where the value was written: file name (owned by the inventory), 1-based line/column. */
const char *inv_value_file(const struct inv_value *v);
unsigned inv_value_line(const struct inv_value *v);
unsigned inv_value_column(const struct inv_value *v);

/* Fills an inv_error for v with a printf message and the value's text. */
void inv_error_set(struct inv_error *err, const struct inv_value *v, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* Renders one host's own part of the inventory as a standalone inventory
 * (a `node` group holding just that host, with only the variables named in
 * allow, a NULL-terminated list; globs like "pci_*" allowed).  Nothing else
 * of the inventory, never all.vars.  Used to give a node its part only. */
int inventory_render_host(const struct inventory *inv, const char *host,
                          const char *const *allow, char **ret_yaml);
