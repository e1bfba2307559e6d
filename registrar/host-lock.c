/* SPDX-License-Identifier: Apache-2.0 */
/* A list of named mutexes with reference counts.  A thousand hosts reporting
 * at once is a short list under a mutex held for microseconds. */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "host-lock.h"
#include "macros.h"

struct host_lock {
        struct host_lock *next;
        unsigned refs;
        pthread_mutex_t mu;
        char name[];
};

struct host_locks {
        pthread_mutex_t mu;
        struct host_lock *head;
};

struct host_locks *host_locks_new(void) {
        struct host_locks *l = calloc(1, sizeof(*l));

        if (l)
                pthread_mutex_init(&l->mu, NULL);
        return l;
}

void host_locks_free(struct host_locks *l) {
        if (!l)
                return;
        while (l->head) {
                struct host_lock *h = l->head;
                l->head = h->next;
                pthread_mutex_destroy(&h->mu);
                free(h);
        }
        pthread_mutex_destroy(&l->mu);
        free(l);
}

struct host_lock *host_lock_acquire(struct host_locks *l, const char *name) {
        struct host_lock *h;

        pthread_mutex_lock(&l->mu);
        for (h = l->head; h; h = h->next)
                if (STREQ(h->name, name))
                        break;
        if (!h) {
                h = calloc(1, sizeof(*h) + strlen(name) + 1);
                if (!h) {
                        pthread_mutex_unlock(&l->mu);
                        return NULL;
                }
                strcpy(h->name, name);
                pthread_mutex_init(&h->mu, NULL);
                h->next = l->head;
                l->head = h;
        }
        h->refs++;
        pthread_mutex_unlock(&l->mu);
        pthread_mutex_lock(&h->mu);
        return h;
}

void host_lock_release(struct host_locks *l, struct host_lock *h) {
        pthread_mutex_unlock(&h->mu);
        pthread_mutex_lock(&l->mu);
        if (--h->refs == 0) {
                for (struct host_lock **p = &l->head; *p; p = &(*p)->next)
                        if (*p == h) {
                                *p = h->next;
                                break;
                        }
                pthread_mutex_destroy(&h->mu);
                free(h);
        }
        pthread_mutex_unlock(&l->mu);
}

unsigned host_locks_in_use(struct host_locks *l) {
        unsigned n = 0;

        pthread_mutex_lock(&l->mu);
        for (struct host_lock *h = l->head; h; h = h->next)
                n++;
        pthread_mutex_unlock(&l->mu);
        return n;
}
