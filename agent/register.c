/* SPDX-License-Identifier: Apache-2.0 */
#include "register.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "clock.h"
#include "curl-api.h"
#include "macros.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif
#ifndef MAX
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif

#define RESPONSE_BODY_MAX (1024 * 1024)
#define CONNECT_TIMEOUT_MS (10 * 1000)
#define RETRY_AFTER_MAX_S (7 * 24 * 3600)

/* ------------------------------------------------------------ messages */

_printf_(2, 3) static void set_message(char **ret_message, const char *fmt, ...) {
        va_list ap;
        char *m = NULL;

        if (!ret_message)
                return;
        va_start(ap, fmt);
        if (vasprintf(&m, fmt, ap) < 0)
                m = NULL;
        va_end(ap);
        free(*ret_message);
        *ret_message = m;
}

/* ------------------------------------------------------------ URL */

static bool valid_host_char(char c) {
        return isalnum((unsigned char)c) || c == '.' || c == '-' || c == '_';
}

/* http[s]://HOST[:PORT][/] with HOST a name, an IPv4 address or [IPv6].
 * Anything else (user info, a path, a query) is refused: the signature
 * covers the path the registrar sees, so there is nothing to prefix. */
static int check_url(const char *url, char **ret_url, char **ret_message) {
        const char *p, *host, *end;
        size_t len;
        char *copy;

        if (strncmp(url, "http://", 7) == 0)
                p = url + 7;
        else if (strncmp(url, "https://", 8) == 0)
                p = url + 8;
        else {
                set_message(ret_message, "registrar URL '%s': not http:// or https://", url);
                return -EINVAL;
        }

        host = p;
        if (*p == '[') {
                p++;
                while (isxdigit((unsigned char)*p) || *p == ':' || *p == '.')
                        p++;
                if (*p != ']' || p == host + 1) {
                        set_message(ret_message, "registrar URL '%s': bad IPv6 address", url);
                        return -EINVAL;
                }
                p++;
        } else {
                while (valid_host_char(*p))
                        p++;
        }
        if (p == host) {
                set_message(ret_message, "registrar URL '%s': no host", url);
                return -EINVAL;
        }
        if (*p == ':') {
                char *pend;
                long port;

                if (!isdigit((unsigned char)p[1])) {
                        set_message(ret_message, "registrar URL '%s': bad port", url);
                        return -EINVAL;
                }
                errno = 0;
                port = strtol(p + 1, &pend, 10);
                if (errno || port < 1 || port > 65535 || pend - p > 6) {
                        set_message(ret_message, "registrar URL '%s': bad port", url);
                        return -EINVAL;
                }
                p = pend;
        }
        end = p;
        if (*p == '/')
                p++;
        if (*p != '\0') {
                set_message(ret_message,
                            "registrar URL '%s': only scheme, host and port are allowed", url);
                return -EINVAL;
        }

        len = (size_t)(end - url);
        copy = strndup(url, len);
        if (!copy)
                return -ENOMEM;
        *ret_url = copy;
        return 0;
}

static int url_for_host(const char *addr, char **ret_url, char **ret_message) {
        _cleanup_free_ char *url = NULL;
        bool ipv6 = strchr(addr, ':') != NULL;

        if (asprintf(&url, ipv6 ? "http://[%s]:%d" : "http://%s:%d", addr,
                     REGISTER_DEFAULT_PORT) < 0)
                return -ENOMEM;
        return check_url(url, ret_url, ret_message);
}

/* The first `frontend` host's ansible_host (as the entry sets it, else from
 * its variables when the inventory kept them), else its name. */
static int frontend_url(const struct inventory *inv, char **ret_url, char **ret_message) {
        _cleanup_strv_free_ char **hosts = NULL;
        const char *addr = NULL;
        struct inv_value *vars = NULL;
        int r;

        r = inventory_group_hosts(inv, "frontend", &hosts);
        if (r == -ENOENT || (r >= 0 && (!hosts || !hosts[0]))) {
                set_message(ret_message, "no registrar: give --registrar, set pci_registrar_url "
                                         "or put the front-end in a 'frontend' group");
                return -ENOENT;
        }
        if (r < 0)
                return r;

        for (size_t i = 0; i < inventory_n_hosts(inv); i++)
                if (STREQ(inventory_host_name(inv, i), hosts[0])) {
                        addr = inventory_host_address(inv, i);
                        break;
                }
        if (!addr && inventory_host_vars(inv, hosts[0], &vars) >= 0) {
                const struct inv_value *v = inv_map_get(vars, "ansible_host");
                if (v && inv_value_str(v) && *inv_value_str(v))
                        r = url_for_host(inv_value_str(v), ret_url, ret_message);
                else
                        r = url_for_host(hosts[0], ret_url, ret_message);
                inv_value_unref(vars);
                return r;
        }
        return url_for_host(addr ? addr : hosts[0], ret_url, ret_message);
}

int register_resolve_url(const char *flag_url, const struct host_config *cfg,
                         const struct inventory *inv, char **ret_url, char **ret_message) {
        if (!ret_url)
                return -EINVAL;
        if (flag_url && *flag_url)
                return check_url(flag_url, ret_url, ret_message);
        if (cfg && cfg->registrar_url && *cfg->registrar_url)
                return check_url(cfg->registrar_url, ret_url, ret_message);
        if (inv)
                return frontend_url(inv, ret_url, ret_message);
        set_message(ret_message, "no registrar: give --registrar or set pci_registrar_url");
        return -ENOENT;
}

/* ------------------------------------------------------------ key file */

int register_load_key(const char *path, char ret_key_hex[SIGN_KEY_HEX_LEN + 1],
                      char **ret_message) {
        _cleanup_close_ int fd = -1;
        char buf[SIGN_KEY_HEX_LEN + 3];
        uint8_t raw[32];
        struct stat st;
        ssize_t n;

        if (!path || !ret_key_hex)
                return -EINVAL;
        fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
                int r = -errno;
                set_message(ret_message, "cannot open key file %s: %s", path, strerror(-r));
                return r;
        }
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode)) {
                set_message(ret_message, "key file %s is not a regular file", path);
                return -EINVAL;
        }
        /* The key lets anyone register as this node: keep it to its owner. */
        if (st.st_mode & (S_IROTH | S_IWOTH)) {
                set_message(ret_message,
                            "key file %s is accessible by other users (mode %04o); "
                            "run chmod 0600 on it", path, (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        n = read(fd, buf, sizeof buf - 1);
        if (n < 0) {
                int r = -errno;
                set_message(ret_message, "cannot read key file %s: %s", path, strerror(-r));
                return r;
        }
        buf[n] = '\0';
        if (sign_parse_hex_key(buf, raw) < 0) {
                set_message(ret_message, "key file %s does not hold a key (64 hex characters, "
                                         "as printed by onepci-registrar node-key)", path);
                return -EINVAL;
        }
        memcpy(ret_key_hex, buf, SIGN_KEY_HEX_LEN);
        ret_key_hex[SIGN_KEY_HEX_LEN] = '\0';
        return 0;
}

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

/* ------------------------------------------------------------ curl transport */

struct curl_ctx {
        struct register_http_response *resp;
        char *body;
        size_t len;
};

static size_t on_body(char *data, size_t size, size_t nmemb, void *userdata) {
        struct curl_ctx *c = userdata;
        size_t n = size * nmemb;
        char *b;

        if (c->len + n > RESPONSE_BODY_MAX)
                return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
        b = realloc(c->body, c->len + n + 1);
        if (!b)
                return 0;
        memcpy(b + c->len, data, n);
        c->len += n;
        b[c->len] = '\0';
        c->body = b;
        return n;
}

/* Copies the value of "Name: value\r\n" when the header is name. */
static void header_value(const char *line, size_t len, const char *name, char *out,
                         size_t size) {
        size_t nl = strlen(name), vlen;
        const char *v;

        if (len <= nl || strncasecmp(line, name, nl) != 0 || line[nl] != ':')
                return;
        v = line + nl + 1;
        vlen = len - nl - 1;
        while (vlen && (*v == ' ' || *v == '\t'))
                v++, vlen--;
        while (vlen && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n' || v[vlen - 1] == ' '))
                vlen--;
        if (vlen >= size)
                vlen = size - 1;
        memcpy(out, v, vlen);
        out[vlen] = '\0';
}

static size_t on_header(char *data, size_t size, size_t nmemb, void *userdata) {
        struct curl_ctx *c = userdata;
        size_t n = size * nmemb;

        header_value(data, n, "Date", c->resp->date, sizeof c->resp->date);
        header_value(data, n, "Retry-After", c->resp->retry_after, sizeof c->resp->retry_after);
        return n;
}

static bool is_tls_verification_failure(CURLcode code) {
        switch (code) {
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_SSL_CRL_BADFILE:
                return true;
        default:
                return false;
        }
}

/* Every option checked, as systemd's journal-upload does. */
#define easy_setopt(curl, opt, value, resp)                                                 \
        do {                                                                                \
                CURLcode _code = api->easy_setopt(curl, opt, value);                        \
                if (_code != CURLE_OK) {                                                    \
                        snprintf((resp)->error, sizeof (resp)->error,                       \
                                 "curl_easy_setopt " #opt " failed: %s",                    \
                                 api->easy_strerror(_code));                                \
                        return -EIO;                                                        \
                }                                                                           \
        } while (0)

/* An easy handle and its header list, released through the loaded library. */
struct curl_handles {
        const struct curl_api *api;
        CURL *curl;
        struct curl_slist *headers;
};

static void curl_handles_done(struct curl_handles *h) {
        if (h->curl)
                h->api->easy_cleanup(h->curl);
        if (h->headers)
                h->api->slist_free_all(h->headers);
}

/* An HTTP date (Date:, Retry-After:) as time_t, (time_t)-1 when it is not one
 * or libcurl, which parses them, cannot be loaded. */
static time_t http_date(const char *value) {
        const struct curl_api *api;
        char why[256];
        return curl_api_get(&api, why, sizeof why) < 0 ? (time_t)-1 : api->getdate(value, NULL);
}

static int curl_transport(const struct register_http_request *req,
                          struct register_http_response *resp, void *userdata) {
        const struct curl_api *api;
        int r = curl_api_get(&api, resp->error, sizeof resp->error);
        if (r < 0)
                return r;
        _cleanup_(curl_handles_done) struct curl_handles handles = { .api = api };
        _cleanup_free_ char *auth = NULL;
        char errbuf[CURL_ERROR_SIZE] = "";
        struct curl_ctx ctx = { .resp = resp };
        struct curl_slist *h;
        CURLcode code;
        long status = 0;

        CURL *curl = handles.curl = api->easy_init();
        if (!curl) {
                snprintf(resp->error, sizeof resp->error, "curl_easy_init failed");
                return -ENOMEM;
        }
        if (asprintf(&auth, "Authorization: %s", req->authorization) < 0)
                return -ENOMEM;
        const char *const lines[] = { "Content-Type: application/json",
                                      "Accept: application/json", "Expect:", auth };
        for (size_t i = 0; i < ELEMENTSOF(lines); i++) {
                h = api->slist_append(handles.headers, lines[i]);
                if (!h)
                        return -ENOMEM;
                handles.headers = h;
        }

        easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf, resp);
        easy_setopt(curl, CURLOPT_URL, req->url, resp);
        easy_setopt(curl, CURLOPT_NOSIGNAL, 1L, resp);
#if LIBCURL_VERSION_NUM >= 0x075500
        easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https", resp);
#else
        easy_setopt(curl, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS), resp);
#endif
        if (STREQ(req->method, "GET")) {
                easy_setopt(curl, CURLOPT_HTTPGET, 1L, resp);
        } else {
                easy_setopt(curl, CURLOPT_CUSTOMREQUEST, req->method, resp);
                easy_setopt(curl, CURLOPT_POSTFIELDS, req->body, resp);
                easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len, resp);
        }
        easy_setopt(curl, CURLOPT_HTTPHEADER, handles.headers, resp);
        easy_setopt(curl, CURLOPT_USERAGENT, "onepci-agent", resp);
        easy_setopt(curl, CURLOPT_TIMEOUT_MS, req->timeout_ms, resp);
        easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                    req->timeout_ms < CONNECT_TIMEOUT_MS ? req->timeout_ms
                                                         : (long)CONNECT_TIMEOUT_MS, resp);
        easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body, resp);
        easy_setopt(curl, CURLOPT_WRITEDATA, &ctx, resp);
        easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header, resp);
        easy_setopt(curl, CURLOPT_HEADERDATA, &ctx, resp);
        if (req->ca_file)
                easy_setopt(curl, CURLOPT_CAINFO, req->ca_file, resp);

        code = api->easy_perform(curl);
        if (code != CURLE_OK) {
                free(ctx.body);
                resp->tls_failure = is_tls_verification_failure(code);
                snprintf(resp->error, sizeof resp->error, "%s",
                         errbuf[0] ? errbuf : api->easy_strerror(code));
                return -EIO;
        }
        code = api->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (code != CURLE_OK || status < 100) {
                free(ctx.body);
                snprintf(resp->error, sizeof resp->error, "no HTTP status in the answer");
                return -EPROTO;
        }
        resp->status = status;
        resp->body = ctx.body;
        return 0;
}

/* ------------------------------------------------------------ retry policy */

void register_options_init(struct register_options *o) {
        const char *skew = getenv(REGISTER_CLOCK_OFFSET_ENV);

        *o = (struct register_options){ .deadline_ms = REGISTER_DEFAULT_DEADLINE_MS };
        if (skew && *skew) {
                char *end;
                long long v;
                errno = 0;
                v = strtoll(skew, &end, 10);
                if (errno == 0 && *end == '\0' && v > -INT32_MAX && v < INT32_MAX)
                        o->clock_offset_s = v;
        }
}

int64_t register_backoff_ms(unsigned attempt, uint64_t random, int64_t retry_after_ms) {
        int64_t ceiling = REGISTER_BACKOFF_CAP_MS, delay;

        if (attempt >= 1 && attempt <= 16) {
                int64_t exp = (int64_t)REGISTER_BACKOFF_BASE_MS << (attempt - 1);
                if (exp < ceiling)
                        ceiling = exp;
        }
        delay = (int64_t)(random % (uint64_t)(ceiling + 1));
        return delay < retry_after_ms ? retry_after_ms : delay;
}

int64_t register_parse_retry_after(const char *value, int64_t now_s) {
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
        t = http_date(value);
        if (t == (time_t)-1)
                return -1;
        if ((int64_t)t <= now_s)
                return 0;
        if ((int64_t)t - now_s > RETRY_AFTER_MAX_S)
                return (int64_t)RETRY_AFTER_MAX_S * 1000;
        return ((int64_t)t - now_s) * 1000;
}

/* The "error" and "reason" of a JSON error answer, for people. */
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
                snprintf(error, esize, "%s", json_object_get_string(v));
        if (json_object_object_get_ex(j, "reason", &v) &&
            json_object_is_type(v, json_type_string))
                snprintf(reason, rsize, "%s", json_object_get_string(v));
}

static bool is_retryable_status(long status) {
        return status == 409 || status == 429 || (status >= 500 && status <= 599);
}

static bool valid_key_hex(const char *k) {
        if (!k || strlen(k) != SIGN_KEY_HEX_LEN)
                return false;
        for (const char *p = k; *p; p++)
                if (!isxdigit((unsigned char)*p))
                        return false;
        return true;
}

void register_result_clear(struct register_result *r) {
        if (!r)
                return;
        free(r->body);
        *r = (struct register_result){ 0 };
}

struct hooks {
        int64_t (*monotonic_ms)(void *);
        int64_t (*wall_s)(void *);
        void (*sleep_ms)(int64_t, void *);
        uint64_t (*random_u64)(void *);
        int (*transport)(const struct register_http_request *, struct register_http_response *,
                         void *);
        void *u;
};

static struct hooks resolve_hooks(const struct register_hooks *h) {
        return (struct hooks){
                .monotonic_ms = h->monotonic_ms ? h->monotonic_ms : real_monotonic_ms,
                .wall_s = h->wall_s ? h->wall_s : real_wall_s,
                .sleep_ms = h->sleep_ms ? h->sleep_ms : real_sleep_ms,
                .random_u64 = h->random_u64 ? h->random_u64 : real_random_u64,
                .transport = h->transport ? h->transport : curl_transport,
                .u = h->userdata,
        };
}

static int send_loop(const struct register_options *o, const struct hooks *h, const char *method,
                     const char *url, const char *path, const char *body,
                     struct register_result *ret) {
        int64_t start = h->monotonic_ms(h->u), deadline = start + MAX(o->deadline_ms, 0);
        int64_t offset = o->clock_offset_s;
        bool skew_retried = false;
        unsigned retries = 0;
        char last[384] = "";

        for (;;) {
                struct register_http_response resp = { 0 };
                char authz[SIGN_HEADER_MAX], nonce[SIGN_NONCE_HEX_LEN + 1];
                char err[64], reason[256];
                int64_t now, remaining, retry_after_ms, delay;
                int r;

                r = sign_new_nonce(nonce);
                if (r < 0)
                        return r;
                r = sign_request(o->key_hex, o->node, method, path, h->wall_s(h->u) + offset,
                                 nonce, body, strlen(body), authz);
                if (r < 0) {
                        snprintf(ret->message, sizeof ret->message, "cannot sign: %s",
                                 strerror(-r));
                        return r;
                }
                remaining = deadline - h->monotonic_ms(h->u);
                struct register_http_request req = {
                        .url = url, .method = method, .authorization = authz, .body = body,
                        .body_len = strlen(body), .ca_file = o->ca_file,
                        .timeout_ms = (long)MIN(MAX(remaining, 1000),
                                                REGISTER_REQUEST_TIMEOUT_MS),
                };
                r = h->transport(&req, &resp, h->u);
                ret->attempts++;
                ret->clock_offset_s = offset;
                ret->status = r < 0 ? 0 : resp.status;
                free(ret->body);
                ret->body = TAKE_PTR(resp.body);

                if (r < 0) {
                        if (resp.tls_failure) {
                                snprintf(ret->message, sizeof ret->message,
                                         "TLS verification of %s failed: %s (check --ca-file)",
                                         url, resp.error);
                                return -EPROTO;
                        }
                        snprintf(last, sizeof last, "cannot reach %s: %s", url,
                                 resp.error[0] ? resp.error : strerror(-r));
                } else {
                        answer_reason(ret->body, err, sizeof err, reason, sizeof reason);
                        if (resp.status >= 200 && resp.status <= 299)
                                return 0;
                        if (resp.status == 400) {
                                snprintf(ret->message, sizeof ret->message,
                                         "the registrar rejected the report: %s",
                                         reason[0] ? reason : err[0] ? err : "400");
                                return -EINVAL;
                        }
                        if (resp.status == 401 && STREQ(err, "clock_skew") && !skew_retried) {
                                time_t server = resp.date[0] ? http_date(resp.date)
                                                             : (time_t)-1;
                                if (server != (time_t)-1) {
                                        /* Our clock is off: sign with the registrar's. */
                                        skew_retried = true;
                                        offset = (int64_t)server - h->wall_s(h->u);
                                        continue;
                                }
                        }
                        if (resp.status == 401) {
                                snprintf(ret->message, sizeof ret->message,
                                         "the registrar refused the signature (%s): check the "
                                         "key file and the clock",
                                         err[0] ? err : "401");
                                return -EACCES;
                        }
                        if (resp.status == 403) {
                                snprintf(ret->message, sizeof ret->message,
                                         "the registrar refused node '%s': %s", o->node,
                                         reason[0] ? reason : err[0] ? err : "403");
                                return -EPERM;
                        }
                        if (resp.status == 404) {
                                snprintf(ret->message, sizeof ret->message,
                                         "the registrar has nothing for node '%s': %s", o->node,
                                         reason[0] ? reason : err[0] ? err : "404");
                                return -ENOENT;
                        }
                        if (!is_retryable_status(resp.status)) {
                                snprintf(ret->message, sizeof ret->message,
                                         "unexpected answer %ld from %s", resp.status, url);
                                return -EPROTO;
                        }
                        snprintf(last, sizeof last, "the registrar answered %ld%s%s%s%s",
                                 resp.status, err[0] ? " " : "", err, reason[0] ? ": " : "",
                                 reason);
                }

                /* Retry, within the deadline. */
                now = h->monotonic_ms(h->u);
                remaining = deadline - now;
                retry_after_ms = r < 0 ? -1
                                       : register_parse_retry_after(resp.retry_after,
                                                                    h->wall_s(h->u));
                if (remaining <= 0 || retry_after_ms > remaining) {
                        snprintf(ret->message, sizeof ret->message,
                                 "gave up after %u attempts in %" PRId64 " s: %s", ret->attempts,
                                 (now - start) / 1000, last);
                        return -ETIMEDOUT;
                }
                delay = register_backoff_ms(++retries, h->random_u64(h->u), retry_after_ms);
                h->sleep_ms(MIN(delay, remaining), h->u);
        }
}

/* A signed request to base URL + /v1/hosts/{node}{suffix}, with the retry policy. */
static int signed_request(const struct register_options *o, const char *method,
                          const char *suffix, const char *body, struct register_result *ret) {
        _cleanup_free_ char *base = NULL, *path = NULL, *url = NULL, *msg = NULL;
        struct hooks h;
        int r;

        if (!ret)
                return -EINVAL;
        *ret = (struct register_result){ 0 };
        if (!o || !body || !o->url || !sign_node_name_valid(o->node) ||
            !valid_key_hex(o->key_hex)) {
                snprintf(ret->message, sizeof ret->message,
                         "registration needs a URL, a valid node name, a key and a body");
                return -EINVAL;
        }
        r = check_url(o->url, &base, &msg);
        if (r < 0) {
                snprintf(ret->message, sizeof ret->message, "%s", msg ? msg : "bad URL");
                return r;
        }
        if (asprintf(&path, "/v1/hosts/%s%s", o->node, suffix) < 0 ||
            asprintf(&url, "%s%s", base, path) < 0)
                return -ENOMEM;

        h = resolve_hooks(&o->hooks);
        const struct curl_api *api = NULL;
        if (h.transport == curl_transport) {
                r = curl_api_get(&api, ret->message, sizeof ret->message);
                if (r < 0)
                        return r;
                if (api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                        snprintf(ret->message, sizeof ret->message, "curl_global_init failed");
                        return -EIO;
                }
        }
        r = send_loop(o, &h, method, url, path, body, ret);
        if (api)
                api->global_cleanup();
        return r;
}

int register_send(const struct register_options *o, const char *body,
                  struct register_result *ret) {
        return signed_request(o, "PUT", "/pci", body, ret);
}

int register_fetch_inventory(const struct register_options *o, struct register_result *ret) {
        return signed_request(o, "GET", "/inventory", "", ret);
}
