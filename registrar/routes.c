/* SPDX-License-Identifier: Apache-2.0 */
/* Routing, authentication and the JSON answers.  Signed routes check the
 * signature before reading anything else of the request. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "apply-report.h"
#include "auth.h"
#include "cloud-config.h"
#include "inventory.h"
#include "macros.h"
#include "registrar.h"
#include "report-validate.h"
#include "routes.h"
#include "sign.h"

#define HOSTS_PREFIX "/v1/hosts/"

enum route { ROUTE_NONE, ROUTE_HEALTHZ, ROUTE_METRICS, ROUTE_HOST, ROUTE_PCI, ROUTE_INVENTORY };

/* Splits /v1/hosts/NAME[/pci|/inventory]; name must be a valid node name. */
static enum route match(const char *path, char name[SIGN_NODE_MAX + 1]) {
        const char *rest, *slash;
        size_t len;

        if (STREQ(path, "/healthz"))
                return ROUTE_HEALTHZ;
        if (STREQ(path, "/metrics"))
                return ROUTE_METRICS;
        if (strncmp(path, HOSTS_PREFIX, strlen(HOSTS_PREFIX)) != 0)
                return ROUTE_NONE;
        rest = path + strlen(HOSTS_PREFIX);
        slash = strchr(rest, '/');
        len = slash ? (size_t)(slash - rest) : strlen(rest);
        if (len == 0 || len > SIGN_NODE_MAX)
                return ROUTE_NONE;
        memcpy(name, rest, len);
        name[len] = '\0';
        if (!sign_node_name_valid(name))
                return ROUTE_NONE;
        if (!slash)
                return ROUTE_HOST;
        if (STREQ(slash, "/pci"))
                return ROUTE_PCI;
        if (STREQ(slash, "/inventory"))
                return ROUTE_INVENTORY;
        return ROUTE_NONE;
}

bool routes_is_inline(const char *method, const char *path) {
        char name[SIGN_NODE_MAX + 1];
        enum route rt = match(path, name);

        return rt == ROUTE_NONE || rt == ROUTE_METRICS || rt == ROUTE_HEALTHZ;
}

/* From the background check, without waiting for oned; what went wrong is
 * in the log and /metrics, not told to anonymous callers. */
static void healthz(struct registrar *r, struct http_reply *reply) {
        char version[64];
        enum oned_health h = registrar_oned_health(r, version);
        struct json_object *o = json_object_new_object();

        if (!o) {
                reply_error(reply, 500, "internal", NULL, 0);
                return;
        }
        json_object_object_add(o, "oned", json_object_new_string(oned_health_to_string(h)));
        if ((h == ONED_HEALTH_OK || h == ONED_HEALTH_UNSUPPORTED) && version[0])
                json_object_object_add(o, "version", json_object_new_string(version));
        if (h != ONED_HEALTH_OK)
                reply->retry_after = r->cfg->retry_after_s;
        reply_json(reply, h == ONED_HEALTH_OK ? 200 : 503, o);
}

/* The onepci_reports_total result of a refusal: each reason its own, so a
 * wrong key rolled out (bad_signature), a replaying proxy or attacker
 * (replay) and a node with a wrong clock (clock_skew) can be told apart.
 * "unauthorized" is kept for requests with no credentials at all. */
static const char *auth_metric(enum auth_result a) {
        switch (a) {
        case AUTH_MISSING:
                return "unauthorized";
        case AUTH_WRONG_NODE:
                return "forbidden";
        case AUTH_BAD_SIGNATURE:
        case AUTH_CLOCK_SKEW:
        case AUTH_REPLAY:
        case AUTH_BUSY:
                return auth_result_to_string(a);
        case AUTH_OK:
        default:
                return "error";
        }
}

/* 0 when the request is signed by the node the path names; else the reply is set. */
static int authenticate(struct registrar *r, const struct http_request *req, const char *name,
                        struct http_reply *reply) {
        char node[SIGN_NODE_MAX + 1];
        enum auth_result a;

        a = auth_check(r->auth, req->authorization, req->method, req->path, name, req->body,
                       req->body_len, req->now, node);
        switch (a) {
        case AUTH_OK:
                return 0;
        case AUTH_WRONG_NODE:
                reply_error(reply, 403, "wrong_node",
                            "a node may only report for itself: signed by another node", 0);
                break;
        case AUTH_BUSY:
                reply_error(reply, 503, "busy",
                            "too many requests from this node in the replay window",
                            r->cfg->retry_after_s);
                break;
        case AUTH_CLOCK_SKEW:
                reply_error(reply, 401, "clock_skew",
                            "time stamp outside the window: sign again using this answer's "
                            "Date header",
                            0);
                break;
        default:
                reply_error(reply, 401, auth_result_to_string(a), NULL, 0);
                break;
        }
        metrics_report(r->metrics, auth_metric(a));
        return -EACCES;
}

/* The OpenNebula host NAME the inventory gives the node: ansible_host, else its name. */
static int expected_host_name(const struct inventory *inv, const char *node, char **ret) {
        struct inv_value *vars = NULL;
        const char *addr = NULL;
        int k;

        k = inventory_host_vars(inv, node, &vars);
        if (k < 0)
                return k;
        const struct inv_value *v = inv_map_get(vars, "ansible_host");
        if (v)
                addr = inv_value_str(v);
        *ret = strdup(addr && *addr ? addr : node);
        inv_value_unref(vars);
        return *ret ? 0 : -ENOMEM;
}

static struct json_object *result_json(const struct pci_report *rep,
                                       const struct apply_result *res) {
        struct json_object *o = json_object_new_object();

        if (!o)
                return NULL;
        json_object_object_add(o, "host_id", json_object_new_int(res->host_id));
        json_object_object_add(o, "host_name", json_object_new_string(res->host_name));
        json_object_object_add(o, "pci_filter",
                               res->pci_filter ? json_object_new_string(res->pci_filter) : NULL);
        json_object_object_add(
                o, "pci_short_address",
                res->pci_short_address ? json_object_new_string(res->pci_short_address) : NULL);
        json_object_object_add(o, "changed", json_object_new_boolean(res->changed));
        json_object_object_add(o, "forced_update", json_object_new_boolean(res->forced_update));
        json_object_object_add(o, "probe_widened", json_object_new_boolean(res->probe_widened));
        json_object_object_add(o, "host_created", json_object_new_boolean(res->host_created));
        (void)rep;
        return o;
}

/* Remembers what happened for GET /v1/hosts/{name}. */
static void store_outcome(struct registrar *r, const char *node, const struct pci_report *rep,
                          int status, struct json_object *answer, int64_t now) {
        struct json_object *o = json_object_new_object();
        char when[32];
        struct tm tm;
        time_t t = (time_t)now;

        if (!o)
                return;
        gmtime_r(&t, &tm);
        strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        json_object_object_add(o, "inventory_name", json_object_new_string(node));
        json_object_object_add(o, "reported_at", json_object_new_string(when));
        json_object_object_add(o, "status", json_object_new_int(status));
        if (rep) {
                struct json_object *errs = json_object_new_array();
                json_object_object_add(o, "host_name", json_object_new_string(rep->host_name));
                json_object_object_add(o, "agent_version",
                                       json_object_new_string(rep->agent_version));
                json_object_object_add(
                        o, "result",
                        json_object_new_string(rep->succeeded ? "succeeded" : "failed"));
                for (size_t i = 0; errs && i < rep->n_errors; i++)
                        json_object_array_add(errs, json_object_new_string(rep->errors[i]));
                json_object_object_add(o, "errors", errs);
                json_object_object_add(o, "devices", json_object_new_int((int)rep->n_devices));
                json_object_object_add(o, "twins", json_object_new_int((int)rep->n_twins));
        }
        json_object_object_add(o, "answer", json_object_get(answer));
        report_store_put(r->store, node, json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
        json_object_put(o);
}

static void put_pci(struct registrar *r, const struct http_request *req, const char *name,
                    struct http_reply *reply) {
        struct pci_report rep = {};
        struct apply_result res = {};
        struct error_message err = {};
        int k;

        if (req->body_too_large) {
                reply_error(reply, 413, "invalid_report", "body larger than 64 KiB", 0);
                metrics_report(r->metrics, "invalid");
                return;
        }
        if (authenticate(r, req, name, reply) < 0)
                return;
        k = report_parse(req->body, req->body_len, &rep, &err);
        if (k < 0) {
                reply_error(reply, k == -E2BIG ? 413 : 400, "invalid_report", err.text, 0);
                metrics_report(r->metrics, "invalid");
                return;
        }
        if (!STREQ(rep.inventory_name, name)) {
                reply_error(reply, 403, "wrong_node",
                            "inventory_name differs from the node in the path", 0);
                metrics_report(r->metrics, "forbidden");
                goto out;
        }
        const struct inventory *inv = registrar_inventory_hold(r);
        if (inv) {
                _cleanup_free_ char *expected = NULL;

                k = expected_host_name(inv, name, &expected);
                if (k < 0 || !STREQ(expected, rep.host_name)) {
                        char why[400];
                        if (k < 0)
                                snprintf(why, sizeof(why),
                                         "node \"%s\" is not in the "
                                         "registrar's inventory",
                                         name);
                        else
                                snprintf(why, sizeof(why),
                                         "host_name \"%s\" is not what the inventory says for "
                                         "node \"%s\" (\"%s\")",
                                         rep.host_name, name, expected);
                        registrar_inventory_release(r);
                        reply_error(reply, 403, "wrong_node", why, 0);
                        metrics_report(r->metrics, k < 0 ? "unknown_node" : "forbidden");
                        goto out;
                }
        }
        registrar_inventory_release(r);

        apply_report(r, &rep, (time_t)req->now, &res);
        if (res.status == 200) {
                struct json_object *o = result_json(&rep, &res);
                store_outcome(r, name, &rep, 200, o, req->now);
                reply_json(reply, 200, o);
                metrics_report(r->metrics, res.changed ? "changed" : "unchanged");
        } else {
                struct json_object *o = json_object_new_object();
                json_object_object_add(o, "error", json_object_new_string(res.error));
                json_object_object_add(o, "reason", json_object_new_string(res.reason));
                store_outcome(r, name, &rep, res.status, o, req->now);
                reply->retry_after = res.retry_after;
                reply_json(reply, res.status, o);
                /* res.error is one of a fixed set: oned_unavailable,
                 * probe_unavailable (a failed sync), unsupported_opennebula. */
                metrics_report(r->metrics, res.status == 409   ? "unknown_host"
                                           : res.status == 503 ? res.error
                                           : res.status == 400 ? "invalid"
                                                               : "error");
        }
        apply_result_done(&res);
out:
        report_done(&rep);
}

static void get_host(struct registrar *r, const struct http_request *req, const char *name,
                     struct http_reply *reply) {
        char *json = NULL;

        if (authenticate(r, req, name, reply) < 0)
                return;
        if (report_store_get(r->store, name, &json) < 0) {
                reply_error(reply, 404, "no_report",
                            "no report from this node since the "
                            "registrar started",
                            0);
                return;
        }
        reply_text(reply, 200, "application/json", json);
}

static void get_inventory(struct registrar *r, const struct http_request *req, const char *name,
                          struct http_reply *reply) {
        char *yaml = NULL;
        int k;

        if (authenticate(r, req, name, reply) < 0)
                return;
        const struct inventory *inv = registrar_inventory_hold(r);
        if (!inv) {
                registrar_inventory_release(r);
                reply_error(reply, 404, "no_inventory", "the registrar has no inventory", 0);
                return;
        }
        k = inventory_render_host(inv, name, cloud_config_node_vars, &yaml);
        registrar_inventory_release(r);
        if (k < 0) {
                reply_error(reply, 404, "unknown_node", "node not in the inventory", 0);
                return;
        }
        reply_text(reply, 200, "application/yaml", yaml);
}

/* Signs the answer to a request with the key of the node its Authorization
 * header names, and the Date it goes out with (lib/sign.h, "Responses");
 * refusals too, above all the clock_skew whose Date the agent believes, and
 * whatever the route.  An answer to a header that does not parse (or to no
 * header) goes unsigned. */
static void sign_reply(struct registrar *r, const struct http_request *req,
                       struct http_reply *reply) {
        const char *body = reply->body ? reply->body : "";

        reply->date[0] = reply->signature[0] = '\0';
        if (!req->authorization)
                return;
        http_date((int64_t)time(NULL), reply->date);
        if (auth_sign_response(r->auth, req->authorization, reply->status, reply->date, body,
                               strlen(body), reply->signature) < 0)
                reply->date[0] = reply->signature[0] = '\0';
}

static void handle(struct registrar *r, const struct http_request *req, enum route rt,
                   const char *name, struct http_reply *reply) {
        bool get = STREQ(req->method, "GET") || STREQ(req->method, "HEAD");

        switch (rt) {
        case ROUTE_HEALTHZ:
                if (!get)
                        break;
                healthz(r, reply);
                return;
        case ROUTE_METRICS:
                if (!get)
                        break;
                reply_text(reply, 200, "text/plain; version=0.0.4", metrics_render(r->metrics));
                return;
        case ROUTE_HOST:
                if (!get)
                        break;
                get_host(r, req, name, reply);
                return;
        case ROUTE_INVENTORY:
                if (!get)
                        break;
                get_inventory(r, req, name, reply);
                return;
        case ROUTE_PCI:
                if (!STREQ(req->method, "PUT"))
                        break;
                put_pci(r, req, name, reply);
                return;
        case ROUTE_NONE:
        default:
                reply_error(reply, 404, "not_found", NULL, 0);
                return;
        }
        reply_error(reply, 405, "method_not_allowed", NULL, 0);
}

void routes_handle(struct registrar *r, const struct http_request *req, struct http_reply *reply) {
        char name[SIGN_NODE_MAX + 1] = "";
        enum route rt = match(req->path, name);

        handle(r, req, rt, name, reply);
        sign_reply(r, req, reply);
}

void routes_refuse_busy(struct registrar *r, const struct http_request *req,
                        struct http_reply *reply) {
        reply_error(reply, 503, "busy", "too many requests queued", r->cfg->retry_after_s);
        sign_reply(r, req, reply);
}
