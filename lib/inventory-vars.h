/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* group_vars/ and host_vars/ as Ansible's host_group_vars plugin finds them
 * (DataLoader.find_vars_files): for NAME, only the first that exists of
 * NAME (a file, or a directory read recursively in sorted order: .yml,
 * .yaml, .json and extension-less files; hidden, "~" backups, other
 * extensions and directories with an extension skipped), NAME.yml,
 * NAME.yaml, NAME.json.  Files are merged in that order, later winning,
 * values replaced whole; empty files count for nothing. */

#include <stddef.h>

struct inv_value;
struct error_message;

struct vars_files {
        size_t max_file_size;
        size_t max_alias_nodes;
        struct error_message *err;
};

/* Merges what DIR/KIND/NAME holds into *dst (a mapping or NULL).  A name
 * with '/', "." and ".." are never looked up.  -EINVAL for a file that is
 * not YAML, not a mapping or vault-encrypted as a whole, with vf->err set. */
int vars_files_load(const struct vars_files *vf, const char *dir, const char *kind,
                    const char *name, struct inv_value **dst);
