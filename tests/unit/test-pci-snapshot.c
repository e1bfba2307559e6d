/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "context.h"
#include "fileio.h"
#include "macros.h"
#include "test-root.h"
#include "pci-snapshot.h"

#define GPU_NODE FIXTURES_DIR "/roots/gpu-node"

static struct pci_snapshot *read_root(const char *root) {
        struct onepci_context *ctx = NULL;
        assert_int_equal(onepci_context_new(root, &ctx), 0);
        struct pci_snapshot *s = NULL;
        struct error_message err = { 0 };
        int r = pci_snapshot_read(ctx, &s, &err);
        if (r < 0)
                print_error("pci_snapshot_read: %d %s\n", r, err.text);
        assert_int_equal(r, 0);
        assert_false(error_is_set(&err));
        onepci_context_free(ctx);
        return s;
}

/* ---- the committed gpu-node root ---- */

static void test_reads_every_device_sorted(void **state) {
        struct pci_snapshot *s = read_root(GPU_NODE);
        static const char *const expected[] = {
                "0000:00:00.0", "0000:00:01.0", "0000:00:01.1", "0000:00:01.2", "0000:00:1c.0",
                "0000:00:1c.1", "0000:00:1c.2", "0000:03:00.0", "0000:03:00.1", "0000:04:00.0",
                "0000:05:00.0", "0000:09:00.0", "0000:0a:00.0", "0000:0b:00.0", "0000:0b:00.1",
        };
        assert_int_equal(s->n, ELEMENTSOF(expected));
        for (size_t i = 0; i < s->n; i++)
                assert_string_equal(s->devices[i].address, expected[i]);
        pci_snapshot_free(s);
}

static void test_l40s_fields(void **state) {
        struct pci_snapshot *s = read_root(GPU_NODE);
        const struct pci_device *d = pci_snapshot_find(s, "0000:09:00.0");
        assert_non_null(d);
        assert_string_equal(d->vendor, "10de");
        assert_string_equal(d->device, "26b9");
        assert_string_equal(d->class6, "030200");
        assert_string_equal(d->driver, "nvidia");
        assert_string_equal(d->driver_override, ""); /* sysfs says "(null)" */
        assert_string_equal(d->saved_override, "");
        assert_int_equal(d->iommu_group, 13);
        assert_int_equal(d->numa_node, 0);
        assert_false(d->is_bridge);
        assert_false(d->has_vfs);
        assert_false(d->is_vf);
        assert_false(d->boot_vga);
        assert_false(pci_device_is_settled_vfio(d));

        d = pci_snapshot_find(s, "0000:0a:00.0");
        assert_non_null(d);
        assert_int_equal(d->iommu_group, 14);
        pci_snapshot_free(s);
}

static void test_names_from_pci_ids(void **state) {
        struct pci_snapshot *s = read_root(GPU_NODE);
        const struct pci_device *d = pci_snapshot_find(s, "0000:0b:00.0");
        assert_non_null(d);
        /* Names are cosmetic and depend on the installed pci.ids / hwdb, but
         * NVIDIA and the A4000 (in pci.ids since 2021) are in every one. */
        if (!path_exists("/usr/share/misc/pci.ids") && !path_exists("/usr/share/hwdata/pci.ids"))
                skip();
        assert_non_null(strstr(d->vendor_name, "NVIDIA"));
        assert_non_null(strstr(d->device_name, "A4000"));
        pci_snapshot_free(s);
}

static void test_other_devices(void **state) {
        struct pci_snapshot *s = read_root(GPU_NODE);
        const struct pci_device *d;

        d = pci_snapshot_find(s, "0000:0b:00.0");
        assert_true(d->boot_vga);
        assert_int_equal(d->iommu_group, 15);
        d = pci_snapshot_find(s, "0000:0b:00.1");
        assert_string_equal(d->driver, "snd_hda_intel");
        assert_string_equal(d->class6, "040300");
        assert_int_equal(d->iommu_group, 15);

        d = pci_snapshot_find(s, "0000:05:00.0"); /* no iommu_group link */
        assert_int_equal(d->iommu_group, -1);
        assert_int_equal(d->numa_node, -1);
        assert_false(d->boot_vga);               /* boot_vga reads 0 */
        assert_string_equal(d->driver, "ast");

        d = pci_snapshot_find(s, "0000:04:00.0");
        assert_string_equal(d->class6, "010802"); /* prog-if kept */
        assert_string_equal(d->vendor, "144d");

        d = pci_snapshot_find(s, "0000:00:01.0");
        assert_true(d->is_bridge);
        assert_string_equal(d->driver, "pcieport");
        d = pci_snapshot_find(s, "0000:00:00.0");
        assert_true(d->is_bridge); /* host bridge, class 0600 */
        assert_string_equal(d->driver, "");
        d = pci_snapshot_find(s, "0000:03:00.0");
        assert_false(d->has_vfs); /* sriov_numvfs 0 */
        assert_false(d->is_bridge);
        pci_snapshot_free(s);
}

static void test_find(void **state) {
        struct pci_snapshot *s = read_root(GPU_NODE);
        assert_null(pci_snapshot_find(s, "0000:42:00.0"));
        assert_null(pci_snapshot_find(s, "09:00.0"));
        assert_null(pci_snapshot_find(s, "0000:09:00.0x")); /* not a prefix match */
        assert_null(pci_snapshot_find(s, NULL));
        assert_non_null(pci_snapshot_find(s, "0000:00:00.0")); /* first */
        assert_non_null(pci_snapshot_find(s, "0000:0b:00.1")); /* last */
        pci_snapshot_free(s);
}

/* ---- edge cases in writable copies ---- */

static void test_missing_sysfs(void **state) {
        char tmpl[] = "/tmp/onepci-test-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        struct onepci_context *ctx = NULL;
        assert_int_equal(onepci_context_new(tmpl, &ctx), 0);
        struct pci_snapshot *s = NULL;
        struct error_message err = { 0 };
        assert_int_equal(pci_snapshot_read(ctx, &s, &err), -ENOENT);
        assert_null(s);
        assert_true(error_is_set(&err));
        assert_non_null(strstr(err.text, "sys/bus/pci/devices"));
        onepci_context_free(ctx);
        rmdir(tmpl);
}

/* libpci's default error handler would exit(1) on an unreadable device;
 * the snapshot must return an error instead and keep the process alive. */
static void test_libpci_error_is_returned(void **state) {
        char *root = test_root_copy(GPU_NODE);
        _cleanup_free_ char *vendor = path_join(root,
                "sys/devices/pci0000:00/0000:00:01.0/0000:09:00.0/vendor");
        assert_int_equal(unlink(vendor), 0);

        struct onepci_context *ctx = NULL;
        assert_int_equal(onepci_context_new(root, &ctx), 0);
        struct pci_snapshot *s = NULL;
        struct error_message err = { 0 };
        int r = pci_snapshot_read(ctx, &s, &err);
        assert_int_equal(r, -EIO);
        assert_null(s);
        assert_true(error_is_set(&err));
        assert_non_null(strstr(err.text, "libpci"));
        assert_non_null(strstr(err.text, "vendor"));
        assert_null(strchr(err.text, '\n'));

        /* A second read after the error works again (no stale jump state). */
        test_root_put(root, "sys/devices/pci0000:00/0000:00:01.0/0000:09:00.0/vendor", "0x10de\n");
        assert_int_equal(pci_snapshot_read(ctx, &s, NULL), 0);
        assert_int_equal(s->n, 15);
        pci_snapshot_free(s);
        onepci_context_free(ctx);
        test_root_remove(root);
}

static void test_settled_vfio(void **state) {
        char *root = test_root_copy(GPU_NODE);
        const char *dev = "sys/devices/pci0000:00/0000:00:01.0/0000:09:00.0";
        char rel[PATH_MAX];
        snprintf(rel, sizeof(rel), "%s/driver", dev);
        test_root_link(root, rel, "../../../../bus/pci/drivers/vfio-pci");
        snprintf(rel, sizeof(rel), "%s/driver_override", dev);
        test_root_put(root, rel, "vfio-pci\n");

        /* Bound and overridden but not saved: driverctl must still run. */
        struct pci_snapshot *s = read_root(root);
        const struct pci_device *d = pci_snapshot_find(s, "0000:09:00.0");
        assert_string_equal(d->driver, "vfio-pci");
        assert_string_equal(d->driver_override, "vfio-pci");
        assert_string_equal(d->saved_override, "");
        assert_false(pci_device_is_settled_vfio(d));
        pci_snapshot_free(s);

        test_root_put(root, "etc/driverctl.d/pci-0000:09:00.0", "vfio-pci\n");
        s = read_root(root);
        d = pci_snapshot_find(s, "0000:09:00.0");
        assert_string_equal(d->saved_override, "vfio-pci");
        assert_true(pci_device_is_settled_vfio(d));
        /* The twin is untouched. */
        assert_false(pci_device_is_settled_vfio(pci_snapshot_find(s, "0000:0a:00.0")));
        pci_snapshot_free(s);

        /* Saved and overridden but the native driver got it back. */
        snprintf(rel, sizeof(rel), "%s/driver", dev);
        test_root_link(root, rel, "../../../../bus/pci/drivers/nvidia");
        s = read_root(root);
        assert_false(pci_device_is_settled_vfio(pci_snapshot_find(s, "0000:09:00.0")));
        pci_snapshot_free(s);
        test_root_remove(root);
}

static void test_settled_vfio_pure(void **state) {
        struct pci_device d = { .address = "0000:09:00.0" };
        strcpy(d.driver, "vfio-pci");
        strcpy(d.driver_override, "vfio-pci");
        strcpy(d.saved_override, "vfio-pci");
        assert_true(pci_device_is_settled_vfio(&d));
        strcpy(d.driver_override, "");
        assert_false(pci_device_is_settled_vfio(&d));
        strcpy(d.driver_override, "vfio-pci");
        strcpy(d.saved_override, "nvidia");
        assert_false(pci_device_is_settled_vfio(&d));
}

/* Adds a VF 0000:03:02.0 of the X710 port 0 to a writable root. */
static void add_vf(const char *root) {
        const char *dir = "sys/devices/pci0000:00/0000:00:1c.1/0000:03:02.0";
        static const char *const attrs[][2] = {
                { "vendor", "0x8086\n" },       { "device", "0x154c\n" },
                { "class", "0x020000\n" },      { "subsystem_vendor", "0x8086\n" },
                { "subsystem_device", "0x0000\n" }, { "irq", "0\n" },
                { "numa_node", "0\n" },         { "driver_override", "(null)\n" },
                { "resource", "0x0 0x0 0x0\n" },
        };
        char rel[PATH_MAX];
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                snprintf(rel, sizeof(rel), "%s/%s", dir, attrs[i][0]);
                test_root_put(root, rel, attrs[i][1]);
        }
        snprintf(rel, sizeof(rel), "%s/physfn", dir);
        test_root_link(root, rel, "../0000:03:00.0");
        test_root_link(root, "sys/bus/pci/devices/0000:03:02.0",
               "../../../devices/pci0000:00/0000:00:1c.1/0000:03:02.0");
        test_root_put(root, "sys/devices/pci0000:00/0000:00:1c.1/0000:03:00.0/sriov_numvfs", "1\n");
}

static void test_sriov_pf_and_vf(void **state) {
        char *root = test_root_copy(GPU_NODE);
        add_vf(root);
        struct pci_snapshot *s = read_root(root);
        assert_int_equal(s->n, 16);
        const struct pci_device *pf = pci_snapshot_find(s, "0000:03:00.0");
        const struct pci_device *vf = pci_snapshot_find(s, "0000:03:02.0");
        assert_non_null(pf);
        assert_non_null(vf);
        assert_true(pf->has_vfs);
        assert_false(pf->is_vf);
        assert_true(vf->is_vf);
        assert_false(vf->has_vfs);
        assert_int_equal(vf->iommu_group, -1);
        assert_string_equal(vf->driver, "");
        assert_false(pci_snapshot_find(s, "0000:03:00.1")->has_vfs);
        /* Sorted: the VF sits between 03:00.1 and 04:00.0. */
        assert_string_equal(s->devices[9].address, "0000:03:02.0");
        pci_snapshot_free(s);
        test_root_remove(root);
}

static void test_bad_sriov_numvfs(void **state) {
        char *root = test_root_copy(GPU_NODE);
        test_root_put(root, "sys/devices/pci0000:00/0000:00:1c.1/0000:03:00.0/sriov_numvfs", "two\n");
        struct onepci_context *ctx = NULL;
        assert_int_equal(onepci_context_new(root, &ctx), 0);
        struct pci_snapshot *s = NULL;
        struct error_message err = { 0 };
        assert_int_equal(pci_snapshot_read(ctx, &s, &err), -EINVAL);
        assert_null(s);
        assert_true(error_is_set(&err));
        assert_non_null(strstr(err.text, "0000:03:00.0/sriov_numvfs"));
        onepci_context_free(ctx);
        test_root_remove(root);
}

/* A kernel without driver_override (or a device without sriov files) is
 * not an error: the attribute is simply unset. */
static void test_missing_optional_attributes(void **state) {
        char *root = test_root_copy(GPU_NODE);
        _cleanup_free_ char *p = path_join(root,
                "sys/devices/pci0000:00/0000:00:01.1/0000:0a:00.0/driver_override");
        assert_int_equal(unlink(p), 0);
        struct pci_snapshot *s = read_root(root);
        assert_string_equal(pci_snapshot_find(s, "0000:0a:00.0")->driver_override, "");
        pci_snapshot_free(s);
        test_root_remove(root);
}

/* A root with its own pci.ids is named from it alone (not this host's
 * database or hwdb), so names in a fixture are deterministic. */
static void test_names_from_the_roots_pci_ids(void **state) {
        char *root = test_root_copy(GPU_NODE);
        test_root_put(root, "usr/share/misc/pci.ids",
            "# test database\n"
            "10de  Test Vendor\n"
            "\t26b9  Test L40S\n");
        struct pci_snapshot *s = read_root(root);
        const struct pci_device *d = pci_snapshot_find(s, "0000:09:00.0");
        assert_string_equal(d->vendor_name, "Test Vendor");
        assert_string_equal(d->device_name, "Test L40S");
        d = pci_snapshot_find(s, "0000:0b:00.0"); /* 24b0 is not in this file */
        assert_string_equal(d->vendor_name, "Test Vendor");
        assert_string_equal(d->device_name, "");
        d = pci_snapshot_find(s, "0000:04:00.0");
        assert_string_equal(d->vendor_name, "");
        pci_snapshot_free(s);
        test_root_remove(root);
}

/* A damaged pci.ids only loses the names it cannot give: the snapshot still
 * succeeds, with every other attribute read. */
static void test_corrupt_pci_ids_only_loses_names(void **state) {
        char *root = test_root_copy(GPU_NODE);
        test_root_put(root, "usr/share/misc/pci.ids",
                      "10de  Test Vendor\n\tnot an id line\n\t26b9\n\x01\xff garbage\n");
        struct pci_snapshot *s = read_root(root);
        assert_int_equal(s->n, 15);
        const struct pci_device *d = pci_snapshot_find(s, "0000:09:00.0");
        assert_string_equal(d->vendor_name, "Test Vendor");
        assert_string_equal(d->device_name, "");
        assert_string_equal(d->driver, "nvidia");
        pci_snapshot_free(s);
        test_root_remove(root);
}

/* Domains above ffff (behind an Intel VMD) do not fit DDDD:BB:DD.F: such
 * devices are left out rather than truncated into another address. */
static void test_wide_domain_left_out(void **state) {
        char *root = test_root_copy(GPU_NODE);
        const char *dir = "sys/devices/pci10000:00/10000:00:00.0";
        static const char *const attrs[][2] = {
                { "vendor", "0x8086\n" }, { "device", "0x0a0c\n" }, { "class", "0x010802\n" },
                { "irq", "0\n" },         { "resource", "0x0 0x0 0x0\n" },
        };
        char rel[PATH_MAX];
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                snprintf(rel, sizeof(rel), "%s/%s", dir, attrs[i][0]);
                test_root_put(root, rel, attrs[i][1]);
        }
        test_root_link(root, "sys/bus/pci/devices/10000:00:00.0",
               "../../../devices/pci10000:00/10000:00:00.0");
        struct pci_snapshot *s = read_root(root);
        assert_int_equal(s->n, 15);
        assert_string_equal(pci_snapshot_find(s, "0000:00:00.0")->vendor, "8086");
        assert_string_equal(pci_snapshot_find(s, "0000:00:00.0")->device, "2020");
        pci_snapshot_free(s);
        test_root_remove(root);
}

static void test_no_devices(void **state) {
        char tmpl[] = "/tmp/onepci-test-XXXXXX";
        assert_non_null(mkdtemp(tmpl));
        test_root_put(tmpl, "sys/bus/pci/devices/.keep", "");
        struct pci_snapshot *s = read_root(tmpl);
        assert_int_equal(s->n, 0);
        assert_null(pci_snapshot_find(s, "0000:00:00.0"));
        pci_snapshot_free(s);
        test_root_remove(strdup(tmpl));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_reads_every_device_sorted),
                cmocka_unit_test(test_l40s_fields),
                cmocka_unit_test(test_names_from_pci_ids),
                cmocka_unit_test(test_other_devices),
                cmocka_unit_test(test_find),
                cmocka_unit_test(test_missing_sysfs),
                cmocka_unit_test(test_libpci_error_is_returned),
                cmocka_unit_test(test_settled_vfio),
                cmocka_unit_test(test_settled_vfio_pure),
                cmocka_unit_test(test_sriov_pf_and_vf),
                cmocka_unit_test(test_bad_sriov_numvfs),
                cmocka_unit_test(test_missing_optional_attributes),
                cmocka_unit_test(test_names_from_the_roots_pci_ids),
                cmocka_unit_test(test_corrupt_pci_ids_only_loses_names),
                cmocka_unit_test(test_wide_domain_left_out),
                cmocka_unit_test(test_no_devices),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
