/* SPDX-License-Identifier: Apache-2.0 */
/* pci.conf widening: each :filter form, comments and other keys intact,
 * idempotent, and the file wrapper's atomic write. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "probe-conf.h"

#define NOTE                                                                                       \
        "# onepci-registrar widened the probe (hosts and clusters narrow it with "                 \
        "PCI_FILTER); it was:\n"

/* The shipped default's shape (abridged). */
static const char shipped[] = "# This option specifies the main filters for PCI card monitoring.\n"
                              "#   :filter: '*:*'    # all devices\n"
                              "#\n"
                              ":filter: '0:0'\n"
                              "\n"
                              "# exact addresses\n"
                              ":short_address: []\n"
                              ":device_name: []\n"
                              ":nvidia_vendors:\n"
                              "  - '10de'\n";

static void widen(const char *in, const char *want) {
        char *out = NULL;
        struct error_message reason = {};
        bool changed = false;

        assert_int_equal(probe_conf_widen(in, strlen(in), &out, &changed, &reason), 0);
        assert_true(changed);
        assert_string_equal(out, want);
        assert_true(probe_conf_is_wide(out, strlen(out)));
        /* Idempotent: a second pass changes nothing. */
        char *again = NULL;
        assert_int_equal(probe_conf_widen(out, strlen(out), &again, &changed, &reason), 0);
        assert_false(changed);
        assert_null(again);
        free(out);
}

static void test_shipped_default(void **state) {
        widen(shipped, "# This option specifies the main filters for PCI card monitoring.\n"
                       "#   :filter: '*:*'    # all devices\n"
                       "#\n" NOTE "# :filter: '0:0'\n"
                       ":filter: '*:*'\n"
                       "\n"
                       "# exact addresses\n"
                       ":short_address: []\n"
                       ":device_name: []\n"
                       ":nvidia_vendors:\n"
                       "  - '10de'\n");
        assert_false(probe_conf_is_wide(shipped, strlen(shipped)));
}

static void test_comma_string(void **state) {
        widen(":filter: \"10de:*,8086:1533\" # gpus\n:short_address: []\n",
              NOTE "# :filter: \"10de:*,8086:1533\" # gpus\n:filter: '*:*'\n"
                   ":short_address: []\n");
}

static void test_flow_list(void **state) {
        widen(":filter: ['10de:*', '8086:1533']\n",
              NOTE "# :filter: ['10de:*', '8086:1533']\n:filter: '*:*'\n");
}

static void test_block_list(void **state) {
        widen(":filter:\n  - '10de:*'   # nvidia\n  # a comment\n  - 8086:1533\n:other: 1\n",
              NOTE "# :filter:\n#   - '10de:*'   # nvidia\n  # a comment\n#   - 8086:1533\n"
                   ":filter: '*:*'\n:other: 1\n");
}

static void test_already_wide(void **state) {
        static const char *const wide[] = {
                ":filter: '*:*'\n",
                ":filter: \"*:*\"\n",
                ":filter: *:*\n",
                ":filter: '10de:*,*:*'\n",
                ":filter: ['10de:*', \"*:*\"]\n",
                ":filter:\n  - '10de:*'\n  - '*:*'\n",
                ":filter:\n- '*:*'\n",
        };
        for (size_t i = 0; i < sizeof(wide) / sizeof(*wide); i++) {
                char *out = NULL;
                bool changed = true;
                assert_int_equal(probe_conf_widen(wide[i], strlen(wide[i]), &out, &changed, NULL),
                                 0);
                if (changed)
                        fail_msg("changed: %s", wide[i]);
                assert_true(probe_conf_is_wide(wide[i], strlen(wide[i])));
        }
}

static void test_missing_key_appended(void **state) {
        widen("# only comments\n:short_address: []",
              "# only comments\n:short_address: []\n\n# added by onepci-registrar (hosts and "
              "clusters narrow it with PCI_FILTER)\n:filter: '*:*'\n");
}

static void test_no_trailing_newline_kept(void **state) {
        widen(":filter: '0:0'\n:x: 1", NOTE "# :filter: '0:0'\n:filter: '*:*'\n:x: 1");
}

static void test_refused_forms(void **state) {
        char *out = NULL;
        struct error_message reason = {};
        bool changed;
        const char *multi = ":filter: ['10de:*',\n  '*:*']\n";
        const char *twice = ":filter: '0:0'\n:filter: '1:1'\n";
        const char *literal = ":filter: |\n  *:*\n";

        assert_int_equal(probe_conf_widen(multi, strlen(multi), &out, &changed, &reason), -EINVAL);
        assert_string_equal(reason.text, "line 1: :filter flow list spans lines");
        assert_int_equal(probe_conf_widen(twice, strlen(twice), &out, &changed, &reason), -EINVAL);
        assert_string_equal(reason.text, "line 2: a second :filter key");
        assert_int_equal(probe_conf_widen(literal, strlen(literal), &out, &changed, &reason),
                         -EINVAL);
}

/* Issue 12 item 6: a block zeroed by a crash.  Editing would cut the file at
 * the NUL (the keys after it lost); it is refused instead. */
static void test_nul_byte_refused(void **state) {
        static const char zeroed[] = ":filter: '0:0'\n\0\0\0\0\n:short_address: []\n";
        char *out = NULL;
        struct error_message reason = {};
        bool changed = true;

        assert_int_equal(probe_conf_widen(zeroed, sizeof(zeroed) - 1, &out, &changed, &reason),
                         -EINVAL);
        assert_null(out);
        assert_string_equal(reason.text,
                            "contains a NUL byte (offset 15): not edited; repair the file");
}

static void test_files(void **state) {
        char dir[] = "/tmp/test-probe-conf-XXXXXX", path[256];
        struct error_message reason = {};
        bool changed;
        struct stat st;
        char *data = NULL;
        size_t len;

        assert_non_null(mkdtemp(dir));
        /* kvm-probes.d/pci.conf must exist */
        assert_int_equal(probe_conf_widen_remotes(dir, &changed, &reason), -ENOENT);
        snprintf(path, sizeof(path), "%s/kvm-probes.d", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/kvm-probes.d/pci.conf", dir);
        assert_int_equal(write_file_atomic(path, shipped, strlen(shipped), 0640), 0);

        assert_int_equal(probe_conf_widen_remotes(dir, &changed, &reason), 0);
        assert_true(changed);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 07777, 0640);
        assert_int_equal(read_file_bounded(path, 1 << 20, &data, &len), 0);
        assert_true(probe_conf_is_wide(data, len));
        assert_non_null(strstr(data, "# exact addresses\n"));
        free(data);
        assert_int_equal(probe_conf_widen_remotes(dir, &changed, &reason), 0);
        assert_false(changed);

        /* qemu-probes.d is edited when present */
        snprintf(path, sizeof(path), "%s/qemu-probes.d", dir);
        assert_int_equal(mkdir(path, 0755), 0);
        snprintf(path, sizeof(path), "%s/qemu-probes.d/pci.conf", dir);
        assert_int_equal(write_file_atomic(path, shipped, strlen(shipped), 0644), 0);
        assert_int_equal(probe_conf_widen_remotes(dir, &changed, &reason), 0);
        assert_true(changed);
        assert_int_equal(read_file_bounded(path, 1 << 20, &data, &len), 0);
        assert_true(probe_conf_is_wide(data, len));
        free(data);

        unlink(path);
        snprintf(path, sizeof(path), "%s/kvm-probes.d/pci.conf", dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/qemu-probes.d", dir);
        rmdir(path);
        snprintf(path, sizeof(path), "%s/kvm-probes.d", dir);
        rmdir(path);
        rmdir(dir);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_shipped_default),
                cmocka_unit_test(test_comma_string),
                cmocka_unit_test(test_flow_list),
                cmocka_unit_test(test_block_list),
                cmocka_unit_test(test_already_wide),
                cmocka_unit_test(test_missing_key_appended),
                cmocka_unit_test(test_no_trailing_newline_kept),
                cmocka_unit_test(test_refused_forms),
                cmocka_unit_test(test_nul_byte_refused),
                cmocka_unit_test(test_files),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
