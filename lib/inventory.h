/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* An Ansible YAML inventory, read as Ansible reads it (ansible-core's yaml
 * inventory plugin, host_group_vars vars plugin and VariableManager), with
 * libyaml.  onepci-inventory(5) states the rules; in short:
 *
 * - top-level keys are groups with `hosts`, `vars` and `children` (each a
 *   mapping, or a single name as a string); `all` is every group's parent;
 *   a host only in `all` is in `ungrouped`;
 * - host keys are patterns: "n1:2222" sets ansible_port, "n[1:3]" expands
 *   (lib/inventory-range.h);
 * - precedence, weakest first: inline vars of all, inline vars of the other
 *   groups, group_vars/all, group_vars of the other groups, inline host
 *   vars, host_vars; groups ordered by depth, ansible_group_priority, name;
 *   values replaced whole;
 * - group_vars/NAME and host_vars/NAME: the first of NAME (a file, or a
 *   directory walked recursively), NAME.yml, NAME.yaml, NAME.json;
 * - YAML 1.1 as PyYAML resolves it (lib/inv-value.h), merge keys anywhere,
 *   anchors and aliases (bounded: an alias bomb fails with -E2BIG), a size
 *   limit on every file.
 * What Ansible would read differently from onepci is refused, never guessed.
 *
 * Memory stays flat in the number of hosts when a keep_host filter is given:
 * only the kept hosts' variable subtrees are retained; for every host the
 * inventory only keeps its name, its `ansible_host` (when the host entry
 * itself sets it) and its group membership. */

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "inv-value.h"

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
 * Every file it reads must be a regular one: a FIFO, device or socket is
 * refused (-EINVAL) at once, never waited on.
 * On failure returns a negative errno and fills ret_error:
 *   -EINVAL  YAML or inventory-shape error, something Ansible reads
 *            differently from what onepci would, or not a regular file; -E2BIG alias expansion
 *            limit; -EFBIG file larger than the limit; -EISDIR a directory;
 *            other -errno from opening it. */
int inventory_load(const char *path, const struct inventory_load_options *opts,
                   struct inventory **ret, struct error_message *ret_error);

/* The same from a buffer (no vars directories); filename is used in errors. */
int inventory_load_buffer(const char *data, size_t len, const char *filename,
                          const struct inventory_load_options *opts, struct inventory **ret,
                          struct error_message *ret_error);

/* The same read from f as it is parsed (no vars directories, no size check
 * in advance: the limit cuts the read off), whatever f is; filename is used
 * in errors.  inventory_load() takes regular files only. */
int inventory_load_stream(FILE *f, const char *filename, const struct inventory_load_options *opts,
                          struct inventory **ret, struct error_message *ret_error);

void inventory_free(struct inventory *inv);

/* Every host in the inventory, in order of first appearance. */
size_t inventory_n_hosts(const struct inventory *inv);
const char *inventory_host_name(const struct inventory *inv, size_t i);
/* The host's `ansible_host` as set in the inventory entry, NULL when unset. */
const char *inventory_host_address(const struct inventory *inv, size_t i);
bool inventory_host_kept(const struct inventory *inv, size_t i);

/* The hosts of a group and of its children (recursively), in Ansible's
 * order (the group's own, then each child's), no duplicates.  -ENOENT when
 * there is no such group. */
int inventory_group_hosts(const struct inventory *inv, const char *group, char ***ret_strv);

/* The groups a host is in, directly or through children, without `all`,
 * sorted by name (Ansible's group_names).  -ENOENT unknown host. */
int inventory_host_groups(const struct inventory *inv, const char *host, char ***ret_strv);

/* The host's variables after precedence: a new mapping the caller releases
 * with inv_value_unref().  -ENOENT unknown host, -ESTALE host was not kept. */
int inventory_host_vars(const struct inventory *inv, const char *host, struct inv_value **ret);

/* Renders one host's own part of the inventory as a standalone inventory
 * (a `node` group holding just that host, with only the variables named in
 * allow, a NULL-terminated list; globs like "pci_*" allowed).  Nothing else
 * of the inventory, never all.vars.  Used to give a node its part only. */
int inventory_render_host(const struct inventory *inv, const char *host,
                          const char *const *allow, char **ret_yaml);
