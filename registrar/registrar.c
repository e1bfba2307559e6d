/* SPDX-License-Identifier: Apache-2.0 */
/* Construction of the shared registrar objects and the cached version check. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply-report.h"
#include "doc-lock.h"
#include "escape.h"
#include "inventory.h"
#include "log.h"
#include "macros.h"
#include "one-version.h"
#include "one-zone.h"
#include "registrar.h"

/* Waiting longer for another instance's sync than an agent waits for its
 * answer helps nobody: 503 and let it retry.  A failed sync is not tried
 * again for a few seconds; reports meanwhile get its failure at once. */
#define SYNC_LOCK_WAIT_MS 30000
#define SYNC_BACKOFF_MS 5000
/* A call that meets an oned election waits this long for a new leader (one
 * took about 5 s) before the report gets 503. */
#define ZONE_ELECTION_WAIT_MS 12000

static void observe(const char *method, const char *result, void *userdata) {
        metrics_oned_call(userdata, method, result);
}

int registrar_new(const struct registrar_config *cfg, struct one_client *one,
                  const uint8_t secret[AUTH_SECRET_LEN], struct inventory *inventory,
                  struct registrar **ret) {
        struct registrar *r = calloc(1, sizeof(*r));
        int k;

        if (!r)
                return -ENOMEM;
        r->cfg = cfg;
        r->one = one;
        r->inventory = inventory;
        /* glibc prefers readers by default: with reports updating hosts (readers)
         * one after another, one that must widen the probe or learn that its
         * sync failed (a writer) could wait for minutes.  Writers go first. */
        pthread_rwlockattr_t attr;
        pthread_rwlockattr_init(&attr);
        pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
        pthread_rwlock_init(&r->probe_lock, &attr);
        pthread_rwlockattr_destroy(&attr);
        pthread_mutex_init(&r->version_mu, NULL);
        pthread_cond_init(&r->health_cv, NULL);
        pthread_mutex_init(&r->pending_mu, NULL);
        pthread_cond_init(&r->pending_cv, NULL);
        pthread_rwlock_init(&r->inventory_lock, NULL);
        r->lookup = host_lookup_new(one, 5000);
        r->locks = host_locks_new();
        r->metrics = metrics_new();
        r->store = report_store_new();
        if (!r->lookup || !r->locks || !r->metrics || !r->store) {
                registrar_free(r);
                return -ENOMEM;
        }
        k = auth_new(secret, cfg->auth_window_s, AUTH_DEFAULT_REPLAY_PER_NODE, &r->auth);
        if (k >= 0)
                k = sync_runner_new(cfg->sync_command, cfg->remotes_dir, cfg->sync_timeout_s,
                                    SYNC_LOCK_WAIT_MS, SYNC_BACKOFF_MS, &r->sync);
        if (k >= 0)
                k = one_zone_new(one, ZONE_ELECTION_WAIT_MS, &r->zone);
        if (k >= 0)
                k = doc_lock_new(one, SYNC_LOCK_WAIT_MS, cfg->sync_timeout_s + 60, &r->doclock);
        if (k < 0) {
                registrar_free(r);
                return k;
        }
        one_client_set_observer(one, observe, r->metrics);
        one_zone_attach(r->zone);
        *ret = r;
        return 0;
}

static void stop_health_check(struct registrar *r) {
        if (!r->health_running)
                return;
        pthread_mutex_lock(&r->version_mu);
        r->health_stopping = true;
        pthread_cond_broadcast(&r->health_cv);
        pthread_mutex_unlock(&r->version_mu);
        pthread_join(r->health_thread, NULL);
        r->health_running = false;
}

static void stop_pending_scan(struct registrar *r) {
        pthread_mutex_lock(&r->pending_mu);
        r->pending_stopping = true;
        pthread_cond_broadcast(&r->pending_cv);
        pthread_mutex_unlock(&r->pending_mu);
        if (!r->pending_running)
                return;
        /* A scan waiting out an election inside a call gives up at once. */
        one_zone_stop(r->zone);
        pthread_join(r->pending_thread, NULL);
        r->pending_running = false;
}

void registrar_free(struct registrar *r) {
        if (!r)
                return;
        stop_pending_scan(r);
        stop_health_check(r);
        host_lookup_free(r->lookup);
        host_locks_free(r->locks);
        metrics_free(r->metrics);
        report_store_free(r->store);
        auth_free(r->auth);
        sync_runner_free(r->sync);
        doc_lock_free(r->doclock);
        one_zone_free(r->zone);
        one_client_free(r->one);
        if (r->inventory)
                inventory_free(r->inventory);
        free(r->version);
        pthread_rwlock_destroy(&r->probe_lock);
        pthread_mutex_destroy(&r->version_mu);
        pthread_cond_destroy(&r->health_cv);
        pthread_mutex_destroy(&r->pending_mu);
        pthread_cond_destroy(&r->pending_cv);
        pthread_rwlock_destroy(&r->inventory_lock);
        for (size_t i = 0; i < r->n_retired; i++) {
                config_done(r->retired[i]);
                free(r->retired[i]);
        }
        free(r->retired);
        free(r);
}

int registrar_reload(struct registrar *r, struct registrar_config *cfg,
                     const uint8_t secret[AUTH_SECRET_LEN], struct inventory *inventory) {
        struct registrar_config **retired;
        struct inventory *old;

        retired = realloc(r->retired, (r->n_retired + 1) * sizeof(*retired));
        if (!retired)
                return -ENOMEM;
        r->retired = retired;
        r->retired[r->n_retired++] = cfg;
        __atomic_store_n(&r->cfg, cfg, __ATOMIC_RELEASE);

        auth_set_secret(r->auth, secret);

        pthread_rwlock_wrlock(&r->inventory_lock);
        old = r->inventory;
        r->inventory = inventory;
        pthread_rwlock_unlock(&r->inventory_lock);
        if (old)
                inventory_free(old);
        return 0;
}

const struct inventory *registrar_inventory_hold(struct registrar *r) {
        pthread_rwlock_rdlock(&r->inventory_lock);
        return r->inventory;
}

void registrar_inventory_release(struct registrar *r) {
        pthread_rwlock_unlock(&r->inventory_lock);
}

/* Asks oned (never with version_mu held: a hanging oned must not stall
 * whoever only wants the cached answer) and caches what it says. */
static int fetch_version(struct registrar *r, struct one_error *err) {
        char *v = NULL;
        int k;

        k = one_system_version(r->one, &v, err);
        if (k < 0)
                return k;
        pthread_mutex_lock(&r->version_mu);
        free(r->version);
        r->version = v;
        r->version_checked = time(NULL);
        pthread_mutex_unlock(&r->version_mu);
        return 0;
}

/* Whether the cached version is 7.0 or later, and a copy of it. */
static int cached_verdict(struct registrar *r, bool *ret_ok, char **ret_version,
                          struct one_error *err) {
        int k;

        pthread_mutex_lock(&r->version_mu);
        k = one_version_at_least(r->version, 7, 0, ret_ok);
        if (k < 0 && err)
                snprintf(err->message, sizeof(err->message),
                         "one.system.version: unreadable version \"%.64s\"", r->version);
        if (k >= 0 && ret_version) {
                *ret_version = strdup(r->version);
                if (!*ret_version)
                        k = -ENOMEM;
        }
        pthread_mutex_unlock(&r->version_mu);
        return k;
}

int registrar_check_version(struct registrar *r, bool *ret_ok, char **ret_version,
                            struct one_error *err) {
        time_t now = time(NULL);
        bool fresh;
        int k;

        pthread_mutex_lock(&r->version_mu);
        fresh = r->version && now - r->version_checked < (time_t)r->cfg->version_cache_s &&
                now >= r->version_checked;
        pthread_mutex_unlock(&r->version_mu);
        if (!fresh) {
                k = fetch_version(r, err);
                if (k < 0)
                        return k;
        }
        return cached_verdict(r, ret_ok, ret_version, err);
}

const char *oned_health_to_string(enum oned_health h) {
        switch (h) {
        case ONED_HEALTH_OK:
                return "ok";
        case ONED_HEALTH_UNSUPPORTED:
                return "unsupported";
        case ONED_HEALTH_UNREACHABLE:
                return "unreachable";
        case ONED_HEALTH_UNKNOWN:
        default:
                return "unknown";
        }
}

/* One check; the details go to the log when the state changes, never to
 * an anonymous caller. */
static void check_once(struct registrar *r) {
        struct one_error err = {};
        _cleanup_free_ char *version = NULL;
        enum oned_health h, before;
        bool ok = false;
        int k;

        /* The Raft zone first: the version is asked of the leader, and during
         * an election that call waits for a new one (one-zone.h). */
        one_zone_health_refresh(r->zone);
        /* Always asked, whatever the cache: this is how /healthz learns that
         * oned went away. */
        k = fetch_version(r, &err);
        if (k >= 0)
                k = cached_verdict(r, &ok, &version, &err);
        h = k < 0 ? ONED_HEALTH_UNREACHABLE : ok ? ONED_HEALTH_OK : ONED_HEALTH_UNSUPPORTED;
        metrics_oned_up(r->metrics, h == ONED_HEALTH_OK);

        pthread_mutex_lock(&r->version_mu);
        before = r->health.health;
        r->health.health = h;
        r->health.checked = time(NULL);
        snprintf(r->health.version, sizeof(r->health.version), "%s", version ? version : "");
        pthread_mutex_unlock(&r->version_mu);

        if (h == before)
                return;
        if (h == ONED_HEALTH_OK)
                log_info("oned at %s answers (OpenNebula %s)", one_client_endpoint_shown(r->one),
                         version);
        else if (h == ONED_HEALTH_UNSUPPORTED)
                log_warning("oned at %s is OpenNebula %s: 7.0 or later is needed for host "
                            "PCI_FILTER",
                            one_client_endpoint_shown(r->one), version);
        else {
                /* libcurl's text may quote the URL, password and all. */
                mask_url_userinfo(err.message, strlen(err.message));
                log_warning("oned at %s: %s", one_client_endpoint_shown(r->one), err.message);
        }
}

static void *health_thread(void *userdata) {
        struct registrar *r = userdata;
        unsigned interval = r->cfg->health_interval_s;

        for (;;) {
                struct timespec until;

                check_once(r);
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += interval;
                pthread_mutex_lock(&r->version_mu);
                while (!r->health_stopping &&
                       pthread_cond_timedwait(&r->health_cv, &r->version_mu, &until) == 0)
                        ;
                bool stop = r->health_stopping;
                pthread_mutex_unlock(&r->version_mu);
                if (stop)
                        return NULL;
        }
}

int registrar_start_health_check(struct registrar *r) {
        int k;

        if (r->health_running)
                return 0;
        k = -pthread_create(&r->health_thread, NULL, health_thread, r);
        if (k < 0)
                return k;
        r->health_running = true;
        return 0;
}

bool registrar_stopping(struct registrar *r) {
        bool stop;

        pthread_mutex_lock(&r->pending_mu);
        stop = r->pending_stopping;
        pthread_mutex_unlock(&r->pending_mu);
        return stop;
}

struct pending_scan {
        struct registrar *r;
        unsigned first_ms, max_ms;
};

static void *pending_thread(void *userdata) {
        struct pending_scan *p = userdata;
        struct registrar *r = p->r;
        unsigned wait_ms = p->first_ms, max_ms = p->max_ms;

        free(p);
        for (unsigned attempt = 1;; attempt++) {
                struct error_message why = {};
                struct timespec until;
                unsigned done = 0;
                int k;

                k = apply_pending_forceupdates(r, &done, &why);
                if (done > 0)
                        log_info("finished %u forced monitoring update%s left pending", done,
                                 done == 1 ? "" : "s");
                if (registrar_stopping(r))
                        return NULL;
                if (k >= 0) {
                        if (attempt > 1)
                                log_info("no forced monitoring update left pending");
                        return NULL;
                }
                log_warning("forced monitoring updates still pending (attempt %u), trying again "
                            "in %.1f s: %s",
                            attempt, wait_ms / 1000.0, why.text);
                clock_gettime(CLOCK_REALTIME, &until);
                until.tv_sec += wait_ms / 1000;
                until.tv_nsec += (long)(wait_ms % 1000) * 1000000L;
                if (until.tv_nsec >= 1000000000L) {
                        until.tv_sec++;
                        until.tv_nsec -= 1000000000L;
                }
                pthread_mutex_lock(&r->pending_mu);
                while (!r->pending_stopping &&
                       pthread_cond_timedwait(&r->pending_cv, &r->pending_mu, &until) == 0)
                        ;
                bool stop = r->pending_stopping;
                pthread_mutex_unlock(&r->pending_mu);
                if (stop)
                        return NULL;
                wait_ms = wait_ms > max_ms / 2 ? max_ms : wait_ms * 2;
        }
}

int registrar_start_pending_scan(struct registrar *r, unsigned first_ms, unsigned max_ms) {
        struct pending_scan *p;
        int k;

        if (r->pending_running)
                return 0;
        p = malloc(sizeof(*p));
        if (!p)
                return -ENOMEM;
        *p = (struct pending_scan){.r = r, .first_ms = first_ms ? first_ms : 1,
                                   .max_ms = max_ms > first_ms ? max_ms : first_ms};
        k = -pthread_create(&r->pending_thread, NULL, pending_thread, p);
        if (k < 0) {
                free(p);
                return k;
        }
        r->pending_running = true;
        return 0;
}

enum oned_health registrar_oned_health(struct registrar *r, char ret_version[64]) {
        time_t now = time(NULL);
        enum oned_health h;

        pthread_mutex_lock(&r->version_mu);
        h = r->health.health;
        snprintf(ret_version, 64, "%s", r->health.version);
        /* The thread is stuck in a call (oned hangs): do not say "ok" meanwhile. */
        if (h != ONED_HEALTH_UNKNOWN &&
            (now - r->health.checked > 2 * (time_t)r->cfg->health_interval_s ||
             now < r->health.checked))
                h = ONED_HEALTH_UNREACHABLE;
        pthread_mutex_unlock(&r->version_mu);
        return h;
}
