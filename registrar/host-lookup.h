/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Finding a host's ID by NAME with one.hostpool.info.  Name lookups are
 * batched: a report that arrives while a pool fetch is in flight waits for
 * that fetch and reads its answer, and a pool younger than max_age_ms is
 * reused (a name missing from a reused pool is fetched again), so a thousand
 * concurrent reports cost a few pool fetches, not a thousand.  Only the
 * NAME -> ID mapping comes from here: state and template are read fresh with
 * one.host.info under the host's lock. */

#include <stdbool.h>

#include "one-client.h"
#include "pool-xml.h"

struct host_lookup;

struct host_lookup *host_lookup_new(struct one_client *one, unsigned max_age_ms);
void host_lookup_free(struct host_lookup *l);

/* 0 with the host's ID; -ENOENT when no host has that NAME; oned errors as
 * one-client.h. */
int host_lookup_find(struct host_lookup *l, const char *name, int *ret_id, struct one_error *err);

/* Pool fetches done so far (for tests). */
unsigned host_lookup_fetches(struct host_lookup *l);
