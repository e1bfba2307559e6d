/* SPDX-License-Identifier: Apache-2.0 */
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

static const char *const agent_vars[] = {"ansible_host", "pci_*", "onepci_*", "one_*", NULL};

static struct inventory *load_file(const char *path) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        assert_int_equal(inventory_load(path, NULL, &inv, &err), 0);
        return inv;
}

static struct inventory *reparse(const char *yaml) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        int r = inventory_load_buffer(yaml, strlen(yaml), "rendered.yml", NULL, &inv, &err);
        if (r < 0)
                fail_msg("re-parse: %s:%u:%u %s\n%s", err.file, err.line, err.column, err.text,
                         yaml);
        return inv;
}

static void test_render_sample_host(void **state) {
        struct inventory *inv = load_file(FIXTURES_DIR "/demo/inventory.yml");
        char *yaml = NULL;
        assert_int_equal(inventory_render_host(inv, "n1", agent_vars, &yaml), 0);
        /* "one_*" is allowed, yet the password never leaves. */
        assert_null(strstr(yaml, "one_pass"));
        assert_null(strstr(yaml, "opennebulapass"));
        assert_null(strstr(yaml, "ansible_user"));
        assert_null(strstr(yaml, "n2"));
        assert_null(strstr(yaml, "admin_net"));
        assert_non_null(strstr(yaml, "one_version"));

        struct inventory *back = reparse(yaml);
        assert_int_equal(inventory_n_hosts(back), 1);
        assert_string_equal(inventory_host_name(back, 0), "n1");
        assert_string_equal(inventory_host_address(back, 0), "192.168.122.3");
        char **hosts = NULL;
        assert_int_equal(inventory_group_hosts(back, "node", &hosts), 0);
        assert_string_equal(hosts[0], "n1");
        assert_null(hosts[1]);
        strv_free(hosts);

        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(back, "n1", &vars), 0);
        assert_int_equal(inv_value_len(vars), 4);
        bool b = false;
        assert_int_equal(inv_value_to_bool(inv_map_get(vars, "pci_passthrough_enabled"), &b), 0);
        assert_true(b);
        const struct inv_value *devs = inv_map_get(vars, "pci_devices");
        assert_int_equal(inv_value_len(devs), 2);
        assert_string_equal(inv_value_str(inv_map_get(inv_value_item(devs, 0), "address")),
                            "0000:09:00.0");
        assert_string_equal(inv_value_str(inv_map_get(inv_value_item(devs, 1), "address")),
                            "0000:0a:00.0");
        /* '7.0' was quoted: it stays a string. */
        assert_false(inv_value_is_plain(inv_map_get(vars, "one_version")));
        inv_value_unref(vars);
        inventory_free(back);
        free(yaml);
        inventory_free(inv);
}

static void test_render_keeps_types_and_precedence(void **state) {
        const char *src = "all:\n  vars:\n    pci_x: from_all\n    api_token: t0ps3cret\n"
                          "node:\n  vars:\n    pci_quoted: \"yes\"\n    pci_null: ~\n"
                          "    pci_tagged: !!bool \"true\"\n    pci_str: !!str on\n"
                          "    pci_octal: 0660\n"
                          "    pci_nested: {a: [1, {b: 'x: y'}], c: off}\n"
                          "  hosts:\n    \"h:x\":\n      pci_x: from_host\n"
                          "      pci_multi: \"line1\\nline2\"\n";
        struct inventory *inv = NULL;
        struct error_message err;
        assert_int_equal(inventory_load_buffer(src, strlen(src), "s.yml", NULL, &inv, &err), 0);
        char *yaml = NULL;
        const char *const allow[] = {"pci_*", "api_*", NULL};
        assert_int_equal(inventory_render_host(inv, "h:x", allow, &yaml), 0);
        assert_null(strstr(yaml, "t0ps3cret"));

        struct inventory *back = reparse(yaml);
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(back, "h:x", &vars), 0);
        assert_string_equal(inv_value_str(inv_map_get(vars, "pci_x")), "from_host");
        const struct inv_value *q = inv_map_get(vars, "pci_quoted");
        bool b;
        assert_int_equal(inv_value_to_bool(q, &b), -EINVAL); /* still a string */
        assert_string_equal(inv_value_str(q), "yes");
        assert_int_equal(inv_value_type(inv_map_get(vars, "pci_null")), INV_NULL);
        /* Types survive the round trip, tagged ones too. */
        assert_int_equal(inv_value_to_bool(inv_map_get(vars, "pci_tagged"), &b), 0);
        assert_true(b);
        assert_int_equal(inv_value_kind(inv_map_get(vars, "pci_str")), INV_KIND_STR);
        assert_int_equal(inv_value_kind(inv_map_get(vars, "pci_octal")), INV_KIND_INT);
        const struct inv_value *nested = inv_map_get(vars, "pci_nested");
        assert_int_equal(inv_value_to_bool(inv_map_get(nested, "c"), &b), 0);
        assert_false(b);
        const struct inv_value *a = inv_map_get(nested, "a");
        assert_string_equal(inv_value_str(inv_map_get(inv_value_item(a, 1), "b")), "x: y");
        assert_string_equal(inv_value_str(inv_map_get(vars, "pci_multi")), "line1\nline2");
        assert_null(inv_map_get(vars, "api_token"));
        inv_value_unref(vars);
        inventory_free(back);
        free(yaml);
        inventory_free(inv);
}

static bool keep_none(const char *name, const char *ansible_host, void *userdata) {
        return false;
}

static void test_render_errors(void **state) {
        struct inventory *inv = load_file(FIXTURES_DIR "/demo/inventory.yml");
        char *yaml = NULL;
        assert_int_equal(inventory_render_host(inv, "nope", agent_vars, &yaml), -ENOENT);
        assert_null(yaml);
        /* Nothing allowed: the host alone. */
        const char *const none[] = {NULL};
        assert_int_equal(inventory_render_host(inv, "n3", none, &yaml), 0);
        struct inventory *back = reparse(yaml);
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_host_vars(back, "n3", &vars), 0);
        assert_int_equal(inv_value_len(vars), 0);
        inv_value_unref(vars);
        inventory_free(back);
        free(yaml);
        inventory_free(inv);

        struct error_message err;
        struct inventory_load_options o = {.keep_host = keep_none};
        assert_int_equal(inventory_load(FIXTURES_DIR "/demo/inventory.yml", &o, &inv, &err), 0);
        assert_int_equal(inventory_render_host(inv, "n1", agent_vars, &yaml), -ESTALE);
        inventory_free(inv);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render_sample_host),
                cmocka_unit_test(test_render_keeps_types_and_precedence),
                cmocka_unit_test(test_render_errors),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
