/* SPDX-License-Identifier: Apache-2.0 */
/* A small list under a mutex; one entry per node that ever reported. */

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "report-store.h"

struct entry {
        struct entry *next;
        char *json;
        char node[];
};

struct report_store {
        pthread_mutex_t mu;
        struct entry *head;
};

struct report_store *report_store_new(void) {
        struct report_store *s = calloc(1, sizeof(*s));

        if (s)
                pthread_mutex_init(&s->mu, NULL);
        return s;
}

void report_store_free(struct report_store *s) {
        if (!s)
                return;
        while (s->head) {
                struct entry *e = s->head;
                s->head = e->next;
                free(e->json);
                free(e);
        }
        pthread_mutex_destroy(&s->mu);
        free(s);
}

int report_store_put(struct report_store *s, const char *node, const char *json) {
        char *copy = strdup(json);
        struct entry *e;

        if (!copy)
                return -ENOMEM;
        pthread_mutex_lock(&s->mu);
        for (e = s->head; e; e = e->next)
                if (STREQ(e->node, node))
                        break;
        if (!e) {
                e = calloc(1, sizeof(*e) + strlen(node) + 1);
                if (!e) {
                        pthread_mutex_unlock(&s->mu);
                        free(copy);
                        return -ENOMEM;
                }
                strcpy(e->node, node);
                e->next = s->head;
                s->head = e;
        }
        free(e->json);
        e->json = copy;
        pthread_mutex_unlock(&s->mu);
        return 0;
}

int report_store_get(struct report_store *s, const char *node, char **ret_json) {
        int r = -ENOENT;

        pthread_mutex_lock(&s->mu);
        for (struct entry *e = s->head; e; e = e->next)
                if (STREQ(e->node, node)) {
                        *ret_json = strdup(e->json);
                        r = *ret_json ? 0 : -ENOMEM;
                        break;
                }
        pthread_mutex_unlock(&s->mu);
        return r;
}
