/* SPDX-License-Identifier: Apache-2.0 */
#include "host-config.h"

#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error-message.h"
#include "macros.h"
#include "name-format.h"
#include "pci-address.h"


void host_config_free(struct host_config *cfg) {
        if (!cfg)
                return;
        free(cfg->name);
        free(cfg->ansible_host);
        free(cfg->one_host_name);
        free(cfg->selectors);
        free(cfg->registrar_url);
        free(cfg);
}

static bool has_glob(const char *s) {
        return strpbrk(s, "*?[") != NULL;
}

/* How Ansible's YAML loader reads a scalar that is not a string, for a message. */
static const char *why_not_string(const struct inv_value *v) {
        switch (inv_value_kind(v)) {
        case INV_KIND_FLOAT:
                return " (YAML 1.1 reads digits with colons and a dot, such as 0000:09:00.0, "
                       "as a base-60 number: 540.0)";
        case INV_KIND_INT:
                return " (YAML 1.1 reads a leading 0 as octal: 0302 is 194, 0660 is 432)";
        case INV_KIND_VAULT:
                return " (onepci has no vault password)";
        default:
                return "";
        }
}

/* Ansible does not evaluate templates in an inventory read by ansible-inventory,
 * and the agent never evaluates them: a template would be taken literally. */
static bool is_template(const char *s) {
        return strstr(s, "{{") || strstr(s, "{%") || strstr(s, "{#");
}

/* The scalar text of v, or an error naming what: NULL when absent/null.
 * Only what Ansible reads as a string is a string. */
static int want_string(const struct inv_value *v, const char *what, const char **ret,
                       struct error_message *err) {
        switch (inv_value_type(v)) {
        case INV_NULL:
                *ret = NULL;
                return 0;
        case INV_SCALAR:
                if (inv_value_kind(v) != INV_KIND_STR) {
                        inv_value_error(err, v, "%s: Ansible reads this value as %s, not as text%s: "
                                        "quote it",
                                        what, inv_kind_name(inv_value_kind(v)), why_not_string(v));
                        return -EINVAL;
                }
                if (is_template(inv_value_str(v))) {
                        inv_value_error(err, v,
                                        "%s holds a Jinja template, which onepci never "
                                        "evaluates: write the value itself",
                                        what);
                        return -EINVAL;
                }
                *ret = inv_value_str(v);
                return 0;
        default:
                inv_value_error(err, v, "%s must be a single value, not a %s", what,
                                inv_value_type(v) == INV_MAPPING ? "mapping" : "list");
                return -EINVAL;
        }
}

/* Booleans as Ansible's YAML loader makes them: yes/no, true/false, on/off
 * in lower, Capitalised and UPPER case, or tagged !!bool.  A string is
 * refused, whatever Ansible's bool filter would make of it. */
static int want_bool(const struct inv_value *v, const char *what, bool *ret,
                     struct error_message *err) {
        if (inv_value_to_bool(v, ret) == 0)
                return 0;
        if (inv_value_type(v) != INV_SCALAR)
                inv_value_error(err, v, "%s must be true or false", what);
        else if (inv_value_kind(v) == INV_KIND_STR && inv_value_is_tagged(v))
                inv_value_error(err, v,
                                "%s must be true or false; \"%s\" is tagged as a string, so "
                                "Ansible reads it as one",
                                what, inv_value_str(v));
        else if (inv_value_kind(v) == INV_KIND_STR && !inv_value_is_plain(v))
                inv_value_error(err, v,
                                "%s must be true or false; \"%s\" is quoted, so it is a "
                                "string for Ansible",
                                what, inv_value_str(v));
        else if (inv_value_kind(v) == INV_KIND_STR)
                inv_value_error(err, v,
                                "%s must be true or false; Ansible reads \"%s\" as a string "
                                "(YAML 1.1 booleans are yes/no, true/false, on/off)",
                                what, inv_value_str(v));
        else
                inv_value_error(err, v, "%s must be true or false; Ansible reads this value as %s",
                                what, inv_kind_name(inv_value_kind(v)));
        return -EINVAL;
}

/* A MAC-address glob: six groups of one or two hex digits or glob
 * characters, as one-deploy tells them apart (exactly five ':'). */
static bool count_colons_is_mac(const char *s) {
        size_t n = 0;
        for (; *s; s++)
                n += *s == ':';
        return n == 5;
}

static int parse_mac(const struct inv_value *v, const char *what, const char *s,
                     struct device_selector *sel, struct error_message *err) {
        size_t len = strlen(s), group = 0;
        if (len >= sizeof(sel->mac))
                goto bad;
        for (size_t i = 0; i <= len; i++) {
                char c = s[i];
                if (c == ':' || c == '\0') {
                        if (group == 0)
                                goto bad;
                        group = 0;
                } else if (isxdigit((unsigned char)c) || c == '*' || c == '?') {
                        group++;
                        if (group > 2 && !strchr(s, '*'))
                                goto bad;
                } else
                        goto bad;
                sel->mac[i] = (char)tolower((unsigned char)c);
        }
        return 0;
bad:
        inv_value_error(err, v,
                        "%s is not a MAC-address glob (six groups of hex digits, * or ?, "
                        "e.g. \"52:54:00:12:3*:*\")",
                        what);
        return -EINVAL;
}

static int parse_address(const struct inv_value *v, const char *what, struct device_selector *sel,
                         struct error_message *err) {
        const char *s;
        int r = want_string(v, what, &s, err);
        if (r < 0)
                return r;
        if (!s) {
                inv_value_error(err, v, "%s is empty", what);
                return -EINVAL;
        }
        if (count_colons_is_mac(s))
                return parse_mac(v, what, s, sel, err);
        r = pci_address_glob_normalize(s, sel->address, sizeof(sel->address));
        if (r == 0 && !has_glob(sel->address)) {
                char canon[PCI_ADDRESS_MAX];
                r = pci_address_normalize(s, canon);
                if (r == 0)
                        memcpy(sel->address, canon, sizeof(canon));
                sel->is_exact = true;
        }
        if (r == -EDOM) {
                char full[PCI_ADDRESS_MAX];
                if (pci_address_suggest_full(s, full) == 0)
                        inv_value_error(err, v,
                                      "%s: short PCI addresses are not supported, use "
                                      "\"%s\"",
                                      what, full);
                else
                        inv_value_error(err, v,
                                      "%s: short PCI addresses are not supported, use "
                                      "the full form with the domain, \"0000:%.60s\"",
                                      what, s);
                return -EINVAL;
        }
        if (r < 0) {
                inv_value_error(err, v,
                              "%s is not a PCI address (DDDD:BB:DD.F, e.g. "
                              "\"0000:09:00.0\") or an address glob",
                              what);
                return -EINVAL;
        }
        return 0;
}

/* vendor / device: 4 hex digits; class: 4 (ccss) or 6 (ccsspp); globs allowed. */
static int parse_id(const struct inv_value *v, const char *what, bool is_class, char *buf,
                    size_t size, struct error_message *err) {
        const char *s;
        int r = want_string(v, what, &s, err);
        if (r < 0)
                return r;
        r = s ? pci_id_glob_normalize(s, is_class ? 8 : 6, buf, size) : -EINVAL;
        size_t len = r == 0 ? strlen(buf) : 0;
        if (r == 0 && !has_glob(buf) && !(len == 4 || (is_class && len == 6)))
                r = -EINVAL;
        if (r < 0) {
                inv_value_error(err, v, "%s must be %s hex digits or a glob (e.g. \"%s\")", what,
                              is_class ? "4 or 6" : "4", is_class ? "0302*" : "10de");
                return -EINVAL;
        }
        return 0;
}

/* A non-negative integer written in decimal, as Ansible reads it (an int). */
static int want_count(const struct inv_value *v, const char *what, long max, long *ret,
                      struct error_message *err) {
        const char *s = inv_value_str(v);
        if (inv_value_type(v) != INV_SCALAR || inv_value_kind(v) != INV_KIND_INT || !s) {
                inv_value_error(err, v, "%s must be an integer (0 or more)%s", what,
                                inv_value_kind(v) == INV_KIND_STR ? "; it is quoted, so it is text" : "");
                return -EINVAL;
        }
        char *end;
        errno = 0;
        long n = strtol(s, &end, 10);
        if (errno || *end || n < 0 || n > max || (s[0] == '0' && s[1])) {
                inv_value_error(err, v, "%s must be written in decimal, from 0 to %ld", what, max);
                return -EINVAL;
        }
        *ret = n;
        return 0;
}

/* The role takes int(set_counter): a quoted decimal ("5", "05") is the
 * same number, so it is read as one; an unquoted one must be written in
 * decimal (YAML 1.1 reads 010 as 8). */
static int parse_counter(const struct inv_value *v, const char *what, long *ret,
                         struct error_message *err) {
        const char *s = inv_value_str(v);
        if (inv_value_type(v) == INV_SCALAR && inv_value_kind(v) == INV_KIND_STR && s &&
            s[0] && strlen(s) <= 7 && strspn(s, "0123456789") == strlen(s)) {
                *ret = strtol(s, NULL, 10);
                if (*ret <= 1000000)
                        return 0;
        }
        if (inv_value_type(v) == INV_SCALAR && inv_value_kind(v) == INV_KIND_STR) {
                inv_value_error(err, v, "%s must be an integer from 0 to 1000000 (quoted or not)",
                                what);
                return -EINVAL;
        }
        return want_count(v, what, 1000000, ret, err);
}

static int parse_set_driver(const struct inv_value *v, const char *what,
                            struct device_selector *sel, struct error_message *err) {
        const char *s;
        int r = want_string(v, what, &s, err);
        if (r < 0)
                return r;
        if (s && STREQ(s, "omit")) {
                sel->omit_driver = true;
                sel->driver[0] = '\0';
        } else if (s && pci_driver_name_valid(s)) {
                sel->omit_driver = false;
                snprintf(sel->driver, sizeof(sel->driver), "%s", s);
        } else {
                inv_value_error(err, v,
                                "%s must be a driver name (such as \"vfio-pci\" or "
                                "\"mlx5_core\") or \"omit\"",
                                what);
                return -EINVAL;
        }
        sel->driver_explicit = true;
        return 0;
}

static int parse_numvfs(const struct inv_value *v, const char *what, struct device_selector *sel,
                        struct error_message *err) {
        if (inv_value_type(v) == INV_SCALAR && inv_value_kind(v) == INV_KIND_STR &&
            STREQ(inv_value_str(v), "max")) {
                sel->numvfs = SELECTOR_NUMVFS_MAX;
                return 0;
        }
        long n;
        if (inv_value_type(v) == INV_SCALAR && inv_value_kind(v) == INV_KIND_STR) {
                inv_value_error(err, v, "%s must be an integer (0 or more) or \"max\"", what);
                return -EINVAL;
        }
        int r = want_count(v, what, 4096, &n, err);
        if (r < 0)
                return r;
        sel->numvfs = (int)n;
        return 0;
}

static int parse_set_name(const struct inv_value *v, const char *what, struct device_selector *sel,
                          struct error_message *err) {
        const char *s;
        char why[160];
        int r = want_string(v, what, &s, err);
        if (r < 0)
                return r;
        if (s && STREQ(s, "omit"))
                return 0; /* the role's default, written out */
        if (!s || !s[0] || strlen(s) >= sizeof(sel->name)) {
                inv_value_error(err, v, "%s must be a name of 1 to %zu bytes", what,
                                sizeof(sel->name) - 1);
                return -EINVAL;
        }
        if (name_format_check(s, why, sizeof(why)) < 0) {
                inv_value_error(err, v, "%s: %s (Python's str.format would fail too)", what, why);
                return -EINVAL;
        }
        for (const char *p = s; *p; p++)
                if (*p == '/' || isspace((unsigned char)*p) || (unsigned char)*p < 0x20) {
                        inv_value_error(err, v, "%s: a name has no '/', no whitespace and no "
                                                "control characters", what);
                        return -EINVAL;
                }
        snprintf(sel->name, sizeof(sel->name), "%s", s);
        return 0;
}

static int parse_selector(const struct inv_value *entry, size_t idx, struct device_selector *sel,
                          struct error_message *err) {
        char what[96];
        bool any = false;

        *sel = (struct device_selector){.line = inv_value_line(entry),
                                        .column = inv_value_column(entry),
                                        .driver = "vfio-pci",
                                        .counter = SELECTOR_COUNTER_UNSET};
        snprintf(sel->file, sizeof(sel->file), "%s",
                 inv_value_file(entry) ? inv_value_file(entry) : "");
        if (inv_value_type(entry) != INV_MAPPING) {
                inv_value_error(err, entry,
                              "pci_devices[%zu] must be a mapping such as "
                              "{ address: \"0000:09:00.0\" }",
                              idx);
                return -EINVAL;
        }
        for (size_t i = 0; i < inv_value_len(entry); i++) {
                const char *key = inv_value_key(entry, i);
                const struct inv_value *v = inv_value_item(entry, i);
                int r;
                snprintf(what, sizeof(what), "pci_devices[%zu].%.32s", idx, key);

                if (STREQ(key, "address")) {
                        r = parse_address(v, what, sel, err);
                        any = true;
                } else if (STREQ(key, "vendor")) {
                        r = parse_id(v, what, false, sel->vendor, sizeof(sel->vendor), err);
                        any = true;
                } else if (STREQ(key, "device")) {
                        r = parse_id(v, what, false, sel->device, sizeof(sel->device), err);
                        any = true;
                } else if (STREQ(key, "class")) {
                        r = parse_id(v, what, true, sel->class_, sizeof(sel->class_), err);
                        any = true;
                } else if (STREQ(key, "excluded")) {
                        r = want_bool(v, what, &sel->excluded, err);
                } else if (STREQ(key, "unguarded")) {
                        r = want_bool(v, what, &sel->unguarded, err);
                } else if (STREQ(key, "unlisted")) {
                        r = want_bool(v, what, &sel->unlisted, err);
                } else if (STREQ(key, "virtual")) {
                        r = want_bool(v, what, &sel->is_virtual, err);
                } else if (STREQ(key, "set_switchdev")) {
                        r = want_bool(v, what, &sel->switchdev, err);
                } else if (STREQ(key, "set_driver")) {
                        r = parse_set_driver(v, what, sel, err);
                } else if (STREQ(key, "set_numvfs")) {
                        r = parse_numvfs(v, what, sel, err);
                } else if (STREQ(key, "set_name")) {
                        r = parse_set_name(v, what, sel, err);
                } else if (STREQ(key, "set_counter")) {
                        r = parse_counter(v, what, &sel->counter, err);
                } else {
                        /* A typo must not silently select nothing. */
                        inv_value_error(err, entry,
                                      "pci_devices[%zu]: unknown key \"%s\" (known: address, "
                                      "vendor, device, class, excluded, unguarded, unlisted, virtual, "
                                      "set_driver, set_numvfs, set_switchdev, set_name, "
                                      "set_counter)",
                                      idx, key);
                        if (err)
                                snprintf(err->value, sizeof(err->value), "%s", key);
                        r = -EINVAL;
                }
                if (r < 0)
                        return r;
        }
        if (!any) {
                inv_value_error(err, entry,
                              "pci_devices[%zu] needs at least one of address, "
                              "vendor, device or class",
                              idx);
                return -EINVAL;
        }
        if (sel->mac[0] && (sel->vendor[0] || sel->device[0] || sel->class_[0])) {
                inv_value_error(err, entry,
                                "pci_devices[%zu]: a MAC-address selector takes no vendor, "
                                "device or class (one-deploy ignores them; say which you mean)",
                                idx);
                return -EINVAL;
        }
        if (device_selector_wants_vfs(sel) && sel->driver_explicit && !sel->omit_driver) {
                /* The role silently ignores it: a PF that gets VFs keeps its driver. */
                inv_value_error(err, entry,
                                "pci_devices[%zu]: set_driver with set_numvfs: a PF that gets "
                                "VFs stays on its host driver; put set_driver on the VFs' entry",
                                idx);
                return -EINVAL;
        }
        if (sel->switchdev && !device_selector_wants_vfs(sel)) {
                inv_value_error(err, entry,
                                "pci_devices[%zu]: set_switchdev needs set_numvfs (max or more "
                                "than 0): the eswitch mode is set before the VFs are created",
                                idx);
                return -EINVAL;
        }
        return 0;
}

bool device_selector_wants_vfs(const struct device_selector *sel) {
        return sel->numvfs == SELECTOR_NUMVFS_MAX || sel->numvfs > 0;
}

static bool valid_group_name(const char *s) {
        size_t len = strlen(s);
        if (len == 0 || len > 32 || !(islower((unsigned char)s[0]) || s[0] == '_'))
                return false;
        for (size_t i = 1; i < len; i++) {
                unsigned char c = (unsigned char)s[i];
                if (!(islower(c) || isdigit(c) || c == '_' || c == '-' ||
                      (c == '$' && i == len - 1)))
                        return false;
        }
        return true;
}

static bool valid_url(const char *s) {
        const char *rest;
        if (strncasecmp(s, "http://", 7) == 0)
                rest = s + 7;
        else if (strncasecmp(s, "https://", 8) == 0)
                rest = s + 8;
        else
                return false;
        if (strlen(s) > 2048)
                return false;
        for (const char *p = s; *p; p++)
                if ((unsigned char)*p <= ' ' || *p == 0x7f)
                        return false;
        size_t host_len = strcspn(rest, "/?#");
        if (host_len == 0 || memchr(rest, '@', host_len))
                return false;
        /* A port, when given, is 1-65535 (an IPv6 literal is in brackets). */
        const char *host_end = rest + host_len;
        const char *colon = NULL;
        for (const char *p = rest; p < host_end; p++) {
                if (*p == ']')
                        colon = NULL;
                else if (*p == ':')
                        colon = p;
        }
        if (rest[0] == '[' && !memchr(rest, ']', host_len))
                return false;
        if (colon) {
                if (colon == rest)
                        return false;
                char *end;
                long port = strtol(colon + 1, &end, 10);
                if (end != host_end || end == colon + 1 || port < 1 || port > 65535)
                        return false;
        }
        return true;
}

static int parse_mode(const struct inv_value *v, mode_t *ret, struct error_message *err) {
        static const struct {
                const char *text;
                mode_t mode;
        } modes[] = {{"0660", 0660}, {"0666", 0666}, {"0640", 0640}, {"0600", 0600}};
        const char *s;
        int r = want_string(v, "onepci_vfio_mode", &s, err);
        if (r < 0)
                return r;
        if (!s)
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(modes); i++)
                if (STREQ(s, modes[i].text)) {
                        *ret = modes[i].mode;
                        return 0;
                }
        inv_value_error(err, v, "onepci_vfio_mode must be \"0660\", \"0640\", \"0600\" or \"0666\"");
        return -EINVAL;
}

static int dup_or_null(const char *s, char **ret) {
        *ret = NULL;
        if (!s)
                return 0;
        *ret = strdup(s);
        return *ret ? 0 : -ENOMEM;
}

int host_config_from_vars(const char *name, const struct inv_value *vars, struct host_config **ret,
                          struct error_message *ret_err) {
        struct error_message scratch;
        struct error_message *err = ret_err ? ret_err : &scratch;
        _cleanup_(host_config_freep) struct host_config *cfg = calloc(1, sizeof(*cfg));
        const char *s;
        int r;

        if (!cfg)
                return -ENOMEM;
        if (vars && inv_value_type(vars) != INV_MAPPING && inv_value_type(vars) != INV_NULL) {
                inv_value_error(err, vars, "the variables of host \"%s\" must be a mapping", name);
                return -EINVAL;
        }
        cfg->name = strdup(name);
        if (!cfg->name)
                return -ENOMEM;
        strcpy(cfg->vfio_group, "kvm");
        cfg->vfio_mode = 0660;

        r = want_string(inv_map_get(vars, "ansible_host"), "ansible_host", &s, err);
        if (r < 0)
                return r;
        if (dup_or_null(s, &cfg->ansible_host) < 0 ||
            dup_or_null(s ? s : name, &cfg->one_host_name) < 0)
                return -ENOMEM;

        const struct inv_value *devices = inv_map_get(vars, "pci_devices");
        if (devices && inv_value_type(devices) != INV_NULL) {
                if (inv_value_type(devices) != INV_SEQUENCE) {
                        inv_value_error(err, devices,
                                      "pci_devices must be a list of devices such "
                                      "as - address: \"0000:09:00.0\"");
                        return -EINVAL;
                }
                size_t n = inv_value_len(devices);
                cfg->selectors = calloc(n ? n : 1, sizeof(*cfg->selectors));
                if (!cfg->selectors)
                        return -ENOMEM;
                for (size_t i = 0; i < n; i++) {
                        r = parse_selector(inv_value_item(devices, i), i, &cfg->selectors[i], err);
                        if (r < 0)
                                return r;
                }
                cfg->n_selectors = n;
        }

        const struct inv_value *enabled = inv_map_get(vars, "pci_passthrough_enabled");
        if (enabled && inv_value_type(enabled) != INV_NULL) {
                r = want_bool(enabled, "pci_passthrough_enabled", &cfg->enabled, err);
                if (r < 0)
                        return r;
        } else
                cfg->enabled = cfg->n_selectors > 0;

        const struct inv_value *group = inv_map_get(vars, "onepci_vfio_group");
        r = want_string(group, "onepci_vfio_group", &s, err);
        if (r < 0)
                return r;
        if (s) {
                if (!valid_group_name(s)) {
                        inv_value_error(err, group, "onepci_vfio_group is not a valid group name");
                        return -EINVAL;
                }
                snprintf(cfg->vfio_group, sizeof(cfg->vfio_group), "%s", s);
        }

        r = parse_mode(inv_map_get(vars, "onepci_vfio_mode"), &cfg->vfio_mode, err);
        if (r < 0)
                return r;

        const struct inv_value *url = inv_map_get(vars, "pci_registrar_url");
        r = want_string(url, "pci_registrar_url", &s, err);
        if (r < 0)
                return r;
        if (s) {
                if (!valid_url(s)) {
                        inv_value_error(err, url,
                                      "pci_registrar_url must be an http:// or "
                                      "https:// URL with a host, e.g. "
                                      "\"https://frontend:8443\"");
                        return -EINVAL;
                }
                cfg->registrar_url = strdup(s);
                if (!cfg->registrar_url)
                        return -ENOMEM;
        }

        *ret = TAKE_PTR(cfg);
        return 0;
}

static bool glob_match(const char *glob, const char *text) {
        char low[16];
        size_t i;
        if (!glob[0])
                return true;
        if (!text)
                return false;
        for (i = 0; text[i] && i < sizeof(low) - 1; i++)
                low[i] = (char)tolower((unsigned char)text[i]);
        low[i] = '\0';
        return fnmatch(glob, low, 0) == 0;
}

bool device_selector_match(const struct device_selector *sel, const char *address,
                           const char *vendor, const char *device, const char *class6,
                           const char *mac) {
        if (sel->mac[0])
                return mac && mac[0] && fnmatch(sel->mac, mac, 0) == 0;
        if (sel->address[0] && !(address && glob_match(sel->address, address)))
                return false;
        if (!glob_match(sel->vendor, vendor) || !glob_match(sel->device, device))
                return false;
        if (sel->class_[0]) {
                char ccss[5];
                if (!class6 || strlen(class6) != 6)
                        return false;
                memcpy(ccss, class6, 4);
                ccss[4] = '\0';
                if (!glob_match(sel->class_, ccss) && !glob_match(sel->class_, class6))
                        return false;
        }
        return true;
}
