/* SPDX-License-Identifier: Apache-2.0 */
/* The report is untrusted input that ends up in oned's host template: every
 * field is checked against the narrowest rule docs/protocol.md allows, and
 * unknown keys are refused so a typo never passes silently. */

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "error-message.h"
#include "macros.h"
#include "report-validate.h"
#include "sign.h"

static bool all_of(const char *s, size_t len, const char *set) {
        return strlen(s) == len && strspn(s, set) == len;
}

#define LOWER_HEX "0123456789abcdef"

bool report_host_name_valid(const char *s) {
        size_t len = s ? strlen(s) : 0;

        return len >= 1 && len <= REPORT_HOST_NAME_MAX &&
               strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-") ==
                       len;
}

static bool is_full_address(const char *s) {
        /* dddd:bb:dd.f, lowercase, function 0-7 */
        static const char shape[] = "xxxx:xx:xx.f";

        if (strlen(s) != sizeof(shape) - 1)
                return false;
        for (size_t i = 0; shape[i]; i++) {
                if (shape[i] == 'x' && !strchr(LOWER_HEX, s[i]))
                        return false;
                if (shape[i] == 'f' && (s[i] < '0' || s[i] > '7'))
                        return false;
                if ((shape[i] == ':' || shape[i] == '.') && s[i] != shape[i])
                        return false;
        }
        /* slot (device) is 5 bits: 00-1f */
        return s[8] <= '1';
}

static bool printable(const char *s) {
        for (const unsigned char *p = (const unsigned char *)s; *p; p++)
                if (*p < 0x20 || *p == 0x7f)
                        return false;
        return true;
}

/* A string member; NULL with a reason when missing or not a string. */
static const char *get_string(struct json_object *obj, const char *key, const char *where,
                              struct error_message *ret_error) {
        struct json_object *v;

        if (!json_object_object_get_ex(obj, key, &v)) {
                error_set(ret_error, "%s%s: missing", where, key);
                return NULL;
        }
        if (!json_object_is_type(v, json_type_string)) {
                error_set(ret_error, "%s%s: not a string", where, key);
                return NULL;
        }
        /* "a\u0000b" would be acted on as "a". */
        if (strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v)) {
                error_set(ret_error, "%s%s: contains a NUL (\\u0000)", where, key);
                return NULL;
        }
        return json_object_get_string(v);
}

static int get_int(struct json_object *obj, const char *key, bool optional, int min, int max,
                   int *ret, const char *where, struct error_message *ret_error) {
        struct json_object *v;
        int64_t n;

        if (!json_object_object_get_ex(obj, key, &v)) {
                if (optional) {
                        *ret = -1;
                        return 0;
                }
                error_set(ret_error, "%s%s: missing", where, key);
                return -EINVAL;
        }
        if (!json_object_is_type(v, json_type_int)) {
                error_set(ret_error, "%s%s: not an integer", where, key);
                return -EINVAL;
        }
        errno = 0;
        n = json_object_get_int64(v);
        if (errno != 0 || n < min || n > max) {
                error_set(ret_error, "%s%s: out of range %d..%d", where, key, min, max);
                return -EINVAL;
        }
        *ret = (int)n;
        return 0;
}

static int check_keys(struct json_object *obj, const char *const *allowed, const char *where,
                      struct error_message *ret_error) {
        json_object_object_foreach(obj, key, val) {
                bool ok = false;

                (void)val;
                for (const char *const *a = allowed; *a; a++)
                        if (STREQ(*a, key))
                                ok = true;
                if (!ok) {
                        char shown[33];
                        size_t i;

                        /* Echo at most a short, printable piece of a hostile key. */
                        for (i = 0; key[i] && i < sizeof(shown) - 1; i++)
                                shown[i] = (key[i] >= 0x20 && key[i] < 0x7f && key[i] != '"')
                                                   ? key[i]
                                                   : '?';
                        shown[i] = '\0';
                        error_set(ret_error, "%sunknown key \"%s\"", where, shown);
                        return -EINVAL;
                }
        }
        return 0;
}

static int parse_device(struct json_object *o, bool twin, const char *where,
                        struct report_device *d, struct error_message *ret_error) {
        static const char *const keys[] = {"address", "vendor",      "device",    "class",
                                           "driver",  "iommu_group", "numa_node", NULL};
        const char *s;
        int r;

        if (!json_object_is_type(o, json_type_object)) {
                error_set(ret_error, "%s: not an object", where);
                return -EINVAL;
        }
        char w[48];
        snprintf(w, sizeof(w), "%s.", where);
        r = check_keys(o, keys, w, ret_error);
        if (r < 0)
                return r;

        s = get_string(o, "address", w, ret_error);
        if (!s)
                return -EINVAL;
        if (!is_full_address(s)) {
                error_set(ret_error, "%saddress: not a lowercase dddd:bb:dd.f address", w);
                return -EINVAL;
        }
        strcpy(d->address, s);

        s = get_string(o, "vendor", w, ret_error);
        if (!s)
                return -EINVAL;
        if (!all_of(s, 4, LOWER_HEX)) {
                error_set(ret_error, "%svendor: not 4 lowercase hex digits", w);
                return -EINVAL;
        }
        strcpy(d->vendor, s);

        s = get_string(o, "device", w, ret_error);
        if (!s)
                return -EINVAL;
        if (!all_of(s, 4, LOWER_HEX)) {
                error_set(ret_error, "%sdevice: not 4 lowercase hex digits", w);
                return -EINVAL;
        }
        strcpy(d->device, s);

        s = get_string(o, "class", w, ret_error);
        if (!s)
                return -EINVAL;
        if (!all_of(s, 6, LOWER_HEX)) {
                error_set(ret_error, "%sclass: not 6 lowercase hex digits", w);
                return -EINVAL;
        }
        strcpy(d->class_code, s);

        s = get_string(o, "driver", w, ret_error);
        if (!s)
                return -EINVAL;
        if (strlen(s) > REPORT_DRIVER_MAX ||
            strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") !=
                    strlen(s)) {
                error_set(ret_error, "%sdriver: not a driver name", w);
                return -EINVAL;
        }
        strcpy(d->driver, s);

        r = get_int(o, "iommu_group", twin, -1, 1 << 20, &d->iommu_group, w, ret_error);
        if (r < 0)
                return r;
        return get_int(o, "numa_node", twin, -1, 1 << 16, &d->numa_node, w, ret_error);
}

static int parse_devices(struct json_object *root, const char *key, size_t max, bool twin,
                         struct report_device **ret, size_t *ret_n,
                         struct error_message *ret_error) {
        struct json_object *arr;
        size_t n;
        int r;

        if (!json_object_object_get_ex(root, key, &arr)) {
                if (twin) { /* twins may be left out */
                        *ret_n = 0;
                        return 0;
                }
                error_set(ret_error, "%s: missing", key);
                return -EINVAL;
        }
        if (!json_object_is_type(arr, json_type_array)) {
                error_set(ret_error, "%s: not an array", key);
                return -EINVAL;
        }
        n = json_object_array_length(arr);
        if (n > max) {
                error_set(ret_error, "%s: more than %zu entries", key, max);
                return -EINVAL;
        }
        *ret = calloc(n ? n : 1, sizeof(**ret));
        if (!*ret)
                return -ENOMEM;
        *ret_n = n;
        for (size_t i = 0; i < n; i++) {
                char where[32];

                snprintf(where, sizeof(where), "%s[%zu]", key, i);
                r = parse_device(json_object_array_get_idx(arr, i), twin, where, &(*ret)[i],
                                 ret_error);
                if (r < 0)
                        return r;
        }
        /* One device listed twice would be a confused agent. */
        for (size_t i = 0; i < n; i++)
                for (size_t j = i + 1; j < n; j++)
                        if (STREQ((*ret)[i].address, (*ret)[j].address)) {
                                error_set(ret_error, "%s[%zu].address: duplicate", key, j);
                                return -EINVAL;
                        }
        return 0;
}

static int parse_outcome(struct json_object *root, struct pci_report *rep,
                         struct error_message *ret_error) {
        static const char *const keys[] = {"result", "errors", NULL};
        struct json_object *o, *errs;
        const char *s;
        size_t n;
        int r;

        if (!json_object_object_get_ex(root, "outcome", &o)) {
                error_set(ret_error, "outcome: missing");
                return -EINVAL;
        }
        if (!json_object_is_type(o, json_type_object)) {
                error_set(ret_error, "outcome: not an object");
                return -EINVAL;
        }
        r = check_keys(o, keys, "outcome.", ret_error);
        if (r < 0)
                return r;
        s = get_string(o, "result", "outcome.", ret_error);
        if (!s)
                return -EINVAL;
        if (STREQ(s, "succeeded"))
                rep->succeeded = true;
        else if (STREQ(s, "failed"))
                rep->succeeded = false;
        else {
                error_set(ret_error, "outcome.result: not \"succeeded\" or \"failed\"");
                return -EINVAL;
        }

        if (!json_object_object_get_ex(o, "errors", &errs)) {
                error_set(ret_error, "outcome.errors: missing");
                return -EINVAL;
        }
        if (!json_object_is_type(errs, json_type_array)) {
                error_set(ret_error, "outcome.errors: not an array");
                return -EINVAL;
        }
        n = json_object_array_length(errs);
        if (n > REPORT_MAX_ERRORS) {
                error_set(ret_error, "outcome.errors: more than %d entries", REPORT_MAX_ERRORS);
                return -EINVAL;
        }
        rep->errors = calloc(n + 1, sizeof(char *));
        if (!rep->errors)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                struct json_object *e = json_object_array_get_idx(errs, i);

                if (!json_object_is_type(e, json_type_string)) {
                        error_set(ret_error, "outcome.errors[%zu]: not a string", i);
                        return -EINVAL;
                }
                s = json_object_get_string(e);
                if (strlen(s) > REPORT_ERROR_MAX || !printable(s) ||
                    strlen(s) != (size_t)json_object_get_string_len(e)) {
                        error_set(ret_error, "outcome.errors[%zu]: longer than %d or not printable",
                                  i, REPORT_ERROR_MAX);
                        return -EINVAL;
                }
                rep->errors[i] = strdup(s);
                if (!rep->errors[i])
                        return -ENOMEM;
                rep->n_errors = i + 1;
        }
        return 0;
}

static int parse_root(struct json_object *root, struct pci_report *rep,
                      struct error_message *ret_error) {
        static const char *const keys[] = {
                "schema",  "inventory_name", "host_name", "agent_version",
                "outcome", "devices",        "twins",     NULL};
        const char *s;
        int r, schema;

        if (!json_object_is_type(root, json_type_object)) {
                error_set(ret_error, "body: not a JSON object");
                return -EINVAL;
        }
        r = check_keys(root, keys, "", ret_error);
        if (r < 0)
                return r;
        r = get_int(root, "schema", false, 1, 1, &schema, "", ret_error);
        if (r < 0) {
                error_set(ret_error, "schema: must be the integer 1");
                return -EINVAL;
        }

        s = get_string(root, "inventory_name", "", ret_error);
        if (!s)
                return -EINVAL;
        if (!sign_node_name_valid(s)) {
                error_set(ret_error, "inventory_name: not [A-Za-z0-9][A-Za-z0-9._-]{0,63}");
                return -EINVAL;
        }
        strcpy(rep->inventory_name, s);

        s = get_string(root, "host_name", "", ret_error);
        if (!s)
                return -EINVAL;
        if (!report_host_name_valid(s)) {
                error_set(ret_error, "host_name: not 1-255 of [A-Za-z0-9._:-]");
                return -EINVAL;
        }
        strcpy(rep->host_name, s);

        s = get_string(root, "agent_version", "", ret_error);
        if (!s)
                return -EINVAL;
        if (strlen(s) < 1 || strlen(s) > REPORT_VERSION_MAX ||
            strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.+~_-") !=
                    strlen(s)) {
                error_set(ret_error, "agent_version: not a version string");
                return -EINVAL;
        }
        strcpy(rep->agent_version, s);

        r = parse_outcome(root, rep, ret_error);
        if (r < 0)
                return r;
        r = parse_devices(root, "devices", REPORT_MAX_DEVICES, false, &rep->devices,
                          &rep->n_devices, ret_error);
        if (r < 0)
                return r;
        r = parse_devices(root, "twins", REPORT_MAX_TWINS, true, &rep->twins, &rep->n_twins,
                          ret_error);
        if (r < 0)
                return r;
        for (size_t i = 0; i < rep->n_twins; i++)
                for (size_t j = 0; j < rep->n_devices; j++)
                        if (STREQ(rep->twins[i].address, rep->devices[j].address)) {
                                error_set(ret_error, "twins[%zu].address: also listed in devices",
                                          i);
                                return -EINVAL;
                        }
        return 0;
}

/* Whether an object key holds an escaped NUL: json-c cuts keys there, so
 * "host_name\u0000x" would be read as a second "host_name".  (NULs in values
 * are caught where each value is read.) */
static bool key_with_nul(const char *body, size_t len) {
        bool in_string = false, nul = false;

        for (size_t i = 0; i < len; i++) {
                if (!in_string) {
                        in_string = body[i] == '"';
                        nul = false;
                        continue;
                }
                if (body[i] == '\\') {
                        if (i + 5 < len && strncmp(body + i + 1, "u0000", 5) == 0)
                                nul = true;
                        i++; /* the escaped character */
                        continue;
                }
                if (body[i] != '"')
                        continue;
                in_string = false;
                size_t j = i + 1;
                while (j < len && strchr(" \t\r\n", body[j]) && body[j])
                        j++;
                if (nul && j < len && body[j] == ':')
                        return true;
        }
        return false;
}

int report_parse(const char *body, size_t len, struct pci_report *ret,
                 struct error_message *ret_error) {
        struct pci_report rep = {};
        struct json_tokener *tok;
        struct json_object *root;
        int r;

        if (len > REPORT_BODY_MAX) {
                error_set(ret_error, "body: larger than %d bytes", REPORT_BODY_MAX);
                return -E2BIG;
        }
        if (!body || len == 0) {
                error_set(ret_error, "body: empty");
                return -EINVAL;
        }
        if (memchr(body, '\0', len)) {
                error_set(ret_error, "body: contains a NUL byte");
                return -EINVAL;
        }
        if (key_with_nul(body, len)) {
                error_set(ret_error, "body: a key contains a NUL (\\u0000)");
                return -EINVAL;
        }

        tok = json_tokener_new_ex(16);
        if (!tok)
                return -ENOMEM;
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
        root = json_tokener_parse_ex(tok, body, (int)len);
        if (!root || json_tokener_get_error(tok) != json_tokener_success ||
            json_tokener_get_parse_end(tok) != len) {
                /* Trailing whitespace is harmless; anything else after the value is not. */
                size_t end = json_tokener_get_parse_end(tok);
                bool trailing_ws = root && json_tokener_get_error(tok) == json_tokener_success &&
                                   strspn(body + end, " \t\r\n") == len - end;

                if (!trailing_ws) {
                        json_object_put(root);
                        error_set(ret_error, "body: not valid JSON (%s)",
                                  json_tokener_error_desc(json_tokener_get_error(tok)));
                        json_tokener_free(tok);
                        return -EINVAL;
                }
        }
        json_tokener_free(tok);

        r = parse_root(root, &rep, ret_error);
        json_object_put(root);
        if (r < 0) {
                report_done(&rep);
                return r;
        }
        *ret = rep;
        return 0;
}

void report_done(struct pci_report *r) {
        if (!r)
                return;
        strv_free(r->errors);
        free(r->devices);
        free(r->twins);
        r->errors = NULL;
        r->devices = r->twins = NULL;
        r->n_errors = r->n_devices = r->n_twins = 0;
}
