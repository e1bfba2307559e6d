/* SPDX-License-Identifier: Apache-2.0 */
/* pci.conf is edited as text, not re-emitted from a YAML tree, so every
 * comment and every other key stays exactly as the operator wrote it. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error-message.h"
#include "fileio.h"
#include "macros.h"
#include "probe-conf.h"

#define KEY ":filter:"
#define WIDE "'*:*'"

struct line {
        const char *start;
        size_t len; /* without the newline */
};

/* Cuts text into lines (the last one may lack a newline). */
static int split_lines(const char *in, size_t len, struct line **ret, size_t *ret_n) {
        struct line *lines = NULL;
        size_t n = 0, cap = 0, pos = 0;

        while (pos < len) {
                const char *nl = memchr(in + pos, '\n', len - pos);
                size_t l = nl ? (size_t)(nl - (in + pos)) : len - pos;

                if (n == cap) {
                        cap = cap ? cap * 2 : 64;
                        struct line *nls = realloc(lines, cap * sizeof(*lines));
                        if (!nls) {
                                free(lines);
                                return -ENOMEM;
                        }
                        lines = nls;
                }
                lines[n++] = (struct line){in + pos, l};
                pos += l + 1;
        }
        *ret = lines;
        *ret_n = n;
        return 0;
}

static bool is_key_line(const struct line *l) {
        return l->len >= strlen(KEY) && memcmp(l->start, KEY, strlen(KEY)) == 0;
}

static bool is_blank_or_comment(const char *s, size_t len) {
        size_t i = 0;

        while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
                i++;
        return i == len || s[i] == '#';
}

/* Trims spaces and a trailing comment (a '#' after a space, outside quotes). */
static void trim_value(const char *s, size_t len, char *out, size_t size) {
        char quote = 0;
        size_t end = len, b = 0;

        for (size_t i = 0; i < len; i++) {
                if (quote) {
                        if (s[i] == quote)
                                quote = 0;
                } else if (s[i] == '\'' || s[i] == '"') {
                        quote = s[i];
                } else if (s[i] == '#' && (i == 0 || s[i - 1] == ' ' || s[i - 1] == '\t')) {
                        end = i;
                        break;
                }
        }
        while (b < end && (s[b] == ' ' || s[b] == '\t'))
                b++;
        while (end > b && (s[end - 1] == ' ' || s[end - 1] == '\t' || s[end - 1] == '\r'))
                end--;
        snprintf(out, size, "%.*s", (int)(end - b), s + b);
}

/* Whether one element (maybe quoted, maybe spaced) is *:*. */
static bool element_is_wide(const char *e, size_t len) {
        while (len > 0 && (*e == ' ' || *e == '\t')) {
                e++;
                len--;
        }
        while (len > 0 && (e[len - 1] == ' ' || e[len - 1] == '\t'))
                len--;
        if (len >= 2 && (e[0] == '\'' || e[0] == '"') && e[len - 1] == e[0]) {
                e++;
                len -= 2;
        }
        return len == 3 && memcmp(e, "*:*", 3) == 0;
}

/* A scalar value, possibly quoted, possibly a comma list. */
static bool scalar_has_wide(const char *v) {
        size_t len = strlen(v);
        char buf[1024];

        if (len >= 2 && (v[0] == '\'' || v[0] == '"') && v[len - 1] == v[0]) {
                snprintf(buf, sizeof(buf), "%.*s", (int)(len - 2), v + 1);
                v = buf;
        }
        for (const char *p = v;;) {
                const char *comma = strchr(p, ',');
                size_t l = comma ? (size_t)(comma - p) : strlen(p);

                if (element_is_wide(p, l))
                        return true;
                if (!comma)
                        return false;
                p = comma + 1;
        }
}

struct filter_span {
        bool found;
        size_t first, last; /* line indexes of the key line and its block items */
        bool wide;
};

static int find_filter(const struct line *lines, size_t n, struct filter_span *ret,
                       struct error_message *ret_error) {
        struct filter_span s = {};
        char v[1024];

        for (size_t i = 0; i < n; i++) {
                if (!is_key_line(&lines[i]))
                        continue;
                if (s.found) {
                        error_set(ret_error, "line %zu: a second :filter key", i + 1);
                        return -EINVAL;
                }
                s.found = true;
                s.first = s.last = i;
                trim_value(lines[i].start + strlen(KEY), lines[i].len - strlen(KEY), v, sizeof(v));
                if (v[0] == '[') {
                        size_t l = strlen(v);
                        if (v[l - 1] != ']') {
                                error_set(ret_error, "line %zu: :filter flow list spans lines",
                                          i + 1);
                                return -EINVAL;
                        }
                        v[l - 1] = '\0';
                        s.wide = scalar_has_wide(v + 1);
                } else if (v[0] == '\0') {
                        /* Block list: indented "- item" lines, comments and blanks between. */
                        size_t j = i + 1;
                        for (; j < n; j++) {
                                const char *t = lines[j].start;
                                size_t tl = lines[j].len, k = 0;

                                while (k < tl && (t[k] == ' ' || t[k] == '\t'))
                                        k++;
                                if (k < tl && t[k] == '-' &&
                                    (k == 0 || k + 1 == tl || t[k + 1] == ' ')) {
                                        trim_value(t + k + 1, tl - k - 1, v, sizeof(v));
                                        if (element_is_wide(v, strlen(v)))
                                                s.wide = true;
                                        s.last = j;
                                } else if (k > 0 && is_blank_or_comment(t, tl)) {
                                        continue;
                                } else {
                                        break;
                                }
                        }
                } else if (v[0] == '{' || v[0] == '|' || v[0] == '>' || v[0] == '&' ||
                           v[0] == '*' || v[0] == '!') {
                        if (!(v[0] == '*' && scalar_has_wide(v))) {
                                error_set(ret_error, "line %zu: :filter value form not supported",
                                          i + 1);
                                return -EINVAL;
                        }
                        s.wide = true;
                } else {
                        s.wide = scalar_has_wide(v);
                }
        }
        *ret = s;
        return 0;
}

bool probe_conf_is_wide(const char *in, size_t len) {
        _cleanup_free_ struct line *lines = NULL;
        struct filter_span s;
        size_t n;

        if (split_lines(in, len, &lines, &n) < 0 || find_filter(lines, n, &s, NULL) < 0)
                return false;
        return s.found && s.wide;
}

int probe_conf_widen(const char *in, size_t len, char **ret_out, bool *ret_changed,
                     struct error_message *ret_error) {
        _cleanup_free_ struct line *lines = NULL;
        struct filter_span s;
        char *out, *p;
        size_t n;
        int r;

        if (len > PROBE_CONF_MAX) {
                error_set(ret_error, "larger than %d bytes", PROBE_CONF_MAX);
                return -EINVAL;
        }
        /* A block zeroed by a crash: editing would cut the file at the NUL
         * and lose the operator's keys after it. */
        const char *nul = memchr(in, '\0', len);
        if (nul) {
                error_set(ret_error,
                          "contains a NUL byte (offset %zu): not edited; repair the file",
                          (size_t)(nul - in));
                return -EINVAL;
        }
        r = split_lines(in, len, &lines, &n);
        if (r < 0)
                return r;
        r = find_filter(lines, n, &s, ret_error);
        if (r < 0)
                return r;
        if (s.found && s.wide) {
                *ret_out = NULL;
                *ret_changed = false;
                return 0;
        }

        /* Each old line gains "# " and a note line plus the new key are added. */
        out = malloc(len + 3 * n + 256);
        if (!out)
                return -ENOMEM;
        p = out;
        for (size_t i = 0; i < n; i++) {
                if (s.found && i == s.first)
                        p += sprintf(p, "# onepci-registrar widened the probe (hosts and "
                                        "clusters narrow it with PCI_FILTER); it was:\n");
                if (s.found && i >= s.first && i <= s.last) {
                        if (!is_blank_or_comment(lines[i].start, lines[i].len))
                                p += sprintf(p, "# ");
                }
                memcpy(p, lines[i].start, lines[i].len);
                p += lines[i].len;
                *p++ = '\n';
                if (s.found && i == s.last)
                        p += sprintf(p, KEY " " WIDE "\n");
        }
        if (!s.found)
                p += sprintf(p, "\n# added by onepci-registrar (hosts and clusters narrow it "
                                "with PCI_FILTER)\n" KEY " " WIDE "\n");
        /* Keep a file that ended without a newline the same way. */
        if (len > 0 && in[len - 1] != '\n' && s.found && s.last + 1 < n)
                p--;
        *p = '\0';
        *ret_out = out;
        *ret_changed = true;
        return 0;
}

int probe_conf_widen_file(const char *path, bool *ret_changed, struct error_message *ret_error) {
        _cleanup_free_ char *data = NULL, *out = NULL;
        struct stat st;
        size_t len;
        bool changed;
        int r;

        if (stat(path, &st) < 0)
                return -errno;
        r = read_file_bounded(path, PROBE_CONF_MAX, &data, &len);
        if (r < 0)
                return r;
        r = probe_conf_widen(data, len, &out, &changed, ret_error);
        if (r < 0)
                return r;
        if (changed) {
                r = write_file_atomic(path, out, strlen(out), st.st_mode & 07777);
                if (r < 0)
                        return r;
                /* The probes are rsynced by oneadmin: keep the file theirs. */
                if (chown(path, st.st_uid, st.st_gid) < 0 && errno != EPERM)
                        return -errno;
        }
        *ret_changed = changed;
        return 0;
}

int probe_conf_widen_remotes(const char *remotes_dir, bool *ret_changed,
                             struct error_message *ret_error) {
        static const char *const files[] = {"kvm-probes.d/pci.conf", "qemu-probes.d/pci.conf"};
        bool any = false;

        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *path = path_join(remotes_dir, files[i]);
                bool changed = false;
                int r;

                if (!path)
                        return -ENOMEM;
                r = probe_conf_widen_file(path, &changed, ret_error);
                if (r == -ENOENT && i > 0)
                        continue;
                if (r < 0) {
                        if (r == -ENOENT)
                                error_set(ret_error, "%s: not found", path);
                        else if (r != -EINVAL)
                                error_set(ret_error, "%s: %s", path, strerror(-r));
                        else
                                error_prefix(ret_error, "%s", path);
                        return r;
                }
                any |= changed;
        }
        *ret_changed = any;
        return 0;
}
