/* SPDX-License-Identifier: Apache-2.0 */
/* set_name formatting: the cases one-deploy's README and Python agree on. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "macros.h"
#include "name-format.h"
#include "name-rules.h"

static const struct name_args vf = {
        .a0 = {"0000", "03", "02", "1"},
        .a1 = {"0000", "03", "00", "0"},
        .has_pf = true,
        .a2 = "5",
        .a3 = 7,
        .a4 = "pf03",
};
static const struct name_args plain = {
        .a0 = {"0000", "12", "00", "0"},
        .a2 = "",
        .a3 = 3,
};

static void expect(const char *fmt, const struct name_args *a, const char *want) {
        char buf[64], why[160] = "";
        int r = name_format(fmt, a, buf, sizeof(buf), why, sizeof(why));
        if (r < 0)
                fail_msg("%s: %s", fmt, why);
        assert_string_equal(buf, want);
}

static void expect_error(const char *fmt, const struct name_args *a, const char *part) {
        char buf[64], why[160] = "";
        assert_int_equal(name_format(fmt, a, buf, sizeof(buf), why, sizeof(why)), -EINVAL);
        if (!strstr(why, part))
                fail_msg("%s: \"%s\" lacks \"%s\"", fmt, why, part);
}

/* Values as Python 3 prints them: '{…}'.format(a0, a1, a2, a3, a4). */
static void test_python_cases(void **state) {
        expect("pf{1[1]}{1[2]}vf{2}", &vf, "pf0300vf5");
        expect("asd{0[3]}", &plain, "asd0");
        expect("vf{3}", &vf, "vf7");
        expect("vf{3:02d}", &plain, "vf03");
        expect("vf{3:03}", &plain, "vf003");
        expect("n{3:x}", &(struct name_args){.a0 = {"a", "b", "c", "d"}, .a3 = 255}, "nff");
        expect("n{3:>4}", &plain, "n   3");
        expect("n{3:*<3}", &plain, "n3**");
        expect("n{3:+}", &plain, "n+3");
        expect("v{2:0>2}", &vf, "v05");
        expect("v{2:02}", &vf, "v50"); /* Python pads a string on the right with '0' */
        expect("{4}vf{2}", &vf, "pf03vf5");
        expect("{{x}}{0[1]}", &plain, "{x}12");
        expect("p{0[0]:.2}", &plain, "p00");
        expect("c{2:^3}", &vf, "c 5 ");
}

static void test_errors(void **state) {
        expect_error("{1[1]}", &plain, "not a VF");
        expect_error("{4}", &plain, "{4}");
        expect_error("{2:02d}", &vf, "unknown format code 'd'");
        expect_error("{3:s}", &vf, "'s'");
        expect_error("{0{2}}", &vf, "unexpected '{'");
        expect_error("{0}", &vf, "is a list");
        expect_error("{}", &vf, "automatic field");
        expect_error("{9}", &vf, "fields 0 to 4");
        expect_error("{0[4]}", &vf, "[0] to [3]");
        expect_error("a}", &vf, "single '}'");
        expect_error("{0[1]", &vf, "expected '}'");
        expect_error("{2:=5}", &vf, "'=' alignment");
        expect_error("{0!r}", &vf, "conversions");
        char small[4], why[64];
        assert_int_equal(name_format("abcdef", &vf, small, sizeof(small), why, sizeof(why)),
                         -ENAMETOOLONG);
}

static void test_check_and_fields(void **state) {
        char why[128];
        assert_int_equal(name_format_check("pf{1[1]}{1[2]}vf{2}", why, sizeof(why)), 0);
        assert_int_equal(name_format_check("unlist{0[1]}{0{2}}{0[3]}", why, sizeof(why)), -EINVAL);
        assert_non_null(strstr(why, "unexpected '{' in field name"));
        assert_int_equal(name_format_fields("{4}vf{2}"), (1u << 4) | (1u << 2));
        assert_int_equal(name_format_fields("{0[1]}x{3:02d}"), 1u | (1u << 3));
}

static void test_rules(void **state) {
        struct name_rule r[] = { { "0000:0d:00.0", "lan0d", false }, { "0000:09:00.0", "gpu03", true } };
        _cleanup_free_ char *text = NULL;
        assert_int_equal(name_rules_render(r, 2, &text), 0);
        assert_non_null(strstr(text, "# 0000:0d:00.0 <- lan0d\nSUBSYSTEM==\"net\", ACTION==\"add\", "
                                     "SUBSYSTEMS==\"pci\", KERNELS==\"0000:0d:00.0\", NAME=\"lan0d\"\n"));
        assert_non_null(strstr(text, "SUBSYSTEM==\"vfio\", ACTION!=\"remove\", PROGRAM=\"/usr/bin/test "
                                     "/sys/bus/pci/devices/0000:09:00.0/iommu_group -ef "
                                     "/sys/kernel/iommu_groups/%k\", SYMLINK+=\"vfio/by-tag/gpu03\"\n"));
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_python_cases),
                cmocka_unit_test(test_errors),
                cmocka_unit_test(test_check_and_fields),
                cmocka_unit_test(test_rules),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
