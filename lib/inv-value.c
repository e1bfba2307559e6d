/* SPDX-License-Identifier: Apache-2.0 */
#include "inv-value.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "error-message.h"
#include "inv-value-build.h"
#include "macros.h"

struct inv_file *inv_file_new(const char *name) {
        size_t len = strlen(name);
        struct inv_file *f = malloc(sizeof(*f) + len + 1);
        if (!f)
                return NULL;
        f->ref = 1;
        memcpy(f->name, name, len + 1);
        return f;
}

struct inv_file *inv_file_ref(struct inv_file *f) {
        if (f)
                f->ref++;
        return f;
}

void inv_file_unref(struct inv_file *f) {
        if (f && --f->ref == 0)
                free(f);
}

struct inv_value *inv_value_new(enum inv_type type, struct inv_file *file, unsigned line,
                                unsigned column) {
        struct inv_value *v = calloc(1, sizeof(*v));
        if (!v)
                return NULL;
        v->ref = 1;
        v->type = type;
        v->kind = type == INV_NULL ? INV_KIND_NULL : INV_KIND_STR;
        v->file = inv_file_ref(file);
        v->line = line;
        v->column = column;
        v->n_nodes = 1;
        return v;
}

struct inv_value *inv_value_ref(struct inv_value *v) {
        if (v)
                v->ref++;
        return v;
}

void inv_value_unref(struct inv_value *v) {
        if (!v || --v->ref > 0)
                return;
        for (size_t i = 0; i < v->n; i++) {
                if (v->keys)
                        free(v->keys[i]);
                inv_value_unref(v->items[i]);
        }
        free(v->keys);
        free(v->items);
        free(v->str);
        inv_file_unref(v->file);
        free(v);
}

static size_t add_saturated(size_t a, size_t b) {
        return a > SIZE_MAX / 2 - b ? SIZE_MAX / 2 : a + b;
}

static int grow(struct inv_value *v) {
        if (v->n < v->cap)
                return 0;
        size_t ncap = v->cap ? v->cap * 2 : 4;
        struct inv_value **items = realloc(v->items, ncap * sizeof(*items));
        if (!items)
                return -ENOMEM;
        v->items = items;
        if (v->type == INV_MAPPING) {
                char **keys = realloc(v->keys, ncap * sizeof(*keys));
                if (!keys)
                        return -ENOMEM;
                v->keys = keys;
        }
        v->cap = ncap;
        return 0;
}

int inv_seq_append(struct inv_value *seq, struct inv_value *item) {
        if (grow(seq) < 0) {
                inv_value_unref(item);
                return -ENOMEM;
        }
        seq->items[seq->n++] = item;
        seq->n_nodes = add_saturated(seq->n_nodes, item->n_nodes);
        return 0;
}

ssize_t inv_map_find(const struct inv_value *map, const char *key) {
        if (!map || map->type != INV_MAPPING)
                return -1;
        for (size_t i = 0; i < map->n; i++)
                if (STREQ(map->keys[i], key))
                        return (ssize_t)i;
        return -1;
}

int inv_map_append(struct inv_value *map, const char *key, struct inv_value *item) {
        char *k = strdup(key);
        if (!k || grow(map) < 0) {
                free(k);
                inv_value_unref(item);
                return -ENOMEM;
        }
        map->keys[map->n] = k;
        map->items[map->n++] = item;
        map->n_nodes = add_saturated(map->n_nodes, item->n_nodes);
        return 0;
}

int inv_map_set(struct inv_value *map, const char *key, struct inv_value *item) {
        ssize_t i = inv_map_find(map, key);
        if (i < 0)
                return inv_map_append(map, key, item);
        inv_value_unref(map->items[i]);
        map->items[i] = item;
        map->n_nodes = add_saturated(map->n_nodes, item->n_nodes);
        return 0;
}

int inv_map_update(struct inv_value **dst, const struct inv_value *src) {
        if (!src || src->type != INV_MAPPING || src->n == 0)
                return 0;
        if (!*dst) {
                *dst = inv_value_ref((struct inv_value *)src);
                return 0;
        }
        if ((*dst)->ref > 1) {
                /* Shared (an alias, another host's): copy before changing it. */
                struct inv_value *copy =
                        inv_value_new(INV_MAPPING, (*dst)->file, (*dst)->line, (*dst)->column);
                if (!copy)
                        return -ENOMEM;
                for (size_t i = 0; i < (*dst)->n; i++)
                        if (inv_map_append(copy, (*dst)->keys[i],
                                           inv_value_ref((*dst)->items[i])) < 0) {
                                inv_value_unref(copy);
                                return -ENOMEM;
                        }
                inv_value_unref(*dst);
                *dst = copy;
        }
        for (size_t i = 0; i < src->n; i++) {
                int r = inv_map_set(*dst, src->keys[i], inv_value_ref(src->items[i]));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- YAML 1.1 resolution, PyYAML's regular expressions spelled out --- */

struct cursor {
        const char *p, *end;
};

static bool at_end(const struct cursor *c) {
        return c->p == c->end;
}

static bool take(struct cursor *c, const char *set) {
        if (at_end(c) || !*c->p || !strchr(set, *c->p))
                return false;
        c->p++;
        return true;
}

/* set+ or set* */
static size_t take_run(struct cursor *c, const char *set) {
        size_t n = 0;
        while (take(c, set))
                n++;
        return n;
}

#define DIGITS "0123456789"
#define DIGITS_ "0123456789_"

/* (:[0-5]?[0-9])+ */
static bool take_sexagesimal(struct cursor *c) {
        size_t groups = 0;
        for (;;) {
                struct cursor save = *c;
                if (!take(c, ":"))
                        break;
                struct cursor two = *c;
                if (take(&two, "012345") && take(&two, DIGITS))
                        *c = two;
                else if (!take(c, DIGITS)) {
                        *c = save;
                        break;
                }
                groups++;
        }
        return groups > 0;
}

static bool is_float(const char *s, size_t len) {
        struct cursor c = {s, s + len};
        struct cursor d = c;
        /* \.(nan|NaN|NAN) */
        if (len == 4 && s[0] == '.' && (STREQ(s + 1, "nan") || STREQ(s + 1, "NaN") || STREQ(s + 1, "NAN")))
                return true;
        take(&c, "-+");
        /* [-+]?\.(inf|Inf|INF) */
        if ((size_t)(c.end - c.p) == 4 && c.p[0] == '.' &&
            (STREQ(c.p + 1, "inf") || STREQ(c.p + 1, "Inf") || STREQ(c.p + 1, "INF")))
                return true;
        /* \.[0-9][0-9_]*([eE][-+][0-9]+)? (no sign) */
        if (take(&d, ".")) {
                if (!take(&d, DIGITS))
                        return false;
                take_run(&d, DIGITS_);
                if (take(&d, "eE") && !(take(&d, "-+") && take_run(&d, DIGITS) > 0))
                        return false;
                return at_end(&d);
        }
        /* [-+]?[0-9][0-9_]* then \.[0-9_]*([eE][-+][0-9]+)? or (:[0-5]?[0-9])+\.[0-9_]* */
        if (!take(&c, DIGITS))
                return false;
        take_run(&c, DIGITS_);
        bool sexa = take_sexagesimal(&c);
        if (!take(&c, "."))
                return false;
        take_run(&c, DIGITS_);
        if (!sexa && take(&c, "eE") && !(take(&c, "-+") && take_run(&c, DIGITS) > 0))
                return false;
        return at_end(&c);
}

static bool is_int(const char *s, size_t len) {
        struct cursor c = {s, s + len};
        take(&c, "-+");
        struct cursor d = c;
        if (take(&d, "0")) {
                if (at_end(&d))
                        return true; /* 0 */
                if (take(&d, "b"))
                        return take_run(&d, "01_") > 0 && at_end(&d);
                if (take(&d, "x"))
                        return take_run(&d, "0123456789abcdefABCDEF_") > 0 && at_end(&d);
                return take_run(&d, "01234567_") > 0 && at_end(&d);
        }
        if (!take(&c, "123456789"))
                return false;
        take_run(&c, DIGITS_);
        if (at_end(&c))
                return true;
        return take_sexagesimal(&c) && at_end(&c);
}

static bool is_timestamp(const char *s, size_t len) {
        struct cursor c = {s, s + len};
        if (take_run(&c, DIGITS) != 4 || !take(&c, "-"))
                return false;
        struct cursor ymd = c;
        if (take_run(&ymd, DIGITS) == 2 && take(&ymd, "-") && take_run(&ymd, DIGITS) == 2 &&
            at_end(&ymd))
                return true;
        size_t n = take_run(&c, DIGITS);
        if (n < 1 || n > 2 || !take(&c, "-"))
                return false;
        n = take_run(&c, DIGITS);
        if (n < 1 || n > 2)
                return false;
        if (!take(&c, "Tt") && take_run(&c, " \t") == 0)
                return false;
        n = take_run(&c, DIGITS);
        if (n < 1 || n > 2 || !take(&c, ":") || take_run(&c, DIGITS) != 2 || !take(&c, ":") ||
            take_run(&c, DIGITS) != 2)
                return false;
        if (take(&c, "."))
                take_run(&c, DIGITS);
        take_run(&c, " \t");
        if (at_end(&c))
                return true;
        if (take(&c, "Z"))
                return at_end(&c);
        if (!take(&c, "-+"))
                return false;
        n = take_run(&c, DIGITS);
        if (n < 1 || n > 2)
                return false;
        if (take(&c, ":") && take_run(&c, DIGITS) != 2)
                return false;
        return at_end(&c);
}

enum inv_kind inv_resolve_plain(const char *s, size_t len) {
        static const char *const bools[] = {"yes", "Yes", "YES", "no",    "No",    "NO",
                                            "true", "True", "TRUE", "false", "False", "FALSE",
                                            "on",  "On",  "ON",  "off",   "Off",   "OFF"};
        if (len == 0)
                return INV_KIND_NULL;
        switch (s[0]) {
        case 'y': case 'Y': case 'n': case 'N': case 't': case 'T':
        case 'f': case 'F': case 'o': case 'O':
                if (len > 5) /* longer than "false": most names, never a boolean or null */
                        return INV_KIND_STR;
                for (size_t i = 0; i < ELEMENTSOF(bools); i++)
                        if (STREQ(s, bools[i]))
                                return INV_KIND_BOOL;
                if (STREQ(s, "null") || STREQ(s, "Null") || STREQ(s, "NULL"))
                        return INV_KIND_NULL;
                return INV_KIND_STR;
        case '~':
                return len == 1 ? INV_KIND_NULL : INV_KIND_STR;
        case '-': case '+': case '.':
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
                if (is_float(s, len))
                        return INV_KIND_FLOAT;
                if (s[0] != '.' && is_int(s, len))
                        return INV_KIND_INT;
                if (s[0] >= '0' && s[0] <= '9' && is_timestamp(s, len))
                        return INV_KIND_TIMESTAMP;
                return INV_KIND_STR;
        default:
                return INV_KIND_STR;
        }
}

int inv_resolve_tag(const char *tag, const char *s, enum inv_kind *ret) {
        static const char yaml_prefix[] = "tag:yaml.org,2002:";
        static const struct {
                const char *name;
                enum inv_kind kind;
        } tags[] = {
                {"str", INV_KIND_STR},     {"int", INV_KIND_INT},
                {"float", INV_KIND_FLOAT}, {"timestamp", INV_KIND_TIMESTAMP},
                {"null", INV_KIND_NULL},   {"bool", INV_KIND_BOOL},
        };
        if (STREQ(tag, "!") || STREQ(tag, "!unsafe")) {
                *ret = INV_KIND_STR;
                return 0;
        }
        if (STREQ(tag, "!vault") || STREQ(tag, "!vault-encrypted")) {
                *ret = INV_KIND_VAULT;
                return 0;
        }
        if (strncmp(tag, yaml_prefix, sizeof(yaml_prefix) - 1) != 0)
                return -EINVAL;
        tag += sizeof(yaml_prefix) - 1;
        for (size_t i = 0; i < ELEMENTSOF(tags); i++) {
                if (!STREQ(tag, tags[i].name))
                        continue;
                /* PyYAML's construct_yaml_bool: the six words in any case. */
                if (tags[i].kind == INV_KIND_BOOL) {
                        static const char *const words[] = {"yes", "no", "true", "false", "on", "off"};
                        bool ok = false;
                        for (size_t w = 0; w < ELEMENTSOF(words); w++)
                                ok = ok || strcasecmp(s, words[w]) == 0;
                        if (!ok)
                                return -EINVAL;
                }
                *ret = tags[i].kind;
                return 0;
        }
        return -EINVAL;
}

/* --- accessors --- */

enum inv_type inv_value_type(const struct inv_value *v) {
        return v ? v->type : INV_NULL;
}

enum inv_kind inv_value_kind(const struct inv_value *v) {
        return v ? (enum inv_kind)v->kind : INV_KIND_NULL;
}

const char *inv_kind_name(enum inv_kind kind) {
        static const char *const names[] = {
                [INV_KIND_STR] = "a string",
                [INV_KIND_BOOL] = "a boolean",
                [INV_KIND_INT] = "an integer",
                [INV_KIND_FLOAT] = "a float",
                [INV_KIND_TIMESTAMP] = "a date",
                [INV_KIND_NULL] = "null",
                [INV_KIND_VAULT] = "a vault-encrypted value",
        };
        return (unsigned)kind < ELEMENTSOF(names) ? names[kind] : "?";
}

const char *inv_value_str(const struct inv_value *v) {
        return v && v->type == INV_SCALAR ? v->str : NULL;
}

bool inv_value_is_plain(const struct inv_value *v) {
        return v && v->plain;
}

bool inv_value_is_tagged(const struct inv_value *v) {
        return v && v->tagged;
}

size_t inv_value_len(const struct inv_value *v) {
        return v && (v->type == INV_SEQUENCE || v->type == INV_MAPPING) ? v->n : 0;
}

const struct inv_value *inv_value_item(const struct inv_value *v, size_t i) {
        return i < inv_value_len(v) ? v->items[i] : NULL;
}

const char *inv_value_key(const struct inv_value *v, size_t i) {
        return v && v->type == INV_MAPPING && i < v->n ? v->keys[i] : NULL;
}

const struct inv_value *inv_map_get(const struct inv_value *map, const char *key) {
        ssize_t i = inv_map_find(map, key);
        return i < 0 ? NULL : map->items[i];
}

int inv_value_to_bool(const struct inv_value *v, bool *ret) {
        static const char *const yes[] = {"yes", "true", "on"};
        if (!v || v->type != INV_SCALAR || v->kind != INV_KIND_BOOL)
                return -EINVAL;
        *ret = false;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++)
                if (strcasecmp(v->str, yes[i]) == 0)
                        *ret = true;
        return 0;
}

const char *inv_value_file(const struct inv_value *v) {
        return v && v->file ? v->file->name : NULL;
}

unsigned inv_value_line(const struct inv_value *v) {
        return v ? v->line : 0;
}

unsigned inv_value_column(const struct inv_value *v) {
        return v ? v->column : 0;
}

/* Secret-looking words of a variable name: *pass* (not passthrough),
 * password, secret, token, *key, credential. */
static bool word_is_secret(const char *w, size_t len) {
        char low[64];
        if (len == 0)
                return false;
        if (len >= sizeof(low))
                len = sizeof(low) - 1;
        for (size_t i = 0; i < len; i++)
                low[i] = (char)tolower((unsigned char)w[i]);
        low[len] = '\0';
        if (strstr(low, "pass") && !strstr(low, "passthrough"))
                return true;
        if (strstr(low, "secret") || strstr(low, "token") || strstr(low, "credential") ||
            strstr(low, "private"))
                return true;
        return len >= 3 && STREQ(low + len - 3, "key");
}

bool inv_key_is_secret(const char *key) {
        if (!key)
                return false;
        const char *w = key;
        for (const char *p = key;; p++) {
                if (*p == '\0' || *p == '_' || *p == '-' || *p == '.') {
                        if (word_is_secret(w, (size_t)(p - w)))
                                return true;
                        if (*p == '\0')
                                return false;
                        w = p + 1;
                }
        }
}

void inv_value_error(struct error_message *err, const struct inv_value *v, const char *fmt, ...) {
        if (!err)
                return;
        char msg[sizeof(err->text)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        const char *text = v && !v->secret && v->type == INV_SCALAR ? v->str : NULL;
        error_set_at(err, inv_value_file(v), inv_value_line(v), inv_value_column(v), text, "%s",
                     msg);
}
