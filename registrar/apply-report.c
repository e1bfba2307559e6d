/* SPDX-License-Identifier: Apache-2.0 */
/* Applying a report to oned.  Per-host serialisation (host-lock), shared pool
 * fetches (host-lookup), the probe step (probe-ensure) and bounded oned
 * calls (one-client) make a burst of reports safe. */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apply-report.h"
#include "filter.h"
#include "macros.h"
#include "one-template.h"
#include "pool-xml.h"
#include "probe-ensure.h"
#include "registrar.h"

void apply_result_done(struct apply_result *res) {
        free(res->pci_filter);
        free(res->pci_short_address);
        res->pci_filter = res->pci_short_address = NULL;
}

_printf_(4, 5) static void answer(struct apply_result *res, int status, const char *error,
                                  const char *fmt, ...) {
        va_list ap;

        res->status = status;
        res->error = error;
        va_start(ap, fmt);
        vsnprintf(res->reason, sizeof(res->reason), fmt, ap);
        va_end(ap);
}

/* oned failed: 503 and a retry later; nothing was half-written. */
static void oned_failed(struct registrar *r, struct apply_result *res, const char *what,
                        const struct one_error *err) {
        answer(res, 503, "oned_unavailable", "%s: %s", what, err->message);
        res->retry_after = r->cfg->retry_after_s;
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static bool str_eq(const char *a, const char *b) {
        return STREQ(a ? a : "", b ? b : "");
}

/* The host's ID by NAME, or allocated with --create-hosts.  0, or res filled. */
static int find_host(struct registrar *r, const char *name, int *ret_id, struct apply_result *res) {
        struct one_error err = {};
        int k;

        k = host_lookup_find(r->lookup, name, ret_id, &err);
        if (k >= 0)
                return 0;
        if (k != -ENOENT) {
                oned_failed(r, res, "finding the host", &err);
                return k;
        }
        if (!r->cfg->create_hosts) {
                answer(res, 409, "unknown_host",
                       "no OpenNebula host named \"%s\" (yet); add it with onehost create, or "
                       "start the registrar with --create-hosts",
                       name);
                res->retry_after = r->cfg->retry_after_s;
                return -ENOENT;
        }
        k = one_host_allocate(r->one, name, r->cfg->im_mad, r->cfg->vm_mad, r->cfg->cluster_id,
                              ret_id, &err);
        if (k == -EREMOTEIO && err.code == ONE_ERR_ALLOCATE) {
                /* Someone else created it meanwhile: look it up again. */
                k = host_lookup_find(r->lookup, name, ret_id, &err);
                if (k >= 0)
                        return 0;
        }
        if (k < 0) {
                oned_failed(r, res, "creating the host", &err);
                return k;
        }
        res->host_created = true;
        return 0;
}

/* The host's state and template as oned has them now. */
static int read_host(struct registrar *r, int id, struct one_host *host, struct apply_result *res) {
        _cleanup_free_ char *xml = NULL;
        struct one_error err = {};
        struct one_host fresh = {};
        int k;

        k = one_host_info(r->one, id, &xml, &err);
        if (k >= 0)
                k = pool_parse_host(xml, strlen(xml), &fresh);
        if (k < 0) {
                if (!err.message[0])
                        snprintf(err.message, sizeof(err.message), "unreadable HOST");
                oned_failed(r, res, "reading the host", &err);
                return k;
        }
        one_host_done(host);
        *host = fresh;
        return 0;
}

/* `onehost forceupdate`, but back to the state the host had.  OFFLINE hosts
 * are left alone by the caller. */
static int force_update(struct registrar *r, const struct one_host *host,
                        struct apply_result *res) {
        int back = one_host_state_disabled(host->state) ? 1 : 0;
        struct one_error err = {};
        int k;

        k = one_host_status(r->one, host->id, 2, &err);
        if (k < 0) {
                oned_failed(r, res, "forcing a monitoring update (offline)", &err);
                return k;
        }
        sleep_ms(r->cfg->forceupdate_pause_ms);
        /* The host must not stay OFFLINE: try a few times. */
        for (int attempt = 0; attempt < 5; attempt++) {
                k = one_host_status(r->one, host->id, back, &err);
                if (k >= 0)
                        return 0;
                sleep_ms(200u << attempt);
        }
        answer(res, 503, "oned_unavailable",
               "host %d was set OFFLINE for a monitoring update and could not be set %s again: "
               "%s",
               host->id, back ? "DISABLED" : "ENABLED", err.message);
        res->retry_after = r->cfg->retry_after_s;
        return k;
}

static void apply_locked(struct registrar *r, const struct pci_report *rep, time_t now,
                         struct apply_result *res) {
        struct one_host host = {};
        struct one_error err = {};
        struct sync_lock held = SYNC_LOCK_INIT;
        _cleanup_free_ char *xml = NULL;
        enum filter_mode mode = r->cfg->filter_mode;
        bool filter_changed, status_changed, pending, need_force, widened = false;
        const char *status = rep->succeeded ? "SUCCEEDED" : "FAILED";
        int id, k;

        if (find_host(r, rep->host_name, &id, res) < 0)
                goto out;
        res->host_id = id;

        struct error_message why = {};
        k = probe_ensure(r, &widened, &err, &why);
        if (k < 0) {
                if (k == -EHOSTDOWN || k == -EREMOTEIO || k == -EBADMSG) {
                        oned_failed(r, res, "widening the probe", &err);
                } else {
                        answer(res, 503, "probe_unavailable", "widening the probe: %s", why.text);
                        res->retry_after = r->cfg->retry_after_s;
                }
                goto out;
        }
        res->probe_widened = widened;

        /* Updates never race a sync's REPLACE of the templates: this
         * instance's (probe_lock, cheap) nor another instance's (the lock
         * files; a sync waiting there goes first, then 503 and a retry). */
        pthread_rwlock_rdlock(&r->probe_lock);
        k = sync_hold_off(r->sync, &held, &why);
        if (k < 0) {
                answer(res, 503, "probe_unavailable", "waiting for a probe sync: %s", why.text);
                res->retry_after = r->cfg->retry_after_s;
                goto unlock;
        }
        /* Read it now: under the host's lock, and after any sync rewrote templates. */
        if (read_host(r, id, &host, res) < 0)
                goto unlock;

        /* Exact slots, once a host has them, are kept up to date in every mode: a
         * stale PCI_SHORT_ADDRESS would hide new devices, and dropping it through a
         * merge is not possible (remove it with onehost update to go back to ids). */
        if (host.pci_short_address && host.pci_short_address[0])
                mode = FILTER_MODE_ADDRESSES;
        k = filter_compute(rep, mode, &res->pci_filter, &res->pci_short_address);
        if (k < 0) {
                answer(res, 500, "internal", "computing the filter: %s", strerror(-k));
                goto unlock;
        }

        filter_changed =
                !str_eq(host.pci_filter, res->pci_filter) ||
                (res->pci_short_address && !str_eq(host.pci_short_address, res->pci_short_address));
        status_changed = !str_eq(host.onepci_status, status);
        /* A forced update that failed after the filter was written is still owed:
         * the template says so, so a retry (or another registrar) finishes it. */
        pending = str_eq(host.onepci_forceupdate, "PENDING");
        need_force = (filter_changed || pending) && !one_host_state_offline(host.state);

        if (filter_changed || status_changed) {
                struct template_update u = {
                        .pci_filter = res->pci_filter,
                        .pci_short_address = res->pci_short_address,
                        .succeeded = rep->succeeded,
                        .reported_at = now,
                        .agent_version = rep->agent_version,
                        .forceupdate = need_force && !pending ? "PENDING" : NULL,
                };

                k = template_render(&u, &xml);
                if (k < 0) {
                        /* Validation upstream makes this unreachable; refuse anyway. */
                        answer(res, 400, "invalid_report",
                               "a value failed the template "
                               "whitelist");
                        goto unlock;
                }
                k = one_host_update(r->one, host.id, xml, 1, &err);
                if (k < 0) {
                        oned_failed(r, res, "updating the host template", &err);
                        goto unlock;
                }
        }
        res->changed = filter_changed;

        if (need_force) {
                _cleanup_free_ char *done = NULL;

                if (force_update(r, &host, res) < 0)
                        goto unlock;
                res->forced_update = true;
                /* Failing to clear the mark only costs one more forced update later. */
                if (template_render_forceupdate_done(&done) >= 0)
                        (void)one_host_update(r->one, host.id, done, 1, &err);
        }
        res->status = 200;
unlock:
        sync_lock_release(&held);
        pthread_rwlock_unlock(&r->probe_lock);
out:
        one_host_done(&host);
}

void apply_report(struct registrar *r, const struct pci_report *rep, time_t now,
                  struct apply_result *res) {
        struct one_error err = {};
        _cleanup_free_ char *version = NULL;
        struct host_lock *lock;
        bool ok;
        int k;

        memset(res, 0, sizeof(*res));
        res->host_id = -1;
        snprintf(res->host_name, sizeof(res->host_name), "%s", rep->host_name);

        k = registrar_check_version(r, &ok, &version, &err);
        if (k < 0) {
                oned_failed(r, res, "asking oned its version", &err);
                return;
        }
        if (!ok) {
                answer(res, 503, "unsupported_opennebula",
                       "OpenNebula %s ignores per-host PCI_FILTER; 7.0 or later is needed, "
                       "nothing was changed",
                       version);
                res->retry_after = 3600;
                return;
        }

        lock = host_lock_acquire(r->locks, rep->host_name);
        if (!lock) {
                answer(res, 500, "internal", "out of memory");
                return;
        }
        apply_locked(r, rep, now, res);
        host_lock_release(r->locks, lock);
}
