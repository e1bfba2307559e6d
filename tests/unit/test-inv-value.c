/* SPDX-License-Identifier: Apache-2.0 */
/* YAML 1.1 as PyYAML (Ansible's loader) resolves it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "error-message.h"
#include "inv-value-build.h"
#include "inventory.h"
#include "macros.h"

struct kind_case {
        const char *text;
        enum inv_kind kind;
};

static void test_resolve_plain(void **state) {
        static const struct kind_case cases[] = {
                /* booleans: the six words in three spellings, nothing else */
                {"yes", INV_KIND_BOOL}, {"Yes", INV_KIND_BOOL}, {"YES", INV_KIND_BOOL},
                {"no", INV_KIND_BOOL},  {"On", INV_KIND_BOOL},  {"OFF", INV_KIND_BOOL},
                {"True", INV_KIND_BOOL}, {"FALSE", INV_KIND_BOOL},
                {"y", INV_KIND_STR},    {"Y", INV_KIND_STR},    {"n", INV_KIND_STR},
                {"N", INV_KIND_STR},    {"yEs", INV_KIND_STR},  {"tRUE", INV_KIND_STR},
                /* null */
                {"", INV_KIND_NULL},    {"~", INV_KIND_NULL},   {"null", INV_KIND_NULL},
                {"Null", INV_KIND_NULL}, {"NULL", INV_KIND_NULL}, {"nULL", INV_KIND_STR},
                /* integers: decimal, octal, hex, binary, base 60, underscores */
                {"0", INV_KIND_INT},    {"10", INV_KIND_INT},   {"-3", INV_KIND_INT},
                {"0302", INV_KIND_INT}, {"0660", INV_KIND_INT}, {"0x1F", INV_KIND_INT},
                {"0b101", INV_KIND_INT}, {"1_000", INV_KIND_INT}, {"1:30", INV_KIND_INT},
                {"+12", INV_KIND_INT},  {"0309", INV_KIND_STR}, {"09", INV_KIND_STR},
                {"10de", INV_KIND_STR}, {"1e5", INV_KIND_STR},  {"0x", INV_KIND_STR},
                /* floats, the PCI address among them (base 60: 540.0) */
                {"0000:09:00.0", INV_KIND_FLOAT}, {"09:00.0", INV_KIND_FLOAT},
                {"1.5", INV_KIND_FLOAT}, {"1.", INV_KIND_FLOAT}, {".5", INV_KIND_FLOAT},
                {"1.5e+3", INV_KIND_FLOAT}, {"1.5e3", INV_KIND_STR}, {"+.5", INV_KIND_STR},
                {".inf", INV_KIND_FLOAT}, {"-.Inf", INV_KIND_FLOAT}, {".NaN", INV_KIND_FLOAT},
                {"7.0", INV_KIND_FLOAT},
                {"0000:0a:00.0", INV_KIND_STR}, {"0000:09:00.*", INV_KIND_STR},
                {"0000:09:00", INV_KIND_STR}, {"0000:09:60.0", INV_KIND_STR},
                {"192.168.122.3", INV_KIND_STR}, {"1.2.3", INV_KIND_STR},
                /* dates */
                {"2024-01-02", INV_KIND_TIMESTAMP}, {"2024-1-2 10:00:00", INV_KIND_TIMESTAMP},
                {"2024-01-02T10:00:00Z", INV_KIND_TIMESTAMP}, {"2024-01-2", INV_KIND_STR},
                /* everything else */
                {"<<", INV_KIND_STR}, {"kvm", INV_KIND_STR}, {"-", INV_KIND_STR},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                enum inv_kind k = inv_resolve_plain(cases[i].text, strlen(cases[i].text));
                if (k != cases[i].kind)
                        fail_msg("\"%s\": %s, expected %s", cases[i].text, inv_kind_name(k),
                                 inv_kind_name(cases[i].kind));
        }
}

static void test_resolve_tag(void **state) {
        enum inv_kind k;
        assert_int_equal(inv_resolve_tag("tag:yaml.org,2002:bool", "true", &k), 0);
        assert_int_equal(k, INV_KIND_BOOL);
        assert_int_equal(inv_resolve_tag("tag:yaml.org,2002:bool", "OfF", &k), 0);
        assert_int_equal(inv_resolve_tag("tag:yaml.org,2002:bool", "y", &k), -EINVAL);
        assert_int_equal(inv_resolve_tag("tag:yaml.org,2002:str", "yes", &k), 0);
        assert_int_equal(k, INV_KIND_STR);
        assert_int_equal(inv_resolve_tag("!unsafe", "{{ x }}", &k), 0);
        assert_int_equal(k, INV_KIND_STR);
        assert_int_equal(inv_resolve_tag("!vault", "$ANSIBLE_VAULT", &k), 0);
        assert_int_equal(k, INV_KIND_VAULT);
        assert_int_equal(inv_resolve_tag("tag:yaml.org,2002:binary", "AA==", &k), -EINVAL);
        assert_int_equal(inv_resolve_tag("!custom", "x", &k), -EINVAL);
}

/* The same through the reader: plain, quoted and tagged scalars. */
static void test_kinds_in_inventory(void **state) {
        const char *yaml = "g:\n  hosts:\n    h:\n"
                           "      a: yes\n      b: \"yes\"\n      c: !!bool \"true\"\n"
                           "      d: !!str yes\n      e: 0302\n      f: '0302'\n"
                           "      g: 0000:09:00.0\n      i: y\n      j: !!null ''\n";
        struct inventory *inv = NULL;
        struct error_message err = {0};
        struct inv_value *vars = NULL;
        assert_int_equal(inventory_load_buffer(yaml, strlen(yaml), "t.yml", NULL, &inv, &err), 0);
        assert_int_equal(inventory_host_vars(inv, "h", &vars), 0);
        static const struct {
                const char *key;
                enum inv_kind kind;
                bool tagged;
        } want[] = {
                {"a", INV_KIND_BOOL, false},  {"b", INV_KIND_STR, false},
                {"c", INV_KIND_BOOL, true},   {"d", INV_KIND_STR, true},
                {"e", INV_KIND_INT, false},   {"f", INV_KIND_STR, false},
                {"g", INV_KIND_FLOAT, false}, {"i", INV_KIND_STR, false},
                {"j", INV_KIND_NULL, true},
        };
        for (size_t i = 0; i < ELEMENTSOF(want); i++) {
                const struct inv_value *v = inv_map_get(vars, want[i].key);
                assert_non_null(v);
                if (inv_value_kind(v) != want[i].kind)
                        fail_msg("%s: %s", want[i].key, inv_kind_name(inv_value_kind(v)));
                if (want[i].kind != INV_KIND_NULL)
                        assert_int_equal(inv_value_is_tagged(v), want[i].tagged);
        }
        bool b = false;
        assert_int_equal(inv_value_to_bool(inv_map_get(vars, "c"), &b), 0);
        assert_true(b);
        assert_int_equal(inv_value_to_bool(inv_map_get(vars, "i"), &b), -EINVAL);
        inv_value_unref(vars);
        inventory_free(inv);

        /* A tag PyYAML does not construct fails the file, as it fails Ansible. */
        const char *bad = "g:\n  vars:\n    x: !!binary AA==\n";
        assert_int_equal(inventory_load_buffer(bad, strlen(bad), "t.yml", NULL, &inv, &err),
                         -EINVAL);
        assert_int_equal(err.line, 3);
        assert_non_null(strstr(err.text, "tag"));
}

static void test_map_update_copies_shared(void **state) {
        _cleanup_(inv_value_unrefp) struct inv_value *a = inv_value_new(INV_MAPPING, NULL, 0, 0);
        _cleanup_(inv_value_unrefp) struct inv_value *b = inv_value_new(INV_MAPPING, NULL, 0, 0);
        struct inv_value *x = inv_value_new(INV_SCALAR, NULL, 1, 1);
        struct inv_value *y = inv_value_new(INV_SCALAR, NULL, 2, 1);
        assert_non_null(a);
        assert_non_null(b);
        assert_int_equal(inv_map_set(a, "k", x), 0);
        assert_int_equal(inv_map_set(b, "k", y), 0);
        struct inv_value *dst = NULL;
        assert_int_equal(inv_map_update(&dst, a), 0);
        assert_ptr_equal(dst, a); /* shared until changed */
        assert_int_equal(inv_map_update(&dst, b), 0);
        assert_ptr_not_equal(dst, a);
        assert_ptr_equal(inv_map_get(a, "k"), x); /* a untouched */
        assert_ptr_equal(inv_map_get(dst, "k"), y);
        inv_value_unref(dst);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_resolve_plain),
                cmocka_unit_test(test_resolve_tag),
                cmocka_unit_test(test_kinds_in_inventory),
                cmocka_unit_test(test_map_update_copies_shared),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
