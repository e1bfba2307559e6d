/* SPDX-License-Identifier: Apache-2.0 */
/* The template sent to one.host.update: exact rendering, and hostile values
 * refused by the whitelists however they got here. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "one-template.h"

static void test_render(void **state) {
        struct template_update u = {
                .pci_filter = "10de:26b9,15b3:101b",
                .pci_short_address = "09:00.0,0001:0a:00.0",
                .succeeded = true,
                .reported_at = 1700000000,
                .agent_version = "0.1.0",
        };
        char *xml = NULL;

        assert_int_equal(template_render(&u, &xml), 0);
        assert_string_equal(xml, "<TEMPLATE><PCI_FILTER>10de:26b9,15b3:101b</PCI_FILTER>"
                                 "<PCI_SHORT_ADDRESS>09:00.0,0001:0a:00.0</PCI_SHORT_ADDRESS>"
                                 "<ONEPCI_STATUS>SUCCEEDED</ONEPCI_STATUS>"
                                 "<ONEPCI_REPORTED_AT>2023-11-14T22:13:20Z</ONEPCI_REPORTED_AT>"
                                 "<ONEPCI_AGENT_VERSION>0.1.0</ONEPCI_AGENT_VERSION></TEMPLATE>");
        free(xml);

        struct template_update only_status = {.succeeded = false, .reported_at = 0};
        assert_int_equal(template_render(&only_status, &xml), 0);
        assert_string_equal(xml, "<TEMPLATE><ONEPCI_STATUS>FAILED</ONEPCI_STATUS>"
                                 "<ONEPCI_REPORTED_AT>1970-01-01T00:00:00Z</ONEPCI_REPORTED_AT>"
                                 "</TEMPLATE>");
        free(xml);

        struct template_update pending = {
                .succeeded = true, .reported_at = 0, .forceupdate = "PENDING"};
        assert_int_equal(template_render(&pending, &xml), 0);
        assert_non_null(strstr(xml, "<ONEPCI_FORCEUPDATE>PENDING</ONEPCI_FORCEUPDATE>"));
        free(xml);
        pending.forceupdate = "SOON";
        assert_int_equal(template_render(&pending, &xml), -EINVAL);
        assert_int_equal(template_render_forceupdate_done(&xml), 0);
        assert_string_equal(xml, "<TEMPLATE><ONEPCI_FORCEUPDATE>DONE</ONEPCI_FORCEUPDATE>"
                                 "</TEMPLATE>");
        free(xml);

        assert_int_equal(template_render_deny_all(&xml), 0);
        assert_string_equal(xml, "<TEMPLATE><PCI_FILTER>0:0</PCI_FILTER></TEMPLATE>");
        free(xml);
}

static void test_hostile_refused(void **state) {
        static const char *const bad_filters[] = {
                "",
                ",10de:2204",
                "10de:2204,",
                "a,,b",
                "10de:26b9]]>",
                "10de:26b9\"",
                "10de:26b9\n",
                "10DE:26b9",
                "10de",
                "10de:26b9:0302:1",
                "10de:26b90",
                "<x>",
                "10de:26b9&amp;",
                "10de:26b9 ",
                " 10de:26b9",
                "10de::0302",
        };
        static const char *const bad_shorts[] = {
                "",
                ",09:00.0",
                "09:00.0,",
                "09:00.8",
                "9:00.0",
                "0000:09:00.0x",
                "09:00.0]]>",
                "09:00.0\"",
                "09:00.0,,0a:00.0",
                "00000:09:00.0",
                "09:00",
        };
        char *xml = NULL;

        for (size_t i = 0; i < sizeof(bad_filters) / sizeof(*bad_filters); i++) {
                struct template_update u = {.pci_filter = bad_filters[i]};
                if (template_render(&u, &xml) != -EINVAL)
                        fail_msg("filter accepted: \"%s\"", bad_filters[i]);
                assert_false(template_filter_valid(bad_filters[i]));
        }
        for (size_t i = 0; i < sizeof(bad_shorts) / sizeof(*bad_shorts); i++) {
                struct template_update u = {.pci_filter = "0:0",
                                            .pci_short_address = bad_shorts[i]};
                if (template_render(&u, &xml) != -EINVAL)
                        fail_msg("short address accepted: \"%s\"", bad_shorts[i]);
        }
        struct template_update v = {.agent_version = "1<2"};
        assert_int_equal(template_render(&v, &xml), -EINVAL);

        assert_true(template_filter_valid("0:0"));
        assert_true(template_filter_valid("*:*"));
        assert_true(template_filter_valid("10de:*:0302"));
        assert_true(template_short_address_valid("09:00.0"));
        assert_true(template_short_address_valid("0001:09:00.7"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_render),
                cmocka_unit_test(test_hostile_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
