/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The running registrar: settings and the shared objects every request
 * uses.  Built by main.c (or a test) and handed to the HTTP server. */

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

#include "auth.h"
#include "host-lock.h"
#include "host-lookup.h"
#include "metrics.h"
#include "one-client.h"
#include "registrar-config.h"
#include "report-store.h"
#include "sync.h"

struct inventory;
struct one_zone;
struct doc_lock;

struct registrar {
        const struct registrar_config *cfg;
        struct one_client *one;
        struct host_lookup *lookup;
        struct sync_runner *sync;
        struct host_locks *locks;
        struct metrics *metrics;
        struct auth *auth;
        struct report_store *store;
        struct inventory *inventory; /* NULL: host_name trusted as sent */
        struct one_zone *zone;       /* every oned call goes to the zone's leader */
        struct doc_lock *doclock;    /* updates vs syncs across front-ends, in oned */

        /* Writers widen the probe and sync; every report holds it for reading
         * while it updates a host, so no update races a sync's REPLACE.
         * Writers are preferred (registrar_new). */
        pthread_rwlock_t probe_lock;

        pthread_mutex_t version_mu;
        char *version;
        time_t version_checked;
};

/* Creates the shared objects from cfg (which must outlive the registrar).
 * one is taken over.  inventory (taken over) may be NULL. */
int registrar_new(const struct registrar_config *cfg, struct one_client *one,
                  const uint8_t secret[AUTH_SECRET_LEN], struct inventory *inventory,
                  struct registrar **ret);
void registrar_free(struct registrar *r);

/* oned's version, cached for cfg->version_cache_s.  *ret_ok tells whether it
 * is at least 7.0; ret_version (may be NULL) gets a copy. */
int registrar_check_version(struct registrar *r, bool *ret_ok, char **ret_version,
                            struct one_error *err);
