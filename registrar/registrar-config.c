/* SPDX-License-Identifier: Apache-2.0 */
/* Settings: every command-line flag has a key of the same name in the file,
 * so the file is read line by line as a flat YAML mapping and each error
 * names its line. */

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "error-message.h"
#include "fileio.h"
#include "macros.h"
#include "registrar-config.h"

#define CONFIG_MAX (64 * 1024)

int config_init(struct registrar_config *c) {
        *c = (struct registrar_config){
                .listen = strdup("0.0.0.0:8474"),
                .secret_file = strdup(REGISTRAR_DEFAULT_SECRET),
                .remotes_dir = strdup("/var/lib/one/remotes/etc/im"),
                .sync_command = strdup("onehost sync --force"),
                .im_mad = strdup("kvm"),
                .vm_mad = strdup("kvm"),
                .cluster_id = -1,
                .filter_mode = FILTER_MODE_AUTO,
                .protect_clusters = true,
                .forceupdate_pause_ms = 500,
                .sync_timeout_s = 300,
                .oned_timeout_ms = 30000,
                .oned_max_concurrent = 8,
                .threads = 16,
                .max_connections = 1024,
                .max_connections_per_ip = 64,
                .connection_timeout_s = 30,
                .auth_window_s = 300,
                .retry_after_s = 10,
                .version_cache_s = 60,
                .health_interval_s = 5,
        };
        if (!c->listen || !c->secret_file || !c->remotes_dir || !c->sync_command || !c->im_mad ||
            !c->vm_mad) {
                config_done(c);
                return -ENOMEM;
        }
        return 0;
}

void config_done(struct registrar_config *c) {
        free(c->listen);
        free(c->secret_file);
        free(c->remotes_dir);
        free(c->sync_command);
        free(c->tls_cert);
        free(c->tls_key);
        free(c->inventory);
        free(c->im_mad);
        free(c->vm_mad);
        memset(c, 0, sizeof(*c));
}

static int parse_uint(const char *v, unsigned min, unsigned max, unsigned *ret) {
        char *end = NULL;
        unsigned long n;

        if (!v || v[0] < '0' || v[0] > '9')
                return -EINVAL;
        errno = 0;
        n = strtoul(v, &end, 10);
        if (errno != 0 || *end != '\0' || n < min || n > max)
                return -EINVAL;
        *ret = (unsigned)n;
        return 0;
}

static int parse_bool(const char *v, bool *ret) {
        static const char *const yes[] = {"yes", "true", "on", "1"};
        static const char *const no[] = {"no", "false", "off", "0"};

        for (size_t i = 0; i < ELEMENTSOF(yes); i++) {
                if (strcasecmp(v, yes[i]) == 0) {
                        *ret = true;
                        return 0;
                }
                if (strcasecmp(v, no[i]) == 0) {
                        *ret = false;
                        return 0;
                }
        }
        return -EINVAL;
}

static int set_str(char **field, const char *v) {
        char *s = strdup(v);

        if (!s)
                return -ENOMEM;
        free(*field);
        *field = s;
        return 0;
}

int config_split_listen(const char *listen, char **ret_host, unsigned *ret_port) {
        const char *colon;
        char *host;
        size_t hl;

        if (!listen)
                return -EINVAL;
        if (listen[0] == '[') {
                const char *close = strchr(listen, ']');
                if (!close || close[1] != ':')
                        return -EINVAL;
                colon = close + 1;
                host = strndup(listen + 1, (size_t)(close - listen - 1));
        } else {
                colon = strrchr(listen, ':');
                if (!colon || memchr(listen, ':', (size_t)(colon - listen)))
                        return -EINVAL;
                host = strndup(listen, (size_t)(colon - listen));
        }
        if (!host)
                return -ENOMEM;
        hl = strlen(host);
        if (hl == 0 || parse_uint(colon + 1, 1, 65535, ret_port) < 0) {
                free(host);
                return -EINVAL;
        }
        *ret_host = host;
        return 0;
}

/* Key names are compared with '_' and '-' alike. */
static bool key_is(const char *key, const char *name) {
        for (; *key && *name; key++, name++)
                if (!(*key == *name || (*key == '_' && *name == '-')))
                        return false;
        return *key == *name;
}

int config_set(struct registrar_config *c, const char *key, const char *value,
               struct error_message *ret_error) {
        static const struct {
                const char *name;
                size_t offset;
                unsigned min, max;
        } uints[] = {
                {"forceupdate-pause-ms", offsetof(struct registrar_config, forceupdate_pause_ms), 0,
                 60000},
                {"sync-timeout", offsetof(struct registrar_config, sync_timeout_s), 1, 3600},
                {"oned-timeout-ms", offsetof(struct registrar_config, oned_timeout_ms), 100,
                 600000},
                {"oned-max-concurrent", offsetof(struct registrar_config, oned_max_concurrent), 1,
                 256},
                {"threads", offsetof(struct registrar_config, threads), 1, 256},
                {"max-connections", offsetof(struct registrar_config, max_connections), 1, 65536},
                {"max-connections-per-ip",
                 offsetof(struct registrar_config, max_connections_per_ip), 0, 65536},
                {"connection-timeout", offsetof(struct registrar_config, connection_timeout_s), 1,
                 3600},
                {"auth-window", offsetof(struct registrar_config, auth_window_s), 1, 86400},
                {"retry-after", offsetof(struct registrar_config, retry_after_s), 1, 3600},
                {"version-cache", offsetof(struct registrar_config, version_cache_s), 0, 86400},
                {"health-interval", offsetof(struct registrar_config, health_interval_s), 1, 3600},
        };
        static const struct {
                const char *name;
                size_t offset;
        } strs[] = {
                {"secret-file", offsetof(struct registrar_config, secret_file)},
                {"remotes-dir", offsetof(struct registrar_config, remotes_dir)},
                {"sync-command", offsetof(struct registrar_config, sync_command)},
                {"tls-cert", offsetof(struct registrar_config, tls_cert)},
                {"tls-key", offsetof(struct registrar_config, tls_key)},
                {"im-mad", offsetof(struct registrar_config, im_mad)},
                {"vm-mad", offsetof(struct registrar_config, vm_mad)},
        };
        unsigned u;

        if (!value) {
                error_set(ret_error, "%s: needs a value", key);
                return -EINVAL;
        }
        for (size_t i = 0; i < ELEMENTSOF(uints); i++) {
                if (!key_is(key, uints[i].name))
                        continue;
                if (parse_uint(value, uints[i].min, uints[i].max, &u) < 0) {
                        error_set(ret_error, "%s: \"%s\" is not a number in %u..%u", uints[i].name,
                                  value, uints[i].min, uints[i].max);
                        return -EINVAL;
                }
                *(unsigned *)((char *)c + uints[i].offset) = u;
                return 0;
        }
        for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
                if (!key_is(key, strs[i].name))
                        continue;
                if (!*value) {
                        error_set(ret_error, "%s: empty", strs[i].name);
                        return -EINVAL;
                }
                return set_str((char **)((char *)c + strs[i].offset), value);
        }
        if (key_is(key, "listen")) {
                _cleanup_free_ char *host = NULL;
                unsigned port;

                if (config_split_listen(value, &host, &port) < 0) {
                        error_set(ret_error, "listen: \"%s\" is not ADDRESS:PORT", value);
                        return -EINVAL;
                }
                return set_str(&c->listen, value);
        }
        if (key_is(key, "inventory")) {
                c->inventory_set = true;
                return set_str(&c->inventory, value);
        }
        if (key_is(key, "filter-mode")) {
                if (filter_mode_from_string(value, &c->filter_mode) < 0) {
                        error_set(ret_error, "filter-mode: \"%s\" is not auto, ids or addresses",
                                  value);
                        return -EINVAL;
                }
                return 0;
        }
        if (key_is(key, "protect-clusters") || key_is(key, "create-hosts")) {
                bool b;

                if (parse_bool(value, &b) < 0) {
                        error_set(ret_error, "%s: \"%s\" is not yes or no", key, value);
                        return -EINVAL;
                }
                if (key_is(key, "create-hosts"))
                        c->create_hosts = b;
                else
                        c->protect_clusters = b;
                return 0;
        }
        if (key_is(key, "cluster-id")) {
                char *end = NULL;
                long n;

                errno = 0;
                n = strtol(value, &end, 10);
                if (errno != 0 || end == value || *end != '\0' || n < -1 || n > INT_MAX) {
                        error_set(ret_error, "cluster-id: \"%s\" is not -1 or a cluster id", value);
                        return -EINVAL;
                }
                c->cluster_id = (int)n;
                return 0;
        }
        error_set(ret_error, "unknown key \"%s\"", key);
        return -ENOENT;
}

int config_keep_fixed(struct registrar_config *fresh, const struct registrar_config *running,
                      char **ret_changed) {
        static const struct {
                const char *name;
                size_t offset;
        } strs[] =
                {
                        {"listen", offsetof(struct registrar_config, listen)},
                        {"tls-cert", offsetof(struct registrar_config, tls_cert)},
                        {"tls-key", offsetof(struct registrar_config, tls_key)},
                        {"remotes-dir", offsetof(struct registrar_config, remotes_dir)},
                        {"sync-command", offsetof(struct registrar_config, sync_command)},
                },
          uints[] = {
                  {"threads", offsetof(struct registrar_config, threads)},
                  {"max-connections", offsetof(struct registrar_config, max_connections)},
                  {"max-connections-per-ip",
                   offsetof(struct registrar_config, max_connections_per_ip)},
                  {"connection-timeout", offsetof(struct registrar_config, connection_timeout_s)},
                  {"sync-timeout", offsetof(struct registrar_config, sync_timeout_s)},
                  {"oned-timeout-ms", offsetof(struct registrar_config, oned_timeout_ms)},
                  {"oned-max-concurrent", offsetof(struct registrar_config, oned_max_concurrent)},
                  {"auth-window", offsetof(struct registrar_config, auth_window_s)},
                  {"health-interval", offsetof(struct registrar_config, health_interval_s)},
          };
        char *changed = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&changed, &size);

        if (!f)
                return -ENOMEM;
        for (size_t i = 0; i < ELEMENTSOF(strs); i++) {
                char **to = (char **)((char *)fresh + strs[i].offset);
                char *const *from = (char *const *)((const char *)running + strs[i].offset);

                if (*to == *from || (*to && *from && STREQ(*to, *from)))
                        continue;
                fprintf(f, "%s%s", ftell(f) > 0 ? ", " : "", strs[i].name);
                free(*to);
                *to = *from ? strdup(*from) : NULL;
                if (*from && !*to) {
                        fclose(f);
                        free(changed);
                        return -ENOMEM;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(uints); i++) {
                unsigned *to = (unsigned *)((char *)fresh + uints[i].offset);
                const unsigned *from = (const unsigned *)((const char *)running + uints[i].offset);

                if (*to == *from)
                        continue;
                fprintf(f, "%s%s", ftell(f) > 0 ? ", " : "", uints[i].name);
                *to = *from;
        }
        if (fclose(f) != 0) {
                free(changed);
                return -ENOMEM;
        }
        *ret_changed = changed;
        return 0;
}

/* Strips quotes around a YAML scalar; refuses what this flat reader cannot
 * read faithfully (flow collections, anchors, block scalars). */
static int unquote(char *v, char **ret) {
        size_t len = strlen(v);

        if (len >= 2 && (v[0] == '"' || v[0] == '\'') && v[len - 1] == v[0]) {
                v[len - 1] = '\0';
                v++;
                if (strchr(v, v[-1]) || (v[-1] == '"' && strchr(v, '\\')))
                        return -EINVAL;
        } else if (len > 0 && strchr("\"'[]{}&*!|>%@`", v[0])) {
                return -EINVAL;
        }
        *ret = v;
        return 0;
}

int config_parse_buffer(struct registrar_config *c, const char *data, size_t len,
                        const char *filename, struct error_message *ret_error) {
        _cleanup_free_ char *copy = strndup(data, len);
        unsigned lineno = 0;

        if (!copy)
                return -ENOMEM;
        if (strlen(copy) != len) {
                error_set(ret_error, "%s: contains a NUL byte", filename);
                return -EINVAL;
        }
        for (char *line = copy, *next; line; line = next) {
                struct error_message inner = {};
                char *key, *value, *colon;
                size_t l;

                lineno++;
                /* Cut the line off first: everything below edits it in place. */
                next = strchr(line, '\n');
                if (next)
                        *next++ = '\0';

                /* comment: '#' at the start or after a space */
                for (char *h = line; *h; h++)
                        if (*h == '#' && (h == line || h[-1] == ' ' || h[-1] == '\t')) {
                                *h = '\0';
                                break;
                        }
                l = strlen(line);
                while (l > 0 && strchr(" \t\r", line[l - 1]))
                        line[--l] = '\0';
                key = line + strspn(line, " \t");
                if (*key == '\0' || STREQ(key, "---") || STREQ(key, "..."))
                        continue;
                if (key != line) {
                        error_set_at(ret_error, filename, lineno, 1, NULL,
                                     "indented line (the file is a flat mapping)");
                        return -EINVAL;
                }
                colon = strstr(key, ": ");
                if (!colon && l > 0 && key[l - 1] == ':')
                        colon = key + l - 1;
                if (!colon) {
                        error_set_at(ret_error, filename, lineno, 1, key, "not \"key: value\"");
                        return -EINVAL;
                }
                *colon = '\0';
                value = colon + 1 + strspn(colon + 1, " \t");
                if (unquote(value, &value) < 0) {
                        error_set_at(ret_error, filename, lineno, (unsigned)(value - line) + 1,
                                     value, "%s: unsupported value form", key);
                        return -EINVAL;
                }
                if (config_set(c, key, value, &inner) < 0) {
                        error_set_at(ret_error, filename, lineno, 1, value, "%s", inner.text);
                        return -EINVAL;
                }
        }
        return 0;
}

int config_load_file(struct registrar_config *c, const char *path, bool must_exist,
                     struct error_message *ret_error) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r;

        r = read_file_bounded(path, CONFIG_MAX, &data, &len);
        if (r == -ENOENT && !must_exist)
                return 0;
        if (r < 0) {
                error_set(ret_error, "%s: %s", path, strerror(-r));
                return r;
        }
        return config_parse_buffer(c, data, len, path, ret_error);
}
