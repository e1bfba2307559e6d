/* SPDX-License-Identifier: Apache-2.0 */
#include "strmap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"


static size_t hash_str(const char *s) {
        size_t h = 1469598103934665603ULL; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static int strmap_resize(struct strmap *m, size_t ncap) {
        struct strmap_slot *slots = calloc(ncap, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < m->cap; i++) {
                if (!m->slots[i].key)
                        continue;
                size_t j = hash_str(m->slots[i].key) & (ncap - 1);
                while (slots[j].key)
                        j = (j + 1) & (ncap - 1);
                slots[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = slots;
        m->cap = ncap;
        return 0;
}

int strmap_put(struct strmap *m, const char *key, size_t val, size_t *ret_existing) {
        if ((m->n + 1) * 2 > m->cap) {
                int r = strmap_resize(m, m->cap ? m->cap * 2 : 16);
                if (r < 0)
                        return r;
        }
        size_t j = hash_str(key) & (m->cap - 1);
        while (m->slots[j].key) {
                if (STREQ(m->slots[j].key, key)) {
                        if (ret_existing)
                                *ret_existing = m->slots[j].val;
                        return 1;
                }
                j = (j + 1) & (m->cap - 1);
        }
        m->slots[j].key = key;
        m->slots[j].val = val;
        m->n++;
        return 0;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *ret) {
        if (m->cap == 0)
                return false;
        size_t j = hash_str(key) & (m->cap - 1);
        while (m->slots[j].key) {
                if (STREQ(m->slots[j].key, key)) {
                        if (ret)
                                *ret = m->slots[j].val;
                        return true;
                }
                j = (j + 1) & (m->cap - 1);
        }
        return false;
}

void strmap_done(struct strmap *m) {
        free(m->slots);
        *m = (struct strmap){0};
}

