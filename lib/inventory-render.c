/* SPDX-License-Identifier: Apache-2.0 */
#include "inventory.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "macros.h"
#include "inv-value-build.h"

struct out {
        char *buf;
        size_t len, cap;
};

static int write_out(void *data, unsigned char *bytes, size_t size) {
        struct out *o = data;
        if (o->len + size + 1 > o->cap) {
                size_t ncap = o->cap ? o->cap : 1024;
                while (ncap < o->len + size + 1)
                        ncap *= 2;
                char *b = realloc(o->buf, ncap);
                if (!b)
                        return 0;
                o->buf = b;
                o->cap = ncap;
        }
        memcpy(o->buf + o->len, bytes, size);
        o->len += size;
        o->buf[o->len] = '\0';
        return 1;
}

static int emit(yaml_emitter_t *e, yaml_event_t *ev, int made) {
        if (!made)
                return -ENOMEM;
        if (!yaml_emitter_emit(e, ev))
                return -EIO;
        return 0;
}

static int emit_str(yaml_emitter_t *e, const char *s, bool plain) {
        yaml_event_t ev;
        return emit(e, &ev,
                    yaml_scalar_event_initialize(
                            &ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), plain, !plain,
                            plain ? YAML_ANY_SCALAR_STYLE : YAML_DOUBLE_QUOTED_SCALAR_STYLE));
}

/* A tagged scalar keeps its tag, so that it reads back as the same type
 * (!!bool "true" stays a boolean, !vault stays vault data). */
static int emit_scalar(yaml_emitter_t *e, const struct inv_value *v) {
        static const char *const tags[] = {
                [INV_KIND_BOOL] = "tag:yaml.org,2002:bool",
                [INV_KIND_INT] = "tag:yaml.org,2002:int",
                [INV_KIND_FLOAT] = "tag:yaml.org,2002:float",
                [INV_KIND_TIMESTAMP] = "tag:yaml.org,2002:timestamp",
                [INV_KIND_VAULT] = "!vault",
        };
        enum inv_kind kind = inv_value_kind(v);
        const char *s = inv_value_str(v);
        if (!inv_value_is_tagged(v) || kind >= ELEMENTSOF(tags) || !tags[kind])
                return emit_str(e, s, inv_value_is_plain(v));
        yaml_event_t ev;
        return emit(e, &ev,
                    yaml_scalar_event_initialize(&ev, NULL, (yaml_char_t *)tags[kind],
                                                 (yaml_char_t *)s, (int)strlen(s), 0, 0,
                                                 YAML_DOUBLE_QUOTED_SCALAR_STYLE));
}

static int emit_map_start(yaml_emitter_t *e) {
        yaml_event_t ev;
        return emit(
                e, &ev,
                yaml_mapping_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static int emit_end(yaml_emitter_t *e, bool mapping) {
        yaml_event_t ev;
        return emit(e, &ev,
                    mapping ? yaml_mapping_end_event_initialize(&ev)
                            : yaml_sequence_end_event_initialize(&ev));
}

/* Aliases are already expanded (and bounded) in the tree: write it whole. */
static int emit_value(yaml_emitter_t *e, const struct inv_value *v) {
        yaml_event_t ev;
        int r;
        switch (inv_value_type(v)) {
        case INV_NULL:
                return emit_str(e, "~", true);
        case INV_SCALAR:
                return emit_scalar(e, v);
        case INV_SEQUENCE:
                r = emit(e, &ev,
                         yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
                                                              YAML_BLOCK_SEQUENCE_STYLE));
                for (size_t i = 0; r >= 0 && i < inv_value_len(v); i++)
                        r = emit_value(e, inv_value_item(v, i));
                return r < 0 ? r : emit_end(e, false);
        case INV_MAPPING:
                r = emit_map_start(e);
                for (size_t i = 0; r >= 0 && i < inv_value_len(v); i++) {
                        /* Keys that were quoted stay strings when read back. */
                        r = emit_str(e, inv_value_key(v, i), true);
                        if (r >= 0)
                                r = emit_value(e, inv_value_item(v, i));
                }
                return r < 0 ? r : emit_end(e, true);
        }
        return -EINVAL;
}

static bool allowed(const char *key, const char *const *allow) {
        /* Whatever the list says, a secret never leaves the front-end. */
        if (inv_key_is_secret(key))
                return false;
        for (; allow && *allow; allow++)
                if (fnmatch(*allow, key, 0) == 0)
                        return true;
        return false;
}

static int emit_document(yaml_emitter_t *e, const char *host, const struct inv_value *vars,
                         const char *const *allow) {
        yaml_event_t ev;
        int r = emit(e, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
        if (r >= 0)
                r = emit(e, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 0));
        if (r >= 0)
                r = emit_map_start(e);
        if (r >= 0)
                r = emit_str(e, "node", true);
        if (r >= 0)
                r = emit_map_start(e);
        if (r >= 0)
                r = emit_str(e, "hosts", true);
        if (r >= 0)
                r = emit_map_start(e);
        if (r >= 0)
                r = emit_str(e, host, true);
        if (r >= 0)
                r = emit_map_start(e);
        for (size_t i = 0; r >= 0 && i < inv_value_len(vars); i++) {
                const char *key = inv_value_key(vars, i);
                if (!allowed(key, allow))
                        continue;
                r = emit_str(e, key, true);
                if (r >= 0)
                        r = emit_value(e, inv_value_item(vars, i));
        }
        for (int i = 0; r >= 0 && i < 4; i++)
                r = emit_end(e, true);
        if (r >= 0)
                r = emit(e, &ev, yaml_document_end_event_initialize(&ev, 0));
        if (r >= 0)
                r = emit(e, &ev, yaml_stream_end_event_initialize(&ev));
        return r;
}

int inventory_render_host(const struct inventory *inv, const char *host, const char *const *allow,
                          char **ret_yaml) {
        _cleanup_(inv_value_unrefp) struct inv_value *vars = NULL;
        int r = inventory_host_vars(inv, host, &vars);
        if (r < 0)
                return r;

        struct out o = {0};
        yaml_emitter_t e;
        if (!yaml_emitter_initialize(&e))
                return -ENOMEM;
        yaml_emitter_set_output(&e, write_out, &o);
        yaml_emitter_set_unicode(&e, 1);
        yaml_emitter_set_width(&e, -1);
        r = emit_document(&e, host, vars, allow);
        yaml_emitter_delete(&e);
        if (r < 0 || !o.buf) {
                free(o.buf);
                return r < 0 ? r : -ENOMEM;
        }
        *ret_yaml = o.buf;
        return 0;
}
