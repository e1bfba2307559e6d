/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error-message.h"
#include "inventory.h"
#include "macros.h"

#define INV_DIR FIXTURES_DIR "/inventories"
#define SECRET "opennebulapass"

static struct inventory *load_ok(const char *yaml) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        int r = inventory_load_buffer(yaml, strlen(yaml), "t.yml", NULL, &inv, &err);
        if (r < 0)
                fail_msg("load failed: %d %s:%u:%u: %s (%s)", r, err.file, err.line, err.column,
                         err.text, err.value);
        return inv;
}

static int load_err(const char *yaml, struct error_message *err) {
        struct inventory *inv = NULL;
        memset(err, 0, sizeof(*err));
        int r = inventory_load_buffer(yaml, strlen(yaml), "t.yml", NULL, &inv, err);
        assert_null(inv);
        return r;
}

/* The scalar text of a host variable (asserting it is a scalar). */
static const char *var_str(const struct inventory *inv, const char *host, const char *key,
                           char *buf, size_t size) {
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(inv, host, &vars), 0);
        const struct inv_value *v = inv_map_get(vars, key);
        if (!v) {
                inv_value_unref(vars);
                return NULL;
        }
        assert_int_equal(inv_value_type(v), INV_SCALAR);
        snprintf(buf, size, "%s", inv_value_str(v));
        inv_value_unref(vars);
        return buf;
}

#define assert_var(inv, host, key, expected)                                                       \
        do {                                                                                       \
                char _b[128];                                                                      \
                const char *_s = var_str(inv, host, key, _b, sizeof(_b));                          \
                assert_non_null(_s);                                                               \
                assert_string_equal(_s, expected);                                                 \
        } while (0)

static void assert_strv(char **strv, const char *const *expected, size_t n) {
        size_t i = 0;
        for (; strv[i]; i++) {
                assert_true(i < n);
                assert_string_equal(strv[i], expected[i]);
        }
        assert_int_equal(i, n);
}

static void test_sample_inventory(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        assert_int_equal(inventory_load(FIXTURES_DIR "/demo/inventory.yml", NULL, &inv, &err), 0);

        assert_int_equal(inventory_n_hosts(inv), 4);
        const char *names[] = {"f1", "n1", "n2", "n3"};
        const char *addrs[] = {"192.168.122.2", "192.168.122.3", "192.168.122.4", "192.168.122.5"};
        for (size_t i = 0; i < 4; i++) {
                assert_string_equal(inventory_host_name(inv, i), names[i]);
                assert_string_equal(inventory_host_address(inv, i), addrs[i]);
                assert_true(inventory_host_kept(inv, i));
        }

        char **hosts = NULL;
        assert_int_equal(inventory_group_hosts(inv, "node", &hosts), 0);
        assert_strv(hosts, (const char *[]){"n1", "n2", "n3"}, 3);
        strv_free(hosts);
        assert_int_equal(inventory_group_hosts(inv, "all", &hosts), 0);
        assert_strv(hosts, names, 4);
        strv_free(hosts);
        assert_int_equal(inventory_group_hosts(inv, "nope", &hosts), -ENOENT);

        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(inv, "n1", &vars), 0);
        const struct inv_value *devs = inv_map_get(vars, "pci_devices");
        assert_int_equal(inv_value_type(devs), INV_SEQUENCE);
        assert_int_equal(inv_value_len(devs), 2);
        const struct inv_value *a1 = inv_map_get(inv_value_item(devs, 1), "address");
        assert_string_equal(inv_value_str(a1), "0000:0a:00.0");
        assert_false(inv_value_is_plain(a1));
        assert_string_equal(inv_value_file(a1), FIXTURES_DIR "/demo/inventory.yml");
        assert_int_equal(inv_value_line(a1), 36);
        assert_int_equal(inv_value_column(a1), 20);
        /* all.vars reach every host; nested mappings stay mappings. */
        assert_string_equal(inv_value_str(inv_map_get(vars, "one_version")), "7.0");
        const struct inv_value *vn = inv_map_get(vars, "vn");
        assert_int_equal(inv_value_type(vn), INV_MAPPING);
        assert_string_equal(inv_value_key(vn, 0), "admin_net");
        inv_value_unref(vars);

        assert_int_equal(inventory_host_vars(inv, "n9", &vars), -ENOENT);
        inventory_free(inv);
}

static void test_precedence(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        assert_int_equal(inventory_load(INV_DIR "/precedence.yml", NULL, &inv, &err), 0);
        assert_var(inv, "h1", "v_all", "all");
        assert_var(inv, "h1", "v_parent", "node");
        assert_var(inv, "h1", "v_child", "gpu");
        assert_var(inv, "h1", "v_host", "host");
        /* alpha and beta have the same depth: by name, beta last, beta wins. */
        assert_var(inv, "h1", "v_same", "beta");

        /* Whole values replaced, never merged. */
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(inv, "h1", &vars), 0);
        const struct inv_value *ds = inv_map_get(vars, "ds");
        assert_int_equal(inv_value_len(ds), 1);
        assert_string_equal(inv_value_str(inv_map_get(ds, "mode")), "shared");
        assert_null(inv_map_get(ds, "opts"));
        inv_value_unref(vars);

        char **hosts = NULL;
        assert_int_equal(inventory_group_hosts(inv, "node", &hosts), 0);
        assert_strv(hosts, (const char *[]){"h1"}, 1);
        strv_free(hosts);
        inventory_free(inv);
}

static void test_same_depth_by_name_not_order(void **state) {
        /* zeta is written first and alpha last: zeta must still win. */
        struct inventory *inv = load_ok("zeta:\n  vars: {x: zeta}\n  hosts: {h: }\n"
                                        "alpha:\n  vars: {x: alpha}\n  hosts: {h: }\n");
        assert_var(inv, "h", "x", "zeta");
        inventory_free(inv);
}

static void test_children_nesting(void **state) {
        struct inventory *inv = load_ok("all:\n"
                                        "  children:\n"
                                        "    cloud:\n"
                                        "      vars: {level: cloud}\n"
                                        "      hosts: {c1: }\n"
                                        "      children:\n"
                                        "        node:\n"
                                        "          children:\n"
                                        "            gpu:\n"
                                        "              vars: {level: gpu}\n"
                                        "              hosts: {g1: , g2: }\n"
                                        "        other:\n"
                                        "          hosts: {o1: }\n");
        char **hosts = NULL;
        assert_int_equal(inventory_group_hosts(inv, "cloud", &hosts), 0);
        /* Group._get_hosts(): the group's own, then its children's level by level. */
        assert_strv(hosts, (const char *[]){"c1", "o1", "g1", "g2"}, 4);
        strv_free(hosts);
        assert_int_equal(inventory_group_hosts(inv, "node", &hosts), 0);
        assert_strv(hosts, (const char *[]){"g1", "g2"}, 2);
        strv_free(hosts);
        assert_var(inv, "g1", "level", "gpu");
        assert_var(inv, "o1", "level", "cloud");
        inventory_free(inv);
}

static void test_host_in_several_groups(void **state) {
        struct inventory *inv = load_ok("node:\n"
                                        "  hosts:\n"
                                        "    n1: {ansible_host: 10.0.0.1, a: node}\n"
                                        "gpu:\n"
                                        "  vars: {g: gpu}\n"
                                        "  hosts:\n"
                                        "    n1: {b: gpu}\n"
                                        "    n2:\n");
        assert_int_equal(inventory_n_hosts(inv), 2);
        assert_string_equal(inventory_host_address(inv, 0), "10.0.0.1");
        assert_null(inventory_host_address(inv, 1));
        assert_var(inv, "n1", "a", "node");
        assert_var(inv, "n1", "b", "gpu");
        assert_var(inv, "n1", "g", "gpu");
        assert_var(inv, "n1", "ansible_host", "10.0.0.1");
        char **hosts = NULL;
        assert_int_equal(inventory_group_hosts(inv, "gpu", &hosts), 0);
        assert_strv(hosts, (const char *[]){"n1", "n2"}, 2);
        strv_free(hosts);
        assert_int_equal(inventory_group_hosts(inv, "node", &hosts), 0);
        assert_strv(hosts, (const char *[]){"n1"}, 1);
        strv_free(hosts);
        inventory_free(inv);
}

static void test_vars_dirs(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        /* n3's host_vars file is broken: with everything kept it is read. */
        assert_int_equal(inventory_load(INV_DIR "/vars-dirs/inventory.yml", NULL, &inv, &err),
                         -EINVAL);
        assert_string_equal(err.file, INV_DIR "/vars-dirs/host_vars/n3.yml");
        assert_int_equal(err.line, 3);

        struct inventory_load_options no_dirs = {.no_vars_dirs = true};
        assert_int_equal(inventory_load(INV_DIR "/vars-dirs/inventory.yml", &no_dirs, &inv, &err),
                         0);
        assert_var(inv, "n1", "from_all", "inventory");
        assert_var(inv, "n1", "level", "host-inventory");
        inventory_free(inv);
}

static bool keep_n1_n2(const char *name, const char *ansible_host, void *userdata) {
        return STREQ(name, "n1") || STREQ(name, "n2");
}

static void test_vars_dirs_apply(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        struct inventory_load_options o = {.keep_host = keep_n1_n2};
        assert_int_equal(inventory_load(INV_DIR "/vars-dirs/inventory.yml", &o, &inv, &err), 0);
        assert_var(inv, "n1", "from_all", "group_vars");
        assert_var(inv, "n1", "only_in_all_file", "true");
        /* group_vars/node/ exists: node.yaml beside it is not read (Ansible
         * takes the first of node, node.yml, node.yaml, node.json). */
        assert_var(inv, "n1", "from_node", "inventory");
        assert_var(inv, "n1", "from_host", "inventory");
        assert_var(inv, "n1", "level", "host_vars");
        assert_var(inv, "n2", "level", "node");
        /* group_vars/node/: files in name order, other names ignored. */
        assert_var(inv, "n2", "from_dir", "second");
        struct inv_value *n2 = NULL;
        assert_int_equal(inventory_host_vars(inv, "n2", &n2), 0);
        assert_int_equal(inv_value_len(inv_map_get(n2, "pci_devices")), 1);
        inv_value_unref(n2);
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(inv, "n3", &vars), -ESTALE);
        assert_false(inventory_host_kept(inv, 2));
        assert_string_equal(inventory_host_address(inv, 2), "10.0.0.3");
        inventory_free(inv);
}

static void test_booleans(void **state) {
        static const char *const yes[] = {"yes", "Yes", "YES", "true",
                                          "True", "TRUE", "on",  "On",  "ON"};
        static const char *const no[] = {"no",  "No",  "NO", "false",
                                         "False", "FALSE", "off", "Off", "OFF"};
        for (size_t pass = 0; pass < 2; pass++) {
                const char *const *list = pass ? no : yes;
                for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                        char yaml[128];
                        snprintf(yaml, sizeof(yaml), "g:\n  hosts:\n    h: {b: %s, q: \"%s\"}\n",
                                 list[i], list[i]);
                        struct inventory *inv = load_ok(yaml);
                        struct inv_value *vars = NULL;
                        assert_int_equal(inventory_host_vars(inv, "h", &vars), 0);
                        bool b = !pass;
                        assert_int_equal(inv_value_to_bool(inv_map_get(vars, "b"), &b), 0);
                        assert_int_equal(b, !pass);
                        /* Quoted: a string that only looks like a boolean. */
                        const struct inv_value *q = inv_map_get(vars, "q");
                        assert_false(inv_value_is_plain(q));
                        assert_int_equal(inv_value_to_bool(q, &b), -EINVAL);
                        assert_string_equal(inv_value_str(q), list[i]);
                        inv_value_unref(vars);
                        inventory_free(inv);
                }
        }
        struct inventory *inv = load_ok("g:\n  hosts:\n    h: {a: maybe, b: 1, c: !!str yes, d: ~,"
                                        " e: }\n");
        struct inv_value *vars = NULL;
        bool b;
        assert_int_equal(inventory_host_vars(inv, "h", &vars), 0);
        assert_int_equal(inv_value_to_bool(inv_map_get(vars, "a"), &b), -EINVAL);
        assert_int_equal(inv_value_to_bool(inv_map_get(vars, "b"), &b), -EINVAL);
        assert_int_equal(inv_value_to_bool(inv_map_get(vars, "c"), &b), -EINVAL);
        assert_int_equal(inv_value_type(inv_map_get(vars, "d")), INV_NULL);
        assert_int_equal(inv_value_type(inv_map_get(vars, "e")), INV_NULL);
        assert_null(inv_value_str(inv_map_get(vars, "d")));
        inv_value_unref(vars);
        inventory_free(inv);
}

static void test_aliases(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        assert_int_equal(inventory_load(INV_DIR "/anchors.yml", NULL, &inv, &err), 0);
        for (size_t i = 0; i < 2; i++) {
                struct inv_value *vars = NULL;
                assert_int_equal(inventory_host_vars(inv, i ? "n2" : "n1", &vars), 0);
                const struct inv_value *devs = inv_map_get(vars, "pci_devices");
                assert_int_equal(inv_value_len(devs), 2);
                assert_string_equal(inv_value_str(inv_map_get(inv_value_item(devs, 1), "address")),
                                    "0000:0a:00.0");
                inv_value_unref(vars);
        }
        /* Merge key: the mapping's own key wins over the merged one. */
        assert_var(inv, "n2", "onepci_vfio_mode", "0666");
        assert_var(inv, "n2", "onepci_vfio_group", "kvm");
        inventory_free(inv);
}

static void test_alias_bomb(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        assert_int_equal(inventory_load(INV_DIR "/bad/alias-bomb.yml", NULL, &inv, &err), -E2BIG);
        assert_null(inv);
        assert_string_equal(err.file, INV_DIR "/bad/alias-bomb.yml");
        assert_non_null(strstr(err.text, "alias"));
        assert_true(err.line >= 6 && err.line <= 9);

        /* A tighter budget stops a small expansion too; a wider one lets it through. */
        const char *yaml = "all:\n  vars:\n    a: &a [1, 2, 3]\n    b: [*a, *a]\n";
        struct inventory_load_options tight = {.max_alias_nodes = 7};
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", &tight, &inv, &err),
                         -E2BIG);
        assert_int_equal(err.line, 4);
        assert_int_equal(err.column, 13);
        assert_string_equal(err.value, "a");
        struct inventory_load_options wide = {.max_alias_nodes = 8};
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", &wide, &inv, &err), 0);
        inventory_free(inv);
}

static void test_size_limit(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        struct inventory_load_options small = {.max_file_size = 64};
        assert_int_equal(inventory_load(FIXTURES_DIR "/demo/inventory.yml", &small, &inv, &err),
                         -EFBIG);
        assert_null(inv);
        assert_non_null(strstr(err.text, "larger"));
        const char *yaml = "node:\n  hosts:\n    n1:\n";
        small.max_file_size = strlen(yaml) - 1;
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", &small, &inv, &err),
                         -EFBIG);
        small.max_file_size = strlen(yaml);
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", &small, &inv, &err), 0);
        inventory_free(inv);
        assert_int_equal(inventory_load(INV_DIR "/does-not-exist.yml", NULL, &inv, &err), -ENOENT);
}

/* Feeds head, then tail repeated, into a new FIFO from a child process that
 * exits 0 when it could write everything, 1 when the reader stopped first. */
static char *fifo_feeding(const char *head, const char *tail, size_t repeat, pid_t *ret_pid) {
        char *dir = strdup("/tmp/onepci-fifo-XXXXXX");
        assert_non_null(mkdtemp(dir));
        char *path = NULL;
        assert_true(asprintf(&path, "%s/inventory.yml", dir) > 0);
        assert_int_equal(mkfifo(path, 0600), 0);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
                signal(SIGPIPE, SIG_IGN); /* the reader may stop early: EPIPE */
                FILE *f = fopen(path, "w");
                free(path);
                free(dir);
                bool all = f && fputs(head, f) >= 0;
                for (size_t i = 0; all && i < repeat; i++)
                        all = fputs(tail, f) >= 0;
                all = f && fclose(f) == 0 && all;
                _exit(all ? 0 : 1);
        }
        free(dir);
        *ret_pid = pid;
        return path;
}

static int fifo_done(char *path, pid_t pid) {
        int status = 0;
        assert_int_equal(waitpid(pid, &status, 0), pid);
        unlink(path);
        *strrchr(path, '/') = '\0';
        rmdir(path);
        free(path);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* inventory_load_stream() of the FIFO at path (opened as a pipe is). */
static int load_fifo(const char *path, const struct inventory_load_options *opts,
                     struct inventory **ret, struct error_message *err) {
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        assert_non_null(f);
        return inventory_load_stream(f, path, opts, ret, err);
}

/* The inventory is parsed as it is read, never read into memory first: a
 * pipe (no size to check in advance) within the limit loads, one past the
 * limit is cut off while it is read, and an error near the top of a huge
 * file is reported without reading the rest. */
static void test_inventory_is_streamed(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        struct inventory_load_options small = {.max_file_size = 4096};
        pid_t pid;

        char *path = fifo_feeding("node:\n  hosts:\n    n1:\n", "", 0, &pid);
        assert_int_equal(load_fifo(path, &small, &inv, &err), 0);
        assert_int_equal(inventory_n_hosts(inv), 1);
        inventory_free(inv);
        inv = NULL;
        assert_int_equal(fifo_done(path, pid), 0);

        path = fifo_feeding("", "# padding padding padding padding padding padding\n", 20000, &pid);
        assert_int_equal(load_fifo(path, &small, &inv, &err), -EFBIG);
        assert_null(inv);
        assert_non_null(strstr(err.text, "larger than the limit"));
        assert_non_null(strstr(err.text, "inventory.yml"));
        assert_int_equal(fifo_done(path, pid), 1);

        /* 128 MB after an error on line 2: the default limit (64 MiB) is
         * never reached, because reading stops at the error. */
        static char chunk[65536];
        memset(chunk, '#', sizeof(chunk) - 2);
        chunk[sizeof(chunk) - 2] = '\n';
        path = fifo_feeding("node:\n  hosts: a: b\n", chunk, 2048, &pid);
        assert_int_equal(load_fifo(path, NULL, &inv, &err), -EINVAL);
        assert_non_null(strstr(err.text, "YAML error"));
        assert_int_equal(err.line, 2);
        assert_int_equal(fifo_done(path, pid), 1);
}

/* Loading inv_path is refused (-EINVAL) with bad_file named as not regular. */
static void expect_not_regular(const char *inv_path, const char *bad_file) {
        struct inventory *inv = NULL;
        struct error_message err = {0};

        assert_int_equal(inventory_load(inv_path, NULL, &inv, &err), -EINVAL);
        assert_null(inv);
        assert_string_equal(err.file, bad_file);
        assert_non_null(strstr(err.text, "not a regular file"));
}

/* Every file the reader reads must be a regular one: a FIFO with no writer
 * (or a device) as the inventory, a host_vars file or a file in a vars
 * directory is refused at once with its name, never waited on or read. */
static void test_not_regular_files_refused(void **state) {
        char dir[] = "/tmp/onepci-inv-XXXXXX";
        char inv_path[256], vars[256], fifo[300];
        struct inventory *inv = NULL;
        struct error_message err = {0};
        FILE *f;

        assert_non_null(mkdtemp(dir));
        snprintf(inv_path, sizeof(inv_path), "%s/inventory.yml", dir);

        assert_int_equal(mkfifo(inv_path, 0600), 0);
        expect_not_regular(inv_path, inv_path);
        assert_int_equal(unlink(inv_path), 0);

        assert_non_null(f = fopen(inv_path, "we"));
        fputs("node:\n  hosts:\n    n1:\n", f);
        assert_int_equal(fclose(f), 0);
        snprintf(vars, sizeof(vars), "%s/host_vars", dir);
        assert_int_equal(mkdir(vars, 0700), 0);
        snprintf(fifo, sizeof(fifo), "%s/n1.yml", vars);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        expect_not_regular(inv_path, fifo);
        assert_int_equal(unlink(fifo), 0);

        /* A device through a symbolic link: /dev/null would read as empty. */
        assert_int_equal(symlink("/dev/null", fifo), 0);
        expect_not_regular(inv_path, fifo);
        assert_int_equal(unlink(fifo), 0);
        assert_int_equal(rmdir(vars), 0);

        /* In a vars directory, where it is not skipped either. */
        snprintf(vars, sizeof(vars), "%s/group_vars", dir);
        assert_int_equal(mkdir(vars, 0700), 0);
        snprintf(vars, sizeof(vars), "%s/group_vars/node", dir);
        assert_int_equal(mkdir(vars, 0700), 0);
        snprintf(fifo, sizeof(fifo), "%s/a.yml", vars);
        assert_int_equal(mkfifo(fifo, 0600), 0);
        expect_not_regular(inv_path, fifo);
        assert_int_equal(unlink(fifo), 0);

        /* The same tree with a regular file loads. */
        assert_non_null(f = fopen(fifo, "we"));
        fputs("a: 1\n", f);
        assert_int_equal(fclose(f), 0);
        assert_int_equal(inventory_load(inv_path, NULL, &inv, &err), 0);
        inventory_free(inv);
        assert_int_equal(unlink(fifo), 0);
        assert_int_equal(rmdir(vars), 0);
        snprintf(vars, sizeof(vars), "%s/group_vars", dir);
        assert_int_equal(rmdir(vars), 0);
        assert_int_equal(unlink(inv_path), 0);
        assert_int_equal(rmdir(dir), 0);
}

struct error_case {
        const char *yaml;
        int ret;
        unsigned line, column;
        const char *value;
        const char *message_part;
};

static void test_errors(void **state) {
        static const struct error_case cases[] = {
                {"node:\n  hosts:\n    - n1\n", -EINVAL, 3, 5, "", "not a list"},
                {"node: n1\n", -EINVAL, 1, 7, "n1", "must be a mapping"},
                {"node:\n  hosts:\n    12:\n", -EINVAL, 3, 5, "12", "quote it"},
                {"node:\n  host:\n    n1:\n", -EINVAL, 2, 3, "host", "unknown key \"host\""},
                {"node:\n  hosts: {n1: }\nnode:\n  hosts: {n2: }\n", -EINVAL, 3, 1, "node",
                 "duplicate group"},
                {"node:\n  hosts:\n    n1:\n    n1:\n", -EINVAL, 4, 5, "n1", "duplicate host"},
                {"node:\n  hosts:\n    n1: yes\n", -EINVAL, 3, 9, "", "mapping of variables"},
                {"node:\n  hosts:\n    n1:\n      a: 1\n      b: 2\n      a: 3\n", -EINVAL, 6, 7,
                 "a", "duplicate key \"a\""},
                {"node:\n  vars: [1]\n", -EINVAL, 2, 9, "", "vars of group"},
                {"node:\n  vars:\n    a: *nope\n", -EINVAL, 3, 8, "nope", "no anchor"},
                {"node:\n  hosts:\n    n1: {a: [1, 2}\n", -EINVAL, 3, 18, "", "YAML error"},
                {"a:\n  children:\n    b:\nb:\n  children:\n    a:\n", -EINVAL, 1, 1, "a",
                 "own ancestor"},
                {"a:\n  children:\n    a:\n", -EINVAL, 3, 5, "a", "itself"},
                {"a:\n  children:\n    all:\n", -EINVAL, 3, 5, "all", "cannot be a child"},
                {"- a\n- b\n", -EINVAL, 1, 1, "", "mapping of groups"},
                {"a: {}\n---\nb: {}\n", -EINVAL, 2, 1, "", "one YAML document"},
                {"node:\n  children: [a]\n", -EINVAL, 2, 13, "", "must be a mapping (or one name)"},
                {"[a]: {}\n", -EINVAL, 1, 1, "", "plain name"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                const struct error_case *c = &cases[i];
                struct error_message err;
                int r = load_err(c->yaml, &err);
                if (r != c->ret || err.line != c->line || err.column != c->column ||
                    !STREQ(err.value, c->value) || !strstr(err.text, c->message_part) ||
                    !STREQ(err.file, "t.yml"))
                        fail_msg("case %zu: got %d %s:%u:%u \"%s\" (%s)", i, r, err.file, err.line,
                                 err.column, err.text, err.value);
        }
}

static void assert_no_secret(const struct error_message *err) {
        assert_null(strstr(err->text, SECRET));
        assert_null(strstr(err->value, SECRET));
        assert_null(strstr(err->file, SECRET));
}

static void test_secret_never_in_errors(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        assert_int_equal(inventory_load(INV_DIR "/bad/duplicate-key.yml", NULL, &inv, &err),
                         -EINVAL);
        assert_int_equal(err.line, 5);
        assert_int_equal(err.column, 5);
        assert_no_secret(&err);

        assert_int_equal(inventory_load(INV_DIR "/bad/secret-syntax.yml", NULL, &inv, &err),
                         -EINVAL);
        assert_int_equal(err.line, 4);
        assert_no_secret(&err);

        /* A secret written where a group belongs. */
        assert_int_equal(load_err("one_pass: " SECRET "\n", &err), -EINVAL);
        assert_int_equal(err.line, 1);
        assert_int_equal(err.column, 11);
        assert_no_secret(&err);
        assert_int_equal(load_err("node:\n  hosts:\n    api_token: " SECRET "\n", &err), -EINVAL);
        assert_no_secret(&err);
}

static void test_secret_values_flagged(void **state) {
        struct inventory *inv = load_ok("all:\n  vars:\n    one_pass: &p " SECRET "\n"
                                        "    creds: {ssh_private_key: " SECRET "}\n"
                                        "    ansible_become_password: " SECRET "\n"
                                        "    copy: *p\n"
                                        "    plain: visible\n"
                                        "    pci_passthrough_enabled: maybe\n"
                                        "  hosts: {h: }\n");
        struct inv_value *vars = NULL;
        struct error_message err;
        assert_int_equal(inventory_host_vars(inv, "h", &vars), 0);
        const char *keys[] = {"one_pass", "ansible_become_password", "copy"};
        for (size_t i = 0; i < ELEMENTSOF(keys); i++) {
                inv_value_error(&err, inv_map_get(vars, keys[i]), "bad %s", keys[i]);
                assert_no_secret(&err);
                assert_int_equal(err.line, 3 + (i == 1 ? 2 : 0));
        }
        inv_value_error(&err, inv_map_get(inv_map_get(vars, "creds"), "ssh_private_key"), "bad");
        assert_no_secret(&err);
        /* Not secret: the value is shown, "passthrough" is not a password. */
        inv_value_error(&err, inv_map_get(vars, "plain"), "bad %d", 1);
        assert_string_equal(err.value, "visible");
        assert_string_equal(err.text, "bad 1");
        assert_int_equal(err.line, 7);
        assert_int_equal(err.column, 12);
        inv_value_error(&err, inv_map_get(vars, "pci_passthrough_enabled"), "bad");
        assert_string_equal(err.value, "maybe");
        inv_value_unref(vars);
        inventory_free(inv);
}

static unsigned keep_calls;
static bool keep_only_n2(const char *name, const char *ansible_host, void *userdata) {
        const char **seen = userdata;
        seen[keep_calls++] = ansible_host;
        return STREQ(name, "n2");
}

static void test_keep_host_filters(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        const char *seen[8] = {0};
        struct inventory_load_options o = {.keep_host = keep_only_n2, .userdata = seen};
        keep_calls = 0;
        assert_int_equal(inventory_load(FIXTURES_DIR "/demo/inventory.yml", &o, &inv, &err), 0);
        assert_int_equal(keep_calls, 4);
        assert_string_equal(seen[0], "192.168.122.2");
        assert_string_equal(seen[3], "192.168.122.5");
        assert_false(inventory_host_kept(inv, 1));
        assert_true(inventory_host_kept(inv, 2));
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(inv, "n1", &vars), -ESTALE);
        assert_int_equal(inventory_host_vars(inv, "n2", &vars), 0);
        assert_int_equal(inv_value_len(inv_map_get(vars, "pci_devices")), 1);
        inv_value_unref(vars);
        /* Names and addresses of dropped hosts remain for identity. */
        assert_string_equal(inventory_host_address(inv, 3), "192.168.122.5");
        inventory_free(inv);

        /* An anchor inside a dropped host still serves a kept one. */
        const char *yaml = "node:\n  hosts:\n    n1:\n      pci_devices: &d [{address: x}]\n"
                           "    n2:\n      pci_devices: *d\n";
        keep_calls = 0;
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", &o, &inv, &err), 0);
        assert_int_equal(inventory_host_vars(inv, "n2", &vars), 0);
        assert_int_equal(inv_value_len(inv_map_get(vars, "pci_devices")), 1);
        inv_value_unref(vars);
        inventory_free(inv);

        /* A dropped host's broken variables are not even built. */
        yaml = "node:\n  hosts:\n    n1: {a: 1, a: 2}\n    n2: {b: 1}\n";
        keep_calls = 0;
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", &o, &inv, &err), 0);
        inventory_free(inv);
        assert_int_equal(load_err(yaml, &err), -EINVAL);
}

static bool keep_by_address(const char *name, const char *ansible_host, void *userdata) {
        return ansible_host && STREQ(ansible_host, "10.0.0.9");
}

static void test_keep_host_partial(void **state) {
        /* n1 is dropped in its first entry (no address yet) and kept in its
         * second: its variables are incomplete, so they are refused. */
        const char *yaml = "a:\n  hosts:\n    n1: {x: 1}\nb:\n  hosts:\n    n1: {ansible_host: "
                           "10.0.0.9}\n";
        struct inventory *inv = NULL;
        struct error_message err;
        struct inventory_load_options o = {.keep_host = keep_by_address};
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", &o, &inv, &err), 0);
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(inv, "n1", &vars), -ESTALE);
        assert_false(inventory_host_kept(inv, 0));
        inventory_free(inv);
}

static void test_empty_and_odd(void **state) {
        /* Empty: Ansible refuses it ("Parsed empty YAML file"). */
        struct error_message err;
        assert_int_equal(load_err("", &err), -EINVAL);
        assert_non_null(strstr(err.text, "empty"));
        assert_int_equal(load_err("---\n...\n", &err), -EINVAL);
        assert_int_equal(load_err("# nothing\n", &err), -EINVAL);
        struct inventory *inv = load_ok("node:\n");
        assert_int_equal(inventory_n_hosts(inv), 0);
        char **hosts = NULL;
        assert_int_equal(inventory_group_hosts(inv, "all", &hosts), 0);
        assert_null(hosts[0]);
        strv_free(hosts);
        inventory_free(inv);

        /* Hosts directly under all, empty groups, a group name that would
         * walk out of group_vars/ is just a name. */
        inv = load_ok("all:\n  hosts:\n    h0:\nungrouped:\n\"../x\":\n  hosts: {h1: }\n");
        assert_int_equal(inventory_n_hosts(inv), 2);
        /* h0 is in no group but all: Ansible puts it in ungrouped. */
        assert_int_equal(inventory_group_hosts(inv, "ungrouped", &hosts), 0);
        assert_strv(hosts, (const char *[]){"h0"}, 1);
        strv_free(hosts);
        inventory_free(inv);
}

static void test_deep_nesting_refused(void **state) {
        size_t depth = 1000;
        char *yaml = malloc(depth * 2 + 64);
        assert_non_null(yaml);
        char *p = yaml;
        p += sprintf(p, "g:\n  vars:\n    a: ");
        for (size_t i = 0; i < depth; i++)
                *p++ = '[';
        for (size_t i = 0; i < depth; i++)
                *p++ = ']';
        strcpy(p, "\n");
        struct error_message err;
        assert_int_equal(load_err(yaml, &err), -EINVAL);
        assert_non_null(strstr(err.text, "nested"));
        free(yaml);
}

static void test_long_group_chain(void **state) {
        /* Groups chained through children, written deepest first so that
         * resolving depths would recurse through all of them. */
        size_t n = 300;
        char *yaml = malloc(n * 40 + 16);
        assert_non_null(yaml);
        char *p = yaml;
        for (size_t i = n; i > 0; i--)
                p += sprintf(p, "g%zu:\n  children:\n    g%zu:\n", i, i + 1);
        struct error_message err;
        assert_int_equal(load_err(yaml, &err), -EINVAL);
        assert_non_null(strstr(err.text, "levels deep"));
        free(yaml);

        /* 100 levels are fine, and the deepest group's variables win. */
        yaml = malloc(100 * 60 + 64);
        p = yaml;
        for (size_t i = 100; i-- > 0;)
                p += sprintf(p, "g%zu:\n  vars: {x: g%zu}\n  children:\n    g%zu:\n", i, i, i + 1);
        sprintf(p, "g100:\n  hosts: {h: }\n");
        struct inventory *inv = load_ok(yaml);
        assert_var(inv, "h", "x", "g99");
        inventory_free(inv);
        free(yaml);
}

static bool keep_h0(const char *name, const char *ansible_host, void *userdata) {
        return STREQ(name, "h0");
}

/* Heap in use after loading n hosts that each carry ~2 KiB of variables
 * (the inventory stays loaded); 0 when the allocator cannot tell (sanitizers). */
static size_t heap_after_load(size_t n, bool filtered) {
        size_t cap = n * 2300 + 64, len = 0;
        char *yaml = malloc(cap);
        if (!yaml) abort(); /* assert_non_null() is not noreturn to gcc -fsanitize */
        len += (size_t)sprintf(yaml, "node:\n  hosts:\n");
        for (size_t i = 0; i < n; i++) {
                len += (size_t)sprintf(yaml + len,
                                       "    h%zu:\n      ansible_host: 10.0.%zu.%zu\n"
                                       "      payload:\n",
                                       i, i / 256, i % 256);
                for (int k = 0; k < 40; k++)
                        len += (size_t)sprintf(yaml + len, "        - {k: v%d, w: [1, 2]}\n", k);
        }
        struct inventory *inv = NULL;
        struct error_message err;
        struct inventory_load_options o = {.keep_host = filtered ? keep_h0 : NULL};
        size_t before = mallinfo2().uordblks;
        assert_int_equal(inventory_load_buffer(yaml, len, "big.yml", &o, &inv, &err), 0);
        size_t after = mallinfo2().uordblks;
        inventory_free(inv);
        free(yaml);
        return after > before ? after - before : 0;
}

static void test_keep_host_memory_flat(void **state) {
        size_t all_1k = heap_after_load(1000, false);
        if (all_1k == 0)
                skip();
        size_t kept_1k = heap_after_load(1000, true);
        size_t kept_4k = heap_after_load(4000, true);
        /* Without a filter every host's ~2 KiB stays... */
        assert_true(all_1k > 1000 * 2000);
        /* ...with one, only names, addresses and membership grow with the
         * host count (about 230 bytes a host). */
        assert_true((kept_4k - kept_1k) / 3000 < 512);
        assert_true(kept_1k * 8 < all_1k);
}

static void test_host_ranges(void **state) {
        struct inventory *inv = load_ok("node:\n"
                                        "  hosts:\n"
                                        "    n[08:10].dc:\n"
                                        "      pci_devices: [{address: \"0000:09:00.0\"}]\n"
                                        "    gpu-[a:c]-[1:3:2]:\n"
                                        "    h[:1]:\n");
        const char *expect[] = {"n08.dc",  "n09.dc",  "n10.dc",  "gpu-a-1", "gpu-a-3", "gpu-b-1",
                                "gpu-b-3", "gpu-c-1", "gpu-c-3", "h0",      "h1"};
        assert_int_equal(inventory_n_hosts(inv), ELEMENTSOF(expect));
        for (size_t i = 0; i < ELEMENTSOF(expect); i++)
                assert_string_equal(inventory_host_name(inv, i), expect[i]);
        for (size_t i = 0; i < 3; i++) {
                struct inv_value *vars = NULL;
                assert_int_equal(inventory_host_vars(inv, expect[i], &vars), 0);
                assert_int_equal(inv_value_len(inv_map_get(vars, "pci_devices")), 1);
                inv_value_unref(vars);
        }
        inventory_free(inv);

        /* Only the kept names of a range keep the variables. */
        const char *yaml = "node:\n  hosts:\n    n[1:3]: {x: 1}\n";
        struct inventory_load_options o = {.keep_host = keep_only_n2};
        const char *seen[8];
        o.userdata = seen;
        keep_calls = 0;
        struct error_message err;
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", &o, &inv, &err), 0);
        assert_int_equal(keep_calls, 3);
        assert_false(inventory_host_kept(inv, 0));
        assert_true(inventory_host_kept(inv, 1));
        assert_var(inv, "n2", "x", "1");
        inventory_free(inv);

        static const struct {
                const char *name, *problem;
        } bad[] = {
                {"n[c:a]", "begin <= end"},
                {"n[01:9]", "equal-length"},
                {"n[1-3]", "begin:end"},
                {"n[1:3", "[START:END]"},
                {"n[a:3]", "numbers or letters"},
                {"n[1:3:0]", "step"},
                {"n[1:]", "end value"},
                {"n[0:999999999]", "too many hosts"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                char buf[256];
                snprintf(buf, sizeof(buf), "node:\n  hosts:\n    \"%s\":\n", bad[i].name);
                int r = load_err(buf, &err);
                if ((r != -EINVAL && r != -E2BIG) || err.line != 3 || err.column != 5 ||
                    !STREQ(err.value, bad[i].name) || !strstr(err.text, bad[i].problem))
                        fail_msg("%s: %d %u:%u %s (%s)", bad[i].name, r, err.line, err.column,
                                 err.text, err.value);
        }
}

static void test_many_keys_duplicate(void **state) {
        /* More keys than the linear check handles: the hash map finds it. */
        char yaml[4096];
        char *p = yaml;
        p += sprintf(p, "g:\n  vars:\n");
        for (int i = 0; i < 40; i++)
                p += sprintf(p, "    k%d: %d\n", i, i);
        sprintf(p, "    k3: again\n");
        struct error_message err;
        assert_int_equal(load_err(yaml, &err), -EINVAL);
        assert_int_equal(err.line, 43);
        assert_string_equal(err.value, "k3");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sample_inventory),
                cmocka_unit_test(test_precedence),
                cmocka_unit_test(test_same_depth_by_name_not_order),
                cmocka_unit_test(test_children_nesting),
                cmocka_unit_test(test_host_in_several_groups),
                cmocka_unit_test(test_vars_dirs),
                cmocka_unit_test(test_vars_dirs_apply),
                cmocka_unit_test(test_booleans),
                cmocka_unit_test(test_aliases),
                cmocka_unit_test(test_alias_bomb),
                cmocka_unit_test(test_size_limit),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_not_regular_files_refused),
                cmocka_unit_test(test_secret_never_in_errors),
                cmocka_unit_test(test_secret_values_flagged),
                cmocka_unit_test(test_keep_host_filters),
                cmocka_unit_test(test_keep_host_partial),
                cmocka_unit_test(test_empty_and_odd),
                cmocka_unit_test(test_deep_nesting_refused),
                cmocka_unit_test(test_long_group_chain),
                cmocka_unit_test(test_host_ranges),
                cmocka_unit_test(test_keep_host_memory_flat),
                cmocka_unit_test(test_inventory_is_streamed),
                cmocka_unit_test(test_many_keys_duplicate),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
