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

/* What the background check last found of oned. */
enum oned_health {
        ONED_HEALTH_UNKNOWN,     /* not checked yet, or the last check is overdue */
        ONED_HEALTH_OK,          /* answered, 7.0 or later */
        ONED_HEALTH_UNSUPPORTED, /* answered, older than 7.0 */
        ONED_HEALTH_UNREACHABLE, /* no answer, or a failure */
};

const char *oned_health_to_string(enum oned_health h);

struct registrar {
        /* Replaced whole by registrar_reload(); a replaced one is kept until
         * registrar_free(), so a request reading the old one stays safe. */
        const struct registrar_config *cfg;
        struct registrar_config **retired;
        size_t n_retired;
        struct one_client *one;
        struct host_lookup *lookup;
        struct sync_runner *sync;
        struct host_locks *locks;
        struct metrics *metrics;
        struct auth *auth;
        struct report_store *store;
        /* NULL: host_name trusted as sent.  Read under inventory_lock
         * (registrar_inventory_hold()): a reload swaps it. */
        struct inventory *inventory;
        pthread_rwlock_t inventory_lock;
        struct one_zone *zone;    /* every oned call goes to the zone's leader */
        struct doc_lock *doclock; /* updates vs syncs across front-ends, in oned */

        /* Writers widen the probe and sync; every report holds it for reading
         * while it updates a host, so no update races a sync's REPLACE.
         * Writers are preferred (registrar_new). */
        pthread_rwlock_t probe_lock;

        /* oned's version as last seen (cached for cfg->version_cache_s) and
         * the background check behind /healthz.  version_mu is never held
         * across a call to oned. */
        pthread_mutex_t version_mu;
        char *version;
        time_t version_checked;
        struct oned_health_state {
                enum oned_health health;
                time_t checked; /* when the last check ended */
                char version[64];
        } health;
        pthread_cond_t health_cv;
        pthread_t health_thread;
        bool health_running, health_stopping;

        /* The start-up scan for forced updates left PENDING, retried in the
         * background until it succeeds (registrar_start_pending_scan()). */
        pthread_mutex_t pending_mu;
        pthread_cond_t pending_cv;
        pthread_t pending_thread;
        bool pending_running, pending_stopping;
};

/* Creates the shared objects from cfg (which must outlive the registrar).
 * one is taken over.  inventory (taken over) may be NULL. */
int registrar_new(const struct registrar_config *cfg, struct one_client *one,
                  const uint8_t secret[AUTH_SECRET_LEN], struct inventory *inventory,
                  struct registrar **ret);
void registrar_free(struct registrar *r);

/* SIGHUP: from now on requests see cfg (taken over; the settings fixed at
 * start must already carry their running values, config_keep_fixed()), the
 * secret, and inventory (taken over, may be NULL).  A node removed from the
 * inventory is refused from the next request on. */
int registrar_reload(struct registrar *r, struct registrar_config *cfg,
                     const uint8_t secret[AUTH_SECRET_LEN], struct inventory *inventory);

/* The inventory, held for reading until registrar_inventory_release()
 * (NULL when the registrar has none: still release). */
const struct inventory *registrar_inventory_hold(struct registrar *r);
void registrar_inventory_release(struct registrar *r);

/* Starts the thread that asks oned its version every cfg->health_interval_s
 * seconds (at once, first), logging when the answer changes.  Stopped by
 * registrar_free(). */
int registrar_start_health_check(struct registrar *r);

/* Starts the thread that finishes every forced update left PENDING
 * (apply_pending_forceupdates()) and, while that fails (no leader during a
 * long election, oned down), tries again after first_ms, doubling up to
 * max_ms, until it succeeds once.  Stopped promptly by registrar_free()
 * (between two hosts, or during a wait). */
#define PENDING_SCAN_FIRST_MS 1000
#define PENDING_SCAN_MAX_MS 30000
int registrar_start_pending_scan(struct registrar *r, unsigned first_ms, unsigned max_ms);

/* Whether registrar_free() has begun stopping the background threads: the
 * pending scan checks it between hosts. */
bool registrar_stopping(struct registrar *r);

/* The last check's result, without waiting for oned: a check older than
 * two intervals (oned hangs) reads as ONED_HEALTH_UNREACHABLE.  ret_version
 * gets the version that check saw ("" when none). */
enum oned_health registrar_oned_health(struct registrar *r, char ret_version[64]);

/* oned's version, cached for cfg->version_cache_s.  *ret_ok tells whether it
 * is at least 7.0; ret_version (may be NULL) gets a copy. */
int registrar_check_version(struct registrar *r, bool *ret_ok, char **ret_version,
                            struct one_error *err);
