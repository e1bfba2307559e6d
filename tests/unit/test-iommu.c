/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "context.h"
#include "fileio.h"
#include "iommu.h"
#include "macros.h"
#include "test-root.h"
#include "pci-snapshot.h"

#define ROOTS FIXTURES_DIR "/roots"

static int check(const char *root, struct error_message *ret_error) {
        struct onepci_context *ctx = NULL;
        assert_int_equal(onepci_context_new(root, &ctx), 0);
        int r = iommu_check_active(ctx, ret_error);
        onepci_context_free(ctx);
        return r;
}

/* ---- iommu_check_active ---- */

static void test_active(void **state) {
        struct error_message err = { 0 };
        assert_int_equal(check(ROOTS "/gpu-node", &err), 0);
        assert_false(error_is_set(&err));
        assert_int_equal(check(ROOTS "/gpu-node", NULL), 0);
}

static void test_off_with_intel_firmware(void **state) {
        struct error_message err = { 0 };
        assert_int_equal(check(ROOTS "/no-iommu", &err), -ENODEV);
        assert_true(error_is_set(&err));
        assert_non_null(strstr(err.text, "DMAR"));
        assert_non_null(strstr(err.text, "intel_iommu=on"));
        assert_null(strstr(err.text, "amd_iommu=on"));
        assert_int_equal(check(ROOTS "/no-iommu", NULL), -ENODEV);
}

static void test_off_with_amd_firmware(void **state) {
        char *root = test_root_copy(ROOTS "/no-iommu-fw");
        _cleanup_free_ char *ivrs = path_join(root, "sys/firmware/acpi/tables/IVRS");
        FILE *f = fopen(ivrs, "we");
        assert_non_null(f);
        fclose(f);
        struct error_message err = { 0 };
        assert_int_equal(check(root, &err), -ENODEV);
        assert_non_null(strstr(err.text, "IVRS"));
        assert_non_null(strstr(err.text, "amd_iommu=on"));
        assert_null(strstr(err.text, "intel_iommu=on"));
        test_root_remove(root);
}

static void test_off_without_firmware_support(void **state) {
        struct error_message err = { 0 };
        assert_int_equal(check(ROOTS "/no-iommu-fw", &err), -ENODEV);
        assert_true(error_is_set(&err));
        assert_non_null(strstr(err.text, "no ACPI DMAR or IVRS"));
        assert_non_null(strstr(err.text, "firmware setup"));
}

/* No sysfs at all (a container, a wrong --root) is "off", not a crash. */
static void test_missing_groups_directory(void **state) {
        char tmpl[] = "/tmp/onepci-test-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        struct error_message err = { 0 };
        assert_int_equal(check(tmpl, &err), -ENODEV);
        assert_true(error_is_set(&err));
        rmdir(tmpl);
}

/* ---- iommu_group_blocker on the gpu-node snapshot ---- */

static int setup_snapshot(void **state) {
        struct onepci_context *ctx = NULL;
        if (onepci_context_new(ROOTS "/gpu-node", &ctx) < 0)
                return -1;
        struct pci_snapshot *s = NULL;
        int r = pci_snapshot_read(ctx, &s, NULL);
        onepci_context_free(ctx);
        *state = s;
        return r;
}

static int teardown_snapshot(void **state) {
        pci_snapshot_free(*state);
        return 0;
}

static void test_alone_in_group(void **state) {
        const struct pci_snapshot *s = *state;
        const struct pci_device *blocker = NULL;
        assert_false(iommu_group_blocker(s, pci_snapshot_find(s, "0000:09:00.0"), NULL,
                                         &blocker));
        assert_null(blocker);
}

static void test_sibling_on_host_driver_blocks(void **state) {
        const struct pci_snapshot *s = *state;
        const struct pci_device *blocker = NULL;
        assert_true(iommu_group_blocker(s, pci_snapshot_find(s, "0000:0b:00.0"), NULL,
                                        &blocker));
        assert_non_null(blocker);
        assert_string_equal(blocker->address, "0000:0b:00.1");

        /* The audio function is blocked by the GPU the same way. */
        char *const targets[] = { (char *)"0000:0b:00.1", NULL };
        assert_true(iommu_group_blocker(s, pci_snapshot_find(s, "0000:0b:00.1"), targets,
                                        &blocker));
        assert_string_equal(blocker->address, "0000:0b:00.0");
}

static void test_sibling_in_targets_does_not_block(void **state) {
        const struct pci_snapshot *s = *state;
        char *const targets[] = { (char *)"0000:0b:00.0", (char *)"0000:0b:00.1", NULL };
        const struct pci_device *blocker = NULL;
        assert_false(iommu_group_blocker(s, pci_snapshot_find(s, "0000:0b:00.0"), targets,
                                         &blocker));
        assert_false(iommu_group_blocker(s, pci_snapshot_find(s, "0000:0b:00.1"), targets,
                                         &blocker));
        assert_null(blocker);
        /* A NULL blocker out-parameter is allowed. */
        assert_true(iommu_group_blocker(s, pci_snapshot_find(s, "0000:0b:00.0"), NULL, NULL));
}

static void test_no_group(void **state) {
        const struct pci_snapshot *s = *state;
        assert_false(iommu_group_blocker(s, pci_snapshot_find(s, "0000:05:00.0"), NULL, NULL));
}

/* A small group built by hand: bridges, unbound devices and devices on
 * vfio-pci or pci-stub never block; anything else does. */
static void test_harmless_members(void **state) {
        struct pci_device devs[5] = {
                { .address = "0000:10:00.0", .iommu_group = 7, .driver = "nvidia" },
                { .address = "0000:10:00.1", .iommu_group = 7, .driver = "" },
                { .address = "0000:10:00.2", .iommu_group = 7, .driver = "vfio-pci" },
                { .address = "0000:10:00.3", .iommu_group = 7, .driver = "pci-stub" },
                { .address = "0000:11:00.0", .iommu_group = 7, .driver = "pcieport",
                  .is_bridge = true },
        };
        struct pci_snapshot s = { .devices = devs, .n = ELEMENTSOF(devs) };
        const struct pci_device *blocker = NULL;
        assert_false(iommu_group_blocker(&s, &devs[0], NULL, &blocker));

        strcpy(devs[3].driver, "xhci_hcd");
        assert_true(iommu_group_blocker(&s, &devs[0], NULL, &blocker));
        assert_ptr_equal(blocker, &devs[3]);

        /* Same driver in another group does not matter. */
        devs[3].iommu_group = 8;
        assert_false(iommu_group_blocker(&s, &devs[0], NULL, &blocker));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_active),
                cmocka_unit_test(test_off_with_intel_firmware),
                cmocka_unit_test(test_off_with_amd_firmware),
                cmocka_unit_test(test_off_without_firmware_support),
                cmocka_unit_test(test_missing_groups_directory),
                cmocka_unit_test_setup_teardown(test_alone_in_group, setup_snapshot,
                                                teardown_snapshot),
                cmocka_unit_test_setup_teardown(test_sibling_on_host_driver_blocks,
                                                setup_snapshot, teardown_snapshot),
                cmocka_unit_test_setup_teardown(test_sibling_in_targets_does_not_block,
                                                setup_snapshot, teardown_snapshot),
                cmocka_unit_test_setup_teardown(test_no_group, setup_snapshot, teardown_snapshot),
                cmocka_unit_test(test_harmless_members),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
