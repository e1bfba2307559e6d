/* SPDX-License-Identifier: Apache-2.0 */
/* Host patterns as Ansible's expand_hostname_range() and parse_address() read them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "inventory-range.h"
#include "macros.h"

struct pattern_case {
        const char *pattern;
        unsigned port;
        const char *names; /* space separated; "" for none */
};

static void test_expand(void **state) {
        static const struct pattern_case cases[] = {
                {"n1", 0, "n1"},
                {"n1:2222", 2222, "n1"},
                {"[a]:22", 22, "a"},
                {"10.0.0.5:22", 22, "10.0.0.5"},
                {"[fe80::1]:2200", 2200, "fe80::1"},
                {"fe80::1", 0, "fe80::1"},
                {"n1:0", 0, "n1"},                   /* "if port:" */
                {"n_1!:22", 0, "n_1!:22"},           /* not an address: kept whole */
                {"n-:22", 0, "n-:22"},
                {"h:x", 0, "h:x"},
                {"n[1:3]", 0, "n1 n2 n3"},
                {"n[08:11].dc", 0, "n08.dc n09.dc n10.dc n11.dc"},
                {"n[1:6:2]", 0, "n1 n3 n5"},
                {"h[:2]", 0, "h0 h1 h2"},
                {"n[5:3]", 0, ""},                   /* range(5, 4): nothing */
                {"n[5:3:-1]", 0, "n5"},               /* range(5, 4, -1) */
                {"gpu-[a:c]", 0, "gpu-a gpu-b gpu-c"},
                {"x[y:B]", 0, "xy xz xA xB"},        /* string.ascii_letters */
                {"x[a:e:2]", 0, "xa xc xe"},
                {"x[a:c:-1]", 0, ""},
                {"n[1:2]-[a:b]", 0, "n1-a n1-b n2-a n2-b"},
                {"n[1:2]:2222", 2222, "n1 n2"},
                {"n[-1:1]", 0, "n-1 n0 n1"},
                {"n[-1:01]", 0, "n-1 n0 n1"},
                {"n[001:003]", 0, "n001 n002 n003"},
        };
        for (size_t i = 0; i < ELEMENTSOF(cases); i++) {
                struct host_pattern hp = {0};
                const char *problem = NULL;
                char got[256] = "";
                int r = host_pattern_expand(cases[i].pattern, 1000, &hp, &problem);
                if (r < 0)
                        fail_msg("%s: %d %s", cases[i].pattern, r, problem);
                for (size_t j = 0; j < hp.n; j++)
                        snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s",
                                 j ? " " : "", hp.names[j]);
                if (!STREQ(got, cases[i].names) || hp.port != cases[i].port)
                        fail_msg("%s: \"%s\" port %u, expected \"%s\" port %u", cases[i].pattern,
                                 got, hp.port, cases[i].names, cases[i].port);
                host_pattern_done(&hp);
        }
}

static void test_refused(void **state) {
        static const struct {
                const char *pattern, *problem;
        } bad[] = {
                {"n[c:a]", "begin <= end"},
                {"n[01:9]", "equal-length"},
                {"n[1-3]", "begin:end"},
                {"n[1:3", "[START:END]"},
                {"n]1:3[", "[START:END]"},
                {"n[a:3]", "numbers or letters"},
                {"n[1:3:0]", "step"},
                {"n[1:]", "end value"},
                {"n[1:2:3:4]", "begin:end"},
                {"n[0:5000]", "too many hosts"},
                {"", "empty"},
        };
        for (size_t i = 0; i < ELEMENTSOF(bad); i++) {
                struct host_pattern hp = {0};
                const char *problem = NULL;
                int r = host_pattern_expand(bad[i].pattern, 1000, &hp, &problem);
                if ((r != -EINVAL && r != -E2BIG) || !problem || !strstr(problem, bad[i].problem))
                        fail_msg("%s: %d %s", bad[i].pattern, r, problem ? problem : "(none)");
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_expand),
                cmocka_unit_test(test_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
