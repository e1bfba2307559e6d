/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "macros.h"
#include "pci-address.h"

static void test_normalize(void **state) {
        char out[PCI_ADDRESS_MAX];
        assert_int_equal(pci_address_normalize("0000:09:00.0", out), 0);
        assert_string_equal(out, "0000:09:00.0");
        assert_int_equal(pci_address_normalize("0000:0A:1F.7", out), 0);
        assert_string_equal(out, "0000:0a:1f.7");
        assert_int_equal(pci_address_normalize("ABCD:ff:00.3", out), 0);
        assert_string_equal(out, "abcd:ff:00.3");

        static const char *const bad[] = {
                "",
                "0000:09:00",
                "0000:09:00.",
                "0000:09:00.00",
                "000:09:00.0",
                "00000:09:00.0",
                "0000-09:00.0",
                "0000:09:00.8",
                "0000:09:20.0",
                "0000:g9:00.0",
                "0000:09:00.0 ",
                " 0000:09:00.0",
                "0000:09.00.0",
                "0000:09:00:0",
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                memcpy(out, "unchanged", 10);
                if (pci_address_normalize(bad[i], out) != -EINVAL)
                        fail_msg("accepted \"%s\"", bad[i]);
                assert_string_equal(out, "unchanged");
        }
        assert_int_equal(pci_address_normalize(NULL, out), -EINVAL);
}

static void test_short_form(void **state) {
        char out[PCI_ADDRESS_MAX];
        assert_int_equal(pci_address_normalize("09:00.0", out), -EDOM);
        assert_int_equal(pci_address_normalize("0A:1f.7", out), -EDOM);
        assert_int_equal(pci_address_suggest_full("09:00.0", out), 0);
        assert_string_equal(out, "0000:09:00.0");
        assert_int_equal(pci_address_suggest_full("0A:1F.3", out), 0);
        assert_string_equal(out, "0000:0a:1f.3");
        assert_int_equal(pci_address_suggest_full("0000:09:00.0", out), -EINVAL);
        assert_int_equal(pci_address_suggest_full("9:00.0", out), -EINVAL);
        assert_int_equal(pci_address_suggest_full(NULL, out), -EINVAL);
}

static void test_glob_normalize(void **state) {
        char out[65];
        assert_int_equal(pci_address_glob_normalize("0000:03:00.*", out, sizeof(out)), 0);
        assert_string_equal(out, "0000:03:00.*");
        assert_int_equal(pci_address_glob_normalize("0000:0A:0[0-3].?", out, sizeof(out)), 0);
        assert_string_equal(out, "0000:0a:0[0-3].?");
        assert_int_equal(pci_address_glob_normalize("*", out, sizeof(out)), 0);
        assert_int_equal(pci_address_glob_normalize("*:*:*.*", out, sizeof(out)), 0);
        assert_int_equal(pci_address_glob_normalize("03:00.*", out, sizeof(out)), -EDOM);
        assert_int_equal(pci_address_glob_normalize("0000:03:00.1.2", out, sizeof(out)), -EINVAL);
        assert_int_equal(pci_address_glob_normalize("0000:0x:00.*", out, sizeof(out)), -EINVAL);
        assert_int_equal(pci_address_glob_normalize("gpu", out, sizeof(out)), -EINVAL);
        assert_int_equal(pci_address_glob_normalize("", out, sizeof(out)), -EINVAL);
        /* Does not fit: refused, never truncated. */
        assert_int_equal(pci_address_glob_normalize("0000:03:00.*", out, 12), -EINVAL);
        assert_int_equal(pci_address_glob_normalize("0000:03:00.*", out, 13), 0);
}

static void test_glob_match(void **state) {
        assert_true(pci_address_glob_match("0000:03:00.*", "0000:03:00.1"));
        assert_false(pci_address_glob_match("0000:03:00.*", "0000:03:01.0"));
        assert_true(pci_address_glob_match("0000:0[0-3]:00.0", "0000:02:00.0"));
        assert_false(pci_address_glob_match("0000:0[0-3]:00.0", "0000:04:00.0"));
        assert_true(pci_address_glob_match("0000:09:00.0", "0000:09:00.0"));
}

static void test_id_glob(void **state) {
        char out[9];
        assert_int_equal(pci_id_glob_normalize("10DE", 6, out, sizeof(out)), 0);
        assert_string_equal(out, "10de");
        assert_int_equal(pci_id_glob_normalize("0x10DE", 6, out, sizeof(out)), 0);
        assert_string_equal(out, "10de");
        assert_int_equal(pci_id_glob_normalize("0302*", 8, out, sizeof(out)), 0);
        assert_string_equal(out, "0302*");
        assert_int_equal(pci_id_glob_normalize("10dex", 6, out, sizeof(out)), -EINVAL);
        assert_int_equal(pci_id_glob_normalize("0x", 6, out, sizeof(out)), -EINVAL);
        assert_int_equal(pci_id_glob_normalize("", 6, out, sizeof(out)), -EINVAL);
        assert_int_equal(pci_id_glob_normalize("1234567", 6, out, sizeof(out)), -EINVAL);
        assert_int_equal(pci_id_glob_normalize(NULL, 6, out, sizeof(out)), -EINVAL);
}

static void test_driver_name(void **state) {
        assert_true(pci_driver_name_valid("vfio-pci"));
        assert_true(pci_driver_name_valid("snd_hda_intel"));
        assert_true(pci_driver_name_valid("i40e"));
        assert_false(pci_driver_name_valid(NULL));
        assert_false(pci_driver_name_valid(""));
        assert_false(pci_driver_name_valid("../vfio-pci"));
        assert_false(pci_driver_name_valid("vfio pci"));
        assert_false(pci_driver_name_valid("mlx5.core"));
        char long_name[65];
        memset(long_name, 'a', 64);
        long_name[64] = '\0';
        assert_false(pci_driver_name_valid(long_name));
        long_name[63] = '\0';
        assert_true(pci_driver_name_valid(long_name));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_normalize),      cmocka_unit_test(test_short_form),
                cmocka_unit_test(test_glob_normalize), cmocka_unit_test(test_glob_match),
                cmocka_unit_test(test_id_glob),        cmocka_unit_test(test_driver_name),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
