/* SPDX-License-Identifier: Apache-2.0 */
#include "yaml-reader.h"

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

/* --- the reader --- */

enum rec_kind { REC_SCALAR, REC_SEQ, REC_MAP, REC_END, REC_ALIAS };

/* One tape record, followed by the anchor name (when anchor_len > 0) and
 * the scalar text or alias name, each NUL-terminated, padded to 4 bytes. */
struct rec {
        uint8_t kind;
        uint8_t plain;
        uint8_t skind;  /* enum inv_kind of a scalar, KIND_LATER for a plain one */
        uint8_t tagged; /* explicit tag */
        uint32_t line, column;
        uint32_t anchor_len;
        uint32_t str_len;
};

/* A plain scalar's kind is resolved when it is used (built or looked up),
 * not for every scalar of every skipped host. */
#define KIND_LATER 0xff

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
                        struct error_message *err) {
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
                     size_t max_alias_nodes, struct error_message *err) {
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
                          size_t max_alias_nodes, struct error_message *err) {
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
                        error_set_at(r->err, r->file->name, 0, 0, NULL,
                                     "%s: file is larger than the limit", r->file->name);
                        return -EFBIG;
                }
                if (r->input && ferror(r->input)) {
                        error_set_at(r->err, r->file->name, 0, 0, NULL, "%s: read error",
                                     r->file->name);
                        return -EIO;
                }
                error_set_at(r->err, r->file->name, (unsigned)p->problem_mark.line + 1,
                             (unsigned)p->problem_mark.column + 1, NULL, "YAML error: %s%s%s",
                             p->context ? p->context : "", p->context ? ": " : "",
                             p->problem ? p->problem : "invalid YAML");
                return -EINVAL;
        }
        /* libyaml passes "\0" escapes through: a C string would silently cut there. */
        if (ev->type == YAML_SCALAR_EVENT &&
            memchr(ev->data.scalar.value, '\0', ev->data.scalar.length)) {
                error_set_at(r->err, r->file->name, (unsigned)ev->start_mark.line + 1,
                             (unsigned)ev->start_mark.column + 1, NULL,
                             "a value contains a NUL byte (\\0), which is not read: it would end "
                             "the value there");
                yaml_event_delete(ev);
                return -EINVAL;
        }
        /* Anchors belong to one document. */
        if (ev->type == YAML_DOCUMENT_START_EVENT)
                anchors_clear(r);
        return 0;
}

static int tape_push(struct yaml_reader *r, enum rec_kind kind, const yaml_event_t *ev,
                     const char *anchor, const char *str, size_t str_len, bool plain,
                     enum inv_kind skind, bool tagged) {
        size_t alen = anchor ? strlen(anchor) : 0;
        if (alen > UINT32_MAX || str_len > UINT32_MAX)
                return -E2BIG;
        struct rec h = {
                .kind = (uint8_t)kind,
                .plain = plain,
                .skind = (uint8_t)skind,
                .tagged = tagged,
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

/* What Ansible's YAML loader makes of a scalar: its tag, else YAML 1.1's
 * implicit resolution of a plain scalar; quoted is a string. */
static int scalar_kind(struct yaml_reader *r, const yaml_event_t *ev, enum inv_kind *ret) {
        const char *tag = (const char *)ev->data.scalar.tag;
        const char *s = (const char *)ev->data.scalar.value;
        if (tag && !ev->data.scalar.plain_implicit && !ev->data.scalar.quoted_implicit) {
                if (inv_resolve_tag(tag, s, ret) == 0)
                        return 0;
                error_set_at(r->err, r->file->name, (unsigned)ev->start_mark.line + 1,
                             (unsigned)ev->start_mark.column + 1, NULL,
                             "the tag %.64s on \"%.64s\" is not one Ansible's YAML loader "
                             "constructs (or not a valid value for it)",
                             tag, s);
                return -EINVAL;
        }
        *ret = ev->data.scalar.plain_implicit ? (enum inv_kind)KIND_LATER : INV_KIND_STR;
        return 0;
}

static enum inv_kind rec_scalar_kind(const struct rec *h) {
        if (h->skind != KIND_LATER)
                return (enum inv_kind)h->skind;
        return inv_resolve_plain(rec_str(h), h->str_len);
}

/* Lists and mappings: their own tags only (not !!set, !!omap, ...). */
static int check_collection_tag(struct yaml_reader *r, const yaml_event_t *ev, const char *tag,
                                const char *own) {
        if (!tag || STREQ(tag, own) || STREQ(tag, "!"))
                return 0;
        error_set_at(r->err, r->file->name, (unsigned)ev->start_mark.line + 1,
                     (unsigned)ev->start_mark.column + 1, tag,
                     "the tag %.64s is not read (only plain lists and mappings)", tag);
        return -EINVAL;
}

static int record_event(struct yaml_reader *r, const yaml_event_t *ev, unsigned *depth) {
        int ret;
        switch (ev->type) {
        case YAML_SCALAR_EVENT: {
                enum inv_kind kind;
                ret = scalar_kind(r, ev, &kind);
                if (ret < 0)
                        return ret;
                return tape_push(r, REC_SCALAR, ev, (const char *)ev->data.scalar.anchor,
                                 (const char *)ev->data.scalar.value, ev->data.scalar.length,
                                 ev->data.scalar.plain_implicit && !ev->data.scalar.tag, kind,
                                 ev->data.scalar.tag && !ev->data.scalar.plain_implicit &&
                                         !ev->data.scalar.quoted_implicit);
        }
        case YAML_ALIAS_EVENT: {
                const char *a = (const char *)ev->data.alias.anchor;
                return tape_push(r, REC_ALIAS, ev, NULL, a, strlen(a), false, INV_KIND_STR,
                                 false);
        }
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
                if (++*depth > MAX_DEPTH) {
                        error_set_at(r->err, r->file->name, (unsigned)ev->start_mark.line + 1,
                                     (unsigned)ev->start_mark.column + 1, NULL,
                                     "nested more than %d levels deep", MAX_DEPTH);
                        return -EINVAL;
                }
                if (ev->type == YAML_SEQUENCE_START_EVENT) {
                        ret = check_collection_tag(r, ev, (const char *)ev->data.sequence_start.tag,
                                                   "tag:yaml.org,2002:seq");
                        if (ret < 0)
                                return ret;
                        return tape_push(r, REC_SEQ, ev,
                                         (const char *)ev->data.sequence_start.anchor, NULL, 0,
                                         false, INV_KIND_STR, false);
                }
                ret = check_collection_tag(r, ev, (const char *)ev->data.mapping_start.tag,
                                           "tag:yaml.org,2002:map");
                if (ret < 0)
                        return ret;
                return tape_push(r, REC_MAP, ev, (const char *)ev->data.mapping_start.anchor, NULL,
                                 0, false, INV_KIND_STR, false);
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
                --*depth;
                return tape_push(r, REC_END, ev, NULL, NULL, 0, false, INV_KIND_STR, false);
        default:
                error_set_at(r->err, r->file->name, (unsigned)ev->start_mark.line + 1,
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
        error_set_at(r->err, r->file->name, h->line, h->column, value, "%s", msg);
}

static int resolve_alias(struct yaml_reader *r, const struct rec *h, struct inv_value **ret) {
        struct inv_value *target = anchor_lookup(r, rec_str(h));
        if (!target) {
                rec_error(r, h, rec_str(h), "alias *%s refers to no anchor", rec_str(h));
                return -EINVAL;
        }
        r->alias_nodes = r->alias_nodes > SIZE_MAX / 2 - target->n_nodes
                                 ? SIZE_MAX / 2
                                 : r->alias_nodes + target->n_nodes;
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

/* Applies YAML 1.1 merge keys as PyYAML does: the mapping's own keys win;
 * then the last "<<" key's sources, and within one "<<: [*a, *b]" the
 * earlier source.  sources holds one list per "<<" key, in order. */
static int apply_merges(struct yaml_reader *r, struct inv_value *map, struct inv_value *blocks,
                        const struct rec *at) {
        for (size_t b = blocks->n; b-- > 0;) {
                const struct inv_value *sources = blocks->items[b];
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
                                int ret = inv_map_append(map, src->keys[i],
                                                         inv_value_ref(src->items[i]));
                                if (ret < 0)
                                        return ret;
                        }
                }
        }
        return 0;
}

/* One "<<" key's value as a list of sources. */
static int add_merge_block(struct inv_value *blocks, struct inv_value *v) {
        if (v->type == INV_SEQUENCE)
                return inv_seq_append(blocks, v);
        struct inv_value *one = inv_value_new(INV_SEQUENCE, NULL, 0, 0);
        if (!one) {
                inv_value_unref(v);
                return -ENOMEM;
        }
        int ret = inv_seq_append(one, v);
        if (ret < 0) {
                inv_value_unref(one);
                return ret;
        }
        return inv_seq_append(blocks, one);
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
                        rec_error(r, k, key,
                                  "duplicate key \"%s\" (Ansible would take the last with a "
                                  "warning): write it once",
                                  key);
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
                        ret = add_merge_block(merges, item);
                } else {
                        ret = inv_map_append(map, key, item);
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
                enum inv_kind kind = rec_scalar_kind(h);
                bool is_null = kind == INV_KIND_NULL;
                v = inv_value_new(is_null ? INV_NULL : INV_SCALAR, r->file, h->line, h->column);
                if (!v)
                        return -ENOMEM;
                if (!is_null) {
                        v->str = strndup(rec_str(h), h->str_len);
                        if (!v->str)
                                return -ENOMEM;
                }
                v->plain = h->plain;
                v->kind = (uint8_t)kind;
                v->tagged = h->tagged;
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
                return rec_scalar_kind(h) == INV_KIND_NULL ? INV_NULL : INV_SCALAR;
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
                                return rec_scalar_kind(v) == INV_KIND_NULL ? NULL : rec_str(v);
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

/* Passes over one event (stream or document start/end) and reads the next into ev. */
static int next_but_one(struct yaml_reader *r, yaml_event_t *ev) {
        int ret = yaml_reader_next(r, ev);
        if (ret < 0)
                return ret;
        yaml_event_delete(ev);
        return yaml_reader_next(r, ev);
}

int yaml_reader_document_start(struct yaml_reader *r, bool *ret_root, yaml_event_t *root) {
        _cleanup_(yaml_event_delete) yaml_event_t ev = {0};
        int ret = next_but_one(r, &ev);
        if (ret < 0)
                return ret;
        *ret_root = ev.type != YAML_STREAM_END_EVENT;
        if (!*ret_root)
                return 0;
        return yaml_reader_next(r, root);
}

int yaml_reader_document_end(struct yaml_reader *r) {
        _cleanup_(yaml_event_delete) yaml_event_t ev = {0};
        int ret = next_but_one(r, &ev);
        if (ret < 0)
                return ret;
        if (ev.type != YAML_STREAM_END_EVENT) {
                error_set_at(r->err, r->file->name, (unsigned)ev.start_mark.line + 1,
                             (unsigned)ev.start_mark.column + 1, NULL,
                             "only one YAML document is allowed");
                return -EINVAL;
        }
        return 0;
}

int yaml_read_mapping(const char *data, size_t len, const char *filename, size_t max_alias_nodes,
                      struct inv_value **ret, struct error_message *err) {
        _cleanup_(yaml_event_delete) yaml_event_t root = {0};
        _cleanup_(inv_value_unrefp) struct inv_value *v = NULL;
        struct yaml_reader r;
        bool has_root;
        *ret = NULL;
        int ret_code = yaml_reader_init(&r, data, len, filename, max_alias_nodes, err);
        if (ret_code >= 0)
                ret_code = yaml_reader_document_start(&r, &has_root, &root);
        if (ret_code < 0 || !has_root)
                goto out;
        ret_code = yaml_reader_record(&r, &root);
        if (ret_code < 0)
                goto out;
        enum inv_type type = yaml_reader_tape_type(&r);
        if (type != INV_MAPPING && type != INV_NULL) {
                error_set_at(err, filename, 1, 1, NULL,
                             "a variables file must be a mapping (Ansible refuses it too)");
                ret_code = -EINVAL;
                goto out;
        }
        ret_code = yaml_reader_build(&r, &v);
        if (ret_code >= 0)
                ret_code = yaml_reader_document_end(&r);
        if (ret_code >= 0 && v->type == INV_MAPPING)
                *ret = TAKE_PTR(v);
out:
        yaml_reader_done(&r);
        return ret_code;
}
