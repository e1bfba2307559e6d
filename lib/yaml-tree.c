/* SPDX-License-Identifier: Apache-2.0 */
#include "yaml-tree.h"

#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "macros.h"

/* Deeper nesting than this is refused: no inventory needs it and the
 * builder recurses. */
#define MAX_DEPTH 128
/* Mappings longer than this check duplicate keys through a hash map. */
#define LINEAR_KEYS 16

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

static int map_append(struct inv_value *map, const char *key, struct inv_value *item) {
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
                return map_append(map, key, item);
        inv_value_unref(map->items[i]);
        map->items[i] = item;
        map->n_nodes = add_saturated(map->n_nodes, item->n_nodes);
        return 0;
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

static void copy_trunc(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
}

void inv_error_at(struct inv_error *err, const char *file, unsigned line, unsigned column,
                  const char *value, const char *fmt, ...) {
        if (!err)
                return;
        copy_trunc(err->file, sizeof(err->file), file);
        err->line = line;
        err->column = column;
        copy_trunc(err->value, sizeof(err->value), value);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
}

/* --- string map --- */

static size_t hash_str(const char *s) {
        size_t h = 1469598103934665603ULL; /* FNV-1a */
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

static int strmap_resize(struct strmap *m, size_t ncap) {
        struct strmap_slot *slots = calloc(ncap, sizeof(*slots));
        if (!slots)
                return -ENOMEM;
        for (size_t i = 0; i < m->cap; i++) {
                if (!m->slots[i].key)
                        continue;
                size_t j = hash_str(m->slots[i].key) & (ncap - 1);
                while (slots[j].key)
                        j = (j + 1) & (ncap - 1);
                slots[j] = m->slots[i];
        }
        free(m->slots);
        m->slots = slots;
        m->cap = ncap;
        return 0;
}

int strmap_put(struct strmap *m, const char *key, size_t val, size_t *ret_existing) {
        if ((m->n + 1) * 2 > m->cap) {
                int r = strmap_resize(m, m->cap ? m->cap * 2 : 16);
                if (r < 0)
                        return r;
        }
        size_t j = hash_str(key) & (m->cap - 1);
        while (m->slots[j].key) {
                if (STREQ(m->slots[j].key, key)) {
                        if (ret_existing)
                                *ret_existing = m->slots[j].val;
                        return 1;
                }
                j = (j + 1) & (m->cap - 1);
        }
        m->slots[j].key = key;
        m->slots[j].val = val;
        m->n++;
        return 0;
}

bool strmap_get(const struct strmap *m, const char *key, size_t *ret) {
        if (m->cap == 0)
                return false;
        size_t j = hash_str(key) & (m->cap - 1);
        while (m->slots[j].key) {
                if (STREQ(m->slots[j].key, key)) {
                        if (ret)
                                *ret = m->slots[j].val;
                        return true;
                }
                j = (j + 1) & (m->cap - 1);
        }
        return false;
}

void strmap_done(struct strmap *m) {
        free(m->slots);
        *m = (struct strmap){0};
}

/* --- the reader --- */

enum rec_kind { REC_SCALAR, REC_SEQ, REC_MAP, REC_END, REC_ALIAS };

/* One tape record, followed by the anchor name (when anchor_len > 0) and
 * the scalar text or alias name, each NUL-terminated, padded to 4 bytes. */
struct rec {
        uint8_t kind;
        uint8_t plain;
        uint16_t unused;
        uint32_t line, column;
        uint32_t anchor_len;
        uint32_t str_len;
};

#define ALIGN4(x) (((x) + 3) & ~(size_t)3)

static size_t rec_size(const struct rec *h) {
        size_t s = sizeof(*h);
        if (h->anchor_len)
                s += h->anchor_len + 1;
        if (h->kind == REC_SCALAR || h->kind == REC_ALIAS)
                s += h->str_len + 1;
        return ALIGN4(s);
}

static const struct rec *rec_at(const struct yaml_reader *r, size_t pos) {
        return (const struct rec *)(const void *)(r->tape + pos);
}

static const char *rec_anchor(const struct rec *h) {
        return h->anchor_len ? (const char *)(h + 1) : NULL;
}

static const char *rec_str(const struct rec *h) {
        return (const char *)(h + 1) + (h->anchor_len ? h->anchor_len + 1 : 0);
}

/* Everything but the input. */
static int reader_setup(struct yaml_reader *r, const char *filename, size_t max_alias_nodes,
                        struct inv_error *err) {
        *r = (struct yaml_reader){.max_alias_nodes = max_alias_nodes, .err = err};
        r->file = inv_file_new(filename);
        if (!r->file)
                return -ENOMEM;
        if (!yaml_parser_initialize(&r->parser))
                return -ENOMEM;
        r->parser_ready = true;
        return 0;
}

int yaml_reader_init(struct yaml_reader *r, const char *data, size_t len, const char *filename,
                     size_t max_alias_nodes, struct inv_error *err) {
        int ret = reader_setup(r, filename, max_alias_nodes, err);
        if (ret < 0)
                return ret;
        yaml_parser_set_input_string(&r->parser, (const unsigned char *)data, len);
        yaml_parser_set_encoding(&r->parser, YAML_UTF8_ENCODING);
        return 0;
}

/* libyaml's read handler: 1 with *size_read set (0 at the end), 0 on error. */
static int read_bounded(void *data, unsigned char *buffer, size_t size, size_t *size_read) {
        struct yaml_reader *r = data;
        /* One byte past the limit tells "too big" from "exactly the limit". */
        size_t want = r->input_left < size ? r->input_left + 1 : size;
        size_t n = fread(buffer, 1, want, r->input);
        if (n < want && ferror(r->input))
                return 0;
        if (n > r->input_left) {
                r->input_too_big = true;
                return 0;
        }
        r->input_left -= n;
        *size_read = n;
        return 1;
}

int yaml_reader_init_file(struct yaml_reader *r, FILE *f, size_t max_size, const char *filename,
                          size_t max_alias_nodes, struct inv_error *err) {
        int ret = reader_setup(r, filename, max_alias_nodes, err);
        if (ret < 0)
                return ret;
        r->input = f;
        r->input_left = max_size;
        yaml_parser_set_input(&r->parser, read_bounded, r);
        yaml_parser_set_encoding(&r->parser, YAML_UTF8_ENCODING);
        return 0;
}

static void anchors_clear(struct yaml_reader *r) {
        for (size_t i = 0; i < r->n_anchors; i++) {
                free(r->anchor_names[i]);
                inv_value_unref(r->anchor_values[i]);
        }
        free(r->anchor_names);
        free(r->anchor_values);
        r->anchor_names = NULL;
        r->anchor_values = NULL;
        r->n_anchors = r->cap_anchors = 0;
        strmap_done(&r->anchor_index);
}

void yaml_reader_done(struct yaml_reader *r) {
        if (r->parser_ready)
                yaml_parser_delete(&r->parser);
        r->parser_ready = false;
        anchors_clear(r);
        free(r->tape);
        r->tape = NULL;
        inv_file_unref(r->file);
        r->file = NULL;
}

int yaml_reader_next(struct yaml_reader *r, yaml_event_t *ev) {
        if (!yaml_parser_parse(&r->parser, ev)) {
                const yaml_parser_t *p = &r->parser;
                if (r->input_too_big) {
                        inv_error_at(r->err, r->file->name, 0, 0, NULL,
                                     "%s: file is larger than the limit", r->file->name);
                        return -EFBIG;
                }
                if (r->input && ferror(r->input)) {
                        inv_error_at(r->err, r->file->name, 0, 0, NULL, "%s: read error",
                                     r->file->name);
                        return -EIO;
                }
                inv_error_at(r->err, r->file->name, (unsigned)p->problem_mark.line + 1,
                             (unsigned)p->problem_mark.column + 1, NULL, "YAML error: %s%s%s",
                             p->context ? p->context : "", p->context ? ": " : "",
                             p->problem ? p->problem : "invalid YAML");
                return -EINVAL;
        }
        /* Anchors belong to one document. */
        if (ev->type == YAML_DOCUMENT_START_EVENT)
                anchors_clear(r);
        return 0;
}

static int tape_push(struct yaml_reader *r, enum rec_kind kind, const yaml_event_t *ev,
                     const char *anchor, const char *str, size_t str_len, bool plain) {
        size_t alen = anchor ? strlen(anchor) : 0;
        if (alen > UINT32_MAX || str_len > UINT32_MAX)
                return -E2BIG;
        struct rec h = {
                .kind = (uint8_t)kind,
                .plain = plain,
                .line = (uint32_t)ev->start_mark.line + 1,
                .column = (uint32_t)ev->start_mark.column + 1,
                .anchor_len = (uint32_t)alen,
                .str_len = (uint32_t)str_len,
        };
        size_t need = rec_size(&h);
        if (r->tape_len + need > r->tape_cap) {
                size_t ncap = r->tape_cap ? r->tape_cap : 4096;
                while (ncap < r->tape_len + need)
                        ncap *= 2;
                char *t = realloc(r->tape, ncap);
                if (!t)
                        return -ENOMEM;
                r->tape = t;
                r->tape_cap = ncap;
        }
        char *p = r->tape + r->tape_len;
        char *end = p + need;
        memcpy(p, &h, sizeof(h));
        p += sizeof(h);
        if (alen) {
                memcpy(p, anchor, alen);
                p += alen;
                *p++ = '\0';
                r->tape_has_anchors = true;
        }
        if (kind == REC_SCALAR || kind == REC_ALIAS) {
                memcpy(p, str, str_len);
                p += str_len;
        }
        memset(p, 0, (size_t)(end - p)); /* the NUL and the padding */
        r->tape_len += need;
        return 0;
}

static int record_event(struct yaml_reader *r, const yaml_event_t *ev, unsigned *depth) {
        switch (ev->type) {
        case YAML_SCALAR_EVENT:
                return tape_push(r, REC_SCALAR, ev, (const char *)ev->data.scalar.anchor,
                                 (const char *)ev->data.scalar.value, ev->data.scalar.length,
                                 ev->data.scalar.plain_implicit);
        case YAML_ALIAS_EVENT: {
                const char *a = (const char *)ev->data.alias.anchor;
                return tape_push(r, REC_ALIAS, ev, NULL, a, strlen(a), false);
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
                if (++*depth > MAX_DEPTH) {
                        inv_error_at(r->err, r->file->name, (unsigned)ev->start_mark.line + 1,
                                     (unsigned)ev->start_mark.column + 1, NULL,
                                     "nested more than %d levels deep", MAX_DEPTH);
                        return -EINVAL;
                }
                if (ev->type == YAML_SEQUENCE_START_EVENT)
                        return tape_push(r, REC_SEQ, ev,
                                         (const char *)ev->data.sequence_start.anchor, NULL, 0,
                                         false);
                return tape_push(r, REC_MAP, ev, (const char *)ev->data.mapping_start.anchor, NULL,
                                 0, false);
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                --*depth;
                return tape_push(r, REC_END, ev, NULL, NULL, 0, false);
        default:
                inv_error_at(r->err, r->file->name, (unsigned)ev->start_mark.line + 1,
                             (unsigned)ev->start_mark.column + 1, NULL, "unexpected YAML event");
                return -EINVAL;
        }
}

int yaml_reader_record(struct yaml_reader *r, yaml_event_t *ev) {
        unsigned depth = 0;
        int ret;

        r->tape_len = 0;
        r->tape_has_anchors = false;
        for (;;) {
                ret = record_event(r, ev, &depth);
                yaml_event_delete(ev);
                if (ret < 0 || depth == 0)
                        return ret;
                ret = yaml_reader_next(r, ev);
                if (ret < 0)
                        return ret;
        }
}

static bool scalar_is_null(const char *s) {
        return s[0] == '\0' || STREQ(s, "~") || STREQ(s, "null") || STREQ(s, "Null") ||
               STREQ(s, "NULL");
}

static struct inv_value *anchor_lookup(const struct yaml_reader *r, const char *name) {
        size_t i;
        if (!strmap_get(&r->anchor_index, name, &i))
                return NULL;
        return r->anchor_values[i];
}

static int anchor_define(struct yaml_reader *r, const char *name, struct inv_value *v) {
        size_t i;
        if (strmap_get(&r->anchor_index, name, &i)) {
                inv_value_unref(r->anchor_values[i]);
                r->anchor_values[i] = inv_value_ref(v);
                return 0;
        }
        if (r->n_anchors == r->cap_anchors) {
                size_t ncap = r->cap_anchors ? r->cap_anchors * 2 : 8;
                char **names = realloc(r->anchor_names, ncap * sizeof(*names));
                if (!names)
                        return -ENOMEM;
                r->anchor_names = names;
                struct inv_value **values = realloc(r->anchor_values, ncap * sizeof(*values));
                if (!values)
                        return -ENOMEM;
                r->anchor_values = values;
                r->cap_anchors = ncap;
        }
        char *n = strdup(name);
        if (!n)
                return -ENOMEM;
        /* The index borrows n; the map is rebuilt only by growing, never by moving n. */
        int ret = strmap_put(&r->anchor_index, n, r->n_anchors, NULL);
        if (ret < 0) {
                free(n);
                return ret;
        }
        r->anchor_names[r->n_anchors] = n;
        r->anchor_values[r->n_anchors++] = inv_value_ref(v);
        return 0;
}

static void rec_error(struct yaml_reader *r, const struct rec *h, const char *value,
                      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void rec_error(struct yaml_reader *r, const struct rec *h, const char *value,
                      const char *fmt, ...) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        inv_error_at(r->err, r->file->name, h->line, h->column, value, "%s", msg);
}

static int resolve_alias(struct yaml_reader *r, const struct rec *h, struct inv_value **ret) {
        struct inv_value *target = anchor_lookup(r, rec_str(h));
        if (!target) {
                rec_error(r, h, rec_str(h), "alias *%s refers to no anchor", rec_str(h));
                return -EINVAL;
        }
        r->alias_nodes = add_saturated(r->alias_nodes, target->n_nodes);
        if (r->alias_nodes > r->max_alias_nodes) {
                rec_error(r, h, rec_str(h),
                          "aliases expand to too many nodes (at *%s): refusing an alias bomb",
                          rec_str(h));
                return -E2BIG;
        }
        *ret = inv_value_ref(target);
        return 0;
}

static int build_node(struct yaml_reader *r, size_t *pos, bool secret, struct inv_value **ret);

/* Applies YAML 1.1 merge keys: keys of the merged mappings that the
 * mapping does not set itself, earlier sources first. */
static int apply_merges(struct yaml_reader *r, struct inv_value *map, struct inv_value *sources,
                        const struct rec *at) {
        for (size_t s = 0; s < sources->n; s++) {
                const struct inv_value *src = sources->items[s];
                if (src->type != INV_MAPPING) {
                        rec_error(r, at, "<<",
                                  "<<: a merge key needs a mapping or a list of mappings");
                        return -EINVAL;
                }
                for (size_t i = 0; i < src->n; i++) {
                        if (inv_map_find(map, src->keys[i]) >= 0)
                                continue;
                        int ret = map_append(map, src->keys[i], inv_value_ref(src->items[i]));
                        if (ret < 0)
                                return ret;
                }
        }
        return 0;
}

static int add_merge_source(struct inv_value *sources, struct inv_value *v) {
        if (v->type != INV_SEQUENCE)
                return inv_seq_append(sources, v);
        for (size_t i = 0; i < v->n; i++) {
                int ret = inv_seq_append(sources, inv_value_ref(v->items[i]));
                if (ret < 0) {
                        inv_value_unref(v);
                        return ret;
                }
        }
        inv_value_unref(v);
        return 0;
}

/* Short mappings are searched; longer ones get a hash map of their keys. */
static int key_is_duplicate(const struct inv_value *map, struct strmap *seen, const char *key,
                            bool *ret) {
        if (map->n < LINEAR_KEYS) {
                *ret = inv_map_find(map, key) >= 0;
                return 0;
        }
        for (size_t i = seen->n; i < map->n; i++)
                if (strmap_put(seen, map->keys[i], i, NULL) < 0)
                        return -ENOMEM;
        *ret = strmap_get(seen, key, NULL);
        return 0;
}

static int build_mapping(struct yaml_reader *r, size_t *pos, struct inv_value *map, bool secret) {
        _cleanup_(strmap_done) struct strmap seen = {0};
        struct inv_value *merges = NULL;
        int ret = 0;

        for (;;) {
                const struct rec *k = rec_at(r, *pos);
                if (k->kind == REC_END) {
                        *pos += rec_size(k);
                        break;
                }

                const char *key = NULL;
                _cleanup_(inv_value_unrefp) struct inv_value *key_alias = NULL;
                if (k->kind == REC_SCALAR) {
                        key = rec_str(k);
                        if (k->anchor_len) {
                                struct inv_value *kv = NULL;
                                ret = build_node(r, pos, secret, &kv);
                                if (ret < 0)
                                        goto out;
                                key_alias = kv;
                                key = kv->str ? kv->str : "";
                        } else {
                                *pos += rec_size(k);
                        }
                } else if (k->kind == REC_ALIAS) {
                        ret = resolve_alias(r, k, &key_alias);
                        if (ret < 0)
                                goto out;
                        *pos += rec_size(k);
                        if (key_alias->type != INV_SCALAR && key_alias->type != INV_NULL) {
                                rec_error(r, k, NULL, "a mapping key must be a scalar");
                                ret = -EINVAL;
                                goto out;
                        }
                        key = key_alias->str ? key_alias->str : "";
                } else {
                        rec_error(r, k, NULL, "%s keys are not supported",
                                  k->kind == REC_MAP ? "mapping" : "sequence");
                        ret = -EINVAL;
                        goto out;
                }

                bool is_merge = k->kind == REC_SCALAR && k->plain && STREQ(key, "<<");
                bool dup = false;
                if (!is_merge) {
                        ret = key_is_duplicate(map, &seen, key, &dup);
                        if (ret < 0)
                                goto out;
                }
                if (dup) {
                        rec_error(r, k, key, "duplicate key \"%s\"", key);
                        ret = -EINVAL;
                        goto out;
                }

                struct inv_value *item = NULL;
                ret = build_node(r, pos, secret || inv_key_is_secret(key), &item);
                if (ret < 0)
                        goto out;
                if (is_merge) {
                        if (!merges) {
                                merges = inv_value_new(INV_SEQUENCE, NULL, 0, 0);
                                if (!merges) {
                                        inv_value_unref(item);
                                        ret = -ENOMEM;
                                        goto out;
                                }
                        }
                        ret = add_merge_source(merges, item);
                } else {
                        ret = map_append(map, key, item);
                }
                if (ret < 0)
                        goto out;
        }
        if (merges)
                ret = apply_merges(r, map, merges, rec_at(r, 0));
out:
        inv_value_unref(merges);
        return ret;
}

static int build_node(struct yaml_reader *r, size_t *pos, bool secret, struct inv_value **ret) {
        const struct rec *h = rec_at(r, *pos);
        _cleanup_(inv_value_unrefp) struct inv_value *v = NULL;
        int ret_code;

        *pos += rec_size(h);
        if (h->kind == REC_ALIAS) {
                ret_code = resolve_alias(r, h, &v);
                if (ret_code < 0)
                        return ret_code;
                if (secret)
                        v->secret = true;
                *ret = TAKE_PTR(v);
                return 0;
        }

        if (h->kind == REC_SCALAR) {
                bool is_null = h->plain && scalar_is_null(rec_str(h));
                v = inv_value_new(is_null ? INV_NULL : INV_SCALAR, r->file, h->line, h->column);
                if (!v)
                        return -ENOMEM;
                if (!is_null) {
                        v->str = strndup(rec_str(h), h->str_len);
                        if (!v->str)
                                return -ENOMEM;
                }
                v->plain = h->plain;
        } else if (h->kind == REC_SEQ || h->kind == REC_MAP) {
                v = inv_value_new(h->kind == REC_SEQ ? INV_SEQUENCE : INV_MAPPING, r->file, h->line,
                                  h->column);
                if (!v)
                        return -ENOMEM;
                if (h->kind == REC_MAP) {
                        ret_code = build_mapping(r, pos, v, secret);
                        if (ret_code < 0)
                                return ret_code;
                } else {
                        while (rec_at(r, *pos)->kind != REC_END) {
                                struct inv_value *item = NULL;
                                ret_code = build_node(r, pos, secret, &item);
                                if (ret_code < 0)
                                        return ret_code;
                                ret_code = inv_seq_append(v, item);
                                if (ret_code < 0)
                                        return ret_code;
                        }
                        *pos += rec_size(rec_at(r, *pos));
                }
        } else {
                rec_error(r, h, NULL, "%s", "unexpected end of a collection");
                return -EINVAL;
        }
        v->secret = secret;
        if (h->anchor_len) {
                ret_code = anchor_define(r, rec_anchor(h), v);
                if (ret_code < 0)
                        return ret_code;
        }
        *ret = TAKE_PTR(v);
        return 0;
}

int yaml_reader_build(struct yaml_reader *r, struct inv_value **ret) {
        size_t pos = 0;
        if (r->tape_len == 0)
                return -EINVAL;
        return build_node(r, &pos, false, ret);
}

int yaml_reader_skip(struct yaml_reader *r) {
        size_t pos = 0;
        if (!r->tape_has_anchors)
                return 0;
        while (pos < r->tape_len) {
                const struct rec *h = rec_at(r, pos);
                if (!h->anchor_len) {
                        pos += rec_size(h);
                        continue;
                }
                /* Anchored: later aliases may need it. */
                struct inv_value *v = NULL;
                int ret = build_node(r, &pos, false, &v);
                if (ret < 0)
                        return ret;
                inv_value_unref(v);
        }
        return 0;
}

enum inv_type yaml_reader_tape_type(const struct yaml_reader *r) {
        const struct rec *h = rec_at(r, 0);
        switch (h->kind) {
        case REC_SEQ:
                return INV_SEQUENCE;
        case REC_MAP:
                return INV_MAPPING;
        case REC_ALIAS: {
                const struct inv_value *t = anchor_lookup(r, rec_str(h));
                return t ? t->type : INV_NULL;
        }
        default:
                return h->plain && scalar_is_null(rec_str(h)) ? INV_NULL : INV_SCALAR;
        }
}

bool yaml_reader_tape_is_alias(const struct yaml_reader *r) {
        return rec_at(r, 0)->kind == REC_ALIAS;
}

void yaml_reader_tape_mark(const struct yaml_reader *r, unsigned *ret_line, unsigned *ret_column) {
        const struct rec *h = rec_at(r, 0);
        *ret_line = h->line;
        *ret_column = h->column;
}

/* Moves pos past the node that starts there. */
static void skip_node(const struct yaml_reader *r, size_t *pos) {
        unsigned depth = 0;
        do {
                const struct rec *h = rec_at(r, *pos);
                if (h->kind == REC_SEQ || h->kind == REC_MAP)
                        depth++;
                else if (h->kind == REC_END)
                        depth--;
                *pos += rec_size(h);
        } while (depth > 0);
}

const char *yaml_reader_tape_lookup(const struct yaml_reader *r, const char *key) {
        size_t pos = 0;
        if (r->tape_len == 0 || rec_at(r, 0)->kind != REC_MAP)
                return NULL;
        pos += rec_size(rec_at(r, 0));
        while (rec_at(r, pos)->kind != REC_END) {
                const struct rec *k = rec_at(r, pos);
                bool match = k->kind == REC_SCALAR && STREQ(rec_str(k), key);
                skip_node(r, &pos);
                const struct rec *v = rec_at(r, pos);
                if (match) {
                        if (v->kind == REC_SCALAR)
                                return v->plain && scalar_is_null(rec_str(v)) ? NULL : rec_str(v);
                        if (v->kind == REC_ALIAS) {
                                const struct inv_value *t = anchor_lookup(r, rec_str(v));
                                return t && t->type == INV_SCALAR ? t->str : NULL;
                        }
                        return NULL;
                }
                skip_node(r, &pos);
        }
        return NULL;
}
