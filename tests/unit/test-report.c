/* SPDX-License-Identifier: Apache-2.0 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <json-c/json.h>

#include "cleanup-json.h"
#include "config.h"
#include "macros.h"
#include "report.h"

/* A node like the gpu-node fixture: two identical GPUs (09:00.0, 0a:00.0), a
 * third one of another model, a NIC. */
static struct pci_device devs[] = {
        { .address = "0000:02:00.0", .vendor = "8086", .device = "1533", .class6 = "020000",
          .driver = "igb", .iommu_group = 3, .numa_node = 0 },
        { .address = "0000:09:00.0", .vendor = "10de", .device = "26b9", .class6 = "030200",
          .driver = "nvidia", .iommu_group = 14, .numa_node = 0 },
        { .address = "0000:0a:00.0", .vendor = "10de", .device = "26b9", .class6 = "030200",
          .driver = "nvidia", .iommu_group = 15, .numa_node = 1 },
        { .address = "0000:0b:00.0", .vendor = "10de", .device = "2204", .class6 = "030000",
          .driver = "vfio-pci", .driver_override = "vfio-pci", .saved_override = "vfio-pci",
          .iommu_group = 16, .numa_node = -1 },
};
static struct pci_snapshot snap = { .devices = devs, .n = ELEMENTSOF(devs) };

static struct host_config cfg = {
        .name = (char *)"n2", .one_host_name = (char *)"192.168.122.4", .enabled = true,
};

static struct json_object *get(struct json_object *o, const char *key) {
        struct json_object *v = NULL;
        assert_true(json_object_object_get_ex(o, key, &v));
        return v;
}

static const char *str(struct json_object *o, const char *key) {
        return json_object_get_string(get(o, key));
}

static const char *addr_at(struct json_object *arr, size_t i) {
        return str(json_object_array_get_idx(arr, i), "address");
}

/* n2 binds 09:00.0 now and keeps 0b:00.0; 0a:00.0 is a twin. */
static void test_success(void **state) {
        struct plan_item items[] = {
                { .address = "0000:09:00.0", .action = PLAN_BIND, .dev = &devs[1] },
                { .address = "0000:0b:00.0", .action = PLAN_KEEP, .dev = &devs[3] },
        };
        struct plan plan = { .enabled = true, .items = items, .n = ELEMENTSOF(items) };
        _cleanup_json_ struct json_object *r = NULL;
        struct json_object *devices, *twins, *d;

        assert_int_equal(report_build(&cfg, &plan, &snap, true, NULL, &r), 0);
        assert_int_equal(json_object_get_int(get(r, "schema")), 1);
        assert_string_equal(str(r, "inventory_name"), "n2");
        assert_string_equal(str(r, "host_name"), "192.168.122.4");
        assert_string_equal(str(r, "agent_version"), ONEPCI_VERSION);
        assert_string_equal(str(get(r, "outcome"), "result"), "succeeded");
        assert_int_equal(json_object_array_length(get(get(r, "outcome"), "errors")), 0);

        devices = get(r, "devices");
        assert_int_equal(json_object_array_length(devices), 2);
        d = json_object_array_get_idx(devices, 0);
        assert_string_equal(str(d, "address"), "0000:09:00.0");
        assert_string_equal(str(d, "vendor"), "10de");
        assert_string_equal(str(d, "device"), "26b9");
        assert_string_equal(str(d, "class"), "030200");
        /* Bound by this run: the snapshot from before still says nvidia. */
        assert_string_equal(str(d, "driver"), "vfio-pci");
        assert_int_equal(json_object_get_int(get(d, "iommu_group")), 14);
        assert_int_equal(json_object_get_int(get(d, "numa_node")), 0);
        assert_string_equal(addr_at(devices, 1), "0000:0b:00.0");
        assert_int_equal(json_object_get_int(get(json_object_array_get_idx(devices, 1),
                                                 "numa_node")), -1);

        twins = get(r, "twins");
        assert_int_equal(json_object_array_length(twins), 1);
        d = json_object_array_get_idx(twins, 0);
        assert_string_equal(str(d, "address"), "0000:0a:00.0");
        assert_string_equal(str(d, "driver"), "nvidia");
        assert_int_equal(json_object_get_int(get(d, "iommu_group")), 15);
}

/* Both GPUs passed through: no twins; refusals and left devices not reported. */
static void test_no_twins_and_refusals(void **state) {
        struct plan_item items[] = {
                { .address = "0000:02:00.0", .action = PLAN_REFUSE_GUARD, .dev = &devs[0] },
                { .address = "0000:09:00.0", .action = PLAN_BIND, .dev = &devs[1] },
                { .address = "0000:0a:00.0", .action = PLAN_BIND, .dev = &devs[2] },
                { .address = "0000:0b:00.0", .action = PLAN_LEAVE, .dev = &devs[3] },
                { .address = "0000:42:00.0", .action = PLAN_REFUSE_MISSING, .dev = NULL },
        };
        struct plan plan = { .enabled = true, .items = items, .n = ELEMENTSOF(items) };
        _cleanup_json_ struct json_object *r = NULL;

        assert_int_equal(report_build(&cfg, &plan, &snap, true, NULL, &r), 0);
        assert_int_equal(json_object_array_length(get(r, "devices")), 2);
        assert_string_equal(addr_at(get(r, "devices"), 0), "0000:09:00.0");
        assert_string_equal(addr_at(get(r, "devices"), 1), "0000:0a:00.0");
        assert_int_equal(json_object_array_length(get(r, "twins")), 0);
}

/* A refused device with the same ids as a passed-through one is a twin. */
static void test_refused_same_ids_is_twin(void **state) {
        struct plan_item items[] = {
                { .address = "0000:09:00.0", .action = PLAN_KEEP, .dev = &devs[1] },
                { .address = "0000:0a:00.0", .action = PLAN_REFUSE_GROUP, .dev = &devs[2] },
        };
        struct plan plan = { .enabled = true, .items = items, .n = ELEMENTSOF(items) };
        _cleanup_json_ struct json_object *r = NULL;

        assert_int_equal(report_build(&cfg, &plan, &snap, true, NULL, &r), 0);
        assert_int_equal(json_object_array_length(get(r, "devices")), 1);
        assert_int_equal(json_object_array_length(get(r, "twins")), 1);
        assert_string_equal(addr_at(get(r, "twins"), 0), "0000:0a:00.0");
}

/* unlisted: bound, but not offered; an identical listed device makes it a twin,
 * so the registrar narrows by address and does not expose it. */
static void test_unlisted_is_not_reported(void **state) {
        struct plan_item items[] = {
                { .address = "0000:09:00.0", .action = PLAN_KEEP, .dev = &devs[1] },
                { .address = "0000:0a:00.0", .action = PLAN_BIND, .dev = &devs[2],
                  .unlisted = true },
                { .address = "0000:0b:00.0", .action = PLAN_KEEP, .dev = &devs[3],
                  .unlisted = true },
        };
        struct plan plan = { .enabled = true, .items = items, .n = ELEMENTSOF(items) };
        _cleanup_json_ struct json_object *r = NULL;

        assert_int_equal(report_build(&cfg, &plan, &snap, true, NULL, &r), 0);
        assert_int_equal(json_object_array_length(get(r, "devices")), 1);
        assert_string_equal(addr_at(get(r, "devices"), 0), "0000:09:00.0");
        assert_int_equal(json_object_array_length(get(r, "twins")), 1);
        assert_string_equal(addr_at(get(r, "twins"), 0), "0000:0a:00.0");
}

/* A failed run: what is bound is reported, with the errors. */
static void test_failed_run(void **state) {
        struct plan_item items[] = {
                { .address = "0000:09:00.0", .action = PLAN_BIND, .dev = &devs[1] },
                { .address = "0000:0b:00.0", .action = PLAN_KEEP, .dev = &devs[3] },
        };
        struct plan plan = { .enabled = true, .items = items, .n = ELEMENTSOF(items) };
        char *errors[] = { (char *)"0000:09:00.0: driverctl failed", NULL };
        _cleanup_json_ struct json_object *r = NULL;
        struct json_object *errs;

        assert_int_equal(report_build(&cfg, &plan, &snap, false, errors, &r), 0);
        assert_string_equal(str(get(r, "outcome"), "result"), "failed");
        errs = get(get(r, "outcome"), "errors");
        assert_int_equal(json_object_array_length(errs), 1);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(errs, 0)),
                            "0000:09:00.0: driverctl failed");
        /* 09:00.0 still on nvidia: not reported, and a twin of nothing. */
        assert_int_equal(json_object_array_length(get(r, "devices")), 1);
        assert_string_equal(addr_at(get(r, "devices"), 0), "0000:0b:00.0");
        assert_int_equal(json_object_array_length(get(r, "twins")), 0);
}

/* A failed run with a snapshot read after apply: the bound one counts. */
static void test_failed_run_fresh_snapshot(void **state) {
        struct pci_device after[ELEMENTSOF(devs)];
        struct pci_snapshot snap_after = { .devices = after, .n = ELEMENTSOF(after) };
        struct plan_item items[] = {
                { .address = "0000:09:00.0", .action = PLAN_BIND, .dev = &devs[1] },
                { .address = "0000:0a:00.0", .action = PLAN_BIND, .dev = &devs[2] },
        };
        struct plan plan = { .enabled = true, .items = items, .n = ELEMENTSOF(items) };
        char *errors[] = { (char *)"0000:0a:00.0: not bound", NULL };
        _cleanup_json_ struct json_object *r = NULL;

        memcpy(after, devs, sizeof after);
        strcpy(after[1].driver, "vfio-pci");
        assert_int_equal(report_build(&cfg, &plan, &snap_after, false, errors, &r), 0);
        assert_int_equal(json_object_array_length(get(r, "devices")), 1);
        assert_string_equal(addr_at(get(r, "devices"), 0), "0000:09:00.0");
        /* 0a:00.0 failed to bind: a twin the filter must not expose. */
        assert_int_equal(json_object_array_length(get(r, "twins")), 1);
        assert_string_equal(addr_at(get(r, "twins"), 0), "0000:0a:00.0");
}

/* `register` alone: a device still to bind is not claimed as bound. */
static void test_current(void **state) {
        struct plan_item items[] = {
                { .address = "0000:09:00.0", .action = PLAN_BIND, .dev = &devs[1] },
                { .address = "0000:0b:00.0", .action = PLAN_KEEP, .dev = &devs[3] },
        };
        struct plan plan = { .enabled = true, .items = items, .n = ELEMENTSOF(items) };
        _cleanup_json_ struct json_object *r = NULL;

        assert_int_equal(report_build_current(&cfg, &plan, &snap, true, NULL, &r), 0);
        assert_string_equal(str(get(r, "outcome"), "result"), "succeeded");
        assert_int_equal(json_object_array_length(get(r, "devices")), 1);
        assert_string_equal(addr_at(get(r, "devices"), 0), "0000:0b:00.0");

        /* A node that drifted says so; still only what is on vfio-pci. */
        json_object_put(r);
        r = NULL;
        assert_int_equal(report_build_current(&cfg, &plan, &snap, false, NULL, &r), 0);
        assert_string_equal(str(get(r, "outcome"), "result"), "failed");
        assert_int_equal(json_object_array_length(get(r, "devices")), 1);
}

/* A planned device that left the bus is not reported. */
static void test_vanished_device(void **state) {
        struct plan_item items[] = {
                { .address = "0000:77:00.0", .action = PLAN_KEEP, .dev = NULL },
        };
        struct plan plan = { .enabled = true, .items = items, .n = ELEMENTSOF(items) };
        _cleanup_json_ struct json_object *r = NULL;

        assert_int_equal(report_build(&cfg, &plan, &snap, true, NULL, &r), 0);
        assert_int_equal(json_object_array_length(get(r, "devices")), 0);
}

static void test_errors_made_to_fit(void **state) {
        struct plan plan = { .enabled = false };
        char *errors[41];
        char long_error[1000];
        _cleanup_json_ struct json_object *r = NULL;
        struct json_object *errs;

        memset(long_error, 'x', sizeof long_error - 1);
        long_error[sizeof long_error - 1] = '\0';
        errors[0] = (char *)"line\none\ttab \xc3\xa9";
        errors[1] = long_error;
        for (size_t i = 2; i < 40; i++)
                errors[i] = (char *)"more";
        errors[40] = NULL;

        assert_int_equal(report_build(&cfg, &plan, &snap, false, errors, &r), 0);
        errs = get(get(r, "outcome"), "errors");
        assert_int_equal(json_object_array_length(errs), REPORT_MAX_ERRORS);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(errs, 0)),
                            "line?one?tab ??");
        assert_int_equal(strlen(json_object_get_string(json_object_array_get_idx(errs, 1))),
                         REPORT_MAX_ERROR_LEN);
        assert_string_equal(json_object_get_string(json_object_array_get_idx(errs, 31)),
                            "... and 9 more errors");
}

static void test_too_many_devices(void **state) {
        enum { N = REPORT_MAX_DEVICES + 1 };
        _cleanup_free_ struct pci_device *many = calloc(N, sizeof *many);
        _cleanup_free_ struct plan_item *items = calloc(N, sizeof *items);
        struct pci_snapshot s = { .devices = many, .n = N };
        struct plan plan = { .enabled = true, .items = items, .n = N };
        struct json_object *r = NULL;

        assert_non_null(many);
        assert_non_null(items);
        for (size_t i = 0; i < N; i++) {
                snprintf(many[i].address, sizeof many[i].address, "0000:%02zx:00.0", i + 1);
                strcpy(many[i].vendor, "10de");
                strcpy(many[i].device, "26b9");
                strcpy(many[i].class6, "030200");
                strcpy(items[i].address, many[i].address);
                items[i].action = PLAN_KEEP;
        }
        assert_int_equal(report_build(&cfg, &plan, &s, true, NULL, &r), -E2BIG);
        assert_null(r);
        plan.n = N - 1;
        assert_int_equal(report_build(&cfg, &plan, &s, true, NULL, &r), 0);
        /* The 65th identical device is now a twin. */
        assert_int_equal(json_object_array_length(get(r, "twins")), 1);
        json_object_put(r);
}

static void test_driver_sanitized_and_string(void **state) {
        struct pci_device odd[] = {
                { .address = "0000:09:00.0", .vendor = "10de", .device = "26b9",
                  .class6 = "030200", .driver = "vfio-pci", .iommu_group = 1 },
                { .address = "0000:0a:00.0", .vendor = "10de", .device = "26b9",
                  .class6 = "030200", .driver = "od/d.drv", .iommu_group = 2 },
        };
        struct pci_snapshot s = { .devices = odd, .n = ELEMENTSOF(odd) };
        struct plan_item items[] = { { .address = "0000:09:00.0", .action = PLAN_KEEP } };
        struct plan plan = { .enabled = true, .items = items, .n = 1 };
        _cleanup_json_ struct json_object *r = NULL, *back = NULL;
        _cleanup_free_ char *text = NULL;

        assert_int_equal(report_build(&cfg, &plan, &s, true, NULL, &r), 0);
        assert_string_equal(str(json_object_array_get_idx(get(r, "twins"), 0), "driver"),
                            "od_d_drv");
        assert_int_equal(report_to_string(r, &text), 0);
        assert_null(strchr(text, '\n'));
        back = json_tokener_parse(text);
        assert_non_null(back);
        assert_string_equal(str(back, "host_name"), "192.168.122.4");
}

static void test_bad_arguments(void **state) {
        struct plan plan = { 0 };
        struct host_config nameless = { 0 };
        struct json_object *r = NULL;
        char *text = NULL;

        assert_int_equal(report_build(NULL, &plan, &snap, true, NULL, &r), -EINVAL);
        assert_int_equal(report_build(&nameless, &plan, &snap, true, NULL, &r), -EINVAL);
        assert_int_equal(report_build(&cfg, NULL, &snap, true, NULL, &r), -EINVAL);
        assert_int_equal(report_build(&cfg, &plan, NULL, true, NULL, &r), -EINVAL);
        assert_int_equal(report_to_string(NULL, &text), -EINVAL);
        assert_null(r);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_success),
                cmocka_unit_test(test_no_twins_and_refusals),
                cmocka_unit_test(test_refused_same_ids_is_twin),
                cmocka_unit_test(test_unlisted_is_not_reported),
                cmocka_unit_test(test_failed_run),
                cmocka_unit_test(test_failed_run_fresh_snapshot),
                cmocka_unit_test(test_current),
                cmocka_unit_test(test_vanished_device),
                cmocka_unit_test(test_errors_made_to_fit),
                cmocka_unit_test(test_too_many_devices),
                cmocka_unit_test(test_driver_sanitized_and_string),
                cmocka_unit_test(test_bad_arguments),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
