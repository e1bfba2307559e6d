/* SPDX-License-Identifier: Apache-2.0 */
/* Construction of the shared registrar objects and the cached version check. */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "inventory.h"
#include "macros.h"
#include "pool-xml.h"
#include "registrar.h"

/* Waiting longer for another instance's sync than an agent waits for its
 * answer helps nobody: 503 and let it retry.  A failed sync is not tried
 * again for a few seconds; reports meanwhile get its failure at once. */
#define SYNC_LOCK_WAIT_MS 30000
#define SYNC_BACKOFF_MS 5000

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
        if (k < 0) {
                registrar_free(r);
                return k;
        }
        one_client_set_observer(one, observe, r->metrics);
        *ret = r;
        return 0;
}

void registrar_free(struct registrar *r) {
        if (!r)
                return;
        host_lookup_free(r->lookup);
        host_locks_free(r->locks);
        metrics_free(r->metrics);
        report_store_free(r->store);
        auth_free(r->auth);
        sync_runner_free(r->sync);
        one_client_free(r->one);
        if (r->inventory)
                inventory_free(r->inventory);
        free(r->version);
        pthread_rwlock_destroy(&r->probe_lock);
        pthread_mutex_destroy(&r->version_mu);
        free(r);
}

int registrar_check_version(struct registrar *r, bool *ret_ok, char **ret_version,
                            struct one_error *err) {
        time_t now = time(NULL);
        char *v = NULL;
        int k = 0;

        pthread_mutex_lock(&r->version_mu);
        if (!r->version || now - r->version_checked >= (time_t)r->cfg->version_cache_s ||
            now < r->version_checked) {
                k = one_system_version(r->one, &v, err);
                if (k >= 0) {
                        free(r->version);
                        r->version = v;
                        r->version_checked = now;
                }
        }
        if (k >= 0) {
                k = one_version_at_least(r->version, 7, 0, ret_ok);
                if (k < 0 && err)
                        snprintf(err->message, sizeof(err->message),
                                 "one.system.version: unreadable version \"%.64s\"", r->version);
        }
        if (k >= 0 && ret_version) {
                *ret_version = strdup(r->version);
                if (!*ret_version)
                        k = -ENOMEM;
        }
        pthread_mutex_unlock(&r->version_mu);
        return k;
}
