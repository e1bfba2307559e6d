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
#include "doc-lock.h"
#include "error-message.h"
#include "filter.h"
#include "forceupdate.h"
#include "macros.h"
#include "one-template.h"
#include "one-zone.h"
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
        /* An election: about when a new leader answers. */
        if (one_zone_is_ha(r->zone) &&
            (err->code == 0 || one_zone_is_election_error(-EREMOTEIO, err)))
                res->retry_after = ONE_ZONE_ELECTION_RETRY_S;
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
static int read_host(struct registrar *r, int id, struct one_host *host, struct one_error *err) {
        _cleanup_free_ char *xml = NULL;
        struct one_host fresh = {};
        int k;

        k = one_host_info(r->one, id, &xml, err);
        if (k >= 0)
                k = pool_parse_host(xml, strlen(xml), &fresh);
        if (k < 0) {
                if (!err->message[0])
                        snprintf(err->message, sizeof(err->message), "unreadable HOST");
                return k;
        }
        one_host_done(host);
        *host = fresh;
        return 0;
}

/* `onehost forceupdate` as plan says: OFFLINE (unless the host is OFFLINE
 * already because a forced update stopped half way), a pause, then back to
 * the state it had, never left OFFLINE while oned answers.  Then the marks
 * say DONE (failing to write that only costs one more forced update). */
static int force_update(struct registrar *r, int id, const struct forceupdate_plan *plan,
                        struct error_message *ret_error) {
        _cleanup_free_ char *done = NULL;
        struct one_error err = {};
        int k;

        if (plan->go_offline) {
                k = one_host_status(r->one, id, ONE_STATUS_OFFLINE, &err);
                if (k < 0) {
                        error_set(ret_error, "forcing a monitoring update (offline): %s",
                                  err.message);
                        return k;
                }
                sleep_ms(r->cfg->forceupdate_pause_ms);
        }
        /* The host must not stay OFFLINE: try a few times. */
        for (int attempt = 0; attempt < 5; attempt++) {
                k = one_host_status(r->one, id, plan->back, &err);
                if (k >= 0)
                        break;
                sleep_ms(200u << attempt);
        }
        if (k < 0) {
                error_set(ret_error,
                          "host %d was set OFFLINE for a monitoring update and could not be set "
                          "%s again (the next report or registrar start finishes it): %s",
                          id, forceupdate_restore_name(plan->back), err.message);
                return k;
        }
        if (template_render_forceupdate_done(&done) >= 0)
                (void)one_host_update(r->one, id, done, 1, &err);
        return 0;
}

/* The marks (PENDING, the state to restore) with the template update u, or
 * alone (u NULL).  -EINVAL when a value fails the whitelist, else as
 * one_host_update(). */
static int write_update(struct registrar *r, int id, const struct template_update *u,
                        const struct forceupdate_plan *plan, struct one_error *err) {
        _cleanup_free_ char *xml = NULL;
        int k;

        if (u)
                k = template_render(u, &xml);
        else
                k = forceupdate_render_marks(plan->back, &xml);
        if (k >= 0 && u && plan->write_marks)
                k = forceupdate_add_restore(&xml, plan->back);
        if (k < 0) {
                snprintf(err->message, sizeof(err->message), "a value failed the template "
                                                             "whitelist");
                return -EINVAL;
        }
        return one_host_update(r->one, id, xml, 1, err);
}

static void apply_locked(struct registrar *r, const struct pci_report *rep, time_t now,
                         struct apply_result *res) {
        struct one_host host = {};
        struct one_error err = {};
        struct error_message msg = {};
        struct sync_lock held = SYNC_LOCK_INIT;
        struct forceupdate_plan plan;
        enum filter_mode mode = r->cfg->filter_mode;
        bool filter_changed, status_changed, widened = false, overlapped;
        const char *status = rep->succeeded ? "SUCCEEDED" : "FAILED";
        long long seq = 0;
        unsigned rounds = 0;
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
        /* And no other front-end's (doc-lock.h). */
        k = doc_lock_hold_off(r->doclock, &seq, &msg);
        if (k < 0) {
                answer(res, 503, k == -ETIMEDOUT ? "probe_unavailable" : "oned_unavailable",
                       "waiting for a probe sync: %s", msg.text);
                res->retry_after = r->cfg->retry_after_s;
                goto unlock;
        }
again:
        /* Read it now: under the host's lock, and after any sync rewrote templates. */
        if (read_host(r, id, &host, &err) < 0) {
                oned_failed(r, res, "reading the host", &err);
                goto unlock;
        }

        /* Exact slots, once a host has them, are kept up to date in every mode: a
         * stale PCI_SHORT_ADDRESS would hide new devices, and dropping it through a
         * merge is not possible (remove it with onehost update to go back to ids). */
        if (host.pci_short_address && host.pci_short_address[0])
                mode = FILTER_MODE_ADDRESSES;
        apply_result_done(res); /* a second round computes them again */
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
         * the template says so, so a retry (or another registrar) finishes it,
         * bringing back a host it left OFFLINE. */
        forceupdate_plan(host.state, host.onepci_forceupdate, host.onepci_forceupdate_restore,
                         filter_changed, &plan);

        if (filter_changed || status_changed) {
                struct template_update u = {
                        .pci_filter = res->pci_filter,
                        .pci_short_address = res->pci_short_address,
                        .succeeded = rep->succeeded,
                        .reported_at = now,
                        .agent_version = rep->agent_version,
                        .forceupdate = plan.write_marks ? FORCEUPDATE_PENDING : NULL,
                };

                k = write_update(r, host.id, &u, &plan, &err);
        } else
                k = plan.write_marks ? write_update(r, host.id, NULL, &plan, &err) : 0;
        if (k == -EINVAL) {
                /* Validation upstream makes this unreachable; refuse anyway. */
                answer(res, 400, "invalid_report", "%s", err.message);
                goto unlock;
        }
        if (k < 0) {
                oned_failed(r, res, "updating the host template", &err);
                goto unlock;
        }
        res->changed = res->changed || filter_changed;

        if (plan.bring_back) {
                k = force_update(r, host.id, &plan, &msg);
                if (k < 0) {
                        answer(res, 503, "oned_unavailable", "%s", msg.text);
                        res->retry_after = r->cfg->retry_after_s;
                        goto unlock;
                }
                res->forced_update = true;
        }
        /* A sync on another front-end may have read the pool before this write
         * and written its older template over it: once it is over, read the
         * host again and write what is missing. */
        k = doc_lock_overlapped(r->doclock, &seq, &overlapped, &msg);
        if (k < 0) {
                answer(res, 503, "oned_unavailable", "after updating the host: %s", msg.text);
                res->retry_after = r->cfg->retry_after_s;
                goto unlock;
        }
        if (overlapped && ++rounds < 4)
                goto again;
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

/* One host's pending forced update, under the same locks as a report. */
static int finish_pending(struct registrar *r, const char *name, int id, bool *ret_done,
                          struct error_message *ret_error) {
        struct one_host host = {};
        struct one_error err = {};
        struct sync_lock held = SYNC_LOCK_INIT;
        struct forceupdate_plan plan;
        struct host_lock *lock;
        struct error_message why = {};
        int k;

        *ret_done = false;
        lock = host_lock_acquire(r->locks, name);
        if (!lock) {
                error_set(ret_error, "out of memory");
                return -ENOMEM;
        }
        pthread_rwlock_rdlock(&r->probe_lock);
        k = sync_hold_off(r->sync, &held, &why);
        if (k < 0) {
                error_set(ret_error, "waiting for a probe sync: %s", why.text);
                goto unlock;
        }
        k = read_host(r, id, &host, &err);
        if (k < 0) {
                error_set(ret_error, "reading host %d: %s", id, err.message);
                goto unlock;
        }
        forceupdate_plan(host.state, host.onepci_forceupdate, host.onepci_forceupdate_restore,
                         false, &plan);
        if (!plan.bring_back) /* done meanwhile, or an OFFLINE host we cannot tell is ours */
                goto unlock;
        if (plan.write_marks) {
                k = write_update(r, id, NULL, &plan, &err);
                if (k < 0) {
                        error_set(ret_error, "host %d: updating the template: %s", id,
                                  err.message);
                        goto unlock;
                }
        }
        k = force_update(r, id, &plan, ret_error);
        *ret_done = k >= 0;
unlock:
        sync_lock_release(&held);
        pthread_rwlock_unlock(&r->probe_lock);
        host_lock_release(r->locks, lock);
        one_host_done(&host);
        return k;
}

int apply_pending_forceupdates(struct registrar *r, unsigned *ret_done,
                               struct error_message *ret_error) {
        _cleanup_free_ char *xml = NULL;
        struct one_host *hosts = NULL;
        struct one_error err = {};
        unsigned done = 0;
        size_t n = 0;
        int k, first = 0;

        k = one_hostpool_info(r->one, &xml, &err);
        if (k >= 0)
                k = pool_parse_hosts(xml, strlen(xml), &hosts, &n);
        if (k < 0) {
                error_set(ret_error, "reading the host pool: %s",
                          err.message[0] ? err.message : "unreadable HOST_POOL");
                *ret_done = 0;
                return k;
        }
        for (size_t i = 0; i < n; i++) {
                struct error_message one = {};
                bool finished;

                if (!str_eq(hosts[i].onepci_forceupdate, FORCEUPDATE_PENDING))
                        continue;
                if (registrar_stopping(r))
                        break;
                k = finish_pending(r, hosts[i].name, hosts[i].id, &finished, &one);
                if (k < 0 && first == 0) {
                        first = k;
                        if (ret_error)
                                *ret_error = one;
                }
                done += finished;
        }
        one_hosts_free(hosts, n);
        *ret_done = done;
        return first;
}
