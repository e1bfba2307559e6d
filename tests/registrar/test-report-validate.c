/* SPDX-License-Identifier: Apache-2.0 */
/* Strict report validation: a good report parses; every field's limits and
 * hostile values are refused with a reason naming the field. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "report-validate.h"

#define DEV(addr)                                                                                  \
        "{\"address\":\"" addr "\",\"vendor\":\"10de\",\"device\":\"26b9\",\"class\":\"030200\","  \
        "\"driver\":\"vfio-pci\",\"iommu_group\":14,\"numa_node\":0}"

#define GOOD                                                                                       \
        "{\"schema\":1,\"inventory_name\":\"n1\",\"host_name\":\"192.168.122.3\","                 \
        "\"agent_version\":\"0.1.0\",\"outcome\":{\"result\":\"succeeded\",\"errors\":[]},"        \
        "\"devices\":[" DEV("0000:09:00.0") "],"                                                   \
                                            "\"twins\":[{\"address\":\"0000:0a:00.0\",\"vendor\":" \
                                            "\"10de\",\"device\":\"26b9\","                        \
                                            "\"class\":\"030200\",\"driver\":\"nvidia\"}]}"

/* reason: 256 bytes for the message's text. */
static int parse(const char *body, struct pci_report *rep, char *reason) {
        struct error_message err = {};
        int r = report_parse(body, strlen(body), rep, &err);

        snprintf(reason, 256, "%.255s", err.text);
        return r;
}

/* Replaces the first occurrence of from by to in GOOD and expects a rejection
 * whose reason starts with field. */
static void expect_reject(const char *from, const char *to, const char *field) {
        char body[8192], reason[256] = "";
        struct pci_report rep = {};
        const char *at = strstr(GOOD, from);

        assert_non_null(at);
        snprintf(body, sizeof(body), "%.*s%s%s", (int)(at - GOOD), GOOD, to, at + strlen(from));
        if (parse(body, &rep, reason) != -EINVAL)
                fail_msg("accepted: %s", body);
        if (strncmp(reason, field, strlen(field)) != 0)
                fail_msg("reason \"%s\" does not start with \"%s\"", reason, field);
}

static void test_good(void **state) {
        struct pci_report rep = {};
        char reason[256] = "";

        assert_int_equal(parse(GOOD, &rep, reason), 0);
        assert_string_equal(rep.inventory_name, "n1");
        assert_string_equal(rep.host_name, "192.168.122.3");
        assert_true(rep.succeeded);
        assert_int_equal(rep.n_devices, 1);
        assert_string_equal(rep.devices[0].address, "0000:09:00.0");
        assert_string_equal(rep.devices[0].class_code, "030200");
        assert_int_equal(rep.devices[0].iommu_group, 14);
        assert_int_equal(rep.n_twins, 1);
        assert_int_equal(rep.twins[0].iommu_group, -1);
        assert_string_equal(rep.twins[0].driver, "nvidia");
        report_done(&rep);
}

static void test_failed_outcome(void **state) {
        const char *body = "{\"schema\":1,\"inventory_name\":\"n1\",\"host_name\":\"n1\","
                           "\"agent_version\":\"0.1.0\",\"outcome\":{\"result\":\"failed\","
                           "\"errors\":[\"0000:09:00.0: not found\",\"x\"]},\"devices\":[]}";
        struct pci_report rep = {};
        char reason[256];

        assert_int_equal(parse(body, &rep, reason), 0);
        assert_false(rep.succeeded);
        assert_int_equal(rep.n_errors, 2);
        assert_string_equal(rep.errors[1], "x");
        assert_null(rep.errors[2]);
        assert_int_equal(rep.n_twins, 0);
        report_done(&rep);
}

static void test_fields(void **state) {
        expect_reject("\"schema\":1", "\"schema\":2", "schema");
        expect_reject("\"schema\":1", "\"schema\":\"1\"", "schema");
        expect_reject("\"inventory_name\":\"n1\"", "\"inventory_name\":\"\"", "inventory_name");
        expect_reject("\"inventory_name\":\"n1\"", "\"inventory_name\":\"n1\\\"x\"",
                      "inventory_name");
        expect_reject("\"inventory_name\":\"n1\"", "\"inventory_name\":\"-n1\"", "inventory_name");
        expect_reject("\"host_name\":\"192.168.122.3\"", "\"host_name\":\"\"", "host_name");
        expect_reject("\"host_name\":\"192.168.122.3\"", "\"host_name\":\"a b\"", "host_name");
        expect_reject("\"host_name\":\"192.168.122.3\"", "\"host_name\":\"h]]>\"", "host_name");
        expect_reject("\"host_name\":\"192.168.122.3\"", "\"host_name\":\"h\\n\"", "host_name");
        expect_reject("\"host_name\":\"192.168.122.3\"", "\"host_name\":5", "host_name");
        expect_reject("\"agent_version\":\"0.1.0\"", "\"agent_version\":\"0.1 0\"",
                      "agent_version");
        expect_reject("\"result\":\"succeeded\"", "\"result\":\"ok\"", "outcome.result");
        expect_reject("\"errors\":[]", "\"errors\":[\"a\\nb\"]", "outcome.errors[0]");
        expect_reject("\"errors\":[]", "\"errors\":[1]", "outcome.errors[0]");
        expect_reject("\"errors\":[]", "\"errors\":\"x\"", "outcome.errors");
        expect_reject("\"address\":\"0000:09:00.0\"", "\"address\":\"09:00.0\"",
                      "devices[0].address");
        expect_reject("\"address\":\"0000:09:00.0\"", "\"address\":\"0000:09:00.8\"",
                      "devices[0].address");
        expect_reject("\"address\":\"0000:09:00.0\"", "\"address\":\"0000:09:20.0\"",
                      "devices[0].address");
        expect_reject("\"address\":\"0000:09:00.0\"", "\"address\":\"0000:0A:00.0\"",
                      "devices[0].address");
        expect_reject("\"vendor\":\"10de\"", "\"vendor\":\"10DE\"", "devices[0].vendor");
        expect_reject("\"vendor\":\"10de\"", "\"vendor\":\"\"", "devices[0].vendor");
        expect_reject("\"vendor\":\"10de\"", "\"vendor\":\"10de0\"", "devices[0].vendor");
        expect_reject("\"vendor\":\"10de\"", "\"vendor\":\"*\"", "devices[0].vendor");
        expect_reject("\"device\":\"26b9\"", "\"device\":\"26b9,\"", "devices[0].device");
        expect_reject("\"device\":\"26b9\"", "\"device\":\"26b]\"", "devices[0].device");
        expect_reject("\"class\":\"030200\"", "\"class\":\"0302\"", "devices[0].class");
        expect_reject("\"driver\":\"vfio-pci\"", "\"driver\":\"vfio pci\"", "devices[0].driver");
        expect_reject("\"driver\":\"vfio-pci\"", "\"driver\":\"\\\"\"", "devices[0].driver");
        expect_reject("\"iommu_group\":14", "\"iommu_group\":-2", "devices[0].iommu_group");
        expect_reject("\"iommu_group\":14", "\"iommu_group\":\"14\"", "devices[0].iommu_group");
        expect_reject("\"iommu_group\":14", "\"iommu_group\":1.5", "devices[0].iommu_group");
        expect_reject("\"numa_node\":0", "\"numa_node\":99999999999", "devices[0].numa_node");
        expect_reject(",\"numa_node\":0", "", "devices[0].numa_node: missing");
        expect_reject("\"schema\":1,", "\"schema\":1,\"extra\":1,", "unknown key");
        expect_reject("\"driver\":\"vfio-pci\"", "\"driver\":\"vfio-pci\",\"x]]>\":1",
                      "devices[0].unknown key");
        expect_reject("\"devices\":[", "\"devices\":[" DEV("0000:0a:00.0") ",",
                      "twins[0].address: also listed");
        expect_reject("\"devices\":[", "\"devices\":[" DEV("0000:09:00.0") ",",
                      "devices[1].address: duplicate");
        expect_reject("\"devices\":[" DEV("0000:09:00.0") "]", "\"devices\":{}", "devices");
        expect_reject(",\"devices\":[" DEV("0000:09:00.0") "]", "", "devices: missing");
}

static void test_not_json(void **state) {
        struct pci_report rep = {};
        char reason[256];

        assert_int_equal(parse("", &rep, reason), -EINVAL);
        assert_int_equal(parse("[]", &rep, reason), -EINVAL);
        assert_int_equal(parse("{\"schema\":1", &rep, reason), -EINVAL);
        assert_int_equal(parse(GOOD "x", &rep, reason), -EINVAL);
        assert_int_equal(parse(GOOD "{}", &rep, reason), -EINVAL);
        assert_int_equal(parse(GOOD "\n", &rep, reason), 0);
        report_done(&rep);
        /* NUL inside the body */
        assert_int_equal(report_parse("{\"a\0\":1}", 9, &rep, NULL), -EINVAL);
        /* deep nesting */
        char deep[200];
        memset(deep, '[', sizeof(deep) - 1);
        deep[sizeof(deep) - 1] = '\0';
        assert_int_equal(parse(deep, &rep, reason), -EINVAL);
}

static void test_counts(void **state) {
        struct pci_report rep = {};
        char reason[256];
        static char body[256 * 1024];
        size_t n;

        /* 65 devices: one too many */
        n = (size_t)sprintf(body, "{\"schema\":1,\"inventory_name\":\"n1\",\"host_name\":\"n1\","
                                  "\"agent_version\":\"1\",\"outcome\":{\"result\":\"failed\","
                                  "\"errors\":[]},\"devices\":[");
        for (int i = 0; i < 65; i++)
                n += (size_t)sprintf(body + n,
                                     "%s{\"address\":\"0000:%02x:00.0\",\"vendor\":"
                                     "\"10de\",\"device\":\"26b9\",\"class\":"
                                     "\"030200\",\"driver\":\"\",\"iommu_group\":1,"
                                     "\"numa_node\":0}",
                                     i ? "," : "", i);
        strcpy(body + n, "]}");
        assert_int_equal(parse(body, &rep, reason), -EINVAL);
        assert_string_equal(reason, "devices: more than 64 entries");

        /* 33 errors */
        n = (size_t)sprintf(body, "{\"schema\":1,\"inventory_name\":\"n1\",\"host_name\":\"n1\","
                                  "\"agent_version\":\"1\",\"outcome\":{\"result\":\"failed\","
                                  "\"errors\":[");
        for (int i = 0; i < 33; i++)
                n += (size_t)sprintf(body + n, "%s\"e\"", i ? "," : "");
        strcpy(body + n, "]},\"devices\":[]}");
        assert_int_equal(parse(body, &rep, reason), -EINVAL);
        assert_string_equal(reason, "outcome.errors: more than 32 entries");

        /* a 513-character error */
        n = (size_t)sprintf(body, "{\"schema\":1,\"inventory_name\":\"n1\",\"host_name\":\"n1\","
                                  "\"agent_version\":\"1\",\"outcome\":{\"result\":\"failed\","
                                  "\"errors\":[\"");
        memset(body + n, 'e', 513);
        n += 513;
        strcpy(body + n, "\"]},\"devices\":[]}");
        assert_int_equal(parse(body, &rep, reason), -EINVAL);
        assert_true(strncmp(reason, "outcome.errors[0]: longer than 512", 34) == 0);

        /* too large a body */
        memset(body, ' ', REPORT_BODY_MAX + 1);
        assert_int_equal(report_parse(body, REPORT_BODY_MAX + 1, &rep, NULL), -E2BIG);
}

/* Issue 12 item 8: "\u0000" inside a string would be acted on as the string
 * cut there; anywhere, keys included, it is refused. */
static void test_embedded_nul(void **state) {
        struct pci_report rep = {};
        char reason[256] = "";

        expect_reject("\"192.168.122.3\"", "\"192.168.122.3\\u0000x\"",
                      "host_name: contains a NUL");
        expect_reject("\"n1\"", "\"n1\\u0000\"", "inventory_name: contains a NUL");
        expect_reject("\"0.1.0\"", "\"0.1.0\\u0000-evil\"", "agent_version: contains a NUL");
        expect_reject("\"succeeded\"", "\"succeeded\\u0000\"", "outcome.result: contains a NUL");
        expect_reject("\"0000:09:00.0\"", "\"0000:09:00.0\\u0000x\"",
                      "devices[0].address: contains a NUL");
        expect_reject("\"vfio-pci\"", "\"vfio-pci\\u0000\"", "devices[0].driver: contains a NUL");
        expect_reject("\"nvidia\"", "\"nvidia\\u0000\"", "twins[0].driver: contains a NUL");
        expect_reject("\"errors\":[]", "\"errors\":[\"a\\u0000b\"]", "outcome.errors[0]");
        /* A key cut at its NUL would be a second "host_name". */
        expect_reject("\"host_name\":", "\"host_name\\u0000x\": \"10.0.0.1\", \"host_name\":",
                      "body: a key contains a NUL");
        /* An escaped backslash before "u0000" is text, not a NUL. */
        const char *ok = "{\"schema\":1,\"inventory_name\":\"n1\",\"host_name\":\"n1\","
                         "\"agent_version\":\"1\",\"outcome\":{\"result\":\"failed\","
                         "\"errors\":[\"C:\\\\u0000\"]},\"devices\":[]}";
        assert_int_equal(parse(ok, &rep, reason), 0);
        assert_string_equal(rep.errors[0], "C:\\u0000");
        report_done(&rep);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_good),   cmocka_unit_test(test_failed_outcome),
                cmocka_unit_test(test_fields), cmocka_unit_test(test_not_json),
                cmocka_unit_test(test_counts), cmocka_unit_test(test_embedded_nul),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
