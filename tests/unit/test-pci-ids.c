/* SPDX-License-Identifier: Apache-2.0 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "macros.h"
#include "pci-ids.h"

/* A small database in pci.ids' shape, with the traps a line reader can fall
 * into: a subsystem line that starts like a device, comments inside a
 * vendor block, the class section's subclass lines, CRLF endings. */
static const char DB[] =
        "# pci.ids sample\n"
        "#\n"
        "8086  Intel Corporation\n"
        "\t10d3  82574L Gigabit Network Connection\n"
        "\t\t10de 26b9  not a device line\n"
        "# a comment inside the block\n"
        "\t1533  I210 Gigabit Network Connection   \n"
        "10de  NVIDIA Corporation\r\n"
        "\t24b0  GA104GL [RTX A4000]\r\n"
        "\t26b9  AD102GL [L40S]\r\n"
        "\tzzzz  damaged line\n"
        "15b3  Mellanox Technologies\n"
        "C 03  Display controller\n"
        "\t00  VGA compatible controller\n"
        "\t26b9  a class line that looks like a device\n";

struct names {
        char vendor[64], device[64];
};

static void lookup(const char *db, size_t len, unsigned vendor, unsigned device,
                   struct names *ret) {
        struct pci_ids_query q = {
                .vendor = vendor, .device = device,
                .vendor_name = ret->vendor, .vendor_size = sizeof(ret->vendor),
                .device_name = ret->device, .device_size = sizeof(ret->device),
        };
        memset(ret, 'x', sizeof(*ret)); /* so an untouched name shows */
        pci_ids_lookup(db, len, &q, 1);
}

static void test_vendor_and_device(void **state) {
        struct names n;
        lookup(DB, strlen(DB), 0x10de, 0x26b9, &n);
        assert_string_equal(n.vendor, "NVIDIA Corporation");
        assert_string_equal(n.device, "AD102GL [L40S]");
        lookup(DB, strlen(DB), 0x8086, 0x1533, &n);
        assert_string_equal(n.vendor, "Intel Corporation");
        assert_string_equal(n.device, "I210 Gigabit Network Connection");
}

static void test_unknown_ids_give_empty_names(void **state) {
        struct names n;
        lookup(DB, strlen(DB), 0x10de, 0x9999, &n);
        assert_string_equal(n.vendor, "NVIDIA Corporation");
        assert_string_equal(n.device, "");
        lookup(DB, strlen(DB), 0x1234, 0x26b9, &n);
        assert_string_equal(n.vendor, "");
        assert_string_equal(n.device, "");
        /* A vendor with no devices listed. */
        lookup(DB, strlen(DB), 0x15b3, 0x1017, &n);
        assert_string_equal(n.vendor, "Mellanox Technologies");
        assert_string_equal(n.device, "");
}

/* A subsystem line (two tabs) names no device, even when its first ID
 * matches; nor does a class section line. */
static void test_subsystem_and_class_lines_are_not_devices(void **state) {
        struct names n;
        lookup(DB, strlen(DB), 0x8086, 0x10de, &n);
        assert_string_equal(n.device, "");
        const char db[] = "C 03  Display controller\n\t26b9  looks like a device\n";
        lookup(db, strlen(db), 0x10de, 0x26b9, &n);
        assert_string_equal(n.vendor, "");
        assert_string_equal(n.device, "");
}

static void test_many_queries_in_one_pass(void **state) {
        struct names n[4];
        const unsigned ids[4][2] = {{0x10de, 0x24b0}, {0x8086, 0x10d3}, {0x10de, 0x26b9}, {0x1, 0x2}};
        struct pci_ids_query q[4];
        for (size_t i = 0; i < 4; i++)
                q[i] = (struct pci_ids_query){
                        .vendor = ids[i][0], .device = ids[i][1],
                        .vendor_name = n[i].vendor, .vendor_size = sizeof(n[i].vendor),
                        .device_name = n[i].device, .device_size = sizeof(n[i].device),
                };
        pci_ids_lookup(DB, strlen(DB), q, 4);
        assert_string_equal(n[0].device, "GA104GL [RTX A4000]");
        assert_string_equal(n[1].device, "82574L Gigabit Network Connection");
        assert_string_equal(n[2].device, "AD102GL [L40S]");
        assert_string_equal(n[3].vendor, "");
}

/* Long names are cut to the buffer; the buffer need not end in NUL or a
 * newline (a mapped file). */
static void test_truncation_and_unterminated_buffer(void **state) {
        char small_v[8], small_d[5];
        struct pci_ids_query q = {
                .vendor = 0x10de, .device = 0x26b9,
                .vendor_name = small_v, .vendor_size = sizeof(small_v),
                .device_name = small_d, .device_size = sizeof(small_d),
        };
        const char db[] = {'1', '0', 'd', 'e', ' ', ' ', 'N', 'V', 'I', 'D', 'I', 'A', ' ',
                           'C', 'o', 'r', 'p', '\n', '\t', '2', '6', 'b', '9', ' ', ' ',
                           'L', '4', '0', 'S', ' ', 'G', 'P', 'U'};
        pci_ids_lookup(db, sizeof(db), &q, 1);
        assert_string_equal(small_v, "NVIDIA ");
        assert_string_equal(small_d, "L40S");
}

static void test_empty_and_null_database(void **state) {
        struct names n;
        lookup(NULL, 0, 0x10de, 0x26b9, &n);
        assert_string_equal(n.vendor, "");
        assert_string_equal(n.device, "");
        lookup("", 0, 0x10de, 0x26b9, &n);
        assert_string_equal(n.vendor, "");
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_vendor_and_device),
                cmocka_unit_test(test_unknown_ids_give_empty_names),
                cmocka_unit_test(test_subsystem_and_class_lines_are_not_devices),
                cmocka_unit_test(test_many_queries_in_one_pass),
                cmocka_unit_test(test_truncation_and_unterminated_buffer),
                cmocka_unit_test(test_empty_and_null_database),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
