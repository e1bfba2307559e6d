/* SPDX-License-Identifier: Apache-2.0 */
/* PCI_FILTER / PCI_SHORT_ADDRESS computation. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "filter.h"

static struct report_device dev(const char *addr, const char *vendor, const char *device) {
        struct report_device d = {.iommu_group = 1, .numa_node = 0};

        strcpy(d.address, addr);
        strcpy(d.vendor, vendor);
        strcpy(d.device, device);
        strcpy(d.class_code, "030200");
        strcpy(d.driver, "vfio-pci");
        return d;
}

static void check(struct pci_report *r, enum filter_mode mode, const char *want_filter,
                  const char *want_short) {
        char *f = NULL, *s = NULL;

        assert_int_equal(filter_compute(r, mode, &f, &s), 0);
        assert_string_equal(f, want_filter);
        if (want_short)
                assert_string_equal(s, want_short);
        else
                assert_null(s);
        free(f);
        free(s);
}

static void test_unique_sorted(void **state) {
        struct report_device d[] = {
                dev("0000:41:00.0", "15b3", "101b"),
                dev("0000:09:00.0", "10de", "26b9"),
                dev("0000:0a:00.0", "10de", "26b9"),
                dev("0000:09:00.1", "10de", "22ba"),
        };
        struct pci_report r = {.devices = d, .n_devices = 4};

        check(&r, FILTER_MODE_IDS, "10de:22ba,10de:26b9,15b3:101b", NULL);
        check(&r, FILTER_MODE_AUTO, "10de:22ba,10de:26b9,15b3:101b", NULL);
        check(&r, FILTER_MODE_ADDRESSES, "10de:22ba,10de:26b9,15b3:101b",
              "09:00.0,09:00.1,0a:00.0,41:00.0");
}

static void test_lowercase(void **state) {
        /* Validation already refuses upper case; the computation lowercases anyway. */
        struct report_device d[] = {dev("0000:09:00.0", "10DE", "26B9")};
        struct pci_report r = {.devices = d, .n_devices = 1};

        check(&r, FILTER_MODE_IDS, "10de:26b9", NULL);
}

static void test_twins_and_domains(void **state) {
        struct report_device d[] = {
                dev("0001:09:00.0", "10de", "26b9"),
                dev("0000:09:00.0", "10de", "26b9"),
        };
        struct report_device t[] = {dev("0000:0a:00.0", "10de", "26b9")};
        struct pci_report r = {.devices = d, .n_devices = 2, .twins = t, .n_twins = 1};

        check(&r, FILTER_MODE_AUTO, "10de:26b9", "0001:09:00.0,09:00.0");
        check(&r, FILTER_MODE_ADDRESSES, "10de:26b9", "0001:09:00.0,09:00.0");
        check(&r, FILTER_MODE_IDS, "10de:26b9", NULL);
}

static void test_no_devices_denies_all(void **state) {
        struct pci_report r = {};

        /* Never an empty filter: it would match every device. */
        check(&r, FILTER_MODE_AUTO, "0:0", NULL);
        check(&r, FILTER_MODE_ADDRESSES, "0:0", NULL);
}

static void test_short_address(void **state) {
        char s[PCI_ADDRESS_MAX];

        filter_short_address("0000:41:00.4", s);
        assert_string_equal(s, "41:00.4");
        filter_short_address("0001:41:00.4", s);
        assert_string_equal(s, "0001:41:00.4");
}

static void test_modes(void **state) {
        enum filter_mode m;

        assert_int_equal(filter_mode_from_string("auto", &m), 0);
        assert_int_equal(m, FILTER_MODE_AUTO);
        assert_int_equal(filter_mode_from_string("ids", &m), 0);
        assert_int_equal(m, FILTER_MODE_IDS);
        assert_int_equal(filter_mode_from_string("addresses", &m), 0);
        assert_int_equal(m, FILTER_MODE_ADDRESSES);
        assert_int_equal(filter_mode_from_string("Auto", &m), -EINVAL);
        assert_int_equal(filter_mode_from_string("", &m), -EINVAL);
        assert_string_equal(filter_mode_to_string(FILTER_MODE_ADDRESSES), "addresses");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_unique_sorted),
                cmocka_unit_test(test_lowercase),
                cmocka_unit_test(test_twins_and_domains),
                cmocka_unit_test(test_no_devices_denies_all),
                cmocka_unit_test(test_short_address),
                cmocka_unit_test(test_modes),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
