/* SPDX-License-Identifier: Apache-2.0 */
/* Request authentication.  Order of checks: header shape, signature with the
 * key derived for the signed node, time window, replay, then whether that
 * node is the one the path names.  Nothing here logs: the header carries a
 * signature and the secret must never leave this file. */

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "auth.h"
#include "fileio.h"
#include "macros.h"

struct seen {
        uint64_t hash; /* quick filter before comparing the strings */
        int64_t expires;
        char node[SIGN_NODE_MAX + 1];
        char nonce[SIGN_NONCE_HEX_LEN + 1];
};

struct auth {
        uint8_t secret[AUTH_SECRET_LEN];
        unsigned window;
        pthread_mutex_t mu;
        struct seen *ring; /* FIFO of accepted (node, nonce) pairs */
        size_t cap, next, used;
};

const char *auth_result_to_string(enum auth_result r) {
        switch (r) {
        case AUTH_OK:
                return "ok";
        case AUTH_MISSING:
                return "missing_auth";
        case AUTH_BAD_SIGNATURE:
                return "bad_signature";
        case AUTH_CLOCK_SKEW:
                return "clock_skew";
        case AUTH_REPLAY:
                return "replay";
        case AUTH_WRONG_NODE:
                return "wrong_node";
        case AUTH_BUSY:
        default:
                return "busy";
        }
}

int auth_secret_create(const char *path, char *reason, size_t reason_size) {
        uint8_t raw[AUTH_SECRET_LEN];
        char hex[2 * AUTH_SECRET_LEN + 2];
        _cleanup_close_ int fd = -1;
        int r = 0;

        if (RAND_bytes(raw, sizeof(raw)) != 1) {
                snprintf(reason, reason_size, "no random bytes");
                return -EIO;
        }
        for (size_t i = 0; i < sizeof(raw); i++)
                snprintf(hex + 2 * i, 3, "%02x", raw[i]);
        hex[2 * AUTH_SECRET_LEN] = '\n';
        hex[2 * AUTH_SECRET_LEN + 1] = '\0';
        OPENSSL_cleanse(raw, sizeof(raw));

        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                r = -errno;
                snprintf(reason, reason_size, "%s: %s", path,
                         r == -EEXIST ? "exists already (not overwritten: every node key "
                                        "derives from it)"
                                      : strerror(-r));
                goto out;
        }
        if (fchmod(fd, 0600) < 0 || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) ||
            fsync(fd) < 0) {
                r = errno ? -errno : -EIO;
                snprintf(reason, reason_size, "%s: %s", path, strerror(-r));
                unlink(path);
        }
out:
        OPENSSL_cleanse(hex, sizeof(hex));
        return r;
}

int auth_secret_load(const char *path, bool create, uint8_t ret[AUTH_SECRET_LEN], char *reason,
                     size_t reason_size) {
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len;
        int r;

        if (stat(path, &st) < 0) {
                r = -errno;
                if (r != -ENOENT || !create) {
                        snprintf(reason, reason_size, "%s: %s", path, strerror(-r));
                        return r;
                }
                r = auth_secret_create(path, reason, reason_size);
                if (r < 0 && r != -EEXIST)
                        return r;
                if (stat(path, &st) < 0) {
                        r = -errno;
                        snprintf(reason, reason_size, "%s: %s", path, strerror(-r));
                        return r;
                }
        }
        if (st.st_mode & 077) {
                snprintf(reason, reason_size,
                         "%s: readable by group or others (mode %04o); chmod 600 it", path,
                         (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        r = read_file_bounded(path, 256, &data, &len);
        if (r < 0) {
                snprintf(reason, reason_size, "%s: %s", path, strerror(-r));
                return r;
        }
        r = sign_parse_hex_key(data, ret);
        OPENSSL_cleanse(data, len);
        if (r < 0)
                snprintf(reason, reason_size, "%s: not 64 hex characters and a newline", path);
        return r;
}

int auth_new(const uint8_t secret[AUTH_SECRET_LEN], unsigned window_s, size_t replay_max,
             struct auth **ret) {
        struct auth *a;

        if (window_s == 0 || replay_max == 0)
                return -EINVAL;
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        a->ring = calloc(replay_max, sizeof(*a->ring));
        if (!a->ring) {
                free(a);
                return -ENOMEM;
        }
        memcpy(a->secret, secret, AUTH_SECRET_LEN);
        a->window = window_s;
        a->cap = replay_max;
        pthread_mutex_init(&a->mu, NULL);
        *ret = a;
        return 0;
}

void auth_free(struct auth *a) {
        if (!a)
                return;
        OPENSSL_cleanse(a->secret, sizeof(a->secret));
        pthread_mutex_destroy(&a->mu);
        free(a->ring);
        free(a);
}

static uint64_t fnv1a(const char *a, const char *b) {
        uint64_t h = 1469598103934665603ULL;

        for (; *a; a++)
                h = (h ^ (uint8_t)*a) * 1099511628211ULL;
        h = (h ^ 0xff) * 1099511628211ULL;
        for (; *b; b++)
                h = (h ^ (uint8_t)*b) * 1099511628211ULL;
        return h;
}

/* Remembers (node, nonce) until its time stamp leaves the window.
 * AUTH_REPLAY when already there, AUTH_BUSY when the cache is full. */
static enum auth_result remember(struct auth *a, const struct sign_header *h, int64_t now) {
        uint64_t hash = fnv1a(h->node, h->nonce);
        enum auth_result res = AUTH_OK;
        struct seen *slot;

        pthread_mutex_lock(&a->mu);
        for (size_t i = 0; i < a->used; i++) {
                struct seen *s = &a->ring[i];
                if (s->hash == hash && s->expires >= now && STREQ(s->nonce, h->nonce) &&
                    STREQ(s->node, h->node)) {
                        res = AUTH_REPLAY;
                        goto out;
                }
        }
        slot = &a->ring[a->next];
        if (a->used == a->cap && slot->expires >= now) {
                /* Forgetting a live nonce would allow its replay: refuse instead. */
                res = AUTH_BUSY;
                goto out;
        }
        slot->hash = hash;
        slot->expires = h->ts + a->window;
        snprintf(slot->node, sizeof(slot->node), "%s", h->node);
        snprintf(slot->nonce, sizeof(slot->nonce), "%s", h->nonce);
        a->next = (a->next + 1) % a->cap;
        if (a->used < a->cap)
                a->used++;
out:
        pthread_mutex_unlock(&a->mu);
        return res;
}

enum auth_result auth_check(struct auth *a, const char *header, const char *method,
                            const char *path, const char *path_node, const void *body,
                            size_t body_len, int64_t now, char ret_node[SIGN_NODE_MAX + 1]) {
        char key[SIGN_KEY_HEX_LEN + 1];
        struct sign_header h;
        enum auth_result res;
        int r;

        ret_node[0] = '\0';
        if (!header || !*header)
                return AUTH_MISSING;
        if (sign_parse_header(header, &h) < 0)
                return AUTH_BAD_SIGNATURE;
        r = sign_derive_node_key(a->secret, sizeof(a->secret), h.node, key);
        if (r < 0)
                return AUTH_BAD_SIGNATURE;
        r = sign_verify(&h, key, method, path, body, body_len);
        OPENSSL_cleanse(key, sizeof(key));
        if (r < 0)
                return AUTH_BAD_SIGNATURE;
        if (h.ts > now + a->window || h.ts < now - a->window)
                return AUTH_CLOCK_SKEW;
        res = remember(a, &h, now);
        if (res != AUTH_OK)
                return res;
        snprintf(ret_node, SIGN_NODE_MAX + 1, "%s", h.node);
        if (path_node && !STREQ(path_node, h.node))
                return AUTH_WRONG_NODE;
        return AUTH_OK;
}

int auth_sign_response(struct auth *a, const char *header, int status, const char *date,
                       const void *body, size_t body_len, char ret_sig[SIGN_KEY_HEX_LEN + 1]) {
        char key[SIGN_KEY_HEX_LEN + 1];
        struct sign_header h;
        int r;

        if (!header || sign_parse_header(header, &h) < 0)
                return -EINVAL;
        r = sign_derive_node_key(a->secret, sizeof(a->secret), h.node, key);
        if (r >= 0)
                r = sign_response(key, status, date, h.nonce, body, body_len, ret_sig);
        OPENSSL_cleanse(key, sizeof(key));
        return r;
}
