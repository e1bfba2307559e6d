/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Finding a host by NAME with one.hostpool.info.  Name lookups are batched:
 * a report that arrives while a pool fetch is in flight waits for that
 * fetch and reads its answer, so a thousand concurrent reports cost a few
 * pool fetches, not a thousand. */

#include <stdbool.h>

#include "one-client.h"
#include "pool-xml.h"

struct host_lookup;

struct host_lookup *host_lookup_new(struct one_client *one);
void host_lookup_free(struct host_lookup *l);

/* Fills ret (a copy the caller releases with one_host_done) and returns 0;
 * -ENOENT when no host has that NAME; oned errors as one-client.h. */
int host_lookup_find(struct host_lookup *l, const char *name, struct one_host *ret,
                     struct one_error *err);

/* Pool fetches done so far (for tests). */
unsigned host_lookup_fetches(struct host_lookup *l);
