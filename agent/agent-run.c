/* SPDX-License-Identifier: Apache-2.0 */
#include "agent-run.h"

#include <errno.h>
#include <stdarg.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "cleanup-json.h"
#include "clock.h"
#include "context.h"
#include "driverctl.h"
#include "escape.h"
#include "exit-codes.h"
#include "fileio.h"
#include "guards.h"
#include "host-config.h"
#include "identity.h"
#include "error-message.h"
#include "inventory.h"
#include "iommu.h"
#include "log.h"
#include "macros.h"
#include "output.h"
#include "pci-snapshot.h"
#include "plan.h"
#include "preflight.h"
#include "name-rules.h"
#include "node-key.h"
#include "owned.h"
#include "registrar-client.h"
#include "registrar-url.h"
#include "report.h"
#include "run-program.h"
#include "run-record.h"
#include "sriov.h"
#include "state-file.h"
#include "strv.h"
#include "vfio-holders.h"
#include "vfio-rule.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct inv_value *, inv_value_unref)

enum agent_command { CMD_PLAN, CMD_APPLY, CMD_CHECK, CMD_REGISTER };

/* Everything one run holds; released by run_state_clear(). */
struct run_state {
        const struct agent_options *o;
        enum agent_command command;
        struct onepci_context *ctx;
        struct identity_facts *identity;
        struct inventory *inv;
        struct host_config *cfg;
        struct pci_snapshot *snap;
        struct pci_snapshot *after;
        struct guard_facts *guards;
        struct plan *plan;
        struct owned owned;       /* what onepci did, from the state file; updated by apply */
        bool owned_read;
        struct run_record rec;
};

static void run_state_clear(struct run_state *s) {
        run_record_clear(&s->rec);
        owned_clear(&s->owned);
        plan_free(s->plan);
        guard_facts_free(s->guards);
        pci_snapshot_free(s->after);
        pci_snapshot_free(s->snap);
        host_config_free(s->cfg);
        inventory_free(s->inv);
        identity_facts_free(s->identity);
        onepci_context_free(s->ctx);
}

/* Records an error for the output and returns the exit code to use. */
static int fail(struct run_state *s, int code, const char *fmt, ...) _printf_(3, 4);
static int fail(struct run_state *s, int code, const char *fmt, ...) {
        _cleanup_free_ char *msg = NULL;
        va_list ap;
        va_start(ap, fmt);
        if (vasprintf(&msg, fmt, ap) < 0)
                msg = NULL;
        va_end(ap);
        if (msg)
                (void)strv_push(&s->rec.errors, msg);
        s->rec.exit_code = code;
        return code;
}

static int format_inv_error(struct run_state *s, int code, const struct error_message *e) {
        char line[ERROR_MESSAGE_FORMAT_MAX];
        return fail(s, code, "%s",
                    error_message_format(e, s->o->inventory, NULL, line, sizeof(line)));
}

/* Inventory → identity → this host's configuration. */
static int load_host(struct run_state *s) {
        struct error_message err = { 0 };
        int r = identity_collect(s->ctx, s->o->host, &s->identity);
        if (r < 0)
                return fail(s, EXIT_INTERNAL, "cannot collect this machine's identity: %s",
                            strerror(-r));

        struct inventory_load_options lo = {
                .keep_host = identity_keep_host,
                .userdata = s->identity,
        };
        r = inventory_load(s->o->inventory, &lo, &s->inv, &err);
        if (r < 0) {
                if (!err.text[0])
                        snprintf(err.text, sizeof(err.text), "cannot read the inventory: %s",
                                 strerror(-r));
                return format_inv_error(s, EXIT_CONFIG, &err);
        }

        _cleanup_free_ char *name = NULL, *why = NULL;
        r = identity_resolve(s->identity, s->inv, &name, &why);
        if (r < 0)
                return fail(s, EXIT_IDENTITY, "%s", why ? why : "cannot tell which inventory host this is");

        _cleanup_(inv_value_unrefp) struct inv_value *vars = NULL;
        r = inventory_host_vars(s->inv, name, &vars);
        if (r < 0)
                return fail(s, EXIT_CONFIG, "%s: cannot resolve the variables of host %s: %s",
                            s->o->inventory, name, strerror(-r));
        r = host_config_from_vars(name, vars, &s->cfg, &err);
        if (r < 0)
                return format_inv_error(s, EXIT_CONFIG, &err);

        s->rec.host = strdup(s->cfg->name);
        s->rec.one_host_name = strdup(s->cfg->one_host_name);
        s->rec.enabled = s->cfg->enabled && s->cfg->n_selectors > 0;
        return 0;
}

/* What onepci did before, from the state file (once per run). */
static int read_owned(struct run_state *s) {
        if (s->owned_read)
                return 0;
        s->owned_read = true;
        _cleanup_(json_object_putp) struct json_object *st = NULL;
        int r = state_file_read(s->ctx, &st);
        if (r == -EBADMSG)
                (void)strv_pushf(&s->rec.warnings, "the state file %s is not what onepci wrote: "
                                                   "nothing is given back this run", STATE_FILE_PATH);
        if (r < 0)
                return 0;
        if (owned_from_state(st, &s->owned) < 0)
                return fail(s, EXIT_INTERNAL, "out of memory");
        return 0;
}

/* A device to be given back that a process holds (its /dev/vfio/N is open)
 * is refused, naming the process, unless --force. */
/* The IOMMU group of a device to give back, or of one of a PF's VFs on
 * vfio-pci when its VFs are to go: -1 when none is on vfio-pci. */
static int held_group(const struct run_state *s, const struct plan_item *it, size_t *pos) {
        if (it->action == PLAN_RELEASE) {
                if (*pos > 0 || !it->dev || it->dev->iommu_group < 0 ||
                    !STREQ(it->dev->driver, "vfio-pci"))
                        return -1;
                (*pos)++;
                return it->dev->iommu_group;
        }
        for (; *pos < s->snap->n; (*pos)++) {
                const struct pci_device *d = &s->snap->devices[*pos];
                if (STREQ(d->physfn, it->address) && STREQ(d->driver, "vfio-pci") &&
                    d->iommu_group >= 0) {
                        (*pos)++;
                        return d->iommu_group;
                }
        }
        return -1;
}

static int check_holders(struct run_state *s) {
        for (size_t i = 0; i < s->plan->n; i++) {
                struct plan_item *it = &s->plan->items[i];
                if (it->action != PLAN_RELEASE && !it->give_back_vfs)
                        continue;
                size_t pos = 0;
                int group;
                _cleanup_strv_free_ char **holders = NULL;
                while (!holders && (group = held_group(s, it, &pos)) >= 0) {
                        int r = vfio_group_holders(s->ctx, group, &holders);
                        if (r < 0)
                                return fail(s, EXIT_INTERNAL, "cannot look for users of "
                                            "/dev/vfio/%d: %s", group, strerror(-r));
                }
                if (!holders)
                        continue;
                char who[240];
                size_t more = strv_length(holders) - 1;
                snprintf(who, sizeof(who), "%.200s%s", holders[0], more ? " and others" : "");
                char why[sizeof(it->reason) + sizeof(who) + 64];
                if (s->o->force) {
                        snprintf(why, sizeof(why), "%.100s; /dev/vfio/%d is held by PID %s "
                                 "(--force)", it->reason, group, who);
                        snprintf(it->reason, sizeof(it->reason), "%.380s", why);
                        continue;
                }
                snprintf(why, sizeof(why), "to be given back, but /dev/vfio/%d is held by "
                         "PID %s; stop it (or use --force)", group, who);
                it->action = PLAN_REFUSE_HELD;
                snprintf(it->reason, sizeof(it->reason), "%.380s", why);
        }
        return 0;
}

/* Snapshot, guards and plan.  Refusals decide the exit code. */
static int make_plan(struct run_state *s) {
        struct error_message err = { 0 };
        int r = pci_snapshot_read(s->ctx, &s->snap, &err);
        if (r < 0)
                return fail(s, EXIT_PREFLIGHT, "cannot read the PCI bus under %s: %s",
                            s->ctx->root, error_is_set(&err) ? err.text : strerror(-r));
        r = guards_collect(s->ctx, &s->guards);
        if (r < 0)
                return fail(s, EXIT_PREFLIGHT, "cannot tell which devices the host depends on: %s",
                            strerror(-r));
        r = read_owned(s);
        if (r)
                return r;
        r = plan_compute_owned(s->cfg, s->snap, s->guards, &s->owned, &s->plan);
        if (r < 0)
                return fail(s, EXIT_INTERNAL, "planning failed: %s", strerror(-r));
        r = plan_add_releases(s->plan, s->snap, &s->owned);
        if (r < 0)
                return fail(s, EXIT_INTERNAL, "planning failed: %s", strerror(-r));
        r = check_holders(s);
        if (r)
                return r;
        s->rec.plan = s->plan;
        r = plan_pci_filter(s->plan, &s->rec.pci_filter);
        if (r < 0)
                return fail(s, EXIT_INTERNAL, "cannot compute the PCI_FILTER: %s", strerror(-r));

        int code = 0;
        for (size_t i = 0; i < s->plan->n; i++) {
                const struct plan_item *it = &s->plan->items[i];
                if (!plan_action_is_refusal(it->action))
                        continue;
                bool preflight = it->action == PLAN_REFUSE_MISSING || /* held: a guard */
                                 it->action == PLAN_REFUSE_DEVICE || it->action == PLAN_REFUSE_NAME;
                int c = preflight ? EXIT_PREFLIGHT : EXIT_GUARD;
                /* A pre-flight failure outranks a guard refusal: fix the inventory first. */
                if (code == 0 || c == EXIT_PREFLIGHT)
                        code = c;
                (void)strv_pushf(&s->rec.errors, "%s refused: %s", it->address, it->reason);
        }
        if (code) {
                s->rec.exit_code = code;
                return code;
        }
        return 0;
}

/* vfio-pci and driverctl: only needed when something will be bound. */
static int preflight(struct run_state *s, char **ret_driverctl) {
        struct error_message err = { 0 };
        if (preflight_vfio_pci(s->ctx, &err) < 0)
                return fail(s, EXIT_PREFLIGHT, "%s",
                            error_is_set(&err) ? err.text : "vfio-pci is not available");
        int r = preflight_driverctl(s->ctx, ret_driverctl, &err);
        if (r < 0)
                return fail(s, EXIT_PREFLIGHT, "%s",
                            error_is_set(&err) ? err.text : "driverctl is not available");
        return 0;
}

/* The IOMMU groups of the devices that end on vfio-pci (unique). */
static size_t vfio_groups(const struct plan *p, int *groups) {
        size_t n = 0;
        for (size_t i = 0; i < p->n; i++) {
                const struct plan_item *it = &p->items[i];
                if (!plan_action_ends_on_vfio(it->action) || !it->dev)
                        continue;
                bool seen = false;
                for (size_t j = 0; j < n; j++)
                        seen = seen || groups[j] == it->dev->iommu_group;
                if (!seen)
                        groups[n++] = it->dev->iommu_group;
        }
        return n;
}

/* Gives back a device whose override onepci set: driverctl unset-override
 * (the default driver comes back, the saved override goes), or, for a
 * device no longer on the bus, its saved override file only. */
static int release_device(struct run_state *s, const char *driverctl, const struct plan_item *it) {
        s->rec.changed = true;
        if (!it->dev) {
                _cleanup_free_ char *saved = ctx_pathf(s->ctx, "etc/driverctl.d/pci-%s", it->address);
                if (!saved)
                        return fail(s, EXIT_INTERNAL, "out of memory");
                if (unlink(saved) < 0 && errno != ENOENT)
                        return fail(s, EXIT_APPLY, "cannot remove %s: %s", saved, strerror(errno));
                owned_remove(&s->owned, it->address);
                return 0;
        }
        _cleanup_free_ char *err = NULL;
        int r = driverctl_unset_override(driverctl, it->address, DRIVERCTL_TIMEOUT_MS, &err);
        if (r < 0)
                return fail(s, EXIT_APPLY, "driverctl unset-override %s failed (%s)%s%s",
                            it->address, r == -ETIMEDOUT ? "timed out" : strerror(-r),
                            err && err[0] ? ": " : "", err ? err : "");
        owned_remove(&s->owned, it->address);
        return 0;
}

/* Gives back a PF's VFs onepci enabled: 0 VFs, the eswitch back to legacy
 * when onepci set switchdev. */
static int release_vfs(struct run_state *s, const struct plan_item *it) {
        const struct owned_vfs *o = owned_find_vfs(&s->owned, it->address);
        bool legacy = o && o->switchdev;
        _cleanup_free_ char *devlink = NULL;
        struct error_message err = { 0 };
        if (legacy && devlink_locate(s->ctx, &devlink) < 0)
                return fail(s, EXIT_PREFLIGHT, "devlink (iproute2) is needed to set the eswitch of "
                            "%s back to legacy%s", it->address,
                            s->ctx->live ? "" : " (under --root, give --devlink)");
        s->rec.changed = true;
        if (sriov_release_pf(s->ctx, it->address, legacy, devlink, NULL, &err) < 0)
                return fail(s, EXIT_APPLY, "%s", err.text);
        owned_remove_vfs(&s->owned, it->address);
        return 0;
}

static int bind_devices(struct run_state *s, const char *driverctl) {
        int64_t start = monotonic_ms();
        int code = 0;
        /* Overrides are given back first (a VF's before its PF loses its VFs),
         * then VFs, then binds (a PF once its VFs are gone). */
        for (size_t i = 0; i < s->plan->n && code == 0; i++)
                if (s->plan->items[i].action == PLAN_RELEASE)
                        code = release_device(s, driverctl, &s->plan->items[i]);
        for (size_t i = 0; i < s->plan->n && code == 0; i++)
                if (s->plan->items[i].give_back_vfs)
                        code = release_vfs(s, &s->plan->items[i]);
        for (size_t i = 0; i < s->plan->n && code == 0; i++) {
                const struct plan_item *it = &s->plan->items[i];
                if (it->action != PLAN_BIND && it->action != PLAN_OVERRIDE)
                        continue;
                const char *driver = it->action == PLAN_BIND ? "vfio-pci" : it->driver;
                _cleanup_free_ char *err = NULL;
                int r = driverctl_set_override(driverctl, it->address, driver,
                                               DRIVERCTL_TIMEOUT_MS, &err);
                s->rec.changed = true;
                if (r == 0 && owned_add(&s->owned, it->address, driver,
                                        it->dev ? it->dev->mac : NULL) < 0)
                        code = fail(s, EXIT_INTERNAL, "out of memory");
                if (r < 0)
                        code = fail(s, EXIT_APPLY, "driverctl set-override %s %s failed (%s)%s%s",
                                    it->address, driver,
                                    r == -ETIMEDOUT ? "timed out" : strerror(-r),
                                    err && err[0] ? ": " : "", err ? err : "");
        }
        s->rec.driverctl_s = (double)(monotonic_ms() - start) / 1000.0;
        return code;
}

/* driverctl only checks that SOME driver is bound: read sysfs again and
 * compare with what the plan wanted. */
static int verify_bound(struct run_state *s) {
        struct error_message err = { 0 };
        int r = pci_snapshot_read(s->ctx, &s->after, &err);
        if (r < 0)
                return fail(s, EXIT_APPLY, "cannot re-read the PCI bus after binding: %s",
                            error_is_set(&err) ? err.text : strerror(-r));
        s->rec.after = s->after;
        int code = 0;
        for (size_t i = 0; i < s->plan->n; i++) {
                const struct plan_item *it = &s->plan->items[i];
                const struct pci_device *d = pci_snapshot_find(s->after, it->address);
                if (it->action == PLAN_RELEASE) {
                        if (d && (d->saved_override[0] || STREQ(d->driver_override, it->driver)))
                                code = fail(s, EXIT_APPLY, "%s still has an override after "
                                            "driverctl unset-override", it->address);
                        continue;
                }
                if (it->action == PLAN_OVERRIDE) {
                        if (!(d && STREQ(d->driver, it->driver)))
                                code = fail(s, EXIT_APPLY, "%s is not on %s after binding: %s",
                                            it->address, it->driver,
                                            !d ? "the device disappeared"
                                               : d->driver[0] ? d->driver : "no driver is bound");
                        continue;
                }
                if (!plan_action_ends_on_vfio(it->action))
                        continue;
                if (d && STREQ(d->driver, "vfio-pci"))
                        continue;
                code = fail(s, EXIT_APPLY, "%s is not on vfio-pci after binding: %s", it->address,
                            !d ? "the device disappeared" :
                            d->driver[0] ? d->driver : "no driver is bound");
        }
        return code;
}

static int install_rule(struct run_state *s, bool write) {
        s->rec.rule_checked = true;
        s->rec.rule_path = ctx_path(s->ctx, VFIO_RULE_PATH);
        snprintf(s->rec.rule_group, sizeof(s->rec.rule_group), "%s", s->cfg->vfio_group);
        s->rec.rule_mode = (unsigned)s->cfg->vfio_mode;

        if (!write) {
                _cleanup_free_ char *want = NULL, *have = NULL;
                int r = vfio_rule_render(s->cfg->vfio_group, s->cfg->vfio_mode, &want);
                if (r < 0)
                        return fail(s, EXIT_INTERNAL, "cannot render the udev rule: %s", strerror(-r));
                r = read_file_bounded(s->rec.rule_path, 64 * 1024, &have, NULL);
                s->rec.rule_changed = r < 0 || !STREQ(have, want);
                return 0;
        }
        int r = vfio_rule_install(s->ctx, s->cfg->vfio_group, s->cfg->vfio_mode, &s->rec.rule_changed);
        if (r < 0)
                return fail(s, EXIT_APPLY, "cannot write %s: %s", s->rec.rule_path, strerror(-r));
        s->rec.changed = s->rec.changed || s->rec.rule_changed;
        return 0;
}

/* /dev/vfio/N: on a live system reload udev, re-trigger and wait; under a
 * fixture root only report what is there. */
static int settle_vfio_nodes(struct run_state *s, struct vfio_watch *watch) {
        _cleanup_free_ int *groups = calloc(s->plan->n + 1, sizeof(int));
        if (!groups)
                return fail(s, EXIT_INTERNAL, "out of memory");
        size_t n = vfio_groups(s->plan, groups);
        s->rec.nodes = calloc(n + 1, sizeof(*s->rec.nodes));
        if (!s->rec.nodes)
                return fail(s, EXIT_INTERNAL, "out of memory");
        s->rec.n_nodes = n;

        if (!s->ctx->live) {
                (void)strv_push(&s->rec.skipped, "udevadm control --reload, re-trigger of /dev/vfio "
                                                 "and the wait for udev (--root is not /)");
                for (size_t i = 0; i < n; i++)
                        (void)vfio_node_stat(s->ctx, groups[i], &s->rec.nodes[i]);
                return 0;
        }
        s->rec.nodes_live = true;
        int64_t start = monotonic_ms();
        int r = vfio_rule_apply_live(watch, groups, n, s->cfg->vfio_group, s->cfg->vfio_mode,
                                     s->o->udev_timeout_ms, s->rec.nodes);
        s->rec.udev_s = (double)(monotonic_ms() - start) / 1000.0;
        if (r < 0)
                return fail(s, EXIT_APPLY, "udev did not give /dev/vfio nodes group %s and mode %04o "
                                           "within %d ms: %s", s->cfg->vfio_group,
                            (unsigned)s->cfg->vfio_mode, s->o->udev_timeout_ms, strerror(-r));
        return 0;
}

static void write_state(struct run_state *s) {
        _cleanup_(json_object_putp) struct json_object *st = output_json_build(&s->rec);
        if (!st)
                return;
        char stamp[32];
        time_t now = time(NULL);
        strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
        char digest[65];
        json_object_object_add(st, "schema", json_object_new_int(1));
        json_object_object_add(st, "owned", owned_to_json(&s->owned));
        json_object_object_add(st, "applied_at", json_object_new_string(stamp));
        if (file_sha256_hex(s->o->inventory, digest) == 0)
                json_object_object_add(st, "inventory_sha256", json_object_new_string(digest));
        int r = state_file_write(s->ctx, st);
        if (r < 0)
                (void)strv_pushf(&s->rec.warnings, "cannot write the state file %s: %s",
                                 STATE_FILE_PATH, strerror(-r));
}

/* Should this apply write the state file?  When it changed something, when
 * there is none, or when the inventory changed since. */
static bool state_is_stale(struct run_state *s) {
        if (s->rec.changed || s->rec.exit_code != EXIT_OK)
                return true;
        _cleanup_(json_object_putp) struct json_object *old = NULL;
        if (state_file_read(s->ctx, &old) < 0)
                return true;
        char digest[65];
        struct json_object *v = NULL;
        if (file_sha256_hex(s->o->inventory, digest) < 0 ||
            !json_object_object_get_ex(old, "inventory_sha256", &v))
                return true;
        return !STREQ(json_object_get_string(v), digest);
}

static void warn_oneadmin(struct run_state *s) {
        if (vfio_oneadmin_missing_from_group(s->ctx, s->cfg->vfio_group))
                (void)strv_pushf(&s->rec.warnings,
                                 "user oneadmin is not in group %s: VMs run by oneadmin cannot open "
                                 "/dev/vfio/N (usermod -aG %s oneadmin)",
                                 s->cfg->vfio_group, s->cfg->vfio_group);
}

/* "OpenNebula host X (id 3): PCI_FILTER=..., changed" from the registrar's 200 answer. */
static char *describe_acceptance(const char *url, const struct registrar_client_result *res) {
        _cleanup_(json_object_putp) struct json_object *o = res->body ? json_tokener_parse(res->body) : NULL;
        struct json_object *v;
        const char *host = "?", *filter = "", *short_addr = NULL;
        int id = -1;
        bool changed = false;
        if (o) {
                if (json_object_object_get_ex(o, "host_name", &v))
                        host = json_object_get_string(v);
                if (json_object_object_get_ex(o, "host_id", &v))
                        id = json_object_get_int(v);
                if (json_object_object_get_ex(o, "pci_filter", &v) && v)
                        filter = json_object_get_string(v);
                if (json_object_object_get_ex(o, "pci_short_address", &v) && v)
                        short_addr = json_object_get_string(v);
                if (json_object_object_get_ex(o, "changed", &v))
                        changed = json_object_get_boolean(v);
        }
        /* The registrar's words reach the terminal and the journal: escaped. */
        _cleanup_free_ char *host_e = escape_untrusted(host), *filter_e = escape_untrusted(filter);
        _cleanup_free_ char *short_e = short_addr ? escape_untrusted(short_addr) : NULL;
        char *msg = NULL;
        if (!host_e || !filter_e || (short_addr && !short_e))
                return NULL;
        if (asprintf(&msg,
                     "%s accepted the report after %u attempt(s): OpenNebula host %s (id %d) "
                     "PCI_FILTER=\"%s\"%s%s%s, %s",
                     url, res->attempts, host_e, id, filter_e,
                     short_e ? " PCI_SHORT_ADDRESS=\"" : "", short_e ? short_e : "",
                     short_e ? "\"" : "", changed ? "updated" : "already set") < 0)
                return NULL;
        return msg;
}

static int do_register(struct run_state *s, bool succeeded) {
        if (s->o->no_register) {
                (void)strv_push(&s->rec.skipped, "registration (--no-register)");
                return 0;
        }
        s->rec.register_attempted = true;
        _cleanup_free_ char *url = NULL, *body = NULL;
        _cleanup_(json_object_putp) struct json_object *report = NULL;
        struct error_message err = { 0 };
        char key[SIGN_KEY_HEX_LEN + 1];

        int r = registrar_url_resolve(s->o->registrar_url, s->cfg, s->inv, &url, &err);
        if (r == 0)
                r = node_key_load(s->o->key_file, key, &err);
        if (r == 0) {
                if (s->command == CMD_REGISTER)
                        r = report_build_current(s->cfg, s->plan, s->snap, succeeded,
                                                 s->rec.errors, &report);
                else
                        r = report_build(s->cfg, s->plan, s->after ? s->after : s->snap,
                                         succeeded, s->rec.errors, &report);
                if (r == 0)
                        r = report_to_string(report, &body);
        }
        if (r < 0) {
                s->rec.register_message = strdup(error_is_set(&err) ? err.text : strerror(-r));
                return EXIT_REGISTER;
        }

        struct registrar_client_options ro;
        agent_options_to_registrar(s->o, url, s->cfg->name, key, &ro);
        struct registrar_client_result res = { 0 };
        r = registrar_client_send_report(&ro, body, &res);
        explicit_bzero(key, sizeof(key));
        s->rec.registered = r == 0;
        if (r == 0)
                s->rec.register_message = describe_acceptance(url, &res);
        else
                (void)asprintf(&s->rec.register_message, "%s: %s", url, res.error.text);
        registrar_client_result_clear(&res);
        return r == 0 ? 0 : EXIT_REGISTER;
}

/* What `apply` would send, assuming it binds everything it plans to. */
static void preview_report(struct run_state *s) {
        _cleanup_(json_object_putp) struct json_object *report = NULL;
        if (report_build(s->cfg, s->plan, s->snap, true, s->rec.errors, &report) < 0 ||
            report_to_string(report, &s->rec.report_preview) < 0)
                return;
        if (registrar_url_resolve(s->o->registrar_url, s->cfg, s->inv, &s->rec.report_url, NULL) < 0)
                s->rec.report_url = NULL;
}

/* SR-IOV first, so VFs exist before anything binds them: for each PF the
 * plan gives VFs, its override goes, switchdev, the count (agent/sriov.h).
 * When anything changed, the bus is read and the plan made again. */
static int change_vfs(struct run_state *s) {
        _cleanup_free_ char *driverctl = NULL, *devlink = NULL;
        bool changed = false;
        for (size_t i = 0; i < s->plan->n; i++) {
                const struct plan_item *it = &s->plan->items[i];
                if (it->action != PLAN_VFS || !it->dev || it->selector >= s->cfg->n_selectors)
                        continue;
                const struct device_selector *sel = &s->cfg->selectors[it->selector];
                const struct owned_vfs *o = owned_find_vfs(&s->owned, it->address);
                struct sriov_pf_change c = {
                        .address = it->address,
                        .current = it->dev->sriov_numvfs,
                        .want = it->numvfs,
                        .has_override = it->dev->saved_override[0] || it->dev->driver_override[0],
                        .switchdev = sel->switchdev,
                        .switchdev_done = o && o->switchdev,
                        .legacy = o && o->switchdev && !sel->switchdev,
                };
                if (!sriov_change_needed(&c))
                        continue;
                if (c.has_override && !driverctl) {
                        int r = preflight(s, &driverctl);
                        if (r)
                                return r;
                }
                if ((c.switchdev || c.legacy) && !devlink &&
                    devlink_locate(s->ctx, &devlink) < 0)
                        return fail(s, EXIT_PREFLIGHT, "devlink (iproute2) is needed for "
                                    "set_switchdev on %s%s", it->address,
                                    s->ctx->live ? ": install iproute2" : " (under --root, give --devlink)");
                struct error_message err = { 0 };
                s->rec.changed = true;
                changed = true;
                if (sriov_change_pf(s->ctx, &c, driverctl, devlink, NULL, &err) < 0)
                        return fail(s, EXIT_APPLY, "%s", err.text);
                const char *drv = it->dev->driver[0] && !STREQ(it->dev->driver, "vfio-pci")
                                          ? it->dev->driver : "unknown";
                if (owned_add_vfs(&s->owned, it->address, drv, c.want, c.switchdev) < 0)
                        return fail(s, EXIT_INTERNAL, "out of memory");
        }
        if (!changed)
                return 0;
        /* The VFs are new devices: read the bus and plan again. */
        plan_free(TAKE_PTR(s->plan));
        s->rec.plan = NULL;
        pci_snapshot_free(TAKE_PTR(s->snap));
        guard_facts_free(TAKE_PTR(s->guards));
        free(TAKE_PTR(s->rec.pci_filter));
        return make_plan(s);
}

/* Brings a generated rule file in line with want (NULL: the file should not
 * exist).  Without write only the drift is recorded.  Returns 0, or fail()'s
 * exit code; *ret_written says whether the file was written or removed. */
static int settle_rule_file(struct run_state *s, const char *path, const char *want, bool write,
                            const char *what, bool *ret_written) {
        _cleanup_free_ char *have = NULL;
        bool exists = read_file_bounded(path, 256 * 1024, &have, NULL) == 0;
        bool differs = want ? !exists || !STREQ(have, want) : exists;
        *ret_written = false;
        if (!differs)
                return 0;
        if (!write) {
                (void)strv_pushf(&s->rec.drift, "%s is missing or differs from the %s the "
                                 "inventory asks for", path, what);
                return 0;
        }
        s->rec.changed = true;
        int r = want ? write_file_atomic(path, want, strlen(want), 0644)
                     : (unlink(path) < 0 ? -errno : 0);
        if (r < 0)
                return fail(s, EXIT_APPLY, "cannot write %s: %s", path, strerror(-r));
        *ret_written = true;
        return 0;
}

/* ROOT/etc/udev/rules.d/70-onepci-sriov.rules: the VFs the inventory asks
 * for, made again at boot.  Removed when none is asked. */
static int install_sriov_rule(struct run_state *s, bool write) {
        _cleanup_free_ struct sriov_rule_pf *pfs = calloc(s->plan->n + 1, sizeof(*pfs));
        _cleanup_free_ char *path = ctx_path(s->ctx, SRIOV_RULE_PATH);
        _cleanup_free_ char *want = NULL, *devlink = NULL;
        size_t n = 0;
        if (!pfs || !path)
                return fail(s, EXIT_INTERNAL, "out of memory");
        for (size_t i = 0; i < s->plan->n; i++) {
                const struct plan_item *it = &s->plan->items[i];
                if (it->action != PLAN_VFS || it->selector >= s->cfg->n_selectors)
                        continue;
                pfs[n++] = (struct sriov_rule_pf){ .address = it->address, .numvfs = it->numvfs,
                                                   .switchdev = s->cfg->selectors[it->selector].switchdev };
        }
        if (n > 0) {
                (void)devlink_locate(s->ctx, &devlink);
                if (sriov_rule_render(pfs, n, s->ctx->live ? devlink : NULL, &want) < 0)
                        return fail(s, EXIT_INTERNAL, "out of memory");
        }
        bool written;
        return settle_rule_file(s, path, want, write, "VFs", &written);
}

/* A changed names rule reaches existing /dev/vfio/N (their by-tag links)
 * only through a new event: reload udev and re-trigger those nodes
 * ("change"), waiting for udev.  Interfaces are renamed only when added. */
static void names_retrigger(struct run_state *s, const struct name_rule *rules, size_t n) {
        _cleanup_free_ char *udevadm = NULL;
        if (program_find("udevadm", &udevadm) < 0) {
                (void)strv_push(&s->rec.warnings, "udevadm not found: /dev/vfio/by-tag links "
                                                  "appear at the next boot");
                return;
        }
        const char *reload[] = { "control", "--reload", NULL };
        (void)run_program(udevadm, reload, NULL, 30 * 1000, NULL);
        for (size_t i = 0; i < n; i++) {
                const struct plan_item *it = NULL;
                for (size_t j = 0; j < s->plan->n && !it; j++)
                        if (STREQ(s->plan->items[j].address, rules[i].address))
                                it = &s->plan->items[j];
                if (!rules[i].vfio || !it || !it->dev || it->dev->iommu_group < 0)
                        continue;
                char sys[64];
                snprintf(sys, sizeof(sys), "/sys/devices/virtual/vfio/%d", it->dev->iommu_group);
                const char *args[] = { "trigger", "--action=change", "--settle", sys, NULL };
                if (run_program(udevadm, args, NULL, 30 * 1000, NULL) < 0)
                        (void)strv_pushf(&s->rec.warnings, "udevadm trigger %s failed: the "
                                         "by-tag link of %s appears at the next boot", sys,
                                         rules[i].address);
        }
}

/* ROOT/etc/udev/rules.d/99-onepci-names.rules from the names the plan made
 * (agent/name-rules.h); removed when there are none. */
static int install_names_rule(struct run_state *s, bool write) {
        _cleanup_free_ struct name_rule *rules = calloc(s->plan->n + 1, sizeof(*rules));
        _cleanup_free_ char *path = ctx_path(s->ctx, NAME_RULES_PATH);
        _cleanup_free_ char *want = NULL;
        size_t n = 0;
        if (!rules || !path)
                return fail(s, EXIT_INTERNAL, "out of memory");
        for (size_t i = 0; i < s->plan->n; i++) {
                const struct plan_item *it = &s->plan->items[i];
                if (!it->name[0] || plan_action_is_refusal(it->action) ||
                    it->action == PLAN_RELEASE || it->action == PLAN_EXCLUDED)
                        continue;
                bool vfio = plan_action_ends_on_vfio(it->action);
                bool net = it->dev && (it->dev->ifname[0] || strncmp(it->dev->class6, "02", 2) == 0);
                if (!vfio && !net)
                        continue; /* only interfaces and vfio devices are named (as the role) */
                rules[n++] = (struct name_rule){ .address = it->address, .name = it->name,
                                                 .vfio = vfio };
        }
        if (n > 0 && name_rules_render(rules, n, &want) < 0)
                return fail(s, EXIT_INTERNAL, "out of memory");
        bool written;
        int r = settle_rule_file(s, path, want, write, "names", &written);
        if (r != 0 || !written)
                return r;
        if (s->ctx->live)
                names_retrigger(s, rules, n);
        for (size_t i = 0; i < n; i++)
                if (!rules[i].vfio)
                        (void)strv_pushf(&s->rec.warnings, "%s will be named %s when it is added "
                                         "again (a reboot, or its driver unbound and bound): the "
                                         "kernel does not rename an interface that is up",
                                         rules[i].address, rules[i].name);
        return 0;
}

static int run_apply(struct run_state *s) {
        _cleanup_free_ char *driverctl = NULL;
        _cleanup_(vfio_watch_freep) struct vfio_watch *watch = NULL;
        int r = change_vfs(s);
        if (r)
                return r;
        bool binds = plan_count(s->plan, PLAN_BIND) + plan_count(s->plan, PLAN_OVERRIDE) +
                     plan_count(s->plan, PLAN_RELEASE) + plan_count(s->plan, PLAN_RELEASE_VFS) +
                     plan_count_give_back_vfs(s->plan) > 0;

        if (binds) {
                r = preflight(s, &driverctl);
                if (r)
                        return r;
                /* The monitor must be listening before the first bind. */
                if (s->ctx->live && vfio_watch_start(&watch) < 0)
                        (void)strv_push(&s->rec.warnings, "cannot watch udev events; "
                                                          "/dev/vfio nodes are checked once");
                r = bind_devices(s, driverctl);
                if (r)
                        return r;
        }
        r = verify_bound(s);
        if (r)
                return r;
        r = install_rule(s, true);
        if (r)
                return r;
        r = install_sriov_rule(s, true);
        if (r)
                return r;
        /* Before udev is reloaded and the vfio devices re-triggered. */
        r = install_names_rule(s, true);
        if (r)
                return r;
        r = settle_vfio_nodes(s, watch);
        if (r)
                return r;
        warn_oneadmin(s);
        return 0;
}

static int run_check(struct run_state *s) {
        for (size_t i = 0; i < s->plan->n; i++) {
                const struct plan_item *it = &s->plan->items[i];
                if (it->action == PLAN_RELEASE || it->action == PLAN_RELEASE_VFS)
                        (void)strv_pushf(&s->rec.drift, "%s would be given back: %s", it->address,
                                         it->reason);
                else if (it->give_back_vfs)
                        (void)strv_pushf(&s->rec.drift, "%s would give back the VFs onepci made: "
                                         "%s", it->address, it->reason);
                if (it->action == PLAN_VFS && it->dev && it->dev->sriov_numvfs != it->numvfs)
                        (void)strv_pushf(&s->rec.drift, "%s has %d VFs, the inventory asks for %d",
                                         it->address, it->dev->sriov_numvfs, it->numvfs);
                if (it->action == PLAN_OVERRIDE)
                        (void)strv_pushf(&s->rec.drift, "%s is on %s, not settled on %s",
                                         it->address,
                                         it->dev->driver[0] ? it->dev->driver : "no driver",
                                         it->driver);
                if (it->action == PLAN_BIND)
                        (void)strv_pushf(&s->rec.drift, "%s is on %s, not settled on vfio-pci%s",
                                         it->address, it->dev->driver[0] ? it->dev->driver : "no driver",
                                         it->dev->saved_override[0] ? "" : " (no saved driverctl override)");
        }
        int r = install_rule(s, false);
        if (r)
                return r;
        r = install_sriov_rule(s, false);
        if (r)
                return r;
        r = install_names_rule(s, false);
        if (r)
                return r;
        if (s->rec.rule_changed)
                (void)strv_pushf(&s->rec.drift, "%s is missing or differs from the inventory's "
                                                "GROUP=\"%s\" MODE=\"%04o\"",
                                 s->rec.rule_path, s->cfg->vfio_group, (unsigned)s->cfg->vfio_mode);
        if (s->rec.drift) {
                s->rec.exit_code = EXIT_DRIFT;
                return EXIT_DRIFT;
        }
        return 0;
}

static int run_steps(struct run_state *s) {
        const struct agent_options *o = s->o;
        int r = onepci_context_new(o->root, &s->ctx);
        if (r < 0)
                return fail(s, EXIT_USAGE, "--root %s: %s", o->root, strerror(-r));
        if (o->driverctl && !(s->ctx->driverctl = strdup(o->driverctl)))
                return fail(s, EXIT_INTERNAL, "out of memory");
        if (o->devlink && !(s->ctx->devlink = strdup(o->devlink)))
                return fail(s, EXIT_INTERNAL, "out of memory");
        s->ctx->no_install = o->no_install;

        r = load_host(s);
        if (r)
                return r;
        if (!s->rec.enabled) {
                /* Passthrough off or no devices: still give back what onepci did. */
                r = read_owned(s);
                if (r)
                        return r;
                if (s->owned.n == 0 && s->owned.n_vfs == 0)
                        return 0;
                s->rec.enabled = true;
        }

        /* Without an IOMMU every device would be refused for lacking a group;
         * say the real reason once instead. */
        struct error_message iommu_err = { 0 };
        if (iommu_check_active(s->ctx, &iommu_err) < 0)
                return fail(s, EXIT_PREFLIGHT, "%s", error_is_set(&iommu_err) ? iommu_err.text
                                                                              : "the IOMMU is not active");

        r = make_plan(s);
        switch (s->command) {
        case CMD_PLAN:
                if (r == 0)
                        (void)install_rule(s, false);
                if (!o->no_register)
                        preview_report(s);
                return r;
        case CMD_CHECK:
                return r ? r : run_check(s);
        case CMD_REGISTER: {
                if (r)
                        return r;
                int c = run_check(s);
                int reg = do_register(s, c == 0);
                return c ? c : reg;
        }
        case CMD_APPLY:
                if (r == 0)
                        r = run_apply(s);
                if (r == 0 && state_is_stale(s))
                        write_state(s);
                else if (r && s->rec.changed)
                        write_state(s);
                /* A failed local apply is still reported; a refusal changed nothing. */
                if (r == 0 || r == EXIT_APPLY) {
                        int reg = do_register(s, r == 0);
                        if (r == 0)
                                r = reg;
                }
                return r;
        }
        return 0;
}

static int run(const struct agent_options *o, enum agent_command command, const char *name) {
        struct run_state s = { .o = o, .command = command };
        s.rec.command = name;
        s.rec.inventory_path = strdup(o->inventory);

        int code = run_steps(&s);
        s.rec.exit_code = code;
        struct rusage ru;
        if (getrusage(RUSAGE_SELF, &ru) == 0)
                s.rec.cpu_s = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                              (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
        for (size_t i = 0; s.rec.errors && s.rec.errors[i]; i++)
                log_error("%s", s.rec.errors[i]);
        if (o->json)
                output_json(&s.rec, stdout);
        else
                output_text(&s.rec, stdout);
        run_state_clear(&s);
        return code;
}

int agent_plan(const struct agent_options *o) {
        return run(o, CMD_PLAN, "plan");
}

int agent_apply(const struct agent_options *o) {
        return run(o, CMD_APPLY, "apply");
}

int agent_check(const struct agent_options *o) {
        return run(o, CMD_CHECK, "check");
}

int agent_register(const struct agent_options *o) {
        return run(o, CMD_REGISTER, "register");
}
