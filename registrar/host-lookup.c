/* SPDX-License-Identifier: Apache-2.0 */
/* Shared pool fetches: the first caller fetches and parses; callers arriving
 * meanwhile wait for it and share the parsed snapshot (reference counted). */

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "clock.h"
#include "host-lookup.h"
#include "macros.h"

struct snapshot {
        unsigned refs;
        int64_t fetched_ms; /* CLOCK_MONOTONIC */
        int result;
        struct one_error err;
        struct one_host *hosts;
        size_t n;
};

struct host_lookup {
        struct one_client *one;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool in_flight;
        unsigned long started, done;
        struct snapshot *current;
        unsigned fetches;
        unsigned max_age_ms;
};

static void snapshot_unref(struct snapshot *s) {
        if (s && --s->refs == 0) {
                one_hosts_free(s->hosts, s->n);
                free(s);
        }
}

struct host_lookup *host_lookup_new(struct one_client *one, unsigned max_age_ms) {
        struct host_lookup *l = calloc(1, sizeof(*l));

        if (!l)
                return NULL;
        l->one = one;
        l->max_age_ms = max_age_ms;
        pthread_mutex_init(&l->mu, NULL);
        pthread_cond_init(&l->cv, NULL);
        return l;
}

void host_lookup_free(struct host_lookup *l) {
        if (!l)
                return;
        snapshot_unref(l->current);
        pthread_mutex_destroy(&l->mu);
        pthread_cond_destroy(&l->cv);
        free(l);
}

unsigned host_lookup_fetches(struct host_lookup *l) {
        unsigned n;

        pthread_mutex_lock(&l->mu);
        n = l->fetches;
        pthread_mutex_unlock(&l->mu);
        return n;
}

static struct snapshot *fetch(struct one_client *one) {
        struct snapshot *s = calloc(1, sizeof(*s));
        _cleanup_free_ char *xml = NULL;

        if (!s)
                return NULL;
        s->refs = 1;
        s->fetched_ms = monotonic_ms();
        s->result = one_hostpool_info(one, &xml, &s->err);
        if (s->result >= 0) {
                s->result = pool_parse_hosts(xml, strlen(xml), &s->hosts, &s->n);
                if (s->result < 0)
                        snprintf(s->err.message, sizeof(s->err.message),
                                 "one.hostpool.info: answer is not a HOST_POOL");
        }
        free(TAKE_PTR(xml));
        /* The pool's answer and its parse tree (megabytes with a thousand
         * hosts) lived in this worker thread's malloc arena, and glibc keeps
         * an arena's freed pages: with the workers taking turns, every arena
         * ends up holding one pool's worth (soak: 25 -> 49 MB in 10,000
         * reports).  Give them back; this runs once per pool fetch. */
        malloc_trim(0);
        return s;
}

/* A snapshot to read: a fresh enough good one, else the result of a fetch
 * (joining one in flight).  Called and returns with l->mu held; the caller
 * owns a reference. */
static struct snapshot *get_snapshot(struct host_lookup *l, bool force, bool *ret_reused) {
        struct snapshot *s = l->current;
        unsigned long mine;

        *ret_reused =
                !force && s && s->result >= 0 && monotonic_ms() - s->fetched_ms < (int64_t)l->max_age_ms;
        if (*ret_reused) {
                s->refs++;
                return s;
        }
        if (l->in_flight) {
                mine = l->started;
                while (l->done < mine)
                        pthread_cond_wait(&l->cv, &l->mu);
        } else {
                l->in_flight = true;
                mine = ++l->started;
                l->fetches++;
                pthread_mutex_unlock(&l->mu);
                s = fetch(l->one);
                pthread_mutex_lock(&l->mu);
                if (s) {
                        snapshot_unref(l->current);
                        l->current = s;
                }
                l->in_flight = false;
                l->done = mine;
                pthread_cond_broadcast(&l->cv);
        }
        s = l->current;
        if (s)
                s->refs++;
        return s;
}

int host_lookup_find(struct host_lookup *l, const char *name, int *ret_id, struct one_error *err) {
        struct snapshot *s;
        ssize_t i = -1;
        int r;

        pthread_mutex_lock(&l->mu);
        for (int attempt = 0; attempt < 2; attempt++) {
                bool reused;

                /* A name missing from a reused pool is looked up again: it may be new. */
                s = get_snapshot(l, attempt > 0, &reused);
                if (!s) {
                        pthread_mutex_unlock(&l->mu);
                        return -ENOMEM;
                }
                if (s->result < 0) {
                        if (err)
                                *err = s->err;
                        r = s->result;
                        snapshot_unref(s);
                        pthread_mutex_unlock(&l->mu);
                        return r;
                }
                i = pool_find_host(s->hosts, s->n, name);
                if (i >= 0)
                        *ret_id = s->hosts[i].id;
                snapshot_unref(s);
                if (i >= 0 || !reused)
                        break;
        }
        pthread_mutex_unlock(&l->mu);
        return i >= 0 ? 0 : -ENOENT;
}
