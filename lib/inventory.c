/* SPDX-License-Identifier: Apache-2.0 */
#include "inventory.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fileio.h"
#include "macros.h"
#include "yaml-tree.h"

#define DEFAULT_MAX_FILE_SIZE ((size_t)64 << 20)
#define DEFAULT_MAX_ALIAS_NODES ((size_t)100000)
/* Groups nested deeper than this (through children) are refused. */
#define MAX_GROUP_DEPTH 256

struct idxv {
        size_t *v;
        size_t n, cap;
};

struct group {
        char *name;
        unsigned line, column;
        struct inv_value *vars;      /* from the inventory; NULL when none */
        struct inv_value *file_vars; /* group_vars/NAME.yml */
        struct idxv hosts, children, parents;
        unsigned depth;
        int visit; /* depth computation: 0 new, 1 in progress, 2 done */
};

struct host {
        char *name;
        char *address;
        bool kept;
        bool partial; /* an entry was dropped before another was kept */
        bool dropped_vars;
        size_t block; /* the hosts: mapping that last named it */
        struct inv_value *vars;
        struct inv_value *file_vars;
        struct idxv groups;
};

struct inventory {
        struct group *groups;
        size_t n_groups, cap_groups;
        struct strmap group_index;
        struct host *hosts;
        size_t n_hosts, cap_hosts;
        struct strmap host_index;
};

struct parse {
        struct yaml_reader r;
        struct inventory *inv;
        const struct inventory_load_options *opts;
        struct inv_error *err;
        size_t block;
};

static int idxv_add(struct idxv *x, size_t i) {
        if (x->n == x->cap) {
                size_t ncap = x->cap ? x->cap * 2 : 4;
                size_t *v = realloc(x->v, ncap * sizeof(*v));
                if (!v)
                        return -ENOMEM;
                x->v = v;
                x->cap = ncap;
        }
        x->v[x->n++] = i;
        return 0;
}

static bool idxv_has(const struct idxv *x, size_t i) {
        for (size_t j = 0; j < x->n; j++)
                if (x->v[j] == i)
                        return true;
        return false;
}

static void *grow_array(void *arr, size_t *cap, size_t n, size_t elem) {
        if (n < *cap)
                return arr;
        size_t ncap = *cap ? *cap * 2 : 16;
        void *p = realloc(arr, ncap * elem);
        if (p)
                *cap = ncap;
        return p;
}

void inventory_free(struct inventory *inv) {
        if (!inv)
                return;
        for (size_t i = 0; i < inv->n_groups; i++) {
                struct group *g = &inv->groups[i];
                free(g->name);
                inv_value_unref(g->vars);
                inv_value_unref(g->file_vars);
                free(g->hosts.v);
                free(g->children.v);
                free(g->parents.v);
        }
        for (size_t i = 0; i < inv->n_hosts; i++) {
                struct host *h = &inv->hosts[i];
                free(h->name);
                free(h->address);
                inv_value_unref(h->vars);
                inv_value_unref(h->file_vars);
                free(h->groups.v);
        }
        free(inv->groups);
        free(inv->hosts);
        strmap_done(&inv->group_index);
        strmap_done(&inv->host_index);
        free(inv);
}

DEFINE_TRIVIAL_CLEANUP_FUNC(struct inventory *, inventory_free)

static int group_get(struct inventory *inv, const char *name, unsigned line, unsigned column,
                     size_t *ret) {
        if (strmap_get(&inv->group_index, name, ret))
                return 0;
        struct group *groups =
                grow_array(inv->groups, &inv->cap_groups, inv->n_groups, sizeof(*groups));
        if (!groups)
                return -ENOMEM;
        inv->groups = groups;
        char *n = strdup(name);
        if (!n)
                return -ENOMEM;
        if (strmap_put(&inv->group_index, n, inv->n_groups, NULL) < 0) {
                free(n);
                return -ENOMEM;
        }
        inv->groups[inv->n_groups] = (struct group){.name = n, .line = line, .column = column};
        *ret = inv->n_groups++;
        return 0;
}

static int host_get(struct inventory *inv, const char *name, size_t *ret) {
        if (strmap_get(&inv->host_index, name, ret))
                return 0;
        struct host *hosts = grow_array(inv->hosts, &inv->cap_hosts, inv->n_hosts, sizeof(*hosts));
        if (!hosts)
                return -ENOMEM;
        inv->hosts = hosts;
        char *n = strdup(name);
        if (!n)
                return -ENOMEM;
        if (strmap_put(&inv->host_index, n, inv->n_hosts, NULL) < 0) {
                free(n);
                return -ENOMEM;
        }
        inv->hosts[inv->n_hosts] = (struct host){.name = n, .block = SIZE_MAX};
        *ret = inv->n_hosts++;
        return 0;
}

/* Copies src's pairs into *dst, replacing whole values. */
static int vars_merge(struct inv_value **dst, struct inv_value *src) {
        if (!src || src->type != INV_MAPPING)
                return 0;
        if (!*dst) {
                *dst = inv_value_ref(src);
                return 0;
        }
        if ((*dst)->ref > 1) {
                /* Shared (an alias): copy before changing it. */
                struct inv_value *copy =
                        inv_value_new(INV_MAPPING, (*dst)->file, (*dst)->line, (*dst)->column);
                if (!copy)
                        return -ENOMEM;
                for (size_t i = 0; i < (*dst)->n; i++)
                        if (inv_map_set(copy, (*dst)->keys[i], inv_value_ref((*dst)->items[i])) <
                            0) {
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

static void ev_error(struct parse *p, const yaml_event_t *ev, const char *value, const char *fmt,
                     ...) __attribute__((format(printf, 4, 5)));
static void ev_error(struct parse *p, const yaml_event_t *ev, const char *value, const char *fmt,
                     ...) {
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        inv_error_at(p->err, p->r.file->name, (unsigned)ev->start_mark.line + 1,
                     (unsigned)ev->start_mark.column + 1, value, "%s", msg);
}

static const char *event_kind(const yaml_event_t *ev) {
        switch (ev->type) {
        case YAML_SEQUENCE_START_EVENT:
                return "a list";
        case YAML_MAPPING_START_EVENT:
                return "a mapping";
        case YAML_ALIAS_EVENT:
                return "an alias";
        default:
                return "a scalar";
        }
}

static bool event_is_null(const yaml_event_t *ev) {
        if (ev->type != YAML_SCALAR_EVENT || !ev->data.scalar.plain_implicit)
                return false;
        const char *s = (const char *)ev->data.scalar.value;
        return s[0] == '\0' || STREQ(s, "~") || STREQ(s, "null") || STREQ(s, "Null") ||
               STREQ(s, "NULL");
}

/* The scalar text of ev for an error, unless the key it belongs to looks secret. */
static const char *event_text(const yaml_event_t *ev, const char *key) {
        if (ev->type != YAML_SCALAR_EVENT || inv_key_is_secret(key))
                return NULL;
        return (const char *)ev->data.scalar.value;
}

/* Reads the key of a structural mapping: *ret_end on its end, else a plain
 * scalar key left in ev. */
static int read_key(struct parse *p, yaml_event_t *ev, const char *what, bool *ret_end) {
        int r = yaml_reader_next(&p->r, ev);
        if (r < 0)
                return r;
        *ret_end = ev->type == YAML_MAPPING_END_EVENT;
        if (*ret_end)
                return 0;
        if (ev->type != YAML_SCALAR_EVENT) {
                ev_error(p, ev, NULL, "%s: a key must be a plain name, not %s", what,
                         event_kind(ev));
                return -EINVAL;
        }
        if (ev->data.scalar.length == 0) {
                ev_error(p, ev, NULL, "%s: empty name", what);
                return -EINVAL;
        }
        return 0;
}

static int parse_group_body(struct parse *p, size_t gi, unsigned depth);

static int link_child(struct parse *p, size_t parent, size_t child, const yaml_event_t *ev) {
        struct inventory *inv = p->inv;
        if (child == 0) {
                ev_error(p, ev, "all", "group \"all\" cannot be a child of \"%s\"",
                         inv->groups[parent].name);
                return -EINVAL;
        }
        if (parent == child) {
                ev_error(p, ev, inv->groups[child].name, "group \"%s\" lists itself as a child",
                         inv->groups[child].name);
                return -EINVAL;
        }
        if (idxv_has(&inv->groups[parent].children, child))
                return 0;
        if (idxv_add(&inv->groups[parent].children, child) < 0 ||
            idxv_add(&inv->groups[child].parents, parent) < 0)
                return -ENOMEM;
        return 0;
}

/* A mapping of group names: the top level (parent SIZE_MAX) or children:. */
static int parse_groups(struct parse *p, size_t parent, unsigned depth) {
        _cleanup_free_ size_t *seen = NULL;
        size_t n_seen = 0, cap_seen = 0;
        const char *what = parent == SIZE_MAX ? "inventory" : "children";

        if (depth > MAX_GROUP_DEPTH) {
                inv_error_at(p->err, p->r.file->name, 0, 0, NULL,
                             "groups nested more than %d levels deep", MAX_GROUP_DEPTH);
                return -EINVAL;
        }
        for (;;) {
                _cleanup_(yaml_event_delete) yaml_event_t key = {0};
                _cleanup_(yaml_event_delete) yaml_event_t val = {0};
                bool end;
                int r = read_key(p, &key, what, &end);
                if (r < 0)
                        return r;
                if (end)
                        return 0;

                const char *name = (const char *)key.data.scalar.value;
                size_t gi;
                r = group_get(p->inv, name, (unsigned)key.start_mark.line + 1,
                              (unsigned)key.start_mark.column + 1, &gi);
                if (r < 0)
                        return r;
                for (size_t i = 0; i < n_seen; i++)
                        if (seen[i] == gi) {
                                ev_error(p, &key, name, "duplicate group \"%s\"", name);
                                return -EINVAL;
                        }
                size_t *s = grow_array(seen, &cap_seen, n_seen, sizeof(*seen));
                if (!s)
                        return -ENOMEM;
                seen = s;
                seen[n_seen++] = gi;

                if (parent != SIZE_MAX) {
                        r = link_child(p, parent, gi, &key);
                        if (r < 0)
                                return r;
                }

                r = yaml_reader_next(&p->r, &val);
                if (r < 0)
                        return r;
                if (event_is_null(&val))
                        continue;
                if (val.type != YAML_MAPPING_START_EVENT) {
                        ev_error(p, &val, event_text(&val, name),
                                 "group \"%s\" must be a mapping with hosts, vars or children, "
                                 "not %s",
                                 name, event_kind(&val));
                        return -EINVAL;
                }
                r = parse_group_body(p, gi, depth + 1);
                if (r < 0)
                        return r;
        }
}

/* Ansible's host ranges: "n[1:3]", "n[01:10:2].example.com", "db-[a:c]". */
#define MAX_RANGE_HOSTS 100000
#define MAX_RANGES 8

struct names {
        char **v;
        size_t n, cap;
};

static void names_done(struct names *x) {
        for (size_t i = 0; i < x->n; i++)
                free(x->v[i]);
        free(x->v);
}

static int names_push(struct names *x, const char *s) {
        char **v = grow_array(x->v, &x->cap, x->n, sizeof(*v));
        if (!v)
                return -ENOMEM;
        x->v = v;
        x->v[x->n] = strdup(s);
        if (!x->v[x->n])
                return -ENOMEM;
        x->n++;
        return 0;
}

static bool all_digits(const char *s) {
        return s[0] && strspn(s, "0123456789") == strlen(s) && strlen(s) <= 9;
}

static int letter_index(const char *s) {
        static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
        const char *c = s[0] && !s[1] ? strchr(letters, s[0]) : NULL;
        return c ? (int)(c - letters) : -1;
}

static int expand_range(const char *pattern, unsigned depth, struct names *out,
                        const char **ret_problem);

/* Expands the first [START:END(:STEP)] of pattern, the rest recursively. */
static int expand_first_range(const char *pattern, const char *open, unsigned depth,
                              struct names *out, const char **ret_problem) {
        const char *close = strchr(open, ']');
        char inner[48];

        if (!close) {
                *ret_problem = "a '[' without its ']'";
                return -EINVAL;
        }
        size_t len = (size_t)(close - open - 1);
        if (len >= sizeof(inner)) {
                *ret_problem = "a range is too long";
                return -EINVAL;
        }
        memcpy(inner, open + 1, len);
        inner[len] = '\0';
        /* START (may be empty: 0), END, optional STEP. */
        char *end_s = strchr(inner, ':');
        char *step_s = end_s ? strchr(end_s + 1, ':') : NULL;
        if (end_s)
                *end_s++ = '\0';
        if (step_s)
                *step_s++ = '\0';
        if (!end_s || !end_s[0] || (step_s && strchr(step_s, ':'))) {
                *ret_problem = "a range is [START:END] or [START:END:STEP]";
                return -EINVAL;
        }
        const char *bounds[3] = {inner[0] ? inner : "0", end_s, step_s ? step_s : "1"};
        if (!all_digits(bounds[2]) || atol(bounds[2]) < 1) {
                *ret_problem = "the step of a range must be a positive number";
                return -EINVAL;
        }
        long step = atol(bounds[2]);
        size_t prefix = (size_t)(open - pattern);
        char mid[16];
        int r;

        if (all_digits(bounds[0]) && all_digits(bounds[1])) {
                int width = bounds[0][0] == '0' && bounds[0][1] ? (int)strlen(bounds[0]) : 0;
                if (width && strlen(bounds[1]) != (size_t)width) {
                        *ret_problem = "a zero-padded range needs bounds of equal length";
                        return -EINVAL;
                }
                long beg = atol(bounds[0]), end = atol(bounds[1]);
                if (end < beg) {
                        *ret_problem = "the end of a range is before its start";
                        return -EINVAL;
                }
                for (long v = beg; v <= end; v += step) {
                        _cleanup_free_ char *name = NULL;
                        snprintf(mid, sizeof(mid), "%0*ld", width, v);
                        if (asprintf(&name, "%.*s%s%s", (int)prefix, pattern, mid, close + 1) < 0)
                                return -ENOMEM;
                        r = expand_range(name, depth + 1, out, ret_problem);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        int beg = letter_index(bounds[0]), end = letter_index(bounds[1]);
        if (beg < 0 || end < 0) {
                *ret_problem = "range bounds must be numbers or single letters";
                return -EINVAL;
        }
        if (end < beg) {
                *ret_problem = "the end of a range is before its start";
                return -EINVAL;
        }
        for (int v = beg; v <= end; v += (int)step) {
                _cleanup_free_ char *name = NULL;
                snprintf(mid, sizeof(mid), "%c",
                         "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"[v]);
                if (asprintf(&name, "%.*s%s%s", (int)prefix, pattern, mid, close + 1) < 0)
                        return -ENOMEM;
                r = expand_range(name, depth + 1, out, ret_problem);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int expand_range(const char *pattern, unsigned depth, struct names *out,
                        const char **ret_problem) {
        const char *open = strchr(pattern, '[');
        if (!open) {
                if (out->n >= MAX_RANGE_HOSTS) {
                        *ret_problem = "the ranges expand to too many hosts";
                        return -E2BIG;
                }
                return names_push(out, pattern);
        }
        if (depth >= MAX_RANGES) {
                *ret_problem = "too many ranges in one name";
                return -EINVAL;
        }
        return expand_first_range(pattern, open, depth, out, ret_problem);
}

/* One host name of an entry; *built caches the entry's variables, built
 * once for all the names of a range. */
static int add_host_entry(struct parse *p, size_t gi, const char *name, const yaml_event_t *key,
                          const char *address, bool is_null, struct inv_value **built) {
        struct inventory *inv = p->inv;
        size_t hi;
        int r = host_get(inv, name, &hi);
        if (r < 0)
                return r;
        struct host *h = &inv->hosts[hi];
        if (h->block == p->block) {
                ev_error(p, key, name, "duplicate host \"%s\" in group \"%s\"", name,
                         inv->groups[gi].name);
                return -EINVAL;
        }
        h->block = p->block;
        if (address) {
                char *a = strdup(address);
                if (!a)
                        return -ENOMEM;
                free(h->address);
                h->address = a;
        }

        /* Once kept, always kept.  A host dropped in an earlier entry and
         * kept in a later one (its ansible_host only set there) has lost
         * variables: it is marked partial and its variables are refused. */
        bool keep = h->kept || !p->opts->keep_host ||
                    p->opts->keep_host(h->name, h->address, p->opts->userdata);
        if (keep) {
                if (h->dropped_vars)
                        h->partial = true;
                h->kept = true;
                if (!is_null) {
                        if (!*built) {
                                r = yaml_reader_build(&p->r, built);
                                if (r < 0)
                                        return r;
                        }
                        r = vars_merge(&h->vars, *built);
                        if (r < 0)
                                return r;
                }
        } else if (!is_null)
                h->dropped_vars = true;

        if (!idxv_has(&h->groups, gi)) {
                if (idxv_add(&h->groups, gi) < 0 || idxv_add(&inv->groups[gi].hosts, hi) < 0)
                        return -ENOMEM;
        }
        return 0;
}

static int parse_host(struct parse *p, size_t gi, const yaml_event_t *key) {
        const char *pattern = (const char *)key->data.scalar.value;
        _cleanup_(yaml_event_delete) yaml_event_t val = {0};
        _cleanup_(names_done) struct names names = {0};
        _cleanup_(inv_value_unrefp) struct inv_value *built = NULL;
        const char *problem = NULL;

        /* Most names have no range: no list to build for them. */
        int r = strchr(pattern, '[') ? expand_range(pattern, 0, &names, &problem) : 0;
        if (r == -EINVAL || r == -E2BIG) {
                ev_error(p, key, pattern, "host range \"%s\": %s", pattern, problem);
                return r;
        }
        if (r < 0)
                return r;

        r = yaml_reader_next(&p->r, &val);
        if (r < 0)
                return r;
        bool is_null = event_is_null(&val);
        r = yaml_reader_record(&p->r, &val);
        if (r < 0)
                return r;
        enum inv_type type = yaml_reader_tape_type(&p->r);
        if (type != INV_MAPPING && type != INV_NULL) {
                unsigned line, column;
                yaml_reader_tape_mark(&p->r, &line, &column);
                inv_error_at(p->err, p->r.file->name, line, column, NULL,
                             "host \"%s\" in group \"%s\" must be a mapping of variables", pattern,
                             p->inv->groups[gi].name);
                return -EINVAL;
        }

        /* Valid until the next recording, which is after this entry. */
        const char *address = yaml_reader_tape_lookup(&p->r, "ansible_host");
        for (size_t i = 0; i < (names.n ? names.n : 1); i++) {
                r = add_host_entry(p, gi, names.n ? names.v[i] : pattern, key, address, is_null,
                                   &built);
                if (r < 0)
                        return r;
        }
        /* Nothing kept: anchors inside may still serve later aliases. */
        if (!built && !is_null)
                return yaml_reader_skip(&p->r);
        return 0;
}

static int parse_hosts(struct parse *p, size_t gi) {
        p->block++;
        for (;;) {
                _cleanup_(yaml_event_delete) yaml_event_t key = {0};
                bool end;
                int r = read_key(p, &key, "hosts", &end);
                if (r < 0)
                        return r;
                if (end)
                        return 0;
                r = parse_host(p, gi, &key);
                if (r < 0)
                        return r;
        }
}

static int parse_group_vars(struct parse *p, size_t gi, yaml_event_t *val) {
        int r = yaml_reader_record(&p->r, val);
        if (r < 0)
                return r;
        enum inv_type type = yaml_reader_tape_type(&p->r);
        if (type == INV_NULL && !yaml_reader_tape_is_alias(&p->r))
                return 0;
        if (type != INV_MAPPING) {
                unsigned line, column;
                yaml_reader_tape_mark(&p->r, &line, &column);
                inv_error_at(p->err, p->r.file->name, line, column, NULL,
                             "vars of group \"%s\" must be a mapping", p->inv->groups[gi].name);
                return -EINVAL;
        }
        _cleanup_(inv_value_unrefp) struct inv_value *vars = NULL;
        r = yaml_reader_build(&p->r, &vars);
        if (r < 0)
                return r;
        return vars_merge(&p->inv->groups[gi].vars, vars);
}

static int parse_group_body(struct parse *p, size_t gi, unsigned depth) {
        bool seen_hosts = false, seen_vars = false, seen_children = false;

        for (;;) {
                _cleanup_(yaml_event_delete) yaml_event_t key = {0};
                _cleanup_(yaml_event_delete) yaml_event_t val = {0};
                bool end;
                char what[300];
                snprintf(what, sizeof(what), "group \"%s\"", p->inv->groups[gi].name);
                int r = read_key(p, &key, what, &end);
                if (r < 0)
                        return r;
                if (end)
                        return 0;

                const char *k = (const char *)key.data.scalar.value;
                bool *seen = STREQ(k, "hosts")      ? &seen_hosts
                             : STREQ(k, "vars")     ? &seen_vars
                             : STREQ(k, "children") ? &seen_children
                                                    : NULL;
                if (!seen) {
                        ev_error(p, &key, k,
                                 "unknown key \"%s\" in group \"%s\" (expected hosts, vars or "
                                 "children)",
                                 k, p->inv->groups[gi].name);
                        return -EINVAL;
                }
                if (*seen) {
                        ev_error(p, &key, k, "duplicate key \"%s\" in group \"%s\"", k,
                                 p->inv->groups[gi].name);
                        return -EINVAL;
                }
                *seen = true;

                r = yaml_reader_next(&p->r, &val);
                if (r < 0)
                        return r;
                if (seen == &seen_vars) {
                        r = parse_group_vars(p, gi, &val);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (event_is_null(&val))
                        continue;
                if (val.type != YAML_MAPPING_START_EVENT) {
                        ev_error(p, &val, event_text(&val, k),
                                 "%s of group \"%s\" must be a mapping of %s names, not %s", k,
                                 p->inv->groups[gi].name, seen == &seen_hosts ? "host" : "group",
                                 event_kind(&val));
                        return -EINVAL;
                }
                r = seen == &seen_hosts ? parse_hosts(p, gi) : parse_groups(p, gi, depth);
                if (r < 0)
                        return r;
        }
}

/* Expects one document whose root is a mapping, or nothing at all.
 * *ret_root tells whether a root mapping was opened (and is consumed by the
 * caller), and the document end is read by expect_end(). */
static int expect_start(struct parse *p, bool *ret_root, yaml_event_t *root) {
        _cleanup_(yaml_event_delete) yaml_event_t ev = {0};
        int r = yaml_reader_next(&p->r, &ev);
        if (r < 0)
                return r;
        yaml_event_delete(&ev);
        r = yaml_reader_next(&p->r, &ev);
        if (r < 0)
                return r;
        if (ev.type == YAML_STREAM_END_EVENT) {
                *ret_root = false;
                return 0;
        }
        yaml_event_delete(&ev);
        r = yaml_reader_next(&p->r, root);
        if (r < 0)
                return r;
        *ret_root = true;
        return 0;
}

static int expect_end(struct parse *p) {
        _cleanup_(yaml_event_delete) yaml_event_t ev = {0};
        int r = yaml_reader_next(&p->r, &ev);
        if (r < 0)
                return r;
        yaml_event_delete(&ev);
        r = yaml_reader_next(&p->r, &ev);
        if (r < 0)
                return r;
        if (ev.type != YAML_STREAM_END_EVENT) {
                ev_error(p, &ev, NULL, "only one YAML document is allowed");
                return -EINVAL;
        }
        return 0;
}

static int parse_inventory(struct parse *p) {
        _cleanup_(yaml_event_delete) yaml_event_t root = {0};
        bool has_root;
        int r = expect_start(p, &has_root, &root);
        if (r < 0 || !has_root)
                return r;
        if (root.type == YAML_MAPPING_START_EVENT)
                r = parse_groups(p, SIZE_MAX, 0);
        else if (!event_is_null(&root)) {
                ev_error(p, &root, NULL, "an inventory must be a mapping of groups, not %s",
                         event_kind(&root));
                return -EINVAL;
        }
        if (r < 0)
                return r;
        return expect_end(p);
}

static int compute_depth(struct inventory *inv, size_t gi, unsigned level, struct inv_error *err) {
        struct group *g = &inv->groups[gi];
        if (g->visit == 2)
                return 0;
        if (g->visit == 1) {
                inv_error_at(err, "", g->line, g->column, g->name,
                             "group \"%s\" is its own ancestor through children", g->name);
                return -EINVAL;
        }
        if (level > MAX_GROUP_DEPTH) {
                inv_error_at(err, "", g->line, g->column, g->name,
                             "groups nested more than %d levels deep (at \"%s\")", MAX_GROUP_DEPTH,
                             g->name);
                return -EINVAL;
        }
        g->visit = 1;
        unsigned depth = gi == 0 ? 0 : 1;
        for (size_t i = 0; i < g->parents.n; i++) {
                size_t pi = g->parents.v[i];
                int r = compute_depth(inv, pi, level + 1, err);
                if (r < 0)
                        return r;
                if (inv->groups[pi].depth + 1 > depth)
                        depth = inv->groups[pi].depth + 1;
        }
        inv->groups[gi].depth = depth;
        inv->groups[gi].visit = 2;
        return 0;
}

static int load_vars_file(const char *path, const struct inventory_load_options *opts,
                          size_t max_size, struct inv_value **ret, struct inv_error *err) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r = read_file_bounded(path, max_size, &data, &len);
        if (r == -ENOENT) {
                *ret = NULL;
                return 0;
        }
        if (r < 0) {
                inv_error_at(err, path, 0, 0, NULL, "%s: %s", path,
                             r == -EFBIG ? "file is larger than the limit" : strerror(-r));
                return r;
        }

        _cleanup_(yaml_event_delete) yaml_event_t root = {0};
        _cleanup_(inv_value_unrefp) struct inv_value *vars = NULL;
        struct parse p = {.opts = opts, .err = err};
        r = yaml_reader_init(
                &p.r, data, len, path,
                opts->max_alias_nodes ? opts->max_alias_nodes : DEFAULT_MAX_ALIAS_NODES, err);
        if (r < 0)
                goto out;
        bool has_root;
        r = expect_start(&p, &has_root, &root);
        if (r < 0 || !has_root) {
                *ret = NULL;
                goto out;
        }
        bool is_null = event_is_null(&root);
        r = yaml_reader_record(&p.r, &root);
        if (r < 0)
                goto out;
        if (!is_null && yaml_reader_tape_type(&p.r) != INV_MAPPING) {
                inv_error_at(err, path, 1, 1, NULL, "a variables file must be a mapping");
                r = -EINVAL;
                goto out;
        }
        if (!is_null) {
                r = yaml_reader_build(&p.r, &vars);
                if (r < 0)
                        goto out;
        }
        r = expect_end(&p);
        if (r < 0)
                goto out;
        *ret = TAKE_PTR(vars);
out:
        yaml_reader_done(&p.r);
        return r;
}

/* Group and host names come from the file: never let one walk out of the directory. */
static bool name_is_safe_file(const char *name) {
        return !strchr(name, '/') && !STREQ(name, ".") && !STREQ(name, "..");
}

static int load_and_merge(const char *path, const struct inventory_load_options *opts,
                          size_t max_size, struct inv_value **dst, struct inv_error *err) {
        _cleanup_(inv_value_unrefp) struct inv_value *vars = NULL;
        int r = load_vars_file(path, opts, max_size, &vars, err);
        if (r < 0)
                return r;
        return vars_merge(dst, vars);
}

static int is_yaml_name(const struct dirent *d) {
        const char *dot = strrchr(d->d_name, '.');
        return d->d_name[0] != '.' && dot && (STREQ(dot, ".yml") || STREQ(dot, ".yaml"));
}

/* KIND/NAME.yml, KIND/NAME.yaml, then the files of a KIND/NAME/ directory
 * in name order, as Ansible reads them. */
static int load_vars_for(const char *dir, const char *kind, const char *name,
                         const struct inventory_load_options *opts, size_t max_size,
                         struct inv_value **dst, struct inv_error *err) {
        static const char *const exts[] = {"yml", "yaml"};
        if (!name_is_safe_file(name))
                return 0;
        for (size_t i = 0; i < ELEMENTSOF(exts); i++) {
                _cleanup_free_ char *path = NULL;
                if (asprintf(&path, "%s/%s/%s.%s", dir, kind, name, exts[i]) < 0)
                        return -ENOMEM;
                int r = load_and_merge(path, opts, max_size, dst, err);
                if (r < 0)
                        return r;
        }

        _cleanup_free_ char *sub = NULL;
        if (asprintf(&sub, "%s/%s/%s", dir, kind, name) < 0)
                return -ENOMEM;
        struct dirent **list = NULL;
        int n = scandir(sub, &list, is_yaml_name, alphasort);
        if (n < 0)
                return 0; /* no such directory */
        int r = 0;
        for (int i = 0; i < n; i++) {
                _cleanup_free_ char *path = NULL;
                if (r >= 0 && asprintf(&path, "%s/%s", sub, list[i]->d_name) < 0)
                        r = -ENOMEM;
                if (r >= 0)
                        r = load_and_merge(path, opts, max_size, dst, err);
                free(list[i]);
        }
        free(list);
        return r;
}

static int load_vars_dirs(struct inventory *inv, const char *inventory_path,
                          const struct inventory_load_options *opts, size_t max_size,
                          struct inv_error *err) {
        _cleanup_free_ char *dir = strdup(inventory_path);
        if (!dir)
                return -ENOMEM;
        char *slash = strrchr(dir, '/');
        if (slash)
                *slash = '\0';
        else
                strcpy(dir, ".");
        if (slash == dir)
                strcpy(dir, "/");

        for (size_t i = 0; i < inv->n_groups; i++) {
                int r = load_vars_for(dir, "group_vars", inv->groups[i].name, opts, max_size,
                                      &inv->groups[i].file_vars, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < inv->n_hosts; i++) {
                if (!inv->hosts[i].kept)
                        continue;
                int r = load_vars_for(dir, "host_vars", inv->hosts[i].name, opts, max_size,
                                      &inv->hosts[i].file_vars, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Where an inventory is read from: a buffer, or a file read as it is parsed. */
struct source {
        const char *data;
        size_t len;
        FILE *f;
};

static int load(const struct source *src, const char *filename, const char *vars_dir_of,
                const struct inventory_load_options *opts, struct inventory **ret,
                struct inv_error *err) {
        static const struct inventory_load_options defaults = {0};
        if (!opts)
                opts = &defaults;
        size_t max_size = opts->max_file_size ? opts->max_file_size : DEFAULT_MAX_FILE_SIZE;
        size_t max_alias = opts->max_alias_nodes ? opts->max_alias_nodes : DEFAULT_MAX_ALIAS_NODES;
        if (!src->f && src->len > max_size) {
                inv_error_at(err, filename, 0, 0, NULL, "%s is larger than %zu bytes", filename,
                             max_size);
                return -EFBIG;
        }

        _cleanup_(inventory_freep) struct inventory *inv = calloc(1, sizeof(*inv));
        if (!inv)
                return -ENOMEM;
        size_t all;
        int r = group_get(inv, "all", 0, 0, &all);
        if (r < 0)
                return r;

        struct parse p = {.inv = inv, .opts = opts, .err = err};
        r = src->f ? yaml_reader_init_file(&p.r, src->f, max_size, filename, max_alias, err)
                   : yaml_reader_init(&p.r, src->data, src->len, filename, max_alias, err);
        if (r >= 0)
                r = parse_inventory(&p);
        yaml_reader_done(&p.r);
        if (r < 0)
                return r;

        for (size_t i = 0; i < inv->n_groups; i++) {
                r = compute_depth(inv, i, 0, err);
                if (r < 0) {
                        snprintf(err->file, sizeof(err->file), "%s", filename);
                        return r;
                }
        }
        if (vars_dir_of && !opts->no_vars_dirs) {
                r = load_vars_dirs(inv, vars_dir_of, opts, max_size, err);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(inv);
        return 0;
}

int inventory_load_buffer(const char *data, size_t len, const char *filename,
                          const struct inventory_load_options *opts, struct inventory **ret,
                          struct inv_error *ret_err) {
        struct inv_error scratch;
        struct source src = {.data = data, .len = len};
        return load(&src, filename ? filename : "<buffer>", NULL, opts, ret,
                    ret_err ? ret_err : &scratch);
}

/* The inventory is parsed as it is read, never held whole: a 100,000-host
 * file (28 MB) costs the agent no more memory than a 100-host one. */
int inventory_load(const char *path, const struct inventory_load_options *opts,
                   struct inventory **ret, struct inv_error *ret_err) {
        struct inv_error scratch;
        struct inv_error *err = ret_err ? ret_err : &scratch;
        size_t max_size = opts && opts->max_file_size ? opts->max_file_size : DEFAULT_MAX_FILE_SIZE;
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        struct stat st;
        int r = !f ? -errno : fstat(fileno(f), &st) < 0 ? -errno : 0;
        if (r == 0 && S_ISDIR(st.st_mode))
                r = -EISDIR;
        if (r == 0 && S_ISREG(st.st_mode) && (uintmax_t)st.st_size > max_size)
                r = -EFBIG;
        if (r < 0) {
                inv_error_at(err, path, 0, 0, NULL, "%s: %s", path,
                             r == -EFBIG ? "file is larger than the limit" : strerror(-r));
                return r;
        }
        struct source src = {.f = f};
        return load(&src, path, path, opts, ret, err);
}

size_t inventory_n_hosts(const struct inventory *inv) {
        return inv->n_hosts;
}

const char *inventory_host_name(const struct inventory *inv, size_t i) {
        return i < inv->n_hosts ? inv->hosts[i].name : NULL;
}

const char *inventory_host_address(const struct inventory *inv, size_t i) {
        return i < inv->n_hosts ? inv->hosts[i].address : NULL;
}

bool inventory_host_kept(const struct inventory *inv, size_t i) {
        return i < inv->n_hosts && inv->hosts[i].kept && !inv->hosts[i].partial;
}

static int collect_hosts(const struct inventory *inv, size_t gi, bool *group_seen, bool *host_seen,
                         char **strv, size_t *n) {
        if (group_seen[gi])
                return 0;
        group_seen[gi] = true;
        const struct group *g = &inv->groups[gi];
        for (size_t i = 0; i < g->hosts.n; i++) {
                size_t hi = g->hosts.v[i];
                if (host_seen[hi])
                        continue;
                host_seen[hi] = true;
                strv[*n] = strdup(inv->hosts[hi].name);
                if (!strv[*n])
                        return -ENOMEM;
                (*n)++;
        }
        for (size_t i = 0; i < g->children.n; i++) {
                int r = collect_hosts(inv, g->children.v[i], group_seen, host_seen, strv, n);
                if (r < 0)
                        return r;
        }
        return 0;
}

int inventory_group_hosts(const struct inventory *inv, const char *group, char ***ret_strv) {
        size_t gi;
        if (!strmap_get(&inv->group_index, group, &gi))
                return -ENOENT;
        _cleanup_strv_free_ char **strv = calloc(inv->n_hosts + 1, sizeof(char *));
        _cleanup_free_ bool *group_seen = calloc(inv->n_groups, sizeof(bool));
        _cleanup_free_ bool *host_seen = calloc(inv->n_hosts + 1, sizeof(bool));
        if (!strv || !group_seen || !host_seen)
                return -ENOMEM;
        size_t n = 0;
        if (gi == 0) {
                /* Every host is in all. */
                for (size_t i = 0; i < inv->n_hosts; i++) {
                        strv[n] = strdup(inv->hosts[i].name);
                        if (!strv[n])
                                return -ENOMEM;
                        n++;
                }
        } else {
                int r = collect_hosts(inv, gi, group_seen, host_seen, strv, &n);
                if (r < 0)
                        return r;
        }
        *ret_strv = TAKE_PTR(strv);
        return 0;
}

/* Ansible's order: shallower groups first, same depth by name. */
static int group_order(const void *a, const void *b, void *userdata) {
        const struct inventory *inv = userdata;
        const struct group *ga = &inv->groups[*(const size_t *)a];
        const struct group *gb = &inv->groups[*(const size_t *)b];
        if (ga->depth != gb->depth)
                return ga->depth < gb->depth ? -1 : 1;
        return strcmp(ga->name, gb->name);
}

int inventory_host_vars(const struct inventory *inv, const char *host, struct inv_value **ret) {
        size_t hi;
        if (!strmap_get(&inv->host_index, host, &hi))
                return -ENOENT;
        const struct host *h = &inv->hosts[hi];
        if (!h->kept || h->partial)
                return -ESTALE;

        /* The host's groups and all their ancestors, all included. */
        _cleanup_free_ bool *in = calloc(inv->n_groups, sizeof(bool));
        _cleanup_free_ size_t *order = calloc(inv->n_groups, sizeof(size_t));
        if (!in || !order)
                return -ENOMEM;
        size_t n = 0;
        in[0] = true;
        order[n++] = 0;
        for (size_t i = 0; i < h->groups.n; i++)
                if (!in[h->groups.v[i]]) {
                        in[h->groups.v[i]] = true;
                        order[n++] = h->groups.v[i];
                }
        for (size_t i = 0; i < n; i++) {
                const struct group *g = &inv->groups[order[i]];
                for (size_t j = 0; j < g->parents.n; j++)
                        if (!in[g->parents.v[j]]) {
                                in[g->parents.v[j]] = true;
                                order[n++] = g->parents.v[j];
                        }
        }
        qsort_r(order, n, sizeof(*order), group_order, (void *)inv);

        _cleanup_(inv_value_unrefp) struct inv_value *vars = inv_value_new(INV_MAPPING, NULL, 0, 0);
        if (!vars)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                const struct group *g = &inv->groups[order[i]];
                if (vars_merge(&vars, g->vars) < 0 || vars_merge(&vars, g->file_vars) < 0)
                        return -ENOMEM;
        }
        if (vars_merge(&vars, h->vars) < 0 || vars_merge(&vars, h->file_vars) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(vars);
        return 0;
}

/* --- values --- */

enum inv_type inv_value_type(const struct inv_value *v) {
        return v ? v->type : INV_NULL;
}

const char *inv_value_str(const struct inv_value *v) {
        return v && v->type == INV_SCALAR ? v->str : NULL;
}

bool inv_value_is_plain(const struct inv_value *v) {
        return v && v->plain;
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
        static const char *const yes[] = {"y",    "Y",    "yes", "Yes", "YES", "true",
                                          "True", "TRUE", "on",  "On",  "ON"};
        static const char *const no[] = {"n",     "N",     "no",  "No",  "NO", "false",
                                         "False", "FALSE", "off", "Off", "OFF"};
        if (!v || v->type != INV_SCALAR || !v->plain)
                return -EINVAL;
        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (STREQ(v->str, yes[i])) {
                        *ret = true;
                        return 0;
                }
                if (STREQ(v->str, no[i])) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
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

void inv_error_set(struct inv_error *err, const struct inv_value *v, const char *fmt, ...) {
        if (!err)
                return;
        char msg[256];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        const char *text = v && !v->secret && v->type == INV_SCALAR ? v->str : NULL;
        inv_error_at(err, inv_value_file(v), inv_value_line(v), inv_value_column(v), text, "%s",
                     msg);
}
