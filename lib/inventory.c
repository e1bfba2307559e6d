/* SPDX-License-Identifier: Apache-2.0 */
#include "inventory.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error-message.h"
#include "fileio.h"
#include "inv-value-build.h"
#include "inventory-range.h"
#include "inventory-vars.h"
#include "macros.h"
#include "strmap.h"
#include "yaml-reader.h"

#define DEFAULT_MAX_FILE_SIZE ((size_t)64 << 20)
#define DEFAULT_MAX_ALIAS_NODES ((size_t)100000)
/* Groups nested deeper than this (through children) are refused. */
#define MAX_GROUP_DEPTH 256
#define MAX_RANGE_HOSTS 100000
#define GROUP_ALL 0
#define GROUP_UNGROUPED 1

struct idxv {
        size_t *v;
        size_t n, cap;
};

struct group {
        char *name;
        unsigned line, column;
        struct inv_value *vars;      /* inline, from the inventory; NULL when none */
        struct inv_value *file_vars; /* group_vars/NAME... */
        long priority;               /* ansible_group_priority, default 1 */
        struct idxv hosts, children, parents;
        unsigned depth;
        int visit;      /* depth computation: 0 new, 1 in progress, 2 done */
        size_t block;   /* the groups mapping that last named it */
        bool merged;    /* ... through a merge key */
};

struct host {
        char *name;
        char *address;
        unsigned port; /* from "name:port", 0 when none */
        bool kept;
        bool partial; /* an entry was dropped before another was kept */
        bool dropped_vars;
        bool merged;  /* named in block through a merge key */
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
        struct error_message *err;
        size_t block;  /* the mapping of names being read */
        size_t blocks; /* mappings numbered so far */
        char **patterns; /* the range and port keys of that mapping */
        size_t n_patterns, patterns_block;
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

static void idxv_remove(struct idxv *x, size_t i) {
        for (size_t j = 0; j < x->n; j++)
                if (x->v[j] == i) {
                        memmove(x->v + j, x->v + j + 1, (x->n - j - 1) * sizeof(*x->v));
                        x->n--;
                        return;
                }
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

_Static_assert(offsetof(struct group, name) == 0, "find_or_append() sets the name first");
_Static_assert(offsetof(struct host, name) == 0, "find_or_append() sets the name first");

/* Finds name in index, or appends a zeroed element of size elem to *arr
 * (named, its name owned by the array and borrowed by the index).  The
 * name is the element's first member. */
static int find_or_append(struct strmap *index, void **arr, size_t *n, size_t *cap, size_t elem,
                          const char *name, size_t *ret, bool *ret_new) {
        *ret_new = false;
        if (strmap_get(index, name, ret))
                return 0;
        char *p = grow_array(*arr, cap, *n, elem);
        if (!p)
                return -ENOMEM;
        *arr = p;
        char *copy = strdup(name);
        if (!copy)
                return -ENOMEM;
        if (strmap_put(index, copy, *n, NULL) < 0) {
                free(copy);
                return -ENOMEM;
        }
        memset(p + *n * elem, 0, elem);
        memcpy(p + *n * elem, &copy, sizeof(copy));
        *ret = (*n)++;
        *ret_new = true;
        return 0;
}

static int group_get(struct inventory *inv, const char *name, unsigned line, unsigned column,
                     size_t *ret) {
        bool is_new;
        int r = find_or_append(&inv->group_index, (void **)&inv->groups, &inv->n_groups,
                               &inv->cap_groups, sizeof(struct group), name, ret, &is_new);
        if (r < 0 || !is_new)
                return r;
        struct group *g = &inv->groups[*ret];
        g->line = line;
        g->column = column;
        g->priority = 1;
        g->block = SIZE_MAX;
        return 0;
}

static int host_get(struct inventory *inv, const char *name, unsigned port, size_t *ret) {
        bool is_new;
        int r = find_or_append(&inv->host_index, (void **)&inv->hosts, &inv->n_hosts,
                               &inv->cap_hosts, sizeof(struct host), name, ret, &is_new);
        if (r < 0 || !is_new)
                return r;
        /* Ansible sets ansible_port only when it creates the host. */
        inv->hosts[*ret].port = port;
        inv->hosts[*ret].block = SIZE_MAX;
        return 0;
}

static void ev_error(struct parse *p, const yaml_event_t *ev, const char *value, const char *fmt,
                     ...) _printf_(4, 5);
static void ev_error(struct parse *p, const yaml_event_t *ev, const char *value, const char *fmt,
                     ...) {
        char msg[sizeof(p->err->text)];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        error_set_at(p->err, p->r.file->name, (unsigned)ev->start_mark.line + 1,
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

/* The kind Ansible gives a scalar event; -EINVAL for a tag it does not construct. */
static int event_scalar_kind(const yaml_event_t *ev, enum inv_kind *ret) {
        const char *tag = (const char *)ev->data.scalar.tag;
        if (tag && !ev->data.scalar.plain_implicit && !ev->data.scalar.quoted_implicit)
                return inv_resolve_tag(tag, (const char *)ev->data.scalar.value, ret);
        *ret = ev->data.scalar.plain_implicit
                       ? inv_resolve_plain((const char *)ev->data.scalar.value,
                                           ev->data.scalar.length)
                       : INV_KIND_STR;
        return 0;
}

static bool event_is_null(const yaml_event_t *ev) {
        enum inv_kind kind;
        return ev->type == YAML_SCALAR_EVENT && !ev->data.scalar.anchor &&
               event_scalar_kind(ev, &kind) == 0 && kind == INV_KIND_NULL;
}

/* An event whose value must be built first: an alias, or anything anchored
 * (a later alias may need it). */
static bool event_needs_tree(const yaml_event_t *ev) {
        switch (ev->type) {
        case YAML_ALIAS_EVENT:
                return true;
        case YAML_SCALAR_EVENT:
                return ev->data.scalar.anchor != NULL;
        case YAML_MAPPING_START_EVENT:
                return ev->data.mapping_start.anchor != NULL || ev->data.mapping_start.tag != NULL;
        case YAML_SEQUENCE_START_EVENT:
                return true;
        default:
                return false;
        }
}

/* Records and builds the value that starts with ev. */
static int build_value(struct parse *p, yaml_event_t *ev, struct inv_value **ret) {
        int r = yaml_reader_record(&p->r, ev);
        if (r < 0)
                return r;
        return yaml_reader_build(&p->r, ret);
}

/* The scalar text of ev for an error, unless the key it belongs to looks secret. */
static const char *event_text(const yaml_event_t *ev, const char *key) {
        if (ev->type != YAML_SCALAR_EVENT || inv_key_is_secret(key))
                return NULL;
        return (const char *)ev->data.scalar.value;
}

static bool event_is_merge_key(const yaml_event_t *ev) {
        return ev->type == YAML_SCALAR_EVENT && ev->data.scalar.plain_implicit &&
               !ev->data.scalar.tag && STREQ((const char *)ev->data.scalar.value, "<<");
}

/* Reads the key of a structural mapping: *ret_end on its end, else a
 * scalar key left in ev.  Names of groups and hosts must be strings for
 * Ansible (it refuses "Host pattern 12 must be a string"). */
static int read_key(struct parse *p, yaml_event_t *ev, const char *what, bool names,
                    bool *ret_end) {
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
        enum inv_kind kind;
        if (event_scalar_kind(ev, &kind) < 0) {
                ev_error(p, ev, (const char *)ev->data.scalar.value,
                         "%s: the tag %s is not one Ansible's YAML loader constructs", what,
                         (const char *)ev->data.scalar.tag);
                return -EINVAL;
        }
        if (names && kind != INV_KIND_STR && !event_is_merge_key(ev)) {
                ev_error(p, ev, (const char *)ev->data.scalar.value,
                         "%s: the name %s is %s for Ansible, not a name: quote it", what,
                         (const char *)ev->data.scalar.value, inv_kind_name(kind));
                return -EINVAL;
        }
        return 0;
}

/* --- what a group, a host entry and a group's vars do, from events or a tree --- */

static int link_child(struct parse *p, size_t parent, size_t child, unsigned line,
                      unsigned column) {
        struct inventory *inv = p->inv;
        if (child == GROUP_ALL) {
                error_set_at(p->err, p->r.file->name, line, column, "all",
                             "group \"all\" cannot be a child of \"%s\"",
                             inv->groups[parent].name);
                return -EINVAL;
        }
        if (parent == child) {
                error_set_at(p->err, p->r.file->name, line, column, inv->groups[child].name,
                             "group \"%s\" lists itself as a child", inv->groups[child].name);
                return -EINVAL;
        }
        if (idxv_has(&inv->groups[parent].children, child))
                return 0;
        if (idxv_add(&inv->groups[parent].children, child) < 0 ||
            idxv_add(&inv->groups[child].parents, parent) < 0)
                return -ENOMEM;
        return 0;
}

/* A name in a mapping of groups (block) or hosts.  Own keys win over merged
 * ones (PyYAML); a merged key met after the same own key is skipped
 * (*ret_skip), an own key after the same merged one cannot be undone and
 * is refused. */
static int block_name(struct parse *p, size_t *block, bool *merged, bool from_merge,
                      const char *what, const char *name, unsigned line, unsigned column,
                      bool *ret_skip) {
        *ret_skip = false;
        if (*block != p->block) {
                *block = p->block;
                *merged = from_merge;
                return 0;
        }
        if (from_merge) {
                *ret_skip = true;
                return 0;
        }
        if (*merged)
                error_set_at(p->err, p->r.file->name, line, column, name,
                             "%s \"%s\" is both brought in by a merge key (<<) and written after "
                             "it; PyYAML would drop the merged one: write it once",
                             what, name);
        else
                error_set_at(p->err, p->r.file->name, line, column, name,
                             "duplicate %s \"%s\" (Ansible would take the last with a warning): "
                             "write it once",
                             what, name);
        return -EINVAL;
}

/* A host entry's variables: recorded on the tape (built only when kept), or
 * already built (a tree). */
struct entry {
        bool is_null;
        bool on_tape;
        struct inv_value *built;
        const char *address;
};

static int group_vars(struct parse *p, size_t gi, const struct inv_value *v);

/* literal: the key is the name itself.  A name that comes out of a range or
 * a "name:port" key may also be written elsewhere in the same mapping:
 * Ansible sets both entries' variables, key by key. */
static int host_entry(struct parse *p, size_t gi, const char *name, unsigned port, bool literal,
                      bool from_merge, unsigned line, unsigned column, struct entry *e) {
        struct inventory *inv = p->inv;
        size_t hi;
        int r = host_get(inv, name, port, &hi);
        if (r < 0)
                return r;
        struct host *h = &inv->hosts[hi];
        bool skip = false;
        if (literal)
                r = block_name(p, &h->block, &h->merged, from_merge, "host", name, line, column,
                               &skip);
        if (r < 0 || skip)
                return r;
        /* InventoryData.set_variable() looks the name up among the groups
         * first: a host named like an existing group gives its variables to
         * that group (Ansible warns "Found both group and host with same
         * name"), not to the host. */
        size_t same_name;
        struct entry to_group = {.is_null = true};
        if (strmap_get(&inv->group_index, name, &same_name)) {
                if (!e->is_null && !e->built && e->on_tape) {
                        r = yaml_reader_build(&p->r, &e->built);
                        if (r < 0)
                                return r;
                }
                r = e->is_null ? 0 : group_vars(p, same_name, e->built);
                if (r < 0)
                        return r;
                e = &to_group;
        }
        if (e->address) {
                char *a = strdup(e->address);
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
                if (!e->is_null) {
                        if (!e->built && e->on_tape) {
                                r = yaml_reader_build(&p->r, &e->built);
                                if (r < 0)
                                        return r;
                        }
                        r = inv_map_update(&h->vars, e->built);
                        if (r < 0)
                                return r;
                }
        } else if (!e->is_null)
                h->dropped_vars = true;

        if (!idxv_has(&h->groups, gi)) {
                if (idxv_add(&h->groups, gi) < 0 || idxv_add(&inv->groups[gi].hosts, hi) < 0)
                        return -ENOMEM;
        }
        return 0;
}

/* A range or "name:port" key written twice in one hosts mapping is a
 * duplicate key (Ansible would take the last): refused like any other. */
static int pattern_once(struct parse *p, const char *pattern, unsigned line, unsigned column) {
        if (p->patterns_block != p->block) {
                strv_free(p->patterns);
                p->patterns = NULL;
                p->n_patterns = 0;
                p->patterns_block = p->block;
        }
        for (size_t i = 0; i < p->n_patterns; i++)
                if (STREQ(p->patterns[i], pattern)) {
                        error_set_at(p->err, p->r.file->name, line, column, pattern,
                                     "duplicate host \"%s\" (Ansible would take the last with a "
                                     "warning): write it once",
                                     pattern);
                        return -EINVAL;
                }
        char **v = realloc(p->patterns, (p->n_patterns + 2) * sizeof(char *));
        if (!v)
                return -ENOMEM;
        p->patterns = v;
        if (!(v[p->n_patterns] = strdup(pattern)))
                return -ENOMEM;
        v[++p->n_patterns] = NULL;
        return 0;
}

/* One host pattern of group gi with its entry. */
static int host_pattern(struct parse *p, size_t gi, const char *pattern, bool from_merge,
                        unsigned line, unsigned column, struct entry *e) {
        _cleanup_(host_pattern_done) struct host_pattern hp = {0};
        const char *problem = NULL;
        /* Most names have no range and no port: nothing to expand. */
        if (pattern[0] && !strpbrk(pattern, "[:"))
                return host_entry(p, gi, pattern, 0, true, from_merge, line, column, e);
        int r = host_pattern_expand(pattern, MAX_RANGE_HOSTS, &hp, &problem);
        if (r == -EINVAL || r == -E2BIG)
                error_set_at(p->err, p->r.file->name, line, column, pattern,
                             "host pattern \"%s\": %s", pattern, problem);
        if (r < 0)
                return r;
        r = pattern_once(p, pattern, line, column);
        if (r < 0)
                return r;
        for (size_t i = 0; i < hp.n; i++) {
                r = host_entry(p, gi, hp.names[i], hp.port, false, from_merge, line, column, e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* A value Ansible takes as a mapping: a mapping, null, or a string S
 * (the mapping {S: null}). */
static int as_mapping(struct parse *p, const struct inv_value *v, const char *what,
                      const char *group, struct inv_value **ret) {
        switch (inv_value_type(v)) {
        case INV_NULL:
                *ret = NULL;
                return 0;
        case INV_MAPPING:
                *ret = inv_value_ref((struct inv_value *)v);
                return 0;
        case INV_SCALAR:
                if (inv_value_kind(v) == INV_KIND_STR) {
                        _cleanup_(inv_value_unrefp) struct inv_value *m =
                                inv_value_new(INV_MAPPING, v->file, v->line, v->column);
                        struct inv_value *null = inv_value_new(INV_NULL, v->file, v->line, v->column);
                        if (!m || !null || inv_map_append(m, v->str, null) < 0) {
                                if (!m)
                                        inv_value_unref(null);
                                return -ENOMEM;
                        }
                        *ret = TAKE_PTR(m);
                        return 0;
                }
                break;
        default:
                break;
        }
        inv_value_error(p->err, v, "%s of group \"%s\" must be a mapping (or one name), not %s",
                        what, group,
                        inv_value_type(v) == INV_SEQUENCE ? "a list" : inv_kind_name(inv_value_kind(v)));
        return -EINVAL;
}

/* int(value) as Group.set_priority() takes it, for what onepci can read
 * without doubt: a whole number in decimal, written plain or quoted. */
static int parse_priority(struct parse *p, const struct inv_value *v, long *ret) {
        const char *s = inv_value_str(v);
        enum inv_kind kind = inv_value_kind(v);
        if (s && (kind == INV_KIND_INT || kind == INV_KIND_STR)) {
                const char *digits = s + (s[0] == '-' || s[0] == '+');
                size_t n = strspn(digits, "0123456789");
                /* a plain 010 is octal for YAML 1.1: not read here */
                bool octal = kind == INV_KIND_INT && digits[0] == '0' && digits[1];
                if (n > 0 && n < 10 && !digits[n] && !octal) {
                        *ret = strtol(s, NULL, 10);
                        return 0;
                }
        }
        inv_value_error(p->err, v,
                        "ansible_group_priority must be a whole number written in decimal");
        return -EINVAL;
}

/* A group's inline vars, each set as Ansible's Group.set_variable() does. */
static int group_vars(struct parse *p, size_t gi, const struct inv_value *v) {
        struct group *g = &p->inv->groups[gi];
        _cleanup_(inv_value_unrefp) struct inv_value *vars = NULL;
        int r = as_mapping(p, v, "vars", g->name, &vars);
        if (r < 0 || !vars)
                return r;
        if (!g->vars) {
                g->vars = inv_value_new(INV_MAPPING, vars->file, vars->line, vars->column);
                if (!g->vars)
                        return -ENOMEM;
        }
        for (size_t i = 0; i < vars->n; i++) {
                if (STREQ(vars->keys[i], "ansible_group_priority")) {
                        r = parse_priority(p, vars->items[i], &g->priority);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = inv_map_set(g->vars, vars->keys[i], inv_value_ref(vars->items[i]));
                if (r < 0)
                        return r;
        }
        return 0;
}

static int tree_group_body(struct parse *p, size_t gi, const struct inv_value *body,
                           unsigned depth);

/* A group named in a mapping of groups (parent SIZE_MAX: the top level). */
static int group_entry(struct parse *p, size_t parent, const char *name, bool from_merge,
                       unsigned line, unsigned column, size_t *ret_gi, bool *ret_skip) {
        size_t gi;
        int r = group_get(p->inv, name, line, column, &gi);
        if (r < 0)
                return r;
        struct group *g = &p->inv->groups[gi];
        r = block_name(p, &g->block, &g->merged, from_merge, "group", name, line, column,
                       ret_skip);
        if (r < 0 || *ret_skip)
                return r;
        if (parent != SIZE_MAX) {
                r = link_child(p, parent, gi, line, column);
                if (r < 0)
                        return r;
        }
        *ret_gi = gi;
        return 0;
}

static int check_depth(struct parse *p, unsigned depth) {
        if (depth <= MAX_GROUP_DEPTH)
                return 0;
        error_set_at(p->err, p->r.file->name, 0, 0, NULL, "groups nested more than %d levels deep",
                     MAX_GROUP_DEPTH);
        return -EINVAL;
}

/* A mapping of groups as a tree (top level or children). */
static int tree_groups(struct parse *p, size_t parent, const struct inv_value *map,
                       bool from_merge, unsigned depth) {
        size_t block = p->block;
        int r = check_depth(p, depth);
        if (r < 0)
                return r;
        for (size_t i = 0; i < map->n; i++) {
                const struct inv_value *body = map->items[i];
                p->block = block;
                size_t gi;
                bool skip;
                r = group_entry(p, parent, map->keys[i], from_merge, body->line, body->column, &gi,
                                &skip);
                if (r < 0)
                        return r;
                if (skip)
                        continue;
                if (body->type != INV_MAPPING && body->type != INV_NULL) {
                        inv_value_error(p->err, body,
                                        "group \"%s\" must be a mapping with hosts, vars or "
                                        "children",
                                        map->keys[i]);
                        return -EINVAL;
                }
                r = tree_group_body(p, gi, body, depth + 1);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int tree_hosts(struct parse *p, size_t gi, const struct inv_value *hosts, bool from_merge) {
        size_t block = p->block;
        for (size_t i = 0; i < hosts->n; i++) {
                p->block = block;
                const struct inv_value *v = hosts->items[i];
                if (v->type != INV_MAPPING && v->type != INV_NULL) {
                        inv_value_error(p->err, v,
                                        "host \"%s\" in group \"%s\" must be a mapping of "
                                        "variables",
                                        hosts->keys[i], p->inv->groups[gi].name);
                        return -EINVAL;
                }
                const struct inv_value *a = inv_map_get(v, "ansible_host");
                struct entry e = {
                        .is_null = v->type == INV_NULL,
                        .built = (struct inv_value *)v,
                        .address = inv_value_kind(a) == INV_KIND_STR ? inv_value_str(a) : NULL,
                };
                int r = host_pattern(p, gi, hosts->keys[i], from_merge, v->line, v->column, &e);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* One key of a group's body: hosts, vars or children. */
static int tree_group_key(struct parse *p, size_t gi, const char *k, const struct inv_value *v,
                          unsigned depth) {
        _cleanup_(inv_value_unrefp) struct inv_value *map = NULL;
        if (STREQ(k, "vars"))
                return group_vars(p, gi, v);
        if (!STREQ(k, "hosts") && !STREQ(k, "children")) {
                inv_value_error(p->err, v,
                                "unknown key \"%s\" in group \"%s\" (expected hosts, vars or "
                                "children; Ansible would skip it with a warning)",
                                k, p->inv->groups[gi].name);
                return -EINVAL;
        }
        p->block = ++p->blocks;
        int r = as_mapping(p, v, k, p->inv->groups[gi].name, &map);
        if (r < 0 || !map)
                return r;
        return STREQ(k, "hosts") ? tree_hosts(p, gi, map, false)
                                 : tree_groups(p, gi, map, false, depth);
}

static int tree_group_body(struct parse *p, size_t gi, const struct inv_value *body,
                           unsigned depth) {
        for (size_t i = 0; body && i < body->n; i++) {
                int r = tree_group_key(p, gi, body->keys[i], body->items[i], depth);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* --- the same from events, the usual case: nothing is built but the kept hosts --- */

/* "<<: *x" (or a list of them) in a structural mapping: each source's pairs
 * as if written here, own keys winning. */
enum { SEEN_NOT, SEEN_OWN, SEEN_MERGED };

/* hosts, vars, children: the index of a group body's key, or -1. */
static int body_key(const char *k) {
        return STREQ(k, "hosts") ? 0 : STREQ(k, "vars") ? 1 : STREQ(k, "children") ? 2 : -1;
}

/* seen: for a group body, what its keys were set by so far. */
static int event_merge(struct parse *p, size_t gi, const char *section, unsigned depth,
                       int seen[3]) {
        _cleanup_(yaml_event_delete) yaml_event_t val = {0};
        _cleanup_(inv_value_unrefp) struct inv_value *v = NULL;
        int r = yaml_reader_next(&p->r, &val);
        if (r < 0)
                return r;
        r = build_value(p, &val, &v);
        if (r < 0)
                return r;
        size_t n = v->type == INV_SEQUENCE ? v->n : 1;
        for (size_t i = 0; i < n; i++) {
                const struct inv_value *src = v->type == INV_SEQUENCE ? v->items[i] : v;
                if (src->type != INV_MAPPING) {
                        inv_value_error(p->err, src,
                                        "<<: a merge key needs a mapping or a list of mappings");
                        return -EINVAL;
                }
                if (STREQ(section, "hosts"))
                        r = tree_hosts(p, gi, src, true);
                else if (STREQ(section, "groups"))
                        r = tree_groups(p, gi, src, true, depth);
                else
                        for (size_t j = 0; r >= 0 && j < src->n; j++) {
                                int k = body_key(src->keys[j]);
                                if (k >= 0 && seen[k] != SEEN_NOT)
                                        continue; /* own, or an earlier source's */
                                if (k >= 0)
                                        seen[k] = SEEN_MERGED;
                                r = tree_group_key(p, gi, src->keys[j], src->items[j], depth);
                        }
                if (r < 0)
                        return r;
        }
        return 0;
}

static int parse_group_body(struct parse *p, size_t gi, unsigned depth);

/* A mapping of group names: the top level (parent SIZE_MAX) or children:. */
static int parse_groups(struct parse *p, size_t parent, unsigned depth) {
        const char *what = parent == SIZE_MAX ? "inventory" : "children";
        size_t block = p->block = ++p->blocks;
        int r = check_depth(p, depth);
        if (r < 0)
                return r;
        for (;;) {
                _cleanup_(yaml_event_delete) yaml_event_t key = {0};
                _cleanup_(yaml_event_delete) yaml_event_t val = {0};
                bool end, skip;
                r = read_key(p, &key, what, true, &end);
                if (r < 0 || end)
                        return r;
                p->block = block;
                if (event_is_merge_key(&key)) {
                        r = event_merge(p, parent, "groups", depth, NULL);
                        if (r < 0)
                                return r;
                        continue;
                }
                const char *name = (const char *)key.data.scalar.value;
                size_t gi;
                r = group_entry(p, parent, name, false, (unsigned)key.start_mark.line + 1,
                                (unsigned)key.start_mark.column + 1, &gi, &skip);
                if (r < 0)
                        return r;

                r = yaml_reader_next(&p->r, &val);
                if (r < 0)
                        return r;
                if (event_is_null(&val))
                        continue;
                if (event_needs_tree(&val)) {
                        _cleanup_(inv_value_unrefp) struct inv_value *body = NULL;
                        r = build_value(p, &val, &body);
                        if (r >= 0 && body->type != INV_MAPPING && body->type != INV_NULL) {
                                inv_value_error(p->err, body,
                                                "group \"%s\" must be a mapping with hosts, "
                                                "vars or children",
                                                name);
                                r = -EINVAL;
                        }
                        if (r >= 0)
                                r = tree_group_body(p, gi, body, depth + 1);
                        if (r < 0)
                                return r;
                        continue;
                }
                if (val.type != YAML_MAPPING_START_EVENT) {
                        ev_error(p, &val, event_text(&val, name),
                                 "group \"%s\" must be a mapping with hosts, vars or children, "
                                 "not %s (Ansible would skip it with a warning)",
                                 name, event_kind(&val));
                        return -EINVAL;
                }
                r = parse_group_body(p, gi, depth + 1);
                if (r < 0)
                        return r;
        }
}

static int parse_host(struct parse *p, size_t gi, const yaml_event_t *key) {
        const char *pattern = (const char *)key->data.scalar.value;
        _cleanup_(yaml_event_delete) yaml_event_t val = {0};
        _cleanup_(inv_value_unrefp) struct inv_value *built = NULL;
        unsigned line = (unsigned)key->start_mark.line + 1, column = (unsigned)key->start_mark.column + 1;

        int r = yaml_reader_next(&p->r, &val);
        if (r < 0)
                return r;
        bool is_null = event_is_null(&val);
        r = yaml_reader_record(&p->r, &val);
        if (r < 0)
                return r;
        enum inv_type type = yaml_reader_tape_type(&p->r);
        if (type != INV_MAPPING && type != INV_NULL) {
                unsigned l, c;
                yaml_reader_tape_mark(&p->r, &l, &c);
                error_set_at(p->err, p->r.file->name, l, c, NULL,
                             "host \"%s\" in group \"%s\" must be a mapping of variables",
                             pattern, p->inv->groups[gi].name);
                return -EINVAL;
        }
        /* Valid until the next recording, which is after this entry. */
        struct entry e = {
                .is_null = is_null,
                .on_tape = true,
                .address = yaml_reader_tape_lookup(&p->r, "ansible_host"),
        };
        r = host_pattern(p, gi, pattern, false, line, column, &e);
        built = e.built;
        if (r < 0)
                return r;
        /* Nothing kept: anchors inside may still serve later aliases. */
        if (!built && !is_null)
                return yaml_reader_skip(&p->r);
        return 0;
}

static int parse_hosts(struct parse *p, size_t gi) {
        size_t block = p->block = ++p->blocks;
        for (;;) {
                _cleanup_(yaml_event_delete) yaml_event_t key = {0};
                bool end;
                int r = read_key(p, &key, "hosts", true, &end);
                if (r < 0 || end)
                        return r;
                p->block = block;
                r = event_is_merge_key(&key) ? event_merge(p, gi, "hosts", 0, NULL)
                                             : parse_host(p, gi, &key);
                if (r < 0)
                        return r;
        }
}

static int parse_group_body(struct parse *p, size_t gi, unsigned depth) {
        int seen[3] = {SEEN_NOT, SEEN_NOT, SEEN_NOT}; /* hosts, vars, children */

        for (;;) {
                _cleanup_(yaml_event_delete) yaml_event_t key = {0};
                _cleanup_(yaml_event_delete) yaml_event_t val = {0};
                bool end;
                char what[300];
                snprintf(what, sizeof(what), "group \"%s\"", p->inv->groups[gi].name);
                int r = read_key(p, &key, what, false, &end);
                if (r < 0 || end)
                        return r;
                if (event_is_merge_key(&key)) {
                        r = event_merge(p, gi, "body", depth, seen);
                        if (r < 0)
                                return r;
                        continue;
                }

                const char *k = (const char *)key.data.scalar.value;
                int ki = body_key(k);
                if (ki < 0) {
                        ev_error(p, &key, k,
                                 "unknown key \"%s\" in group \"%s\" (expected hosts, vars or "
                                 "children; Ansible would skip it with a warning)",
                                 k, p->inv->groups[gi].name);
                        return -EINVAL;
                }
                if (seen[ki] != SEEN_NOT) {
                        ev_error(p, &key, k,
                                 seen[ki] == SEEN_OWN
                                         ? "duplicate key \"%s\" in group \"%s\" (Ansible would "
                                           "take the last with a warning): write it once"
                                         : "\"%s\" of group \"%s\" is both brought in by a merge "
                                           "key (<<) and written after it; PyYAML would drop the "
                                           "merged one: write it once",
                                 k, p->inv->groups[gi].name);
                        return -EINVAL;
                }
                seen[ki] = SEEN_OWN;

                r = yaml_reader_next(&p->r, &val);
                if (r < 0)
                        return r;
                if (ki == 1 || val.type != YAML_MAPPING_START_EVENT || event_needs_tree(&val)) {
                        /* vars, and hosts/children written as one name or an alias */
                        _cleanup_(inv_value_unrefp) struct inv_value *v = NULL;
                        r = build_value(p, &val, &v);
                        if (r >= 0)
                                r = tree_group_key(p, gi, k, v, depth);
                        if (r < 0)
                                return r;
                        continue;
                }
                r = ki == 0 ? parse_hosts(p, gi) : parse_groups(p, gi, depth);
                if (r < 0)
                        return r;
        }
}

static int parse_inventory(struct parse *p) {
        _cleanup_(yaml_event_delete) yaml_event_t root = {0};
        bool has_root;
        int r = yaml_reader_document_start(&p->r, &has_root, &root);
        if (r < 0)
                return r;
        if (!has_root || event_is_null(&root)) {
                /* Ansible: "Parsed empty YAML file", the inventory is not read. */
                error_set_at(p->err, p->r.file->name, 0, 0, NULL,
                             "the inventory is empty (Ansible refuses it too)");
                return -EINVAL;
        }
        if (root.type == YAML_MAPPING_START_EVENT && !event_needs_tree(&root))
                r = parse_groups(p, SIZE_MAX, 0);
        else if (root.type == YAML_MAPPING_START_EVENT) {
                _cleanup_(inv_value_unrefp) struct inv_value *v = NULL;
                r = build_value(p, &root, &v);
                if (r >= 0)
                        r = tree_groups(p, SIZE_MAX, v, false, 0);
        } else {
                ev_error(p, &root, NULL, "an inventory must be a mapping of groups, not %s",
                         event_kind(&root));
                return -EINVAL;
        }
        if (r < 0)
                return r;
        return yaml_reader_document_end(&p->r);
}

static int compute_depth(struct inventory *inv, size_t gi, unsigned level,
                         struct error_message *err) {
        struct group *g = &inv->groups[gi];
        if (g->visit == 2)
                return 0;
        if (g->visit == 1) {
                error_set_at(err, "", g->line, g->column, g->name,
                             "group \"%s\" is its own ancestor through children", g->name);
                return -EINVAL;
        }
        if (level > MAX_GROUP_DEPTH) {
                error_set_at(err, "", g->line, g->column, g->name,
                             "groups nested more than %d levels deep (at \"%s\")", MAX_GROUP_DEPTH,
                             g->name);
                return -EINVAL;
        }
        g->visit = 1;
        unsigned depth = gi == GROUP_ALL ? 0 : 1;
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

/* Ansible's reconcile_inventory(): a group without a parent is a child of
 * all; a host in no group but all is in ungrouped, a host in another group
 * is not. */
static int reconcile(struct inventory *inv) {
        for (size_t i = 0; i < inv->n_groups; i++)
                if (i != GROUP_ALL && inv->groups[i].parents.n == 0) {
                        if (idxv_add(&inv->groups[GROUP_ALL].children, i) < 0 ||
                            idxv_add(&inv->groups[i].parents, GROUP_ALL) < 0)
                                return -ENOMEM;
                }
        for (size_t hi = 0; hi < inv->n_hosts; hi++) {
                struct host *h = &inv->hosts[hi];
                size_t others = 0;
                for (size_t j = 0; j < h->groups.n; j++)
                        others += h->groups.v[j] != GROUP_ALL && h->groups.v[j] != GROUP_UNGROUPED;
                bool in_ungrouped = idxv_has(&h->groups, GROUP_UNGROUPED);
                if (others > 0 && in_ungrouped) {
                        idxv_remove(&h->groups, GROUP_UNGROUPED);
                        idxv_remove(&inv->groups[GROUP_UNGROUPED].hosts, hi);
                } else if (others == 0 && !in_ungrouped) {
                        if (idxv_add(&h->groups, GROUP_UNGROUPED) < 0 ||
                            idxv_add(&inv->groups[GROUP_UNGROUPED].hosts, hi) < 0)
                                return -ENOMEM;
                }
        }
        return 0;
}

static int load_vars_dirs(struct inventory *inv, const char *inventory_path,
                          const struct vars_files *vf) {
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
                int r = vars_files_load(vf, dir, "group_vars", inv->groups[i].name,
                                        &inv->groups[i].file_vars);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < inv->n_hosts; i++) {
                if (!inv->hosts[i].kept)
                        continue;
                int r = vars_files_load(vf, dir, "host_vars", inv->hosts[i].name,
                                        &inv->hosts[i].file_vars);
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

/* An INI inventory fails as YAML; say what it is instead of a YAML error. */
static void explain_ini(const struct source *src, const char *filename,
                        struct error_message *err) {
        char line[256] = "";
        if (src->f) {
                /* Only a file that can be read again, and only its first lines. */
                if (fseek(src->f, 0, SEEK_SET) < 0)
                        return;
                for (unsigned i = 0; i < 64 && fgets(line, sizeof(line), src->f) &&
                                     (line[0] == '#' || line[0] == ';' || line[0] == '\n');
                     i++)
                        ;
        } else {
                /* The buffer is not a C string. */
                const char *nl = memchr(src->data, '\n', src->len);
                size_t len = nl ? (size_t)(nl - src->data) : src->len;
                snprintf(line, sizeof(line), "%.*s", (int)(len < sizeof(line) ? len : sizeof(line) - 1),
                         src->data);
        }
        line[strcspn(line, "\r\n")] = '\0';
        size_t len = strlen(line);
        if (len < 3 || line[0] != '[' || line[len - 1] != ']')
                return;
        error_set_at(err, filename, 0, 0, NULL,
                     "this looks like an INI inventory (\"%.64s\"); onepci reads YAML "
                     "inventories only: convert it with \"ansible-inventory -i %.64s --list "
                     "--yaml --export\" (the same hosts, groups and variables as YAML)",
                     line, filename);
}

static int load(const struct source *src, const char *filename, const char *vars_dir_of,
                const struct inventory_load_options *opts, struct inventory **ret,
                struct error_message *err) {
        static const struct inventory_load_options defaults = {0};
        if (!opts)
                opts = &defaults;
        size_t max_size = opts->max_file_size ? opts->max_file_size : DEFAULT_MAX_FILE_SIZE;
        size_t max_alias = opts->max_alias_nodes ? opts->max_alias_nodes : DEFAULT_MAX_ALIAS_NODES;
        if (!src->f && src->len > max_size) {
                error_set_at(err, filename, 0, 0, NULL, "larger than %zu bytes", max_size);
                return -EFBIG;
        }

        _cleanup_(inventory_freep) struct inventory *inv = calloc(1, sizeof(*inv));
        if (!inv)
                return -ENOMEM;
        size_t gi;
        int r = group_get(inv, "all", 0, 0, &gi);
        if (r >= 0)
                r = group_get(inv, "ungrouped", 0, 0, &gi);
        if (r < 0)
                return r;

        struct parse p = {.inv = inv, .opts = opts, .err = err};
        r = src->f ? yaml_reader_init_file(&p.r, src->f, max_size, filename, max_alias, err)
                   : yaml_reader_init(&p.r, src->data, src->len, filename, max_alias, err);
        if (r >= 0)
                r = parse_inventory(&p);
        yaml_reader_done(&p.r);
        strv_free(p.patterns);
        if (r == -EINVAL)
                explain_ini(src, filename, err);
        if (r < 0)
                return r;
        r = reconcile(inv);
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
                struct vars_files vf = {
                        .max_file_size = max_size, .max_alias_nodes = max_alias, .err = err};
                r = load_vars_dirs(inv, vars_dir_of, &vf);
                if (r < 0)
                        return r;
        }
        *ret = TAKE_PTR(inv);
        return 0;
}

int inventory_load_buffer(const char *data, size_t len, const char *filename,
                          const struct inventory_load_options *opts, struct inventory **ret,
                          struct error_message *ret_error) {
        struct error_message scratch;
        struct source src = {.data = data, .len = len};
        return load(&src, filename ? filename : "<buffer>", NULL, opts, ret,
                    ret_error ? ret_error : &scratch);
}

int inventory_load_stream(FILE *f, const char *filename, const struct inventory_load_options *opts,
                          struct inventory **ret, struct error_message *ret_error) {
        struct error_message scratch;
        struct source src = {.f = f};
        return load(&src, filename ? filename : "<stream>", NULL, opts, ret,
                    ret_error ? ret_error : &scratch);
}

/* The inventory is parsed as it is read, never held whole: a 100,000-host
 * file (28 MB) costs the agent no more memory than a 100-host one. */
int inventory_load(const char *path, const struct inventory_load_options *opts,
                   struct inventory **ret, struct error_message *ret_error) {
        struct error_message scratch;
        struct error_message *err = ret_error ? ret_error : &scratch;
        size_t max_size = opts && opts->max_file_size ? opts->max_file_size : DEFAULT_MAX_FILE_SIZE;
        _cleanup_fclose_ FILE *f = NULL;
        struct stat st;
        /* Only a regular file: a FIFO with no writer would block for ever. */
        int r = open_regular_file(path, &st);
        if (r >= 0) {
                int fd = r;
                f = fdopen(fd, "r");
                r = f ? 0 : -errno;
                if (!f)
                        close(fd);
        }
        if (r == 0 && (uintmax_t)st.st_size > max_size)
                r = -EFBIG;
        if (r < 0) {
                error_set_at(err, path, 0, 0, NULL, "%s",
                             r == -EISDIR ? "is a directory; give the inventory file (onepci "
                                            "reads one YAML file with group_vars/ and "
                                            "host_vars/ beside it)"
                                          : read_error_text(r));
                return r;
        }
        /* The yaml inventory plugin's verify_file(): other names are not
         * YAML inventories for Ansible (which then tries them as INI). */
        const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
        const char *dot = strrchr(base + strspn(base, "."), '.');
        if (dot && !STREQ(dot, ".yml") && !STREQ(dot, ".yaml") && !STREQ(dot, ".json")) {
                error_set_at(err, path, 0, 0, NULL,
                             "Ansible reads a file as a YAML inventory only when its name ends "
                             "in .yml, .yaml or .json or has no extension; rename it");
                explain_ini(&(struct source){.f = f}, path, err);
                return -EINVAL;
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

/* Group._get_hosts(): the group's own hosts, then its descendants' in
 * breadth-first order. */
static int collect_hosts(const struct inventory *inv, size_t gi, char **strv) {
        _cleanup_free_ bool *group_seen = calloc(inv->n_groups, sizeof(bool));
        _cleanup_free_ bool *host_seen = calloc(inv->n_hosts + 1, sizeof(bool));
        _cleanup_free_ size_t *queue = calloc(inv->n_groups, sizeof(size_t));
        size_t head = 0, tail = 0, n = 0;
        if (!group_seen || !host_seen || !queue)
                return -ENOMEM;
        queue[tail++] = gi;
        group_seen[gi] = true;
        while (head < tail) {
                const struct group *g = &inv->groups[queue[head++]];
                for (size_t i = 0; i < g->hosts.n; i++) {
                        size_t hi = g->hosts.v[i];
                        if (host_seen[hi])
                                continue;
                        host_seen[hi] = true;
                        strv[n] = strdup(inv->hosts[hi].name);
                        if (!strv[n++])
                                return -ENOMEM;
                }
                for (size_t i = 0; i < g->children.n; i++)
                        if (!group_seen[g->children.v[i]]) {
                                group_seen[g->children.v[i]] = true;
                                queue[tail++] = g->children.v[i];
                        }
        }
        return 0;
}

int inventory_group_hosts(const struct inventory *inv, const char *group, char ***ret_strv) {
        size_t gi;
        if (!strmap_get(&inv->group_index, group, &gi))
                return -ENOENT;
        _cleanup_strv_free_ char **strv = calloc(inv->n_hosts + 1, sizeof(char *));
        if (!strv)
                return -ENOMEM;
        int r = collect_hosts(inv, gi, strv);
        if (r < 0)
                return r;
        *ret_strv = TAKE_PTR(strv);
        return 0;
}

/* The host's groups and all their ancestors, all first; *ret_n of them. */
static int host_group_set(const struct inventory *inv, const struct host *h, size_t **ret,
                          size_t *ret_n) {
        _cleanup_free_ bool *in = calloc(inv->n_groups, sizeof(bool));
        _cleanup_free_ size_t *order = calloc(inv->n_groups, sizeof(size_t));
        if (!in || !order)
                return -ENOMEM;
        size_t n = 0;
        in[GROUP_ALL] = true;
        order[n++] = GROUP_ALL;
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
        *ret = TAKE_PTR(order);
        *ret_n = n;
        return 0;
}

static int name_cmp(const void *a, const void *b) {
        return strcmp(*(char *const *)a, *(char *const *)b);
}

int inventory_host_groups(const struct inventory *inv, const char *host, char ***ret_strv) {
        size_t hi, n;
        _cleanup_free_ size_t *order = NULL;
        if (!strmap_get(&inv->host_index, host, &hi))
                return -ENOENT;
        int r = host_group_set(inv, &inv->hosts[hi], &order, &n);
        if (r < 0)
                return r;
        _cleanup_strv_free_ char **strv = calloc(n + 1, sizeof(char *));
        if (!strv)
                return -ENOMEM;
        for (size_t i = 1; i < n; i++) /* order[0] is all */
                if (!(strv[i - 1] = strdup(inv->groups[order[i]].name)))
                        return -ENOMEM;
        qsort(strv, n - 1, sizeof(char *), name_cmp);
        *ret_strv = TAKE_PTR(strv);
        return 0;
}

/* Ansible's sort_groups(): depth, then ansible_group_priority, then name. */
static int group_order(const void *a, const void *b, void *userdata) {
        const struct inventory *inv = userdata;
        const struct group *ga = &inv->groups[*(const size_t *)a];
        const struct group *gb = &inv->groups[*(const size_t *)b];
        if (ga->depth != gb->depth)
                return ga->depth < gb->depth ? -1 : 1;
        if (ga->priority != gb->priority)
                return ga->priority < gb->priority ? -1 : 1;
        return strcmp(ga->name, gb->name);
}

/* The ansible_port a "name:port" pattern gives, as an integer. */
static int port_value(const struct host *h, struct inv_value **ret) {
        char buf[16];
        snprintf(buf, sizeof(buf), "%u", h->port);
        _cleanup_(inv_value_unrefp) struct inv_value *v = inv_value_new(INV_SCALAR, NULL, 0, 0);
        if (!v || !(v->str = strdup(buf)))
                return -ENOMEM;
        v->kind = INV_KIND_INT;
        v->plain = true;
        *ret = TAKE_PTR(v);
        return 0;
}

int inventory_host_vars(const struct inventory *inv, const char *host, struct inv_value **ret) {
        size_t hi, n;
        _cleanup_free_ size_t *order = NULL;
        if (!strmap_get(&inv->host_index, host, &hi))
                return -ENOENT;
        const struct host *h = &inv->hosts[hi];
        if (!h->kept || h->partial)
                return -ESTALE;
        int r = host_group_set(inv, h, &order, &n);
        if (r < 0)
                return r;
        /* all stays first: it is the only group of depth 0. */
        qsort_r(order, n, sizeof(*order), group_order, (void *)inv);

        /* VariableManager: all_inventory, groups_inventory,
         * all_plugins_inventory, groups_plugins_inventory, then the host's
         * own variables and its host_vars. */
        _cleanup_(inv_value_unrefp) struct inv_value *vars = inv_value_new(INV_MAPPING, NULL, 0, 0);
        _cleanup_(inv_value_unrefp) struct inv_value *port = NULL;
        if (!vars)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (inv_map_update(&vars, inv->groups[order[i]].vars) < 0)
                        return -ENOMEM;
        for (size_t i = 0; i < n; i++)
                if (inv_map_update(&vars, inv->groups[order[i]].file_vars) < 0)
                        return -ENOMEM;
        if (h->port) {
                if (port_value(h, &port) < 0 || inv_map_set(vars, "ansible_port", inv_value_ref(port)) < 0)
                        return -ENOMEM;
        }
        if (inv_map_update(&vars, h->vars) < 0 || inv_map_update(&vars, h->file_vars) < 0)
                return -ENOMEM;
        *ret = TAKE_PTR(vars);
        return 0;
}
