/* SPDX-License-Identifier: Apache-2.0 */
/* Shared pool fetches: the first caller fetches and parses; callers arriving
 * meanwhile wait for it and share the parsed snapshot (reference counted). */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "host-lookup.h"
#include "macros.h"

struct snapshot {
        unsigned refs;
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
};

static void snapshot_unref(struct snapshot *s) {
        if (s && --s->refs == 0) {
                one_hosts_free(s->hosts, s->n);
                free(s);
        }
}

struct host_lookup *host_lookup_new(struct one_client *one) {
        struct host_lookup *l = calloc(1, sizeof(*l));

        if (!l)
                return NULL;
        l->one = one;
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
        s->result = one_hostpool_info(one, &xml, &s->err);
        if (s->result >= 0) {
                s->result = pool_parse_hosts(xml, strlen(xml), &s->hosts, &s->n);
                if (s->result < 0)
                        snprintf(s->err.message, sizeof(s->err.message),
                                 "one.hostpool.info: answer is not a HOST_POOL");
        }
        return s;
}

static int copy_str(char **dst, const char *src) {
        if (!src)
                return 0;
        *dst = strdup(src);
        return *dst ? 0 : -ENOMEM;
}

static int host_copy(const struct one_host *src, struct one_host *ret) {
        struct one_host h = { .id = src->id, .state = src->state, .cluster_id = src->cluster_id };

        if (copy_str(&h.name, src->name) < 0 || copy_str(&h.pci_filter, src->pci_filter) < 0 ||
            copy_str(&h.pci_short_address, src->pci_short_address) < 0 ||
            copy_str(&h.onepci_status, src->onepci_status) < 0 ||
            copy_str(&h.onepci_reported_at, src->onepci_reported_at) < 0) {
                one_host_done(&h);
                return -ENOMEM;
        }
        *ret = h;
        return 0;
}

int host_lookup_find(struct host_lookup *l, const char *name, struct one_host *ret,
                     struct one_error *err) {
        struct snapshot *s;
        unsigned long mine;
        ssize_t i;
        int r;

        pthread_mutex_lock(&l->mu);
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
                if (!s) {
                        pthread_mutex_unlock(&l->mu);
                        return -ENOMEM;
                }
        }
        s = l->current;
        if (!s) {
                pthread_mutex_unlock(&l->mu);
                return -ENOMEM;
        }
        s->refs++;
        pthread_mutex_unlock(&l->mu);

        if (s->result < 0) {
                if (err)
                        *err = s->err;
                r = s->result;
        } else {
                i = pool_find_host(s->hosts, s->n, name);
                r = i < 0 ? -ENOENT : host_copy(&s->hosts[i], ret);
        }
        pthread_mutex_lock(&l->mu);
        snapshot_unref(s);
        pthread_mutex_unlock(&l->mu);
        return r;
}
