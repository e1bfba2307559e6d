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

#include "host-config.h"
#include "error-message.h"
#include "inventory.h"
#include "macros.h"

/* Validates host h of an inventory given as text; returns the result code. */
static int config_of(const char *yaml, const char *host, struct host_config **ret,
                     struct error_message *err) {
        struct inventory *inv = NULL;
        struct inv_value *vars = NULL;
        memset(err, 0, sizeof(*err));
        *ret = NULL;
        int r = inventory_load_buffer(yaml, strlen(yaml), "hc.yml", NULL, &inv, err);
        if (r < 0)
                fail_msg("inventory: %s:%u:%u %s", err->file, err->line, err->column, err->text);
        assert_int_equal(inventory_host_vars(inv, host, &vars), 0);
        r = host_config_from_vars(host, vars, ret, err);
        inv_value_unref(vars);
        inventory_free(inv);
        return r;
}

/* One host "h" whose variables are the given flow-mapping body. */
static int config_vars(const char *body, struct host_config **ret, struct error_message *err) {
        char yaml[1024];
        snprintf(yaml, sizeof(yaml), "node:\n  hosts:\n    h:\n%s", body);
        return config_of(yaml, "h", ret, err);
}

static void test_sample(void **state) {
        struct inventory *inv = NULL;
        struct error_message err = {0};
        assert_int_equal(inventory_load(FIXTURES_DIR "/demo/inventory.yml", NULL, &inv, &err), 0);
        static const struct {
                const char *host;
                bool enabled;
                size_t n;
        } expect[] = {
                {"n1", true, 2},
                {"n2", true, 1},
                {"n3", false, 0},
                {"f1", false, 0},
        };
        for (size_t i = 0; i < ELEMENTSOF(expect); i++) {
                struct inv_value *vars = NULL;
                struct host_config *cfg = NULL;
                assert_int_equal(inventory_host_vars(inv, expect[i].host, &vars), 0);
                assert_int_equal(host_config_from_vars(expect[i].host, vars, &cfg, &err), 0);
                assert_string_equal(cfg->name, expect[i].host);
                assert_int_equal(cfg->enabled, expect[i].enabled);
                assert_int_equal(cfg->n_selectors, expect[i].n);
                assert_string_equal(cfg->one_host_name, cfg->ansible_host);
                assert_string_equal(cfg->vfio_group, "kvm");
                assert_int_equal(cfg->vfio_mode, 0660);
                assert_null(cfg->registrar_url);
                if (STREQ(expect[i].host, "n1")) {
                        assert_string_equal(cfg->ansible_host, "192.168.122.3");
                        assert_string_equal(cfg->selectors[0].address, "0000:09:00.0");
                        assert_string_equal(cfg->selectors[1].address, "0000:0a:00.0");
                        assert_true(cfg->selectors[1].is_exact);
                        assert_false(cfg->selectors[1].omit_driver);
                        assert_int_equal(cfg->selectors[1].line, 36);
                        assert_int_equal(cfg->selectors[1].column, 11);
                }
                host_config_free(cfg);
                inv_value_unref(vars);
        }
        inventory_free(inv);
}

static void test_enabled_rules(void **state) {
        struct host_config *cfg;
        struct error_message err;
        /* Absent with devices: enabled (the newer role's meaning). */
        assert_int_equal(config_vars("      pci_devices: [{address: \"0000:09:00.0\"}]\n", &cfg, &err),
                         0);
        assert_true(cfg->enabled);
        assert_string_equal(cfg->one_host_name, "h"); /* no ansible_host: the name */
        assert_null(cfg->ansible_host);
        host_config_free(cfg);
        /* Absent without devices, and an empty list: nothing to do. */
        assert_int_equal(config_vars("      x: 1\n", &cfg, &err), 0);
        assert_false(cfg->enabled);
        host_config_free(cfg);
        assert_int_equal(config_vars("      pci_devices: []\n", &cfg, &err), 0);
        assert_false(cfg->enabled);
        host_config_free(cfg);
        /* false means disabled whatever the list says; every YAML 1.1 spelling. */
        assert_int_equal(config_vars("      pci_passthrough_enabled: off\n"
                                     "      pci_devices: [{address: \"0000:09:00.0\"}]\n",
                                     &cfg, &err),
                         0);
        assert_false(cfg->enabled);
        assert_int_equal(cfg->n_selectors, 1);
        host_config_free(cfg);
        assert_int_equal(config_vars("      pci_passthrough_enabled: Yes\n", &cfg, &err), 0);
        assert_true(cfg->enabled);
        host_config_free(cfg);
        /* An explicit tag is what PyYAML constructs: a boolean, not a quoted string. */
        assert_int_equal(config_vars("      pci_passthrough_enabled: !!bool \"true\"\n", &cfg, &err), 0);
        assert_true(cfg->enabled);
        host_config_free(cfg);
        assert_int_equal(config_vars("      pci_passthrough_enabled: !!bool \"OFF\"\n"
                                     "      pci_devices: [{address: \"0000:09:00.0\"}]\n", &cfg, &err), 0);
        assert_false(cfg->enabled);
        host_config_free(cfg);
        /* A quoted "yes" is a string: refused with why. */
        assert_int_equal(config_vars("      pci_passthrough_enabled: \"yes\"\n", &cfg, &err),
                         -EINVAL);
        assert_null(cfg);
        assert_int_equal(err.line, 4);
        assert_int_equal(err.column, 32);
        assert_string_equal(err.value, "yes");
        assert_string_equal(err.file, "hc.yml");
        assert_non_null(strstr(err.text, "quoted"));
        assert_int_equal(config_vars("      pci_passthrough_enabled: maybe\n", &cfg, &err),
                         -EINVAL);
        assert_string_equal(err.value, "maybe");
        assert_non_null(strstr(err.text, "pci_passthrough_enabled must be true or false"));
}

static void test_short_address(void **state) {
        struct inventory *inv = NULL;
        struct inv_value *vars = NULL;
        struct host_config *cfg = NULL;
        struct error_message err = {0};
        const char *path = FIXTURES_DIR "/inventories/bad/short-address.yml";
        assert_int_equal(inventory_load(path, NULL, &inv, &err), 0);
        assert_int_equal(inventory_host_vars(inv, "n1", &vars), 0);
        assert_int_equal(host_config_from_vars("n1", vars, &cfg, &err), -EINVAL);
        assert_string_equal(err.file, path);
        assert_int_equal(err.line, 5);
        assert_int_equal(err.column, 20);
        assert_string_equal(err.value, "09:00.0");
        assert_non_null(strstr(err.text, "use \"0000:09:00.0\""));
        assert_non_null(strstr(err.text, "pci_devices[0].address"));
        inv_value_unref(vars);
        inventory_free(inv);

        /* A short glob gets the full form too. */
        assert_int_equal(config_vars("      pci_devices: [{address: \"0A:00.*\"}]\n", &cfg, &err),
                         -EINVAL);
        assert_non_null(strstr(err.text, "\"0000:0A:00.*\""));
}

static void test_unknown_selector_key(void **state) {
        struct inventory *inv = NULL;
        struct inv_value *vars = NULL;
        struct host_config *cfg = NULL;
        struct error_message err = {0};
        const char *path = FIXTURES_DIR "/inventories/bad/unknown-selector-key.yml";
        assert_int_equal(inventory_load(path, NULL, &inv, &err), 0);
        assert_int_equal(inventory_host_vars(inv, "n1", &vars), 0);
        assert_int_equal(host_config_from_vars("n1", vars, &cfg, &err), -EINVAL);
        assert_int_equal(err.line, 5);
        assert_int_equal(err.column, 11);
        assert_string_equal(err.value, "adress");
        assert_non_null(strstr(err.text, "unknown key \"adress\""));
        inv_value_unref(vars);
        inventory_free(inv);
}

static void test_selectors(void **state) {
        struct host_config *cfg;
        struct error_message err;
        assert_int_equal(config_vars("      pci_devices:\n"
                                     "        - address: \"0000:0A:00.1\"\n"
                                     "          set_driver: omit\n"
                                     "          unguarded: true\n"
                                     "        - address: 0000:03:00.*\n"
                                     "          excluded: yes\n"
                                     "        - vendor: \"10DE\"\n"
                                     "          device: \"0x26B9\"\n"
                                     "          class: \"0302*\"\n"
                                     "          set_driver: vfio-pci\n",
                                     &cfg, &err),
                         0);
        assert_int_equal(cfg->n_selectors, 3);
        const struct device_selector *s = cfg->selectors;
        assert_string_equal(s[0].address, "0000:0a:00.1");
        assert_true(s[0].is_exact && s[0].omit_driver && s[0].unguarded && !s[0].excluded);
        assert_string_equal(s[1].address, "0000:03:00.*");
        assert_false(s[1].is_exact);
        assert_true(s[1].excluded);
        assert_string_equal(s[2].address, "");
        assert_string_equal(s[2].vendor, "10de");
        assert_string_equal(s[2].device, "26b9");
        assert_string_equal(s[2].class_, "0302*");
        assert_false(s[2].omit_driver);
        host_config_free(cfg);
}

struct bad_case {
        const char *vars;
        const char *value;
        const char *message_part;
};

static void test_selector_errors(void **state) {
        static const struct bad_case cases[] = {
                {"      pci_devices: [{address: \"0000:09:00.0\", set_driver: \"nv idia\"}]\n",
                 "nv idia", "must be a driver name"},
                /* The keys of the reworked role, strictly. */
                {"      pci_devices: [{address: \"0000:09:00.0\", set_numvfs: MAX}]\n", "MAX",
                 "or \"max\""},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_numvfs: -1}]\n", "-1",
                 "from 0 to"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_numvfs: 04}]\n", "04",
                 "decimal"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_numvfs: \"2\"}]\n", "2",
                 "or \"max\""},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_numvfs: 2, "
                 "set_driver: vfio-pci}]\n", "", "stays on its host driver"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_switchdev: true}]\n", "",
                 "set_switchdev needs set_numvfs"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_switchdev: \"yes\"}]\n",
                 "yes", "quoted"},
                {"      pci_devices: [{address: \"0000:09:00.0\", unlisted: 1}]\n", "1",
                 "true or false"},
                {"      pci_devices: [{address: \"0000:09:00.0\", virtual: \"no\"}]\n", "no",
                 "true or false"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_counter: x}]\n", "x",
                 "must be an integer"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_counter: \"-1\"}]\n", "-1",
                 "from 0 to 1000000"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_counter: 010}]\n", "010",
                 "decimal"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_name: \"u{0{2}}\"}]\n",
                 "u{0{2}}", "unexpected '{' in field name"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_name: \"v{2:02d}\"}]\n",
                 "v{2:02d}", "unknown format code 'd'"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_name: \"v{5}\"}]\n",
                 "v{5}", "fields 0 to 4"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_name: \"v{0}\"}]\n",
                 "v{0}", "is a list"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_name: \"a b\"}]\n",
                 "a b", "no whitespace"},
                {"      pci_devices: [{address: \"0000:09:00.0\", set_name: \"a/b\"}]\n",
                 "a/b", "no '/'"},
                {"      pci_devices: [{address: \"52:54:00:12:3g:*\"}]\n", "52:54:00:12:3g:*",
                 "MAC-address glob"},
                {"      pci_devices: [{address: \"52:54:00:12:34:*\", vendor: \"8086\"}]\n", "",
                 "takes no vendor"},
                {"      pci_devices: [{address: \"0000:09:20.0\"}]\n", "0000:09:20.0",
                 "not a PCI address"},
                {"      pci_devices: [{address: \"0000:09:00.8\"}]\n", "0000:09:00.8",
                 "not a PCI address"},
                {"      pci_devices: [{address: \"gpu0\"}]\n", "gpu0", "not a PCI address"},
                {"      pci_devices: [{address: \"\"}]\n", "", "not a PCI address"},
                {"      pci_devices: [{vendor: \"10d\"}]\n", "10d", "4 hex digits"},
                {"      pci_devices: [{vendor: nvidia}]\n", "nvidia", "4 hex digits"},
                {"      pci_devices: [{class: \"03020\"}]\n", "03020", "4 or 6 hex"},
                {"      pci_devices: [{excluded: true}]\n", "", "at least one of"},
                {"      pci_devices: [{address: \"0000:09:00.0\", excluded: \"true\"}]\n", "true",
                 "quoted"},
                {"      pci_devices: [\"0000:09:00.0\"]\n", "0000:09:00.0", "must be a mapping"},
                {"      pci_devices: {address: \"0000:09:00.0\"}\n", "", "must be a list"},
                {"      pci_devices: [{address: [1]}]\n", "", "single value"},
                {"      onepci_vfio_group: \"Kvm Users\"\n", "Kvm Users", "group name"},
                {"      onepci_vfio_group: 0kvm\n", "0kvm", "group name"},
                {"      onepci_vfio_mode: \"0777\"\n", "0777", "onepci_vfio_mode must be"},
                {"      onepci_vfio_mode: 660\n", "660", "quote it"},
                {"      onepci_vfio_mode: 0660\n", "0660", "as an integer"},
                /* What Ansible reads as numbers, never as the text written. */
                {"      pci_devices: [{address: 0000:09:00.0}]\n", "0000:09:00.0", "540.0"},
                {"      pci_devices: [{class: 0302}]\n", "0302", "octal"},
                {"      pci_devices: [{device: 0x26b9}]\n", "0x26b9", "quote it"},
                {"      pci_devices: [{vendor: 1234}]\n", "1234", "an integer"},
                {"      ansible_host: 10.0\n", "10.0", "a float"},
                {"      pci_registrar_url: \"{{ url }}\"\n", "{{ url }}", "Jinja template"},
                {"      pci_devices: [{address: \"{{ gpu }}\"}]\n", "{{ gpu }}", "never evaluates"},
                {"      pci_devices: [{address: !vault abc}]\n", "abc", "vault"},
                /* YAML 1.1 as PyYAML reads it: y and n are strings. */
                {"      pci_passthrough_enabled: y\n", "y", "as a string"},
                {"      pci_passthrough_enabled: N\n", "N", "as a string"},
                {"      pci_passthrough_enabled: 1\n", "1", "an integer"},
                {"      pci_passthrough_enabled: !!str yes\n", "yes", "tagged as a string"},
                {"      pci_registrar_url: ftp://front\n", "ftp://front", "http://"},
                {"      pci_registrar_url: \"http://\"\n", "http://", "http://"},
                {"      pci_registrar_url: \"http://front:99999/\"\n", "http://front:99999/",
                 "http://"},
                {"      pci_registrar_url: \"http://a b\"\n", "http://a b", "http://"},
                {"      pci_registrar_url: \"https://user@front\"\n", "https://user@front",
                 "http://"},
                {"      ansible_host: [a]\n", "", "ansible_host must be a single value"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct host_config *cfg = NULL;
                struct error_message err;
                int r = config_vars(cases[i].vars, &cfg, &err);
                if (r != -EINVAL || cfg || !STREQ(err.value, cases[i].value) ||
                    !strstr(err.text, cases[i].message_part) || err.line != 4 || err.column == 0)
                        fail_msg("case %zu: %d %u:%u \"%s\" (%s)", i, r, err.line, err.column,
                                 err.text, err.value);
                host_config_free(cfg);
        }
}

static void test_vfio_and_url(void **state) {
        struct host_config *cfg;
        struct error_message err;
        assert_int_equal(config_vars("      onepci_vfio_group: vfio_users\n"
                                     "      onepci_vfio_mode: \"0666\"\n"
                                     "      ansible_host: n1.example.com\n"
                                     "      pci_registrar_url: \"https://[fd00::1]:8443/v1\"\n",
                                     &cfg, &err),
                         0);
        assert_string_equal(cfg->vfio_group, "vfio_users");
        assert_int_equal(cfg->vfio_mode, 0666);
        assert_string_equal(cfg->one_host_name, "n1.example.com");
        assert_string_equal(cfg->registrar_url, "https://[fd00::1]:8443/v1");
        host_config_free(cfg);
        static const struct {
                const char *text;
                mode_t mode;
        } modes[] = {{"0600", 0600}, {"0640", 0640}, {"0660", 0660}};
        for (size_t i = 0; i < ELEMENTSOF(modes); i++) {
                char body[128];
                snprintf(body, sizeof(body), "      onepci_vfio_mode: \"%s\"\n", modes[i].text);
                assert_int_equal(config_vars(body, &cfg, &err), 0);
                assert_int_equal(cfg->vfio_mode, modes[i].mode);
                host_config_free(cfg);
        }
        assert_int_equal(config_vars("      pci_registrar_url: http://10.0.0.1:8080\n", &cfg, &err),
                         0);
        assert_string_equal(cfg->registrar_url, "http://10.0.0.1:8080");
        host_config_free(cfg);
}

static void test_no_vars(void **state) {
        struct host_config *cfg = NULL;
        struct error_message err;
        assert_int_equal(host_config_from_vars("lone", NULL, &cfg, &err), 0);
        assert_false(cfg->enabled);
        assert_string_equal(cfg->one_host_name, "lone");
        host_config_free(cfg);
}

static void test_role_keys(void **state) {
        struct host_config *cfg = NULL;
        struct error_message err;
        assert_int_equal(config_vars("      pci_devices:\n"
                                     "      - address: \"0000:04:00.0\"\n"
                                     "        set_numvfs: max\n"
                                     "        set_switchdev: true\n"
                                     "        set_name: pf{0[1]}\n"
                                     "      - address: 52:54:00:12:3*:*\n"
                                     "        set_name: \"n{3:02d}\"\n"
                                     "        set_counter: 7\n"
                                     "        unlisted: true\n"
                                     "      - vendor: \"15b3\"\n"
                                     "        virtual: true\n"
                                     "        set_driver: mlx5_core\n"
                                     "        set_numvfs: 0\n"
                                     "      - address: \"0000:0c:00.0\"\n"
                                     "        set_driver: omit\n"
                                     "        set_numvfs: 2\n",
                                     &cfg, &err),
                         0);
        assert_int_equal(cfg->n_selectors, 4);
        const struct device_selector *s = cfg->selectors;
        assert_true(s[3].omit_driver && s[3].numvfs == 2); /* omit is no driver: allowed */
        assert_int_equal(s[0].numvfs, SELECTOR_NUMVFS_MAX);
        assert_true(s[0].switchdev && device_selector_wants_vfs(&s[0]));
        assert_string_equal(s[0].name, "pf{0[1]}");
        assert_string_equal(s[0].driver, "vfio-pci");
        assert_false(s[0].driver_explicit);
        assert_string_equal(s[1].mac, "52:54:00:12:3*:*");
        assert_string_equal(s[1].address, "");
        assert_int_equal(s[1].counter, 7);
        assert_true(s[1].unlisted && !s[1].is_virtual);
        assert_true(s[2].is_virtual && s[2].driver_explicit);
        assert_string_equal(s[2].driver, "mlx5_core");
        assert_int_equal(s[2].counter, SELECTOR_COUNTER_UNSET);
        assert_false(device_selector_wants_vfs(&s[2]));
        assert_int_not_equal(s[2].line, 0);
        assert_string_equal(s[2].file, "hc.yml");
        /* A MAC selector matches only through the MAC address. */
        assert_true(device_selector_match(&s[1], "0000:03:00.0", "8086", "10d3", "020000",
                                          "52:54:00:12:34:56"));
        assert_false(device_selector_match(&s[1], "0000:03:00.0", "8086", "10d3", "020000",
                                           "52:54:00:12:44:56"));
        assert_false(device_selector_match(&s[1], "0000:03:00.0", "8086", "10d3", "020000", NULL));
        host_config_free(cfg);
        /* set_counter quoted: the role's int() makes it that number. */
        cfg = NULL;
        assert_int_equal(config_vars("      pci_devices:\n"
                                     "      - address: \"0000:04:00.0\"\n"
                                     "        set_counter: \"05\"\n",
                                     &cfg, &err),
                         0);
        assert_int_equal(cfg->selectors[0].counter, 5);
        host_config_free(cfg);
}

static void test_match(void **state) {
        struct device_selector s = {0};
        strcpy(s.address, "0000:09:00.0");
        assert_true(device_selector_match(&s, "0000:09:00.0", "10de", "26b9", "030200", NULL));
        assert_false(device_selector_match(&s, "0000:09:00.1", "10de", "26b9", "030200", NULL));
        strcpy(s.address, "0000:03:00.*");
        assert_true(device_selector_match(&s, "0000:03:00.1", "8086", "1521", "020000", NULL));
        assert_false(device_selector_match(&s, "0000:04:00.1", "8086", "1521", "020000", NULL));

        s = (struct device_selector){0};
        strcpy(s.vendor, "10de");
        strcpy(s.class_, "0302");
        assert_true(device_selector_match(&s, "0000:09:00.0", "10de", "26b9", "030200", NULL));
        assert_true(device_selector_match(&s, "0000:09:00.0", "10DE", "26B9", "030200", NULL));
        assert_false(device_selector_match(&s, "0000:09:00.1", "10de", "22ba", "040300", NULL));
        assert_false(device_selector_match(&s, "0000:09:00.0", "1002", "26b9", "030200", NULL));
        strcpy(s.class_, "030200");
        assert_true(device_selector_match(&s, "0000:09:00.0", "10de", "26b9", "030200", NULL));
        assert_false(device_selector_match(&s, "0000:09:00.0", "10de", "26b9", "030201", NULL));
        strcpy(s.class_, "03*");
        assert_true(device_selector_match(&s, "0000:09:00.0", "10de", "26b9", "030000", NULL));
        assert_false(device_selector_match(&s, "0000:09:00.0", "10de", "26b9", NULL, NULL));

        s = (struct device_selector){0};
        strcpy(s.device, "26b?");
        assert_true(device_selector_match(&s, "0000:09:00.0", "10de", "26b9", "030200", NULL));
        assert_false(device_selector_match(&s, "0000:09:00.0", "10de", "26c9", "030200", NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_sample),        cmocka_unit_test(test_enabled_rules),
                cmocka_unit_test(test_short_address), cmocka_unit_test(test_unknown_selector_key),
                cmocka_unit_test(test_selectors),     cmocka_unit_test(test_selector_errors),
                cmocka_unit_test(test_vfio_and_url),  cmocka_unit_test(test_no_vars),
                cmocka_unit_test(test_match),
                cmocka_unit_test(test_role_keys),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
