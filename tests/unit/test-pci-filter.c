/* SPDX-License-Identifier: Apache-2.0 */
/* The one PCI_FILTER / PCI_SHORT_ADDRESS join the agent and the registrar use. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "pci-filter.h"

static void list_is_sorted_and_unique(void **state) {
        char a[] = "0a:00.0", b[] = "09:00.0", c[] = "0a:00.0", d[] = "0001:03:00.0";
        char *items[] = { a, b, c, d };
        char *out = NULL;

        assert_int_equal(pci_list_join(items, ELEMENTSOF(items), &out), 0);
        assert_string_equal(out, "0001:03:00.0,09:00.0,0a:00.0");
        free(out);

        assert_int_equal(pci_list_join(items, 1, &out), 0);
        assert_string_equal(out, "0001:03:00.0");
        free(out);

        assert_int_equal(pci_list_join(NULL, 0, &out), 0);
        assert_string_equal(out, "");
        free(out);
}

/* An empty element would match every device: refused. */
static void list_refuses_empty_items(void **state) {
        char a[] = "10de:26b9", e[] = "";
        char *items[] = { a, e };
        char *out = NULL;

        assert_int_equal(pci_list_join(items, 2, &out), -EINVAL);
        assert_null(out);
        items[1] = NULL;
        assert_int_equal(pci_list_join(items, 2, &out), -EINVAL);
        assert_int_equal(pci_list_join(NULL, 1, &out), -EINVAL);
        assert_int_equal(pci_list_join(items, 1, NULL), -EINVAL);
}

static void filter_is_lowercase_sorted_unique(void **state) {
        char a[] = "10DE:26B9", b[] = "144d:a80a", c[] = "10de:26b9";
        char *ids[] = { a, b, c };
        char *out = NULL;

        assert_int_equal(pci_filter_join(ids, ELEMENTSOF(ids), &out), 0);
        assert_string_equal(out, "10de:26b9,144d:a80a");
        free(out);
}

/* No device: "0:0", which matches nothing; never "", which matches all. */
static void filter_of_nothing_matches_nothing(void **state) {
        char *out = NULL;

        assert_int_equal(pci_filter_join(NULL, 0, &out), 0);
        assert_string_equal(out, PCI_FILTER_NONE);
        assert_string_equal(out, "0:0");
        free(out);
        assert_int_equal(pci_filter_join(NULL, 0, NULL), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(list_is_sorted_and_unique),
                cmocka_unit_test(list_refuses_empty_items),
                cmocka_unit_test(filter_is_lowercase_sorted_unique),
                cmocka_unit_test(filter_of_nothing_matches_nothing),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
