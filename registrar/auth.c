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

/* The replay cache: for each node that sent a validly signed request, the
 * nonces it used, each kept until its time stamp leaves the window (after
 * that a replay is refused as clock_skew anyway) and no longer.  Each node
 * has its own bounded share, so a stolen key fills its own node's share and
 * locks out nobody else. */
struct seen {
        int64_t expires; /* ts + window: after that the entry no longer matters */
        char nonce[SIGN_NONCE_HEX_LEN + 1];
};

struct replay_node {
        struct replay_node *next; /* hash chain */
        char node[SIGN_NODE_MAX + 1];
        struct seen *seen;
        size_t n, cap;       /* entries in use (live or expired), allocated */
        int64_t last_expiry; /* the latest expires: the whole share is dead after it */
};

#define REPLAY_BUCKETS 1024
/* Every node's share together: a memory bound, reached only by many stolen keys at once. */
#define REPLAY_TOTAL_MAX (1u << 20)
/* How often (requests) nodes whose whole share expired are dropped. */
#define REPLAY_SWEEP_EVERY 4096

struct auth {
        pthread_mutex_t mu; /* the secret (reloadable) and the replay cache */
        uint8_t secret[AUTH_SECRET_LEN];
        unsigned window;
        size_t per_node_max;
        struct replay_node *buckets[REPLAY_BUCKETS];
        size_t total; /* entries of every node */
        unsigned since_sweep;
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

int auth_secret_create(const char *path, struct error_message *ret_error) {
        uint8_t raw[AUTH_SECRET_LEN];
        char hex[2 * AUTH_SECRET_LEN + 2];
        _cleanup_close_ int fd = -1;
        int r = 0;

        if (RAND_bytes(raw, sizeof(raw)) != 1) {
                error_set(ret_error, "no random bytes");
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
                error_set(ret_error, "%s: %s", path,
                          r == -EEXIST ? "exists already (not overwritten: every node key "
                                         "derives from it)"
                                       : strerror(-r));
                goto out;
        }
        if (fchmod(fd, 0600) < 0 || write(fd, hex, strlen(hex)) != (ssize_t)strlen(hex) ||
            fsync(fd) < 0) {
                r = errno ? -errno : -EIO;
                error_set(ret_error, "%s: %s", path, strerror(-r));
                unlink(path);
        }
out:
        OPENSSL_cleanse(hex, sizeof(hex));
        return r;
}

int auth_secret_load(const char *path, bool create, uint8_t ret[AUTH_SECRET_LEN],
                     struct error_message *ret_error) {
        _cleanup_free_ char *data = NULL;
        struct stat st;
        size_t len;
        int r;

        if (stat(path, &st) < 0) {
                r = -errno;
                if (r != -ENOENT || !create) {
                        error_set(ret_error, "%s: %s", path, strerror(-r));
                        return r;
                }
                r = auth_secret_create(path, ret_error);
                if (r < 0 && r != -EEXIST)
                        return r;
                if (stat(path, &st) < 0) {
                        r = -errno;
                        error_set(ret_error, "%s: %s", path, strerror(-r));
                        return r;
                }
        }
        if (st.st_mode & 077) {
                error_set(ret_error, "%s: readable by group or others (mode %04o); chmod 600 it",
                          path, (unsigned)(st.st_mode & 07777));
                return -EPERM;
        }
        r = read_file_bounded(path, 256, &data, &len);
        if (r < 0) {
                error_set(ret_error, "%s: %s", path, strerror(-r));
                return r;
        }
        r = sign_parse_hex_key(data, ret);
        OPENSSL_cleanse(data, len);
        if (r < 0)
                error_set(ret_error, "%s: not 64 hex characters and a newline", path);
        return r;
}

int auth_new(const uint8_t secret[AUTH_SECRET_LEN], unsigned window_s, size_t replay_per_node,
             struct auth **ret) {
        struct auth *a;

        if (window_s == 0 || replay_per_node == 0 || replay_per_node > REPLAY_TOTAL_MAX)
                return -EINVAL;
        a = calloc(1, sizeof(*a));
        if (!a)
                return -ENOMEM;
        memcpy(a->secret, secret, AUTH_SECRET_LEN);
        a->window = window_s;
        a->per_node_max = replay_per_node;
        pthread_mutex_init(&a->mu, NULL);
        *ret = a;
        return 0;
}

static void replay_node_free(struct replay_node *n) {
        free(n->seen);
        free(n);
}

void auth_free(struct auth *a) {
        if (!a)
                return;
        OPENSSL_cleanse(a->secret, sizeof(a->secret));
        pthread_mutex_destroy(&a->mu);
        for (size_t i = 0; i < REPLAY_BUCKETS; i++)
                while (a->buckets[i]) {
                        struct replay_node *n = a->buckets[i];
                        a->buckets[i] = n->next;
                        replay_node_free(n);
                }
        free(a);
}

void auth_set_secret(struct auth *a, const uint8_t secret[AUTH_SECRET_LEN]) {
        pthread_mutex_lock(&a->mu);
        memcpy(a->secret, secret, AUTH_SECRET_LEN);
        pthread_mutex_unlock(&a->mu);
}

size_t auth_replay_entries(struct auth *a) {
        size_t n;

        pthread_mutex_lock(&a->mu);
        n = a->total;
        pthread_mutex_unlock(&a->mu);
        return n;
}

static size_t bucket_of(const char *node) {
        uint64_t h = 1469598103934665603ULL;

        for (; *node; node++)
                h = (h ^ (uint8_t)*node) * 1099511628211ULL;
        return (size_t)(h % REPLAY_BUCKETS);
}

/* Drops the nodes whose every entry has expired.  Called with a->mu held. */
static void sweep(struct auth *a, int64_t now) {
        for (size_t i = 0; i < REPLAY_BUCKETS; i++)
                for (struct replay_node **p = &a->buckets[i]; *p;) {
                        struct replay_node *n = *p;
                        if (n->last_expiry >= now) {
                                p = &n->next;
                                continue;
                        }
                        *p = n->next;
                        a->total -= n->n;
                        replay_node_free(n);
                }
        a->since_sweep = 0;
}

static struct replay_node *find_node(struct auth *a, const char *node, bool create) {
        size_t b = bucket_of(node);
        struct replay_node *n;

        for (n = a->buckets[b]; n; n = n->next)
                if (STREQ(n->node, node))
                        return n;
        if (!create)
                return NULL;
        n = calloc(1, sizeof(*n));
        if (!n)
                return NULL;
        snprintf(n->node, sizeof(n->node), "%s", node);
        n->next = a->buckets[b];
        a->buckets[b] = n;
        return n;
}

/* Remembers (node, nonce) until its time stamp leaves the window.
 * AUTH_REPLAY when already there, AUTH_BUSY when the node's share is full of
 * live entries (forgetting one would allow its replay). */
static enum auth_result remember(struct auth *a, const struct sign_header *h, int64_t now) {
        enum auth_result res = AUTH_OK;
        struct replay_node *n;
        struct seen *slot = NULL;

        pthread_mutex_lock(&a->mu);
        if (++a->since_sweep >= REPLAY_SWEEP_EVERY)
                sweep(a, now);
        n = find_node(a, h->node, true);
        if (!n) {
                res = AUTH_BUSY;
                goto out;
        }
        for (size_t i = 0; i < n->n; i++) {
                struct seen *s = &n->seen[i];
                if (s->expires < now) {
                        slot = slot ?: s; /* expired: free for reuse */
                        continue;
                }
                if (STREQ(s->nonce, h->nonce)) {
                        res = AUTH_REPLAY;
                        goto out;
                }
        }
        if (!slot) {
                if (n->n >= a->per_node_max || a->total >= REPLAY_TOTAL_MAX) {
                        res = AUTH_BUSY;
                        goto out;
                }
                if (n->n == n->cap) {
                        size_t cap = n->cap ? n->cap * 2 : 8;
                        if (cap > a->per_node_max)
                                cap = a->per_node_max;
                        struct seen *grown = realloc(n->seen, cap * sizeof(*grown));
                        if (!grown) {
                                res = AUTH_BUSY;
                                goto out;
                        }
                        n->seen = grown;
                        n->cap = cap;
                }
                slot = &n->seen[n->n++];
                a->total++;
        }
        slot->expires = h->ts + a->window;
        snprintf(slot->nonce, sizeof(slot->nonce), "%s", h->nonce);
        if (slot->expires > n->last_expiry)
                n->last_expiry = slot->expires;
out:
        pthread_mutex_unlock(&a->mu);
        return res;
}

/* The key of a node, derived from the current secret. */
static int node_key(struct auth *a, const char *node, char ret_key[SIGN_KEY_HEX_LEN + 1]) {
        int r;

        pthread_mutex_lock(&a->mu);
        r = sign_derive_node_key(a->secret, sizeof(a->secret), node, ret_key);
        pthread_mutex_unlock(&a->mu);
        return r;
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
        r = node_key(a, h.node, key);
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
        r = node_key(a, h.node, key);
        if (r >= 0)
                r = sign_response(key, status, date, h.nonce, body, body_len, ret_sig);
        OPENSSL_cleanse(key, sizeof(key));
        return r;
}
