/* SPDX-License-Identifier: Apache-2.0 */
/* What a forced monitoring update owes a host (issue 12 item 4: a host left
 * OFFLINE by a forced update that stopped half way is brought back). */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <cmocka.h>

#include "forceupdate.h"
#include "pool-xml.h"

static struct forceupdate_plan plan_of(int state, const char *mark, const char *restore,
                                       bool filter_changed) {
        struct forceupdate_plan p;

        forceupdate_plan(state, mark, restore, filter_changed, &p);
        return p;
}

static void test_nothing_owed(void **state) {
        struct forceupdate_plan p = plan_of(ONE_HOST_MONITORED, NULL, NULL, false);

        assert_false(p.bring_back);
        assert_false(p.go_offline);
        assert_false(p.write_marks);
        p = plan_of(ONE_HOST_MONITORED, "DONE", "ENABLED", false);
        assert_false(p.bring_back);
}

static void test_filter_changed(void **state) {
        struct forceupdate_plan p = plan_of(ONE_HOST_MONITORED, NULL, NULL, true);

        assert_true(p.go_offline);
        assert_true(p.bring_back);
        assert_true(p.write_marks);
        assert_int_equal(p.back, ONE_STATUS_ENABLED);
        /* A disabled host is brought back DISABLED, and that is recorded. */
        p = plan_of(ONE_HOST_DISABLED, "DONE", "ENABLED", true);
        assert_true(p.go_offline && p.bring_back && p.write_marks);
        assert_int_equal(p.back, ONE_STATUS_DISABLED);
        p = plan_of(ONE_HOST_MONITORING_DISABLED, NULL, NULL, true);
        assert_int_equal(p.back, ONE_STATUS_DISABLED);
        p = plan_of(ONE_HOST_ERROR, NULL, NULL, true);
        assert_int_equal(p.back, ONE_STATUS_ENABLED);
}

static void test_operators_offline_left_alone(void **state) {
        struct forceupdate_plan p = plan_of(ONE_HOST_OFFLINE, NULL, NULL, true);

        assert_false(p.bring_back);
        assert_false(p.go_offline);
        assert_false(p.write_marks);
        p = plan_of(ONE_HOST_OFFLINE, "DONE", "ENABLED", true);
        assert_false(p.bring_back);
        /* PENDING written by a registrar that did not record the state (older
         * versions): nothing tells it was ours. */
        p = plan_of(ONE_HOST_OFFLINE, "PENDING", NULL, false);
        assert_false(p.bring_back);
        p = plan_of(ONE_HOST_OFFLINE, "PENDING", "OFFLINE", false);
        assert_false(p.bring_back);
}

static void test_left_offline_is_brought_back(void **state) {
        struct forceupdate_plan p = plan_of(ONE_HOST_OFFLINE, "PENDING", "ENABLED", false);

        assert_true(p.bring_back);
        assert_false(p.go_offline); /* it is OFFLINE already */
        assert_false(p.write_marks);
        assert_int_equal(p.back, ONE_STATUS_ENABLED);
        p = plan_of(ONE_HOST_OFFLINE, "PENDING", "DISABLED", true);
        assert_true(p.bring_back);
        assert_false(p.go_offline);
        assert_int_equal(p.back, ONE_STATUS_DISABLED);
}

static void test_pending_not_offline(void **state) {
        /* The OFFLINE call itself failed: the whole update is still owed. */
        struct forceupdate_plan p = plan_of(ONE_HOST_MONITORED, "PENDING", "ENABLED", false);

        assert_true(p.go_offline && p.bring_back);
        assert_false(p.write_marks);
        assert_int_equal(p.back, ONE_STATUS_ENABLED);
        /* Disabled by the operator since: that state is restored and recorded first. */
        p = plan_of(ONE_HOST_DISABLED, "PENDING", "ENABLED", false);
        assert_true(p.go_offline && p.bring_back && p.write_marks);
        assert_int_equal(p.back, ONE_STATUS_DISABLED);
        /* No recorded state (older registrars): recorded before going OFFLINE. */
        p = plan_of(ONE_HOST_MONITORED, "PENDING", NULL, false);
        assert_true(p.write_marks);
}

static void test_render(void **state) {
        char *xml = strdup("<TEMPLATE><PCI_FILTER>10de:26b9</PCI_FILTER></TEMPLATE>");

        assert_int_equal(forceupdate_add_restore(&xml, ONE_STATUS_DISABLED), 0);
        assert_string_equal(xml, "<TEMPLATE><PCI_FILTER>10de:26b9</PCI_FILTER>"
                                 "<ONEPCI_FORCEUPDATE_RESTORE>DISABLED"
                                 "</ONEPCI_FORCEUPDATE_RESTORE></TEMPLATE>");
        free(xml);
        xml = strdup("<TEMPLATE><A>1</A>");
        assert_int_equal(forceupdate_add_restore(&xml, ONE_STATUS_ENABLED), -EINVAL);
        free(xml);
        xml = NULL;
        assert_int_equal(forceupdate_add_restore(&xml, ONE_STATUS_ENABLED), -EINVAL);

        assert_int_equal(forceupdate_render_marks(ONE_STATUS_ENABLED, &xml), 0);
        assert_string_equal(xml, "<TEMPLATE><ONEPCI_FORCEUPDATE>PENDING</ONEPCI_FORCEUPDATE>"
                                 "<ONEPCI_FORCEUPDATE_RESTORE>ENABLED"
                                 "</ONEPCI_FORCEUPDATE_RESTORE></TEMPLATE>");
        free(xml);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_nothing_owed),
                cmocka_unit_test(test_filter_changed),
                cmocka_unit_test(test_operators_offline_left_alone),
                cmocka_unit_test(test_left_offline_is_brought_back),
                cmocka_unit_test(test_pending_not_offline),
                cmocka_unit_test(test_render),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
