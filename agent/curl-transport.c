/* SPDX-License-Identifier: Apache-2.0 */
#include "curl-transport.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "curl-api.h"
#include "macros.h"

#define RESPONSE_BODY_MAX (1024 * 1024)
#define CONNECT_TIMEOUT_MS (10 * 1000)

struct curl_ctx {
        struct registrar_http_response *resp;
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
        header_value(data, n, SIGN_RESPONSE_HEADER, c->resp->signature, sizeof c->resp->signature);
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
                        error_set(&(resp)->error, "curl_easy_setopt " #opt " failed: %s",   \
                                  api->easy_strerror(_code));                               \
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
time_t curl_http_date(const char *value) {
        const struct curl_api *api;
        return curl_api_get(&api, NULL) < 0 ? (time_t)-1 : api->getdate(value, NULL);
}

int curl_transport_begin(struct error_message *ret_error) {
        const struct curl_api *api;
        int r = curl_api_get(&api, ret_error);
        if (r < 0)
                return r;
        if (api->global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
                error_set(ret_error, "curl_global_init failed");
                return -EIO;
        }
        return 0;
}

void curl_transport_end(void) {
        const struct curl_api *api;
        if (curl_api_get(&api, NULL) == 0)
                api->global_cleanup();
}

int curl_transport_exchange(const struct registrar_http_request *req,
                            struct registrar_http_response *resp, void *userdata) {
        const struct curl_api *api;
        int r = curl_api_get(&api, &resp->error);
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
                error_set(&resp->error, "curl_easy_init failed");
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
                error_set(&resp->error, "%s",
                          errbuf[0] ? errbuf : api->easy_strerror(code));
                return -EIO;
        }
        code = api->easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        if (code != CURLE_OK || status < 100) {
                free(ctx.body);
                error_set(&resp->error, "no HTTP status in the answer");
                return -EPROTO;
        }
        resp->status = status;
        resp->body = ctx.body;
        resp->body_len = ctx.len;
        return 0;
}
