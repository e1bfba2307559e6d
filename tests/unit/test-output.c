/* SPDX-License-Identifier: Apache-2.0 */
/* The agent's output: the JSON document and the text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit-codes.h"
#include "output.h"

static struct pci_device mk(const char *addr, const char *vendor, const char *device) {
        struct pci_device d = { .iommu_group = 1 };
        snprintf(d.address, sizeof(d.address), "%s", addr);
        snprintf(d.vendor, sizeof(d.vendor), "%s", vendor);
        snprintf(d.device, sizeof(d.device), "%s", device);
        snprintf(d.class6, sizeof(d.class6), "030200");
        return d;
}

static void json_names_every_item_and_result(void **state) {
        struct pci_device d = mk("0000:09:00.0", "10de", "26b9");
        struct plan_item items[] = { { .address = "0000:09:00.0", .action = PLAN_REFUSE_GROUP,
                                       .dev = &d, .reason = "IOMMU group 1 is not viable" } };
        struct plan p = { .enabled = true, .items = items, .n = 1 };
        char host[] = "n1";
        struct run_record rec = { .command = "apply", .host = host, .enabled = true, .plan = &p,
                                  .exit_code = EXIT_GUARD };
        struct json_object *o = output_json_build(&rec);
        assert_non_null(o);
        struct json_object *v;
        assert_true(json_object_object_get_ex(o, "result", &v));
        assert_string_equal(json_object_get_string(v), "refused");
        assert_true(json_object_object_get_ex(o, "items", &v));
        assert_int_equal(json_object_array_length(v), 1);
        struct json_object *item = json_object_array_get_idx(v, 0), *a;
        assert_true(json_object_object_get_ex(item, "action", &a));
        assert_string_equal(json_object_get_string(a), "refuse-group");
        assert_true(json_object_object_get_ex(item, "iommu_group", &a));
        assert_int_equal(json_object_get_int(a), 1);
        json_object_put(o);
}

/* --json prints where apply's time went; the state file (built by
 * output_json_build) never holds it, or every run would rewrite it. */
static void json_prints_timing_but_state_has_none(void **state) {
        struct run_record rec = { .command = "apply", .driverctl_s = 1.5, .udev_s = 0.25,
                                  .cpu_s = 0.125 };
        struct json_object *o = output_json_build(&rec), *v;
        assert_non_null(o);
        assert_false(json_object_object_get_ex(o, "timing", &v));
        json_object_put(o);

        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        output_json(&rec, f);
        fclose(f);
        o = json_tokener_parse(buf);
        free(buf);
        assert_non_null(o);
        struct json_object *t;
        assert_true(json_object_object_get_ex(o, "timing", &t));
        assert_true(json_object_object_get_ex(t, "driverctl_s", &v));
        assert_true(json_object_get_double(v) == 1.5);
        assert_true(json_object_object_get_ex(t, "udev_s", &v));
        assert_true(json_object_get_double(v) == 0.25);
        assert_true(json_object_object_get_ex(t, "cpu_s", &v));
        assert_true(json_object_get_double(v) == 0.125);
        json_object_put(o);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(json_names_every_item_and_result),
                cmocka_unit_test(json_prints_timing_but_state_has_none),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
