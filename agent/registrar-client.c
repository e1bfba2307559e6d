/* SPDX-License-Identifier: Apache-2.0 */
#include "registrar-client.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "cleanup-json.h"
#include "clock.h"
#include "curl-transport.h"
#include "escape.h"
#include "macros.h"
#include "node-key.h"
#include "registrar-url.h"
#include "sign.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

#define RETRY_AFTER_MAX_S (7 * 24 * 3600)

/* ------------------------------------------------------------ default hooks */

static int64_t real_monotonic_ms(void *userdata) {
        return monotonic_ms();
}

static int64_t real_wall_s(void *userdata) {
        return (int64_t)time(NULL);
}

static void real_sleep_ms(int64_t ms, void *userdata) {
        struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
        if (ms <= 0)
                return;
        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static uint64_t real_random_u64(void *userdata) {
        uint64_t v;
        if (getrandom(&v, sizeof v, 0) != (ssize_t)sizeof v)
                v = (uint64_t)time(NULL) * 6364136223846793005ULL ^ (uint64_t)getpid();
        return v;
}

/* ------------------------------------------------------------ retry policy */

void registrar_client_options_init(struct registrar_client_options *o) {
        const char *skew = getenv(REGISTRAR_CLIENT_CLOCK_OFFSET_ENV);

        *o = (struct registrar_client_options){
                .deadline_ms = REGISTRAR_CLIENT_DEFAULT_DEADLINE_MS,
        };
        if (skew && *skew) {
                char *end;
                long long v;
                errno = 0;
                v = strtoll(skew, &end, 10);
                if (errno == 0 && *end == '\0' && v > -INT32_MAX && v < INT32_MAX)
                        o->clock_offset_s = v;
        }
}

int64_t registrar_client_backoff_ms(unsigned attempt, uint64_t random, int64_t retry_after_ms) {
        int64_t ceiling = REGISTRAR_CLIENT_BACKOFF_CAP_MS, delay;

        if (attempt >= 1 && attempt <= 16) {
                int64_t exp = (int64_t)REGISTRAR_CLIENT_BACKOFF_BASE_MS << (attempt - 1);
                if (exp < ceiling)
                        ceiling = exp;
        }
        delay = (int64_t)(random % (uint64_t)(ceiling + 1));
        return delay < retry_after_ms ? retry_after_ms : delay;
}

int64_t registrar_client_parse_retry_after(const char *value, int64_t now_s) {
        time_t t;

        if (!value || !*value)
                return -1;
        if (isdigit((unsigned char)value[0])) {
                char *end;
                long long s;
                errno = 0;
                s = strtoll(value, &end, 10);
                if (errno || *end != '\0' || s < 0)
                        return -1;
                if (s > RETRY_AFTER_MAX_S)
                        s = RETRY_AFTER_MAX_S;
                return s * 1000;
        }
        t = curl_http_date(value);
        if (t == (time_t)-1)
                return -1;
        if ((int64_t)t <= now_s)
                return 0;
        if ((int64_t)t - now_s > RETRY_AFTER_MAX_S)
                return (int64_t)RETRY_AFTER_MAX_S * 1000;
        return ((int64_t)t - now_s) * 1000;
}

/* The "error" and "reason" of a JSON error answer, for people: the
 * registrar's words, so escaped (escape.h) before any terminal or journal
 * sees them. */
static void answer_reason(const char *body, char *error, size_t esize, char *reason,
                          size_t rsize) {
        _cleanup_json_ struct json_object *j = NULL;
        struct json_object *v;

        error[0] = reason[0] = '\0';
        if (!body)
                return;
        j = json_tokener_parse(body);
        if (!j || !json_object_is_type(j, json_type_object))
                return;
        if (json_object_object_get_ex(j, "error", &v) && json_object_is_type(v, json_type_string))
                escape_untrusted_to(json_object_get_string(v),
                                    (size_t)json_object_get_string_len(v), error, esize);
        if (json_object_object_get_ex(j, "reason", &v) &&
            json_object_is_type(v, json_type_string))
                escape_untrusted_to(json_object_get_string(v),
                                    (size_t)json_object_get_string_len(v), reason, rsize);
}

/* Whether the answer carries the registrar's signature for the request
 * signed with nonce (lib/sign.h, "Responses"): status, Date exactly as
 * received, and body. */
static bool answer_authentic(const char *key_hex, const char *nonce,
                             const struct registrar_http_response *resp) {
        const char *body = resp->body ? resp->body : "";
        size_t len = resp->body ? resp->body_len : 0;

        if (resp->status < 100 || resp->status > 999)
                return false;
        return sign_verify_response(key_hex, (int)resp->status, resp->date, nonce, body, len,
                                    resp->signature) == 0;
}

static bool is_retryable_status(long status) {
        return status == 409 || status == 429 || (status >= 500 && status <= 599);
}

void registrar_client_result_clear(struct registrar_client_result *r) {
        if (!r)
                return;
        free(r->body);
        *r = (struct registrar_client_result){ 0 };
}

/* The hooks with every NULL member replaced by the real thing. */
static struct registrar_client_hooks resolve_hooks(const struct registrar_client_hooks *h) {
        return (struct registrar_client_hooks){
                .monotonic_ms = h->monotonic_ms ? h->monotonic_ms : real_monotonic_ms,
                .wall_s = h->wall_s ? h->wall_s : real_wall_s,
                .sleep_ms = h->sleep_ms ? h->sleep_ms : real_sleep_ms,
                .random_u64 = h->random_u64 ? h->random_u64 : real_random_u64,
                .transport = h->transport ? h->transport : curl_transport_exchange,
                .userdata = h->userdata,
        };
}

static int send_loop(const struct registrar_client_options *o,
                     const struct registrar_client_hooks *h, const char *method, const char *url,
                     const char *path, const char *body, struct registrar_client_result *ret) {
        int64_t start = h->monotonic_ms(h->userdata), deadline = start + MAX(o->deadline_ms, 0);
        int64_t offset = o->clock_offset_s;
        bool skew_retried = false;
        unsigned retries = 0;
        struct error_message last = { 0 }; /* why the last attempt failed */

        for (;;) {
                struct registrar_http_response resp = { 0 };
                char authz[SIGN_HEADER_MAX], nonce[SIGN_NONCE_HEX_LEN + 1];
                char err[64], reason[256];
                int64_t now, remaining, retry_after_ms, delay;
                int r;

                r = sign_new_nonce(nonce);
                if (r < 0)
                        return r;
                r = sign_request(o->key_hex, o->node, method, path, h->wall_s(h->userdata) + offset,
                                 nonce, body, strlen(body), authz);
                if (r < 0) {
                        error_set(&ret->error, "cannot sign: %s", strerror(-r));
                        return r;
                }
                remaining = deadline - h->monotonic_ms(h->userdata);
                struct registrar_http_request req = {
                        .url = url, .method = method, .authorization = authz, .body = body,
                        .body_len = strlen(body), .ca_file = o->ca_file,
                        .timeout_ms = (long)MIN(MAX(remaining, 1000),
                                                REGISTRAR_CLIENT_REQUEST_TIMEOUT_MS),
                };
                r = h->transport(&req, &resp, h->userdata);
                ret->attempts++;
                ret->clock_offset_s = offset;
                if (r >= 0 && !answer_authentic(o->key_hex, nonce, &resp)) {
                        /* Not the registrar's word: nothing of it is used, and it
                         * is retried as if no answer had come. */
                        error_set(&last,
                                  "the answer from %s (status %ld) %s: not used (an on-path "
                                  "host, or a key file that does not match the registrar's)",
                                  url, resp.status,
                                  resp.signature[0] ? "is badly signed (its signature does not "
                                                      "verify)"
                                                    : "is unsigned (no " SIGN_RESPONSE_HEADER
                                                      " signature)");
                        free(resp.body);
                        resp = (struct registrar_http_response){0};
                        r = -EBADMSG;
                }
                ret->status = r < 0 ? 0 : resp.status;
                free(ret->body);
                ret->body = TAKE_PTR(resp.body);

                if (r == -EBADMSG) {
                        /* the message is set above */
                } else if (r < 0) {
                        if (resp.tls_failure) {
                                error_set(&ret->error,
                                          "TLS verification of %s failed: %s (check --ca-file)",
                                          url, resp.error.text);
                                return -EPROTO;
                        }
                        error_set(&last, "cannot reach %s: %s", url,
                                  error_is_set(&resp.error) ? resp.error.text : strerror(-r));
                } else {
                        answer_reason(ret->body, err, sizeof err, reason, sizeof reason);
                        if (resp.status >= 200 && resp.status <= 299)
                                return 0;
                        if (resp.status == 400) {
                                error_set(&ret->error, "the registrar rejected the report: %s",
                                          reason[0] ? reason : err[0] ? err : "400");
                                return -EINVAL;
                        }
                        if (resp.status == 401 && STREQ(err, "clock_skew") && !skew_retried) {
                                time_t server = resp.date[0] ? curl_http_date(resp.date)
                                                             : (time_t)-1;
                                if (server != (time_t)-1) {
                                        /* Our clock is off: sign with the registrar's. */
                                        skew_retried = true;
                                        offset = (int64_t)server - h->wall_s(h->userdata);
                                        continue;
                                }
                        }
                        if (resp.status == 401) {
                                error_set(&ret->error,
                                          "the registrar refused the signature (%s): check the "
                                          "key file and the clock",
                                          err[0] ? err : "401");
                                return -EACCES;
                        }
                        if (resp.status == 403) {
                                error_set(&ret->error, "the registrar refused node '%s': %s",
                                          o->node, reason[0] ? reason : err[0] ? err : "403");
                                return -EPERM;
                        }
                        if (resp.status == 404) {
                                error_set(&ret->error,
                                          "the registrar has nothing for node '%s': %s", o->node,
                                          reason[0] ? reason : err[0] ? err : "404");
                                return -ENOENT;
                        }
                        if (!is_retryable_status(resp.status)) {
                                error_set(&ret->error, "unexpected answer %ld from %s",
                                          resp.status, url);
                                return -EPROTO;
                        }
                        error_set(&last, "the registrar answered %ld%s%s%s%s",
                                  resp.status, err[0] ? " " : "", err, reason[0] ? ": " : "",
                                  reason);
                }

                /* Retry, within the deadline. */
                now = h->monotonic_ms(h->userdata);
                remaining = deadline - now;
                retry_after_ms = r < 0 ? -1
                                       : registrar_client_parse_retry_after(resp.retry_after,
                                                                    h->wall_s(h->userdata));
                if (remaining <= 0 || retry_after_ms > remaining) {
                        error_set(&ret->error, "gave up after %u attempts in %" PRId64 " s: %s",
                                  ret->attempts, (now - start) / 1000, last.text);
                        return -ETIMEDOUT;
                }
                delay = registrar_client_backoff_ms(++retries, h->random_u64(h->userdata),
                                                    retry_after_ms);
                h->sleep_ms(MIN(delay, remaining), h->userdata);
        }
}

/* A signed request to base URL + /v1/hosts/{node}{suffix}, with the retry policy. */
static int signed_request(const struct registrar_client_options *o, const char *method,
                          const char *suffix, const char *body,
                          struct registrar_client_result *ret) {
        _cleanup_free_ char *base = NULL, *path = NULL, *url = NULL;
        struct registrar_client_hooks h;
        int r;

        if (!ret)
                return -EINVAL;
        *ret = (struct registrar_client_result){ 0 };
        if (!o || !body || !o->url || !sign_node_name_valid(o->node) ||
            !node_key_hex_valid(o->key_hex)) {
                error_set(&ret->error,
                          "registration needs a URL, a valid node name, a key and a body");
                return -EINVAL;
        }
        r = registrar_url_check(o->url, &base, &ret->error);
        if (r < 0)
                return r;
        if (asprintf(&path, "/v1/hosts/%s%s", o->node, suffix) < 0 ||
            asprintf(&url, "%s%s", base, path) < 0)
                return -ENOMEM;

        h = resolve_hooks(&o->hooks);
        bool real_transport = !o->hooks.transport;
        if (real_transport) {
                r = curl_transport_begin(&ret->error);
                if (r < 0)
                        return r;
        }
        r = send_loop(o, &h, method, url, path, body, ret);
        if (real_transport)
                curl_transport_end();
        return r;
}

int registrar_client_send_report(const struct registrar_client_options *o, const char *body,
                                 struct registrar_client_result *ret) {
        return signed_request(o, "PUT", "/pci", body, ret);
}

int registrar_client_fetch_inventory(const struct registrar_client_options *o,
                                     struct registrar_client_result *ret) {
        return signed_request(o, "GET", "/inventory", "", ret);
}
