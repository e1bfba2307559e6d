/* SPDX-License-Identifier: Apache-2.0 */
/* Where oned is and which session to use, as OpenNebula's tools find them;
 * and the answer when oned cannot be reached. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* A one-connection-at-a-time oned on loopback: refuses the session
 * "oneadmin:wrong" as oned does (0x100), answers one.system.version for any
 * other.  Before it refuses the first time it plays the other thread: the
 * ONE_AUTH file is corrected and the client reads it again, so the calling
 * thread's own re-read finds nothing new. */
struct racing_oned {
        int fd;
        struct one_client *client;
        unsigned refused, answered;
};

static void answer(int fd, const char *value_xml) {
        char body[512], head[160];
        int n = snprintf(body, sizeof body,
                         "<?xml version=\"1.0\"?><methodResponse><params><param><value><array>"
                         "<data>%s</data></array></value></param></params></methodResponse>",
                         value_xml);
        int h = snprintf(head, sizeof head,
                         "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: %d\r\n"
                         "Connection: close\r\n\r\n",
                         n);
        assert_int_equal(write(fd, head, (size_t)h), h);
        assert_int_equal(write(fd, body, (size_t)n), n);
}

static void *racing_oned_serve(void *userdata) {
        struct racing_oned *o = userdata;

        for (unsigned i = 0; i < 2; i++) {
                char req[4096] = "";
                size_t len = 0;
                int fd = accept(o->fd, NULL, NULL);
                if (fd < 0)
                        return NULL;
                /* Headers, then the body (Content-Length) is all that is read. */
                for (;;) {
                        ssize_t k = read(fd, req + len, sizeof req - 1 - len);
                        if (k <= 0)
                                break;
                        len += (size_t)k;
                        req[len] = '\0';
                        char *end = strstr(req, "\r\n\r\n"), *cl = strcasestr(req, "Content-Length:");
                        if (end && cl && strlen(end + 4) >= strtoul(cl + 15, NULL, 10))
                                break;
                }
                if (strstr(req, "oneadmin:wrong")) {
                        put(home, "one_auth", "oneadmin:right\n");
                        assert_int_equal(one_client_reload_session(o->client), 1);
                        answer(fd, "<value><boolean>0</boolean></value><value><string>[one.system."
                                   "version] User couldn't be authenticated, aborting call."
                                   "</string></value><value><i4>256</i4></value>");
                        o->refused++;
                } else {
                        answer(fd, "<value><boolean>1</boolean></value><value><string>7.4.1"
                                   "</string></value><value><i4>0</i4></value>");
                        o->answered++;
                }
                close(fd);
        }
        return NULL;
}

/* A call refused with a session another thread has since replaced is made
 * again with the new one: "changed by my own re-read" is not the test. */
static void test_session_replaced_by_another_thread(void **state) {
        struct racing_oned o = {0};
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof a;
        struct one_error err = {0};
        pthread_t t;
        char url[64], *v = NULL;

        put(home, "one_auth", "oneadmin:wrong\n");
        o.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(o.fd >= 0);
        assert_int_equal(bind(o.fd, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(listen(o.fd, 4), 0);
        assert_int_equal(getsockname(o.fd, (struct sockaddr *)&a, &alen), 0);
        snprintf(url, sizeof url, "http://127.0.0.1:%u/RPC2", ntohs(a.sin_port));

        assert_int_equal(one_client_global_init(), 0);
        assert_int_equal(one_client_new(url, "oneadmin:wrong", 1, 5000, &o.client), 0);
        assert_int_equal(one_client_set_session_source(o.client, NULL, home, oneadmin), 0);
        assert_int_equal(pthread_create(&t, NULL, racing_oned_serve, &o), 0);

        assert_int_equal(one_system_version(o.client, &v, &err), 0);
        assert_string_equal(v, "7.4.1");
        assert_int_equal(o.refused, 1);
        assert_int_equal(o.answered, 1);

        shutdown(o.fd, SHUT_RDWR);
        pthread_join(t, NULL);
        close(o.fd);
        free(v);
        one_client_free(o.client);
        one_client_global_done();
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_endpoint_order),
                cmocka_unit_test(test_session_order),
                cmocka_unit_test(test_unreachable),
                cmocka_unit_test(test_endpoint_shown_masked),
                cmocka_unit_test(test_session_replaced_by_another_thread),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
