/* SPDX-License-Identifier: Apache-2.0 */
#include "inventory-dump.h"

#include <errno.h>
#include <fnmatch.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-json.h"
#include "context.h"
#include "error-message.h"
#include "exit-codes.h"
#include "host-config.h"
#include "identity.h"
#include "inventory.h"
#include "log.h"
#include "macros.h"

DEFINE_TRIVIAL_CLEANUP_FUNC(struct inv_value *, inv_value_unref)

/* The variables onepci reads: the agent's, and what the registrar renders
 * into a node's part of the inventory. */
static const char *const read_vars[] = {"ansible_host", "ansible_port", "pci_*", "onepci_*"};

/* YAML 1.1 integers: 0b, 0x, leading-0 octal, base 60, '_' ignored. */
static int yaml_int(const char *s, long long *ret) {
        char buf[64];
        size_t n = 0;
        for (const char *p = s; *p && n < sizeof(buf) - 1; p++)
                if (*p != '_')
                        buf[n++] = *p;
        buf[n] = '\0';
        char *digits = buf + (buf[0] == '-' || buf[0] == '+');
        bool neg = buf[0] == '-';
        long long v = 0;
        if (strchr(digits, ':')) {
                for (char *part = strtok(digits, ":"); part; part = strtok(NULL, ":"))
                        v = v * 60 + strtoll(part, NULL, 10);
        } else if (digits[0] == '0' && digits[1] == 'b')
                v = strtoll(digits + 2, NULL, 2);
        else if (digits[0] == '0' && digits[1] == 'x')
                v = strtoll(digits + 2, NULL, 16);
        else if (digits[0] == '0' && digits[1])
                v = strtoll(digits + 1, NULL, 8);
        else
                v = strtoll(digits, NULL, 10);
        *ret = neg ? -v : v;
        return 0;
}

static double yaml_float(const char *s) {
        char buf[64];
        size_t n = 0;
        for (const char *p = s; *p && n < sizeof(buf) - 1; p++)
                if (*p != '_')
                        buf[n++] = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        buf[n] = '\0';
        bool neg = buf[0] == '-';
        char *body = buf + (buf[0] == '-' || buf[0] == '+');
        double v;
        if (STREQ(body, ".inf"))
                v = INFINITY;
        else if (STREQ(body, ".nan"))
                return NAN;
        else if (strchr(body, ':')) {
                double frac = 0;
                char *dot = strchr(body, '.');
                if (dot) {
                        frac = strtod(dot, NULL);
                        *dot = '\0';
                }
                v = 0;
                for (char *part = strtok(body, ":"); part; part = strtok(NULL, ":"))
                        v = v * 60 + strtod(part, NULL);
                v += frac;
        } else
                v = strtod(body, NULL);
        return neg ? -v : v;
}

static struct json_object *scalar_to_json(const struct inv_value *v) {
        bool b;
        long long i;
        switch (inv_value_kind(v)) {
        case INV_KIND_STR:
                return json_object_new_string(inv_value_str(v));
        case INV_KIND_BOOL:
                (void)inv_value_to_bool(v, &b);
                return json_object_new_boolean(b);
        case INV_KIND_INT:
                (void)yaml_int(inv_value_str(v), &i);
                return json_object_new_int64(i);
        case INV_KIND_FLOAT:
                return json_object_new_double(yaml_float(inv_value_str(v)));
        case INV_KIND_NULL:
                return NULL;
        case INV_KIND_TIMESTAMP:
                /* a date is written as Ansible's JSON writes it: isoformat() */
                if (strlen(inv_value_str(v)) == 10)
                        return json_object_new_string(inv_value_str(v));
                __attribute__((fallthrough));
        default: {
                struct json_object *o = json_object_new_object();
                if (o)
                        json_object_object_add(o, "__onepci_unread__",
                                               json_object_new_string(inv_kind_name(inv_value_kind(v))));
                return o;
        }
        }
}

int inv_value_to_json(const struct inv_value *v, struct json_object **ret) {
        _cleanup_json_ struct json_object *o = NULL;
        switch (inv_value_type(v)) {
        case INV_NULL:
                *ret = NULL;
                return 0;
        case INV_SCALAR:
                *ret = scalar_to_json(v);
                return *ret ? 0 : -ENOMEM;
        case INV_SEQUENCE:
                o = json_object_new_array();
                break;
        case INV_MAPPING:
                o = json_object_new_object();
                break;
        }
        if (!o)
                return -ENOMEM;
        for (size_t i = 0; i < inv_value_len(v); i++) {
                struct json_object *item = NULL;
                int r = inv_value_to_json(inv_value_item(v, i), &item);
                if (r < 0)
                        return r;
                if (inv_value_type(v) == INV_SEQUENCE)
                        r = json_object_array_add(o, item);
                else
                        r = json_object_object_add(o, inv_value_key(v, i), item);
                if (r < 0)
                        return -ENOMEM;
        }
        *ret = TAKE_PTR(o);
        return 0;
}

static bool is_read(const char *key) {
        for (size_t i = 0; i < ELEMENTSOF(read_vars); i++)
                if (fnmatch(read_vars[i], key, 0) == 0)
                        return true;
        return false;
}

static void log_inventory_error(const char *inventory, const struct error_message *e) {
        char line[ERROR_MESSAGE_FORMAT_MAX];
        log_error("%s", error_message_format(e, inventory, NULL, line, sizeof(line)));
}

/* One host: validated as `plan` validates it, then its variables and groups. */
static int dump_host(const struct agent_options *o, const struct inventory *inv, const char *name,
                     struct json_object *hosts) {
        _cleanup_(inv_value_unrefp) struct inv_value *vars = NULL;
        struct host_config *cfg = NULL;
        struct error_message err = {0};
        _cleanup_strv_free_ char **groups = NULL;
        int r = inventory_host_vars(inv, name, &vars);
        if (r < 0) {
                log_error("%s: cannot resolve the variables of host %s: %s", o->inventory, name,
                          strerror(-r));
                return EXIT_CONFIG;
        }
        r = host_config_from_vars(name, vars, &cfg, &err);
        if (r < 0) {
                log_inventory_error(o->inventory, &err);
                return EXIT_CONFIG;
        }
        host_config_free(cfg);

        struct json_object *host = json_object_new_object(), *jvars = json_object_new_object();
        struct json_object *jgroups = json_object_new_array();
        if (!host || !jvars || !jgroups || json_object_object_add(hosts, name, host) < 0 ||
            json_object_object_add(host, "vars", jvars) < 0 ||
            json_object_object_add(host, "groups", jgroups) < 0 ||
            inventory_host_groups(inv, name, &groups) < 0)
                return EXIT_INTERNAL;
        for (size_t i = 0; groups[i]; i++)
                json_object_array_add(jgroups, json_object_new_string(groups[i]));
        for (size_t i = 0; i < inv_value_len(vars); i++) {
                struct json_object *jv = NULL;
                if (!is_read(inv_value_key(vars, i)))
                        continue;
                if (inv_value_to_json(inv_value_item(vars, i), &jv) < 0)
                        return EXIT_INTERNAL;
                json_object_object_add(jvars, inv_value_key(vars, i), jv);
        }
        return EXIT_OK;
}

int agent_inventory_dump(const struct agent_options *o) {
        struct error_message err = {0};
        _cleanup_json_ struct json_object *hosts = json_object_new_object();
        struct identity_facts *facts = NULL;
        struct inventory *inv = NULL;
        char *name = NULL, *why = NULL;
        int code = EXIT_INTERNAL, r;

        if (!hosts)
                return EXIT_INTERNAL;
        if (o->host) {
                r = identity_collect(NULL, o->host, &facts);
                if (r < 0)
                        return EXIT_INTERNAL;
        }
        struct inventory_load_options lo = {
                .keep_host = facts ? identity_keep_host : NULL,
                .userdata = facts,
        };
        r = inventory_load(o->inventory, &lo, &inv, &err);
        if (r < 0) {
                if (!error_is_set(&err))
                        error_set_at(&err, o->inventory, 0, 0, NULL, "cannot read the inventory: %s",
                                     strerror(-r));
                log_inventory_error(o->inventory, &err);
                code = EXIT_CONFIG;
                goto out;
        }
        if (facts) {
                r = identity_resolve(facts, inv, &name, &why);
                if (r < 0) {
                        log_error("%s", why ? why : "cannot tell which inventory host this is");
                        code = EXIT_IDENTITY;
                        goto out;
                }
                code = dump_host(o, inv, name, hosts);
        } else {
                code = EXIT_OK;
                for (size_t i = 0; i < inventory_n_hosts(inv) && code == EXIT_OK; i++)
                        code = dump_host(o, inv, inventory_host_name(inv, i), hosts);
        }
        if (code == EXIT_OK)
                puts(json_object_to_json_string_ext(hosts, JSON_C_TO_STRING_PRETTY |
                                                                   JSON_C_TO_STRING_NOSLASHESCAPE));
out:
        free(name);
        free(why);
        inventory_free(inv);
        identity_facts_free(facts);
        return code;
}
