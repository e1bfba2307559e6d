/* SPDX-License-Identifier: Apache-2.0 */
#include "inventory-vars.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "error-message.h"
#include "fileio.h"
#include "inv-value-build.h"
#include "macros.h"
#include "yaml-reader.h"

static int load_file(const struct vars_files *vf, const char *path, struct inv_value **dst) {
        _cleanup_free_ char *data = NULL;
        _cleanup_(inv_value_unrefp) struct inv_value *vars = NULL;
        size_t len;
        /* Only a regular file: a FIFO would hang the load, a device feed it. */
        int r = read_regular_file_bounded(path, vf->max_file_size, &data, &len);
        if (r < 0) {
                error_set_at(vf->err, path, 0, 0, NULL, "%s", read_error_text(r));
                return r;
        }
        if (len >= 14 && memcmp(data, "$ANSIBLE_VAULT", 14) == 0) {
                error_set_at(vf->err, path, 1, 1, NULL,
                             "the file is vault-encrypted: Ansible reads it only with the vault "
                             "password and onepci cannot read it at all, so it cannot tell what "
                             "it sets; encrypt single values (ansible-vault encrypt_string) "
                             "instead of the whole file");
                return -EINVAL;
        }
        r = yaml_read_mapping(data, len, path, vf->max_alias_nodes, &vars, vf->err);
        if (r < 0)
                return r;
        return inv_map_update(dst, vars);
}

/* The extensions Ansible reads (YAML_FILENAME_EXTENSIONS), and none. */
static bool ext_is_read(const char *name) {
        const char *dot = strrchr(name, '.');
        return !dot || STREQ(dot, ".yml") || STREQ(dot, ".yaml") || STREQ(dot, ".json");
}

/* Python's sorted(): code points, which is byte order in UTF-8. */
static int name_order(const struct dirent **a, const struct dirent **b) {
        return strcmp((*a)->d_name, (*b)->d_name);
}

static int skip_hidden(const struct dirent *d) {
        size_t len = strlen(d->d_name);
        return d->d_name[0] != '.' && d->d_name[len - 1] != '~';
}

/* DataLoader._get_dir_vars_files(). */
static int load_dir(const struct vars_files *vf, const char *dir, unsigned depth,
                    struct inv_value **dst) {
        struct dirent **list = NULL;
        int n = scandir(dir, &list, skip_hidden, name_order);
        int r = 0;
        if (n < 0) {
                r = -errno;
                error_set_at(vf->err, dir, 0, 0, NULL, "%s", strerror(-r));
                return r;
        }
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;
                bool has_ext = strrchr(list[i]->d_name, '.') != NULL;
                if (r >= 0 && asprintf(&path, "%s/%s", dir, list[i]->d_name) < 0)
                        r = -ENOMEM;
                /* Anything but a directory is read as Ansible does, so a
                 * FIFO or device there is refused by load_file(), not skipped. */
                if (r >= 0 && stat(path, &st) == 0) {
                        if (S_ISDIR(st.st_mode) && !has_ext && depth < 16)
                                r = load_dir(vf, path, depth + 1, dst);
                        else if (!S_ISDIR(st.st_mode) && ext_is_read(list[i]->d_name))
                                r = load_file(vf, path, dst);
                }
                free(list[i]);
        }
        free(list);
        return r;
}

int vars_files_load(const struct vars_files *vf, const char *dir, const char *kind,
                    const char *name, struct inv_value **dst) {
        static const char *const exts[] = {"", ".yml", ".yaml", ".json"};
        /* Ansible skips names starting with '/'; a name with '/' elsewhere
         * or "." / ".." would walk out of the directory: never looked up. */
        if (strchr(name, '/') || STREQ(name, ".") || STREQ(name, ".."))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(exts); i++) {
                _cleanup_free_ char *path = NULL;
                struct stat st;
                if (asprintf(&path, "%s/%s/%s%s", dir, kind, name, exts[i]) < 0)
                        return -ENOMEM;
                if (stat(path, &st) < 0)
                        continue;
                return S_ISDIR(st.st_mode) ? load_dir(vf, path, 0, dst) : load_file(vf, path, dst);
        }
        return 0;
}
