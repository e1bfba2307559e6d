/* SPDX-License-Identifier: Apache-2.0 */
/* Where oned is and which session to use, as OpenNebula's tools find them;
 * and the answer when oned cannot be reached. */

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "one-client.h"

static char home[] = "/tmp/test-one-client-home-XXXXXX";
static char oneadmin[] = "/tmp/test-one-client-oneadmin-XXXXXX";

static void put(const char *base, const char *name, const char *text) {
        char p[300];

        snprintf(p, sizeof(p), "%s/.one", base);
        mkdir(p, 0700);
        snprintf(p, sizeof(p), "%s/.one/%s", base, name);
        assert_int_equal(write_file_atomic(p, text, strlen(text), 0600), 0);
}

static void drop(const char *base, const char *name) {
        char p[300];

        snprintf(p, sizeof(p), "%s/.one/%s", base, name);
        unlink(p);
}

static int setup(void **state) {
        assert_non_null(mkdtemp(home));
        assert_non_null(mkdtemp(oneadmin));
        return 0;
}

static int teardown(void **state) {
        char p[300];

        drop(home, "one_endpoint");
        drop(home, "one_auth");
        drop(oneadmin, "one_endpoint");
        drop(oneadmin, "one_auth");
        snprintf(p, sizeof(p), "%s/.one", home);
        rmdir(p);
        snprintf(p, sizeof(p), "%s/.one", oneadmin);
        rmdir(p);
        rmdir(home);
        rmdir(oneadmin);
        return 0;
}

static void expect_endpoint(const char *env, const char *want) {
        char *e = NULL;

        assert_int_equal(one_resolve_endpoint(env, home, oneadmin, &e), 0);
        assert_string_equal(e, want);
        free(e);
}

static void test_endpoint_order(void **state) {
        expect_endpoint(NULL, "http://localhost:2633/RPC2");
        expect_endpoint("", "http://localhost:2633/RPC2");
        put(oneadmin, "one_endpoint", "http://oneadmin:2633/RPC2\n");
        expect_endpoint(NULL, "http://oneadmin:2633/RPC2");
        put(home, "one_endpoint", "http://home:2633/RPC2  \n# ignored\n");
        expect_endpoint(NULL, "http://home:2633/RPC2");
        expect_endpoint("http://env:2633/RPC2", "http://env:2633/RPC2");
}

static void test_session_order(void **state) {
        char *s = NULL, env_file[300];
        struct error_message reason = {};

        drop(home, "one_auth");
        drop(oneadmin, "one_auth");
        assert_int_equal(one_resolve_session(NULL, home, oneadmin, &s, &reason), -ENOENT);
        assert_non_null(strstr(reason.text, "ONE_AUTH"));
        put(oneadmin, "one_auth", "oneadmin:fromvar\n");
        assert_int_equal(one_resolve_session(NULL, home, oneadmin, &s, &reason), 0);
        assert_string_equal(s, "oneadmin:fromvar");
        free(s);
        put(home, "one_auth", "oneadmin:fromhome\n");
        assert_int_equal(one_resolve_session(NULL, home, oneadmin, &s, &reason), 0);
        assert_string_equal(s, "oneadmin:fromhome");
        free(s);
        snprintf(env_file, sizeof(env_file), "%s/.one/one_auth", oneadmin);
        assert_int_equal(one_resolve_session(env_file, home, oneadmin, &s, &reason), 0);
        assert_string_equal(s, "oneadmin:fromvar");
        free(s);
        /* ONE_AUTH naming a missing file is an error, not a fallback */
        assert_int_equal(one_resolve_session("/nonexistent/auth", home, oneadmin, &s, &reason),
                         -ENOENT);
        assert_non_null(strstr(reason.text, "/nonexistent/auth"));
}

static void test_unreachable(void **state) {
        struct one_client *c = NULL;
        struct one_error err;
        char *v = NULL;

        assert_int_equal(one_client_global_init(), 0);
        /* Port 1 on loopback: nothing listens there. */
        assert_int_equal(one_client_new("http://127.0.0.1:1/RPC2", "oneadmin:x", 2, 2000, &c), 0);
        assert_int_equal(one_system_version(c, &v, &err), -EHOSTDOWN);
        assert_int_equal(err.code, 0);
        assert_non_null(strstr(err.message, "one.system.version"));
        /* the session never shows up in a message */
        assert_null(strstr(err.message, "oneadmin:x"));
        one_client_free(c);
        one_client_global_done();
}

/* Logs show the endpoint with its user:password masked; calls use it whole. */
static void test_endpoint_shown_masked(void **state) {
        struct one_client *c = NULL;

        assert_int_equal(one_client_new("http://oneadmin:pw@127.0.0.1:1/RPC2", "oneadmin:x", 1,
                                        1000, &c),
                         0);
        assert_string_equal(one_client_endpoint_shown(c), "http://***@127.0.0.1:1/RPC2");
        assert_string_equal(one_client_endpoint(c), "http://oneadmin:pw@127.0.0.1:1/RPC2");
        one_client_free(c);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_endpoint_order),
                cmocka_unit_test(test_session_order),
                cmocka_unit_test(test_unreachable),
                cmocka_unit_test(test_endpoint_shown_masked),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
