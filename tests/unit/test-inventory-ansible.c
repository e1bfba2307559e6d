/* SPDX-License-Identifier: Apache-2.0 */
/* Ansible's inventory semantics, on the inventories of the compat suite
 * (tests/compat/cases), which ansible-inventory reads the same way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error-message.h"
#include "inventory.h"
#include "macros.h"

#define CASES TESTS_DIR "/compat/cases/"

static struct inventory *load_case(const char *name) {
        char path[512];
        struct inventory *inv = NULL;
        struct error_message err = {0};
        snprintf(path, sizeof(path), CASES "%s/inventory.yml", name);
        int r = inventory_load(path, NULL, &inv, &err);
        if (r < 0)
                fail_msg("%s: %d %s:%u:%u: %s", name, r, err.file, err.line, err.column, err.text);
        return inv;
}

static int load_case_err(const char *name, const char *file, struct error_message *err) {
        char path[512];
        struct inventory *inv = NULL;
        snprintf(path, sizeof(path), CASES "%s/%s", name, file);
        *err = (struct error_message){0};
        int r = inventory_load(path, NULL, &inv, err);
        assert_null(inv);
        return r;
}

/* The variable's text, or NULL when the host does not have it. */
static const char *var(const struct inventory *inv, const char *host, const char *key) {
        static char buf[256];
        struct inv_value *vars = NULL;
        if (inventory_host_vars(inv, host, &vars) < 0)
                fail_msg("no host %s", host);
        const struct inv_value *v = inv_map_get(vars, key);
        const char *s = v ? inv_value_str(v) : NULL;
        if (s)
                snprintf(buf, sizeof(buf), "%s", s);
        inv_value_unref(vars);
        return s ? buf : NULL;
}

static void assert_var(const struct inventory *inv, const char *host, const char *key,
                       const char *want) {
        const char *v = var(inv, host, key);
        if (!want ? v != NULL : !v || !STREQ(v, want))
                fail_msg("%s.%s: \"%s\", expected \"%s\"", host, key, v ? v : "(unset)",
                         want ? want : "(unset)");
}

/* group_vars/NAME: only the first of NAME, NAME.yml, NAME.yaml, NAME.json. */
static void test_vars_file_lookup(void **state) {
        static const struct {
                const char *name, *key, *want;
        } cases[] = {
                {"vars-yml-wins-over-yaml", "pci_from", "yml"},
                {"vars-yml-wins-over-yaml", "pci_yaml_only", NULL},
                {"vars-dir-wins-over-file", "pci_from", "dir"},
                {"vars-dir-wins-over-file", "pci_file_only", NULL},
                {"vars-file-without-extension", "pci_from", "noext"},
                {"vars-yaml-when-no-yml", "pci_from", "yaml"},
                {"vars-yaml-when-no-yml", "pci_host", "json"},
                {"vars-host-vars-dir-wins", "pci_h", "dir"},
                /* a directory: sorted, recursive, extension-less and .json files too */
                {"vars-dir-recursive", "pci_x", "sub"},
                {"vars-dir-recursive", "pci_z", "last"},
                {"vars-dir-json-and-vault-name", "pci_x", "vault"},
                {"vars-dir-json-and-vault-name", "pci_json", "yes"},
                /* hidden, backup, other extensions and dotted directories: skipped */
                {"vars-dir-skips-hidden-backup-and-other-extensions", "pci_x", "main"},
                {"vars-empty-files-ignored", "pci_c", "1"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct inventory *inv = load_case(cases[i].name);
                assert_var(inv, "n1", cases[i].key, cases[i].want);
                inventory_free(inv);
        }
        struct inventory *inv = load_case("vars-json-file");
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(inv, "n1", &vars), 0);
        bool b = false;
        assert_int_equal(inv_value_to_bool(inv_map_get(vars, "pci_passthrough_enabled"), &b), 0);
        assert_true(b);
        assert_int_equal(inv_value_len(inv_map_get(vars, "pci_devices")), 1);
        inv_value_unref(vars);
        inventory_free(inv);
}

/* all inline < groups inline < group_vars/all < group_vars/GROUP < host inline < host_vars;
 * groups by depth, ansible_group_priority, name. */
static void test_precedence_levels(void **state) {
        static const struct {
                const char *name, *host, *key, *want;
        } cases[] = {
                {"prec-all-file-beats-child-inline", "n1", "pci_x", "all-file"},
                {"prec-group-file-beats-deeper-inline", "n1", "pci_x", "node-file"},
                {"prec-group-file-beats-deeper-inline", "n1", "pci_y", "node-file"},
                {"prec-host-inline-beats-group-files", "n1", "pci_x", "host-inline"},
                {"prec-host-vars-beat-inline", "n1", "pci_x", "host-file"},
                {"prec-host-vars-beat-inline", "n1", "pci_keep", "inline"},
                {"prec-group-priority", "n1", "pci_x", "alpha"},
                {"prec-group-priority", "n1", "pci_y", "gamma"},
                {"prec-group-priority", "n1", "ansible_group_priority", NULL},
                {"prec-depth-beats-priority", "n1", "pci_x", "child"},
                {"prec-group-files-follow-priority", "n1", "pci_x", "alpha-file"},
                {"prec-same-depth-name-order", "n1", "pci_x", "zeta"},
                {"ordinary-diamond", "d1", "pci_where", "right"},
                {"ordinary-same-host-twice-merged-per-key", "n1", "pci_x", "from_a"},
                {"ordinary-same-host-twice-merged-per-key", "n1", "pci_y", "from_b"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct inventory *inv = load_case(cases[i].name);
                assert_var(inv, cases[i].host, cases[i].key, cases[i].want);
                inventory_free(inv);
        }
}

static void assert_groups(const struct inventory *inv, const char *host, const char *want) {
        char **groups = NULL, got[256] = "";
        assert_int_equal(inventory_host_groups(inv, host, &groups), 0);
        for (size_t i = 0; groups[i]; i++)
                snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? " " : "",
                         groups[i]);
        strv_free(groups);
        if (!STREQ(got, want))
                fail_msg("%s: groups \"%s\", expected \"%s\"", host, got, want);
}

static void test_ungrouped(void **state) {
        struct inventory *inv = load_case("ungrouped-vars-file");
        assert_groups(inv, "lone", "ungrouped");
        assert_groups(inv, "n1", "node");
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(inv, "lone", &vars), 0);
        assert_int_equal(inv_value_len(inv_map_get(vars, "pci_devices")), 1);
        inv_value_unref(vars);
        assert_int_equal(inventory_host_vars(inv, "n1", &vars), 0);
        assert_null(inv_map_get(vars, "pci_devices"));
        inv_value_unref(vars);
        inventory_free(inv);

        inv = load_case("ungrouped-inline-vars");
        assert_var(inv, "lone", "pci_x", "ungrouped");
        inventory_free(inv);

        /* Listed in ungrouped and in node: Ansible takes it out of ungrouped. */
        inv = load_case("ungrouped-left-when-in-a-group");
        assert_groups(inv, "n1", "node");
        assert_var(inv, "n1", "pci_x", NULL);
        assert_var(inv, "u1", "pci_x", "ungrouped");
        inventory_free(inv);
}

static void test_merge_keys(void **state) {
        struct inventory *inv = load_case("merge-in-hosts-mapping");
        assert_groups(inv, "g1", "gpu node");
        assert_groups(inv, "n3", "node");
        assert_int_equal(inventory_n_hosts(inv), 3);
        inventory_free(inv);

        inv = load_case("merge-list-earlier-wins");
        assert_var(inv, "n1", "pci_x", "a");
        assert_var(inv, "n1", "pci_b", "1");
        inventory_free(inv);

        inv = load_case("merge-own-key-wins-even-before");
        assert_var(inv, "n1", "pci_x", "own");
        assert_var(inv, "n1", "pci_y", "merged");
        inventory_free(inv);

        inv = load_case("merge-in-host-entry");
        assert_var(inv, "n2", "ansible_host", "10.0.0.2");
        inventory_free(inv);

        inv = load_case("merge-groups-at-top");
        assert_groups(inv, "n1", "node");
        inventory_free(inv);

        /* No host named "<<", and the group keeps its hosts. */
        const char *yaml = "a:\n  hosts: &h\n    n1:\nb:\n  hosts:\n    <<: *h\n    n2:\n";
        struct error_message err = {0};
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", NULL, &inv, &err), 0);
        assert_int_equal(inventory_n_hosts(inv), 2);
        assert_groups(inv, "n1", "a b");
        inventory_free(inv);

        /* An own host after the same merged one: PyYAML drops the merged, which
         * streaming cannot undo: refused. */
        yaml = "a:\n  hosts: &h\n    n1: {x: 1}\nb:\n  hosts:\n    <<: *h\n    n1: {y: 2}\n";
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", NULL, &inv, &err),
                         -EINVAL);
        assert_non_null(strstr(err.text, "merge key"));
        assert_int_equal(err.line, 7);
}

static void test_shapes(void **state) {
        struct inventory *inv = load_case("shape-alias-as-group-body");
        assert_groups(inv, "n1", "gpu node");
        assert_var(inv, "n1", "pci_passthrough_enabled", "true");
        inventory_free(inv);

        inv = load_case("shape-hosts-as-string");
        assert_groups(inv, "n1", "node");
        assert_var(inv, "n1", "pci_x", "node");
        inventory_free(inv);

        inv = load_case("shape-children-as-string");
        assert_groups(inv, "g1", "gpu node");
        inventory_free(inv);

        inv = load_case("host-port-then-inline-port");
        assert_var(inv, "n1", "ansible_port", "22");
        assert_var(inv, "n2", "ansible_port", "2223"); /* the port of the first entry */
        inventory_free(inv);

        /* A host named like an existing group: its own variables go to the group. */
        inv = load_case("shape-host-named-like-a-group");
        assert_var(inv, "n1", "pci_x", NULL);
        assert_var(inv, "n1", "pci_quoted_merge_key", "x");
        assert_var(inv, "n2", "ansible_port", "22");
        inventory_free(inv);

        inv = load_case("host-range-reversed-numeric-is-empty");
        assert_int_equal(inventory_n_hosts(inv), 1);
        inventory_free(inv);
}

static void test_refusals(void **state) {
        struct error_message err;
        assert_int_equal(load_case_err("shape-nul-byte-refused", "inventory.yml", &err), -EINVAL);
        assert_non_null(strstr(err.text, "NUL byte"));
        assert_int_equal(err.line, 5);

        assert_int_equal(load_case_err("shape-ini-refused", "inventory.ini", &err), -EINVAL);
        assert_non_null(strstr(err.text, "INI inventory"));
        assert_non_null(strstr(err.text, "ansible-inventory -i"));

        assert_int_equal(load_case_err("shape-vault-file-refused", "inventory.yml", &err), -EINVAL);
        assert_non_null(strstr(err.text, "vault-encrypted"));
        assert_non_null(strstr(err.file, "group_vars/all/vault"));

        /* A directory: its path is in err.file, not repeated in the text. */
        assert_int_equal(load_case_err("shape-directory-refused", "inventory", &err), -EISDIR);
        assert_non_null(strstr(err.file, "shape-directory-refused/inventory"));
        assert_null(strstr(err.text, "shape-directory-refused"));
        assert_non_null(strstr(err.text, "is a directory"));

        assert_int_equal(load_case_err("shape-duplicate-group-refused", "inventory.yml", &err),
                         -EINVAL);
        assert_non_null(strstr(err.text, "Ansible would take the last"));
        assert_int_equal(load_case_err("host-range-reversed-letters-refused", "inventory.yml", &err),
                         -EINVAL);
        assert_non_null(strstr(err.text, "begin <= end"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vars_file_lookup),
                cmocka_unit_test(test_precedence_levels),
                cmocka_unit_test(test_ungrouped),
                cmocka_unit_test(test_merge_keys),
                cmocka_unit_test(test_shapes),
                cmocka_unit_test(test_refusals),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
