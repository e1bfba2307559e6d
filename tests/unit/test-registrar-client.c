/* SPDX-License-Identifier: Apache-2.0 */
/* The registrar client: retry policy through injected hooks, and the real
 * libcurl transport against a loopback server. */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <stdbool.h>

#include "macros.h"
#include "registrar-client.h"
#include "sign.h"

#define KEY "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
#define BODY "{\"schema\":1,\"inventory_name\":\"n1\"}"
#define WALL 1700000000 /* the node's (fake) wall clock */

/* ------------------------------------------------------------ fake world */

struct canned {
        int rc;            /* transport result: 0 = an answer */
        long status;
        const char *body;
        const char *date;
        const char *retry_after;
        bool tls_failure;
        /* The registrar signs every answer (lib/sign.h); these forge one. */
        bool unsigned_answer;    /* no X-Onepci-Signature */
        bool other_nonce;        /* signed for another request */
        const char *signed_date; /* signed with this Date, sent with .date */
        const char *signed_body; /* signed with this body, sent with .body */
};

struct world {
        int64_t mono_ms;
        int64_t wall_s;
        const struct canned *answers;
        size_t n_answers, next;
        const uint64_t *randoms;
        size_t n_randoms, next_random;
        int64_t sleeps[64];
        size_t n_sleeps;
        char auth[8][SIGN_HEADER_MAX];
        char url[256];
        char method[8];
        char body[256];
        long timeout_ms;
};

static int64_t w_mono(void *u) {
        return ((struct world *)u)->mono_ms;
}

static int64_t w_wall(void *u) {
        struct world *w = u;
        return w->wall_s + w->mono_ms / 1000;
}

static void w_sleep(int64_t ms, void *u) {
        struct world *w = u;
        assert_true(ms >= 0);
        assert_true(w->n_sleeps < ELEMENTSOF(w->sleeps));
        w->sleeps[w->n_sleeps++] = ms;
        w->mono_ms += ms;
}

static uint64_t w_random(void *u) {
        struct world *w = u;
        if (w->n_randoms == 0)
                return 0;
        return w->randoms[w->next_random++ % w->n_randoms];
}

/* Whether libcurl is mapped into this process. */
static bool libcurl_mapped(void) {
        FILE *f = fopen("/proc/self/maps", "re");
        char line[512];
        bool found = false;
        assert_non_null(f);
        while (!found && fgets(line, sizeof line, f))
                found = strstr(line, "/libcurl") != NULL;
        fclose(f);
        return found;
}

static int w_transport(const struct registrar_http_request *req,
                       struct registrar_http_response *resp, void *u) {
        struct world *w = u;
        const struct canned *c;

        assert_true(w->next < w->n_answers);
        c = &w->answers[w->next];
        if (w->next < ELEMENTSOF(w->auth))
                snprintf(w->auth[w->next], sizeof w->auth[0], "%s", req->authorization);
        w->next++;
        snprintf(w->url, sizeof w->url, "%s", req->url);
        snprintf(w->method, sizeof w->method, "%s", req->method);
        snprintf(w->body, sizeof w->body, "%.*s", (int)req->body_len, req->body);
        w->timeout_ms = req->timeout_ms;
        w->mono_ms += 20; /* a request takes a while */
        if (c->rc < 0) {
                resp->tls_failure = c->tls_failure;
                error_set(&resp->error, "Connection refused");
                return c->rc;
        }
        resp->status = c->status;
        resp->body = c->body ? strdup(c->body) : NULL;
        resp->body_len = c->body ? strlen(c->body) : 0;
        snprintf(resp->date, sizeof resp->date, "%s", c->date ? c->date : "");
        snprintf(resp->retry_after, sizeof resp->retry_after, "%s",
                 c->retry_after ? c->retry_after : "");
        if (!c->unsigned_answer) {
                const char *date = c->signed_date ? c->signed_date : resp->date;
                const char *body = c->signed_body ? c->signed_body : c->body ? c->body : "";
                struct sign_header h;

                assert_int_equal(sign_parse_header(req->authorization, &h), 0);
                if (c->other_nonce)
                        assert_int_equal(sign_new_nonce(h.nonce), 0);
                assert_int_equal(sign_response(KEY, (int)c->status, date, h.nonce, body,
                                               strlen(body), resp->signature),
                                 0);
        }
        return 0;
}

static void options(struct registrar_client_options *o, struct world *w) {
        registrar_client_options_init(o);
        o->url = "http://127.0.0.1:8474";
        o->node = "n1";
        o->key_hex = KEY;
        o->deadline_ms = 300 * 1000;
        o->clock_offset_s = 0;
        o->hooks = (struct registrar_client_hooks){ .monotonic_ms = w_mono, .wall_s = w_wall,
                                            .sleep_ms = w_sleep, .random_u64 = w_random,
                                            .transport = w_transport, .userdata = w };
        w->wall_s = WALL;
}

/* The header verifies with the key, for this node, method and path. */
static int64_t check_signature(const char *authz, const char *path, const char *body) {
        struct sign_header h;
        assert_int_equal(sign_parse_header(authz, &h), 0);
        assert_string_equal(h.node, "n1");
        assert_int_equal(sign_verify(&h, KEY, "PUT", path, body, strlen(body)), 0);
        return h.ts;
}

/* ------------------------------------------------------------ retry policy */

static void test_success_first_try(void **state) {
        const struct canned a[] = { { .status = 200, .body = "{\"host_id\":3}" } };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a) };
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        o.url = "http://127.0.0.1:8474/";
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), 0);
        assert_int_equal(res.attempts, 1);
        assert_int_equal(res.status, 200);
        assert_string_equal(res.body, "{\"host_id\":3}");
        assert_string_equal(res.error.text, "");
        assert_string_equal(w.url, "http://127.0.0.1:8474/v1/hosts/n1/pci");
        assert_string_equal(w.method, "PUT");
        assert_string_equal(w.body, BODY);
        assert_int_equal(check_signature(w.auth[0], "/v1/hosts/n1/pci", BODY), WALL);
        assert_int_equal(w.n_sleeps, 0);
        assert_int_equal(w.timeout_ms, REGISTRAR_CLIENT_REQUEST_TIMEOUT_MS);
        registrar_client_result_clear(&res);
}

/* Capped exponential backoff with full jitter: delay = random % (window + 1). */
static void test_backoff_schedule(void **state) {
        const struct canned a[] = { { .status = 503 }, { .status = 502 }, { .rc = -EIO },
                                    { .status = 429 }, { .status = 200 } };
        const uint64_t r[] = { 1000, 5000, 123456, 3 };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a), .randoms = r,
                           .n_randoms = ELEMENTSOF(r) };
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), 0);
        assert_int_equal(res.attempts, 5);
        assert_int_equal(w.n_sleeps, 4);
        assert_int_equal(w.sleeps[0], 1000 % 1001);
        assert_int_equal(w.sleeps[1], 5000 % 2001);
        assert_int_equal(w.sleeps[2], 123456 % 4001);
        assert_int_equal(w.sleeps[3], 3 % 8001);
        /* Every attempt is freshly signed (a new nonce). */
        assert_string_not_equal(w.auth[0], w.auth[1]);
        registrar_client_result_clear(&res);
}

static void test_backoff_function(void **state) {
        assert_int_equal(registrar_client_backoff_ms(1, UINT64_MAX, -1), UINT64_MAX % 1001);
        assert_int_equal(registrar_client_backoff_ms(3, 4000, -1), 4000);
        assert_int_equal(registrar_client_backoff_ms(3, 4001, -1), 0);
        /* Capped at 60 s however many attempts. */
        assert_int_equal(registrar_client_backoff_ms(10, 60000, -1), 60000);
        assert_int_equal(registrar_client_backoff_ms(200, 60001, -1), 0);
        /* Retry-After is a floor. */
        assert_int_equal(registrar_client_backoff_ms(1, 0, 7000), 7000);
        assert_int_equal(registrar_client_backoff_ms(4, 7999, 5000), 7999);
}

static void test_retry_after(void **state) {
        const struct canned a[] = {
                { .status = 503, .retry_after = "7", .body = "{\"error\":\"oned_unavailable\"}" },
                { .status = 409, .retry_after = "Tue, 14 Nov 2023 22:14:00 GMT" },
                { .status = 200 },
        };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a) };
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        /* WALL = 2023-11-14 22:13:20 GMT. */
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), 0);
        assert_int_equal(w.n_sleeps, 2);
        assert_int_equal(w.sleeps[0], 7000);
        /* 40 s after WALL, minus the 7 s slept: the fake wall clock moved. */
        assert_int_equal(w.sleeps[1], (40 - 7) * 1000);
        registrar_client_result_clear(&res);
}

static void test_parse_retry_after(void **state) {
        assert_int_equal(registrar_client_parse_retry_after("120", WALL), 120000);
        assert_int_equal(registrar_client_parse_retry_after("0", WALL), 0);
        assert_int_equal(registrar_client_parse_retry_after("", WALL), -1);
        assert_int_equal(registrar_client_parse_retry_after(NULL, WALL), -1);
        assert_int_equal(registrar_client_parse_retry_after("12s", WALL), -1);
        assert_int_equal(registrar_client_parse_retry_after("-5", WALL), -1);
        assert_int_equal(registrar_client_parse_retry_after("soon", WALL), -1);
        assert_int_equal(registrar_client_parse_retry_after("Tue, 14 Nov 2023 22:13:30 GMT", WALL),
                         10000);
        assert_int_equal(registrar_client_parse_retry_after("Tue, 14 Nov 2023 22:00:00 GMT", WALL),
                         0);
        /* A year is cut to a week. */
        assert_int_equal(registrar_client_parse_retry_after("31536000", WALL),
                         7 * 24 * 3600 * 1000LL);
}

static void stops_at_once(long status, const char *body, int expect, const char *in_message) {
        const struct canned a[] = { { .status = status, .body = body }, { .status = 200 } };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a) };
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), expect);
        assert_int_equal(res.attempts, 1);
        assert_int_equal(res.status, status);
        assert_int_equal(w.n_sleeps, 0);
        assert_non_null(strstr(res.error.text, in_message));
        registrar_client_result_clear(&res);
}

static void test_no_retry(void **state) {
        stops_at_once(400, "{\"error\":\"invalid_report\",\"reason\":\"devices[0].vendor: "
                           "not 4 hex digits\"}", -EINVAL, "devices[0].vendor");
        stops_at_once(401, "{\"error\":\"bad_signature\"}", -EACCES, "bad_signature");
        stops_at_once(401, "{\"error\":\"replay\"}", -EACCES, "replay");
        stops_at_once(403, "{\"error\":\"wrong_node\",\"reason\":\"n1 cannot sign for n2\"}",
                      -EPERM, "n1 cannot sign for n2");
        /* 404: the registrar has nothing for this node (fetch-inventory's case). */
        stops_at_once(404, "not json", -ENOENT, "404");
        stops_at_once(405, "not json", -EPROTO, "405");
        /* clock_skew without a usable Date cannot be recovered. */
        stops_at_once(401, "{\"error\":\"clock_skew\"}", -EACCES, "clock_skew");
}

static void test_tls_failure_not_retried(void **state) {
        const struct canned a[] = { { .rc = -EIO, .tls_failure = true }, { .status = 200 } };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a) };
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        o.url = "https://registrar.example:8474";
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -EPROTO);
        assert_int_equal(res.attempts, 1);
        assert_non_null(strstr(res.error.text, "TLS"));
        registrar_client_result_clear(&res);
}

static void test_deadline(void **state) {
        struct canned a[40];
        const uint64_t r[] = { UINT64_MAX };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a), .randoms = r,
                           .n_randoms = 1 };
        struct registrar_client_options o;
        struct registrar_client_result res;
        int64_t slept = 0;

        for (size_t i = 0; i < ELEMENTSOF(a); i++)
                a[i] = (struct canned){ .status = 503 };
        options(&o, &w);
        o.deadline_ms = 30 * 1000;
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -ETIMEDOUT);
        assert_true(res.attempts > 2);
        for (size_t i = 0; i < w.n_sleeps; i++)
                slept += w.sleeps[i];
        assert_true(slept <= 30 * 1000);
        assert_true(w.mono_ms >= 30 * 1000);
        assert_non_null(strstr(res.error.text, "gave up"));
        assert_non_null(strstr(res.error.text, "503"));
        registrar_client_result_clear(&res);
}

static void test_retry_after_beyond_deadline(void **state) {
        const struct canned a[] = { { .status = 503, .retry_after = "600" }, { .status = 200 } };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a) };
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        o.deadline_ms = 60 * 1000;
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -ETIMEDOUT);
        assert_int_equal(res.attempts, 1);
        assert_int_equal(w.n_sleeps, 0);
        registrar_client_result_clear(&res);
}

static void test_zero_deadline_tries_once(void **state) {
        const struct canned a[] = { { .rc = -EIO }, { .status = 200 } };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a) };
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        o.deadline_ms = 0;
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -ETIMEDOUT);
        assert_int_equal(res.attempts, 1);
        assert_int_equal(res.status, 0);
        assert_non_null(strstr(res.error.text, "cannot reach"));
        registrar_client_result_clear(&res);
}

static void test_clock_skew_recovered_once(void **state) {
        /* The node's clock is 3 hours behind the registrar's. */
        const struct canned a[] = {
                { .status = 401, .body = "{\"error\":\"clock_skew\"}",
                  .date = "Wed, 15 Nov 2023 01:13:20 GMT" },
                { .status = 200 },
        };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a) };
        struct registrar_client_options o;
        struct registrar_client_result res;
        int64_t ts;

        options(&o, &w);
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), 0);
        assert_int_equal(res.attempts, 2);
        assert_int_equal(w.n_sleeps, 0);
        assert_int_equal(check_signature(w.auth[0], "/v1/hosts/n1/pci", BODY), WALL);
        ts = check_signature(w.auth[1], "/v1/hosts/n1/pci", BODY);
        assert_int_equal(ts, WALL + 3 * 3600);
        assert_int_equal(res.clock_offset_s, 3 * 3600);
        registrar_client_result_clear(&res);
}

static void test_clock_skew_twice_fails(void **state) {
        const struct canned a[] = {
                { .status = 401, .body = "{\"error\":\"clock_skew\"}",
                  .date = "Wed, 15 Nov 2023 01:13:20 GMT" },
                { .status = 401, .body = "{\"error\":\"clock_skew\"}",
                  .date = "Wed, 15 Nov 2023 05:13:20 GMT" },
                { .status = 200 },
        };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a) };
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -EACCES);
        assert_int_equal(res.attempts, 2);
        registrar_client_result_clear(&res);
}

static void test_clock_offset_hook(void **state) {
        const struct canned a[] = { { .status = 200 } };
        struct world w = { .answers = a, .n_answers = ELEMENTSOF(a) };
        struct registrar_client_options o;
        struct registrar_client_result res;

        assert_int_equal(setenv(REGISTRAR_CLIENT_CLOCK_OFFSET_ENV, "-7200", 1), 0);
        registrar_client_options_init(&o);
        assert_int_equal(o.clock_offset_s, -7200);
        assert_int_equal(o.deadline_ms, REGISTRAR_CLIENT_DEFAULT_DEADLINE_MS);
        assert_int_equal(setenv(REGISTRAR_CLIENT_CLOCK_OFFSET_ENV, "12h", 1), 0);
        registrar_client_options_init(&o);
        assert_int_equal(o.clock_offset_s, 0);
        unsetenv(REGISTRAR_CLIENT_CLOCK_OFFSET_ENV);

        options(&o, &w);
        o.clock_offset_s = -7200;
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), 0);
        assert_int_equal(check_signature(w.auth[0], "/v1/hosts/n1/pci", BODY), WALL - 7200);
        registrar_client_result_clear(&res);
}

static void test_bad_options(void **state) {
        struct world w = { 0 };
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        o.node = "../etc";
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -EINVAL);
        options(&o, &w);
        o.key_hex = "abc";
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -EINVAL);
        options(&o, &w);
        o.url = "http://host/prefix";
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -EINVAL);
        assert_non_null(strstr(res.error.text, "prefix"));
        assert_int_equal(w.next, 0);
        registrar_client_result_clear(&res);
}

/* ------------------------------------------------------------ signed answers */

/* A forged answer is not used: it counts as no answer (retried), and the
 * signed answer after it is the one the caller gets. */
static void forged_then_signed(const struct canned *forged, bool fetch, const char *in_message) {
        const struct canned a[] = {*forged, {.status = 200, .body = "{\"host_id\":3}"}};
        const uint64_t r[] = {1500};
        struct world w = {.answers = a, .n_answers = ELEMENTSOF(a), .randoms = r, .n_randoms = 1};
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        if (fetch)
                assert_int_equal(registrar_client_fetch_inventory(&o, &res), 0);
        else
                assert_int_equal(registrar_client_send_report(&o, BODY, &res), 0);
        assert_int_equal(res.attempts, 2);
        assert_int_equal(w.n_sleeps, 1); /* the back-off of a failed connection */
        assert_int_equal(w.sleeps[0], 1500 % 1001);
        assert_string_equal(res.body, "{\"host_id\":3}");
        registrar_client_result_clear(&res);

        /* With no time left, the forged answer is the failure, named so. */
        w = (struct world){.answers = a, .n_answers = ELEMENTSOF(a)};
        options(&o, &w);
        o.deadline_ms = 0;
        if (fetch)
                assert_int_equal(registrar_client_fetch_inventory(&o, &res), -ETIMEDOUT);
        else
                assert_int_equal(registrar_client_send_report(&o, BODY, &res), -ETIMEDOUT);
        assert_int_equal(res.attempts, 1);
        assert_int_equal(res.status, 0);
        assert_null(res.body);
        assert_non_null(strstr(res.error.text, in_message));
        assert_non_null(strstr(res.error.text, "not used"));
        registrar_client_result_clear(&res);
}

static void test_unsigned_answer_not_used(void **state) {
        const struct canned c = {
                .status = 200, .body = "{\"host_id\":666}", .unsigned_answer = true};
        forged_then_signed(&c, false, "unsigned (no X-Onepci-Signature");
        /* Nor a refusal: an unsigned 400 does not end the registration. */
        const struct canned d = {
                .status = 400, .body = "{\"error\":\"invalid_report\"}", .unsigned_answer = true};
        forged_then_signed(&d, false, "unsigned");
}

static void test_answer_for_another_nonce_not_used(void **state) {
        /* A genuine answer to another request, replayed. */
        const struct canned c = {.status = 200, .body = "{\"host_id\":666}", .other_nonce = true};
        forged_then_signed(&c, false, "badly signed");
}

static void test_tampered_body_not_used(void **state) {
        const struct canned c = {.status = 200,
                                 .body = "hosts:\n  n1:\n    onepci_vfio_mode: \"0666\"\n",
                                 .signed_body = "hosts:\n  n1: {}\n"};
        forged_then_signed(&c, true, "badly signed");
}

/* An on-path host answers clock_skew with a Date far in the future, unsigned
 * or signed for another Date: the agent must not sign again with that time. */
static void test_forged_clock_skew_date_not_used(void **state) {
        const char *future = "Fri, 14 Nov 2025 22:13:20 GMT";
        const struct canned forged[] = {
                {.status = 401,
                 .body = "{\"error\":\"clock_skew\"}",
                 .date = future,
                 .unsigned_answer = true},
                {.status = 401,
                 .body = "{\"error\":\"clock_skew\"}",
                 .date = future,
                 .signed_date = "Tue, 14 Nov 2023 22:13:20 GMT"},
        };

        for (size_t i = 0; i < ELEMENTSOF(forged); i++) {
                const struct canned a[] = {forged[i], {.status = 200}};
                const uint64_t r[] = {0};
                struct world w = {
                        .answers = a, .n_answers = ELEMENTSOF(a), .randoms = r, .n_randoms = 1};
                struct registrar_client_options o;
                struct registrar_client_result res;

                options(&o, &w);
                assert_int_equal(registrar_client_send_report(&o, BODY, &res), 0);
                assert_int_equal(res.attempts, 2);
                assert_int_equal(res.clock_offset_s, 0);
                /* Signed again with the node's own clock, not the forged one. */
                int64_t ts = check_signature(w.auth[1], "/v1/hosts/n1/pci", BODY);
                assert_true(ts >= WALL && ts < WALL + 60);
                registrar_client_result_clear(&res);
        }
}

/* The registrar's "error" and "reason" reach the terminal and the journal
 * escaped (issue 12 item 12). */
static void test_registrar_text_escaped(void **state) {
        stops_at_once(400,
                      "{\"error\":\"bad\\u001b]0;t\\u0007\",\"reason\":\"x\\u001b[2J\\n"
                      "onepci-agent: registration: done\\r\"}",
                      -EINVAL, "x\\x1b[2J\\nonepci-agent: registration: done\\r");
        stops_at_once(403, "{\"error\":\"wrong_node\\u009b\"}", -EPERM, "wrong_node\\xc2\\x9b");

        const struct canned a[] = {
                {.status = 400, .body = "{\"reason\":\"\\u001b[31m\\u0000hidden\"}"}};
        struct world w = {.answers = a, .n_answers = 1};
        struct registrar_client_options o;
        struct registrar_client_result res;

        options(&o, &w);
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -EINVAL);
        for (const char *p = res.error.text; *p; p++)
                assert_true((unsigned char)*p >= 0x20 && (unsigned char)*p != 0x7f);
        assert_non_null(strstr(res.error.text, "\\x1b[31m\\x00hidden"));
        registrar_client_result_clear(&res);
}

/* ------------------------------------------------------------ real curl */

/* One answer of the loopback server: status line and headers, then the Date,
 * the signature for the request's nonce, Content-Length and the body. */
struct http_answer {
        int status;
        const char *head; /* "HTTP/1.1 ... \r\n" and any headers, each ending \r\n */
        const char *date;
        const char *body;
};

/* A loopback HTTP server that answers one canned response per connection
 * and keeps what it was sent. */
struct server {
        int fd;
        int port;
        const struct http_answer *responses;
        size_t n;
        char requests[4][4096];
        pthread_t thread;
};

static void *serve(void *arg) {
        struct server *s = arg;

        for (size_t i = 0; i < s->n; i++) {
                int c = accept(s->fd, NULL, NULL);
                size_t len = 0, want = SIZE_MAX;
                char *req = s->requests[i < 4 ? i : 3];

                if (c < 0)
                        return NULL;
                while (len < 4095 && len < want) {
                        ssize_t r = read(c, req + len, 4095 - len);
                        char *end, *cl;
                        if (r <= 0)
                                break;
                        len += (size_t)r;
                        req[len] = '\0';
                        end = strstr(req, "\r\n\r\n");
                        cl = strcasestr(req, "Content-Length:");
                        if (end && cl)
                                want = (size_t)(end + 4 - req) + strtoul(cl + 15, NULL, 10);
                        else if (end)
                                want = (size_t)(end + 4 - req);
                }
                const struct http_answer *a = &s->responses[i];
                const char *auth = strcasestr(req, "Authorization: ");
                char value[SIGN_HEADER_MAX] = "", sig[SIGN_KEY_HEX_LEN + 1] = "";
                _cleanup_free_ char *out = NULL;
                struct sign_header h;

                if (auth) {
                        auth += strlen("Authorization: ");
                        snprintf(value, sizeof value, "%.*s", (int)strcspn(auth, "\r"), auth);
                }
                if (sign_parse_header(value, &h) < 0 ||
                    sign_response(KEY, a->status, a->date, h.nonce, a->body, strlen(a->body), sig) <
                            0)
                        sig[0] = '\0';
                if (asprintf(&out,
                             "%sDate: %s\r\n" SIGN_RESPONSE_HEADER ": %s\r\n"
                             "Content-Length: %zu\r\nConnection: close\r\n\r\n%s",
                             a->head, a->date, sig, strlen(a->body), a->body) < 0 ||
                    write(c, out, strlen(out)) < 0)
                        break;
                close(c);
        }
        return NULL;
}

static void server_start(struct server *s, const struct http_answer *responses, size_t n) {
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof a;

        memset(s, 0, sizeof *s);
        s->responses = responses;
        s->n = n;
        s->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        assert_true(s->fd >= 0);
        assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(listen(s->fd, 8), 0);
        assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &alen), 0);
        s->port = ntohs(a.sin_port);
        assert_int_equal(pthread_create(&s->thread, NULL, serve, s), 0);
}

static void server_stop(struct server *s) {
        pthread_join(s->thread, NULL);
        close(s->fd);
}

static const char *header_in(const char *req, const char *name, char *buf, size_t size) {
        const char *p = strcasestr(req, name), *e;
        if (!p)
                return NULL;
        p += strlen(name);
        while (*p == ' ')
                p++;
        e = strstr(p, "\r\n");
        snprintf(buf, size, "%.*s", (int)(e - p), p);
        return buf;
}

static void test_curl_loopback(void **state) {
        const struct http_answer responses[] = {
                {503,
                 "HTTP/1.1 503 Service Unavailable\r\nRetry-After: 2\r\n"
                 "Content-Type: application/json\r\n",
                 "Tue, 14 Nov 2023 22:13:20 GMT", "{\"error\":\"oned_unavailable\"}"},
                {401, "HTTP/1.1 401 Unauthorized\r\n", "Wed, 15 Nov 2023 01:13:20 GMT",
                 "{\"error\":\"clock_skew\"}"},
                {200, "HTTP/1.1 200 OK\r\n", "Wed, 15 Nov 2023 01:13:22 GMT", "{\"host_id\":3}\n"},
        };
        struct world w = { 0 };
        struct registrar_client_options o;
        struct registrar_client_result res;
        struct server s;
        char url[64], buf[SIGN_HEADER_MAX], *body;

        server_start(&s, responses, ELEMENTSOF(responses));
        options(&o, &w);
        o.hooks.transport = NULL; /* the real curl transport */
        snprintf(url, sizeof url, "http://127.0.0.1:%d", s.port);
        o.url = url;
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), 0);
        server_stop(&s);

        assert_int_equal(res.attempts, 3);
        assert_int_equal(res.status, 200);
        assert_string_equal(res.body, "{\"host_id\":3}\n");
        /* Retry-After: 2 was honoured through curl's header callback. */
        assert_int_equal(w.n_sleeps, 1);
        assert_int_equal(w.sleeps[0], 2000);
        /* The Date header of the 401 set the offset: 3 hours ahead of the node. */
        assert_int_equal(res.clock_offset_s, 3 * 3600 - 2); /* after 2 s asleep */
        for (size_t i = 0; i < 3; i++) {
                assert_memory_equal(s.requests[i], "PUT /v1/hosts/n1/pci HTTP/1.1\r\n", 31);
                assert_non_null(header_in(s.requests[i], "Content-Type:", buf, sizeof buf));
                assert_string_equal(buf, "application/json");
                assert_null(strcasestr(s.requests[i], "Expect:"));
                body = strstr(s.requests[i], "\r\n\r\n");
                assert_non_null(body);
                assert_string_equal(body + 4, BODY);
                assert_non_null(header_in(s.requests[i], "Authorization:", buf, sizeof buf));
                check_signature(buf, "/v1/hosts/n1/pci", BODY);
        }
        registrar_client_result_clear(&res);
}

/* libcurl is loaded when the agent first talks to the registrar, not when
 * the program starts (agent/curl-api.h says why).  Runs first. */
static void test_libcurl_not_loaded_at_start(void **state) {
        assert_false(libcurl_mapped());
}

static void test_curl_connection_refused(void **state) {
        struct sockaddr_in a = { .sin_family = AF_INET,
                                 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
        socklen_t alen = sizeof a;
        const uint64_t r[] = { 1000, 2000, 4000, 8000 }; /* the whole window */
        struct world w = { .randoms = r, .n_randoms = ELEMENTSOF(r) };
        struct registrar_client_options o;
        struct registrar_client_result res;
        char url[64];
        int fd;

        /* A port that was free a moment ago and has no listener. */
        fd = socket(AF_INET, SOCK_STREAM, 0);
        assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
        assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
        close(fd);
        snprintf(url, sizeof url, "http://127.0.0.1:%d", ntohs(a.sin_port));

        options(&o, &w);
        o.hooks.transport = NULL;
        o.url = url;
        o.deadline_ms = 10 * 1000;
        assert_int_equal(registrar_client_send_report(&o, BODY, &res), -ETIMEDOUT);
        /* Slept 1, 2, 4 s, then the rest of the 10 s: five attempts. */
        assert_int_equal(res.attempts, 5);
        assert_int_equal(w.n_sleeps, 4);
        assert_int_equal(w.sleeps[3], 3000);
        assert_int_equal(res.status, 0);
        assert_non_null(strstr(res.error.text, "cannot reach"));
        registrar_client_result_clear(&res);
        assert_true(libcurl_mapped()); /* loaded by the real transport */
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_libcurl_not_loaded_at_start),
                cmocka_unit_test(test_success_first_try),
                cmocka_unit_test(test_backoff_schedule),
                cmocka_unit_test(test_backoff_function),
                cmocka_unit_test(test_retry_after),
                cmocka_unit_test(test_parse_retry_after),
                cmocka_unit_test(test_no_retry),
                cmocka_unit_test(test_tls_failure_not_retried),
                cmocka_unit_test(test_deadline),
                cmocka_unit_test(test_retry_after_beyond_deadline),
                cmocka_unit_test(test_zero_deadline_tries_once),
                cmocka_unit_test(test_clock_skew_recovered_once),
                cmocka_unit_test(test_clock_skew_twice_fails),
                cmocka_unit_test(test_clock_offset_hook),
                cmocka_unit_test(test_bad_options),
                cmocka_unit_test(test_unsigned_answer_not_used),
                cmocka_unit_test(test_answer_for_another_nonce_not_used),
                cmocka_unit_test(test_tampered_body_not_used),
                cmocka_unit_test(test_forged_clock_skew_date_not_used),
                cmocka_unit_test(test_registrar_text_escaped),
                cmocka_unit_test(test_curl_loopback),
                cmocka_unit_test(test_curl_connection_refused),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
