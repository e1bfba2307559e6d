/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Open-addressing map from borrowed strings to indexes. */

#include <stdbool.h>
#include <stddef.h>

struct strmap {
        struct strmap_slot {
                const char *key;
                size_t val;
        } * slots;
        size_t n, cap;
};

/* Inserts key; when it is already there, leaves it and returns 1 with its
 * value in *ret_existing (may be NULL).  0 inserted, -ENOMEM. */
int strmap_put(struct strmap *m, const char *key, size_t val, size_t *ret_existing);
bool strmap_get(const struct strmap *m, const char *key, size_t *ret);
void strmap_done(struct strmap *m);
