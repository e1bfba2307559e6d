/* SPDX-License-Identifier: Apache-2.0 */
/* Request signing: see sign.h, whose comment is the protocol. */

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "hex.h"
#include "macros.h"
#include "sign.h"

#define NODE_KEY_LABEL "onepci-node-key/v1:"

static void hex_encode(const uint8_t *in, size_t len, char *out) {
        static const char digits[] = "0123456789abcdef";

        for (size_t i = 0; i < len; i++) {
                out[2 * i] = digits[in[i] >> 4];
                out[2 * i + 1] = digits[in[i] & 0xf];
        }
        out[2 * len] = '\0';
}

static bool is_lower_hex(const char *s, size_t len) {
        for (size_t i = 0; i < len; i++)
                if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
                        return false;
        return true;
}

bool sign_node_name_valid(const char *name) {
        size_t len;

        if (!name)
                return false;
        len = strlen(name);
        if (len < 1 || len > SIGN_NODE_MAX)
                return false;
        for (size_t i = 0; i < len; i++) {
                char c = name[i];
                bool alnum =
                        (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');

                if (!alnum && (i == 0 || (c != '.' && c != '_' && c != '-')))
                        return false;
        }
        return true;
}

static int hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                       uint8_t ret[32]) {
        unsigned out_len = 0;

        if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, ret, &out_len) || out_len != 32)
                return -EIO;
        return 0;
}

int sign_derive_node_key(const uint8_t *secret, size_t secret_len, const char *node,
                         char ret_key_hex[SIGN_KEY_HEX_LEN + 1]) {
        char msg[sizeof(NODE_KEY_LABEL) + SIGN_NODE_MAX];
        uint8_t mac[32];
        int r;

        if (!secret || secret_len == 0 || !sign_node_name_valid(node))
                return -EINVAL;
        snprintf(msg, sizeof(msg), "%s%s", NODE_KEY_LABEL, node);
        r = hmac_sha256(secret, secret_len, msg, strlen(msg), mac);
        if (r < 0)
                return r;
        hex_encode(mac, sizeof(mac), ret_key_hex);
        OPENSSL_cleanse(mac, sizeof(mac));
        return 0;
}

int sign_parse_hex_key(const char *text, uint8_t ret_key[32]) {
        size_t len;

        if (!text)
                return -EINVAL;
        len = strlen(text);
        if (len == SIGN_KEY_HEX_LEN + 1 && text[SIGN_KEY_HEX_LEN] == '\n')
                len--;
        if (len != SIGN_KEY_HEX_LEN)
                return -EINVAL;
        for (size_t i = 0; i < 32; i++) {
                int hi = hex_digit_value(text[2 * i]), lo = hex_digit_value(text[2 * i + 1]);

                if (hi < 0 || lo < 0)
                        return -EINVAL;
                ret_key[i] = (uint8_t)(hi << 4 | lo);
        }
        return 0;
}

int sign_new_nonce(char ret_nonce[SIGN_NONCE_HEX_LEN + 1]) {
        uint8_t raw[SIGN_NONCE_HEX_LEN / 2];

        if (RAND_bytes(raw, sizeof(raw)) != 1)
                return -EIO;
        hex_encode(raw, sizeof(raw), ret_nonce);
        return 0;
}

/* hex(SHA256(body)), the last line of every canonical string. */
static int body_digest_hex(const void *body, size_t body_len, char ret_hex[65]) {
        uint8_t digest[32];

        if (!EVP_Digest(body ? body : "", body_len, digest, NULL, EVP_sha256(), NULL))
                return -EIO;
        hex_encode(digest, sizeof(digest), ret_hex);
        return 0;
}

/* hex(HMAC-SHA256(key, string)) for a hex key. */
static int hmac_hex(const char *key_hex, const char *string, char ret_sig[SIGN_KEY_HEX_LEN + 1]) {
        uint8_t key[32], mac[32];
        int r;

        r = sign_parse_hex_key(key_hex, key);
        if (r < 0)
                return r;
        r = hmac_sha256(key, sizeof(key), string, strlen(string), mac);
        if (r >= 0)
                hex_encode(mac, sizeof(mac), ret_sig);
        OPENSSL_cleanse(key, sizeof(key));
        OPENSSL_cleanse(mac, sizeof(mac));
        return r;
}

/* The request signature as hex over the canonical string of sign.h. */
static int compute_sig(const char *key_hex, const char *method, const char *path, int64_t ts,
                       const char *nonce, const void *body, size_t body_len,
                       char ret_sig[SIGN_KEY_HEX_LEN + 1]) {
        char digest_hex[65];
        _cleanup_free_ char *string = NULL;
        int r;

        if (!method || !path || !nonce || (!body && body_len > 0))
                return -EINVAL;
        /* Newlines inside a field would make two requests sign alike. */
        if (strpbrk(method, "\n\r") || strpbrk(path, "\n\r") || strpbrk(nonce, "\n\r"))
                return -EINVAL;
        r = body_digest_hex(body, body_len, digest_hex);
        if (r < 0)
                return r;
        if (asprintf(&string, SIGN_SCHEME "\n%s\n%s\n%" PRId64 "\n%s\n%s", method, path, ts, nonce,
                     digest_hex) < 0) {
                string = NULL; /* undefined after a failure */
                return -ENOMEM;
        }
        return hmac_hex(key_hex, string, ret_sig);
}

int sign_request(const char *key_hex, const char *node, const char *method, const char *path,
                 int64_t ts, const char *nonce, const void *body, size_t body_len,
                 char ret_header[SIGN_HEADER_MAX]) {
        char sig[SIGN_KEY_HEX_LEN + 1];
        int r, n;

        if (!sign_node_name_valid(node) || !nonce || strlen(nonce) != SIGN_NONCE_HEX_LEN ||
            !is_lower_hex(nonce, SIGN_NONCE_HEX_LEN) || ts < 0)
                return -EINVAL;
        r = compute_sig(key_hex, method, path, ts, nonce, body, body_len, sig);
        if (r < 0)
                return r;
        n = snprintf(ret_header, SIGN_HEADER_MAX,
                     SIGN_SCHEME " node=%s, ts=%" PRId64 ", nonce=%s, sig=%s", node, ts, nonce,
                     sig);
        OPENSSL_cleanse(sig, sizeof(sig));
        if (n < 0 || n >= SIGN_HEADER_MAX)
                return -ENOBUFS;
        return 0;
}

/* Expects "NAME=" at *p, copies the value up to ", " or the end into buf. */
static int take_field(const char **p, const char *name, bool last, char *buf, size_t size) {
        size_t name_len = strlen(name), len;
        const char *end;

        if (strncmp(*p, name, name_len) != 0 || (*p)[name_len] != '=')
                return -EINVAL;
        *p += name_len + 1;
        end = last ? *p + strlen(*p) : strstr(*p, ", ");
        if (!end)
                return -EINVAL;
        len = (size_t)(end - *p);
        if (len == 0 || len >= size)
                return -EINVAL;
        memcpy(buf, *p, len);
        buf[len] = '\0';
        *p = last ? end : end + 2;
        return 0;
}

int sign_parse_header(const char *value, struct sign_header *ret) {
        struct sign_header h = {};
        char ts[21];
        const char *p = value;
        char *end = NULL;
        long long t;

        if (!value || !ret || strlen(value) >= SIGN_HEADER_MAX)
                return -EINVAL;
        if (strncmp(p, SIGN_SCHEME " ", strlen(SIGN_SCHEME) + 1) != 0)
                return -EINVAL;
        p += strlen(SIGN_SCHEME) + 1;

        if (take_field(&p, "node", false, h.node, sizeof(h.node)) < 0 ||
            take_field(&p, "ts", false, ts, sizeof(ts)) < 0 ||
            take_field(&p, "nonce", false, h.nonce, sizeof(h.nonce)) < 0 ||
            take_field(&p, "sig", true, h.sig, sizeof(h.sig)) < 0)
                return -EINVAL;

        if (!sign_node_name_valid(h.node))
                return -EINVAL;
        /* Plain decimal digits only: no sign, no spaces, no leading zeros. */
        if (ts[0] < '0' || ts[0] > '9' || (ts[0] == '0' && ts[1] != '\0'))
                return -EINVAL;
        for (const char *c = ts; *c; c++)
                if (*c < '0' || *c > '9')
                        return -EINVAL;
        errno = 0;
        t = strtoll(ts, &end, 10);
        if (errno != 0 || *end != '\0' || t < 0)
                return -EINVAL;
        h.ts = t;
        if (strlen(h.nonce) != SIGN_NONCE_HEX_LEN || !is_lower_hex(h.nonce, SIGN_NONCE_HEX_LEN))
                return -EINVAL;
        if (strlen(h.sig) != SIGN_KEY_HEX_LEN || !is_lower_hex(h.sig, SIGN_KEY_HEX_LEN))
                return -EINVAL;

        *ret = h;
        return 0;
}

int sign_verify(const struct sign_header *h, const char *key_hex, const char *method,
                const char *path, const void *body, size_t body_len) {
        char expected[SIGN_KEY_HEX_LEN + 1];
        int r;

        if (!h || strlen(h->sig) != SIGN_KEY_HEX_LEN)
                return -EINVAL;
        r = compute_sig(key_hex, method, path, h->ts, h->nonce, body, body_len, expected);
        if (r < 0)
                return r;
        r = CRYPTO_memcmp(expected, h->sig, SIGN_KEY_HEX_LEN) == 0 ? 0 : -EACCES;
        OPENSSL_cleanse(expected, sizeof(expected));
        return r;
}

/* The response signature of sign.h as hex. */
static int compute_response_sig(const char *key_hex, int status, const char *date,
                                const char *nonce, const void *body, size_t body_len,
                                char ret_sig[SIGN_KEY_HEX_LEN + 1]) {
        char digest_hex[65];
        _cleanup_free_ char *string = NULL;
        int r;

        if (!date || !nonce || (!body && body_len > 0) || status < 100 || status > 999)
                return -EINVAL;
        if (strpbrk(date, "\n\r") || strpbrk(nonce, "\n\r"))
                return -EINVAL;
        r = body_digest_hex(body, body_len, digest_hex);
        if (r < 0)
                return r;
        if (asprintf(&string, SIGN_RESPONSE_SCHEME "\n%d\n%s\n%s\n%s", status, date, nonce,
                     digest_hex) < 0) {
                string = NULL; /* undefined after a failure */
                return -ENOMEM;
        }
        return hmac_hex(key_hex, string, ret_sig);
}

int sign_response(const char *key_hex, int status, const char *date, const char *request_nonce,
                  const void *body, size_t body_len, char ret_sig[SIGN_KEY_HEX_LEN + 1]) {
        return compute_response_sig(key_hex, status, date, request_nonce, body, body_len, ret_sig);
}

int sign_verify_response(const char *key_hex, int status, const char *date,
                         const char *request_nonce, const void *body, size_t body_len,
                         const char *sig) {
        char expected[SIGN_KEY_HEX_LEN + 1];
        int r;

        if (!sig || strlen(sig) != SIGN_KEY_HEX_LEN || !is_lower_hex(sig, SIGN_KEY_HEX_LEN))
                return -EACCES;
        r = compute_response_sig(key_hex, status, date, request_nonce, body, body_len, expected);
        if (r < 0)
                return r;
        r = CRYPTO_memcmp(expected, sig, SIGN_KEY_HEX_LEN) == 0 ? 0 : -EACCES;
        OPENSSL_cleanse(expected, sizeof(expected));
        return r;
}
