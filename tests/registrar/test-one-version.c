/* SPDX-License-Identifier: Apache-2.0 */
/* oned's version strings against the version a feature needs. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include <cmocka.h>

#include "one-version.h"

static void test_versions(void **state) {
        bool ok;

        assert_int_equal(one_version_at_least("7.0.0", 7, 0, &ok), 0);
        assert_true(ok);
        assert_int_equal(one_version_at_least("7.2.0-beta", 7, 0, &ok), 0);
        assert_true(ok);
        assert_int_equal(one_version_at_least("10.0", 7, 0, &ok), 0);
        assert_true(ok);
        assert_int_equal(one_version_at_least("6.10.0", 7, 0, &ok), 0);
        assert_false(ok);
        assert_int_equal(one_version_at_least("6.8.3", 7, 0, &ok), 0);
        assert_false(ok);
        assert_int_equal(one_version_at_least("", 7, 0, &ok), -EINVAL);
        assert_int_equal(one_version_at_least("seven", 7, 0, &ok), -EINVAL);
        assert_int_equal(one_version_at_least("7", 7, 0, &ok), -EINVAL);
        assert_int_equal(one_version_at_least("7.x", 7, 0, &ok), -EINVAL);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_versions),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
