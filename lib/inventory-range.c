/* SPDX-License-Identifier: Apache-2.0 */
#include "inventory-range.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"

/* Python's string.ascii_letters. */
static const char letters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";

void host_pattern_done(struct host_pattern *p) {
        for (size_t i = 0; i < p->n; i++)
                free(p->names[i]);
        free(p->names);
        *p = (struct host_pattern){0};
}

static int push_name(struct host_pattern *p, char *name, size_t max_hosts,
                     const char **ret_problem) {
        if (p->n >= max_hosts) {
                free(name);
                *ret_problem = "the ranges expand to too many hosts";
                return -E2BIG;
        }
        if ((p->n & (p->n - 1)) == 0) { /* 0, 1, 2, 4, ...: grow to the next power of two */
                char **v = realloc(p->names, (p->n ? p->n * 2 : 1) * sizeof(*v));
                if (!v) {
                        free(name);
                        return -ENOMEM;
                }
                p->names = v;
        }
        p->names[p->n++] = name;
        return 0;
}

/* --- ports: parse_address() --- */

/* \[(?:[a-z]:[a-z]|[0-9]+:[0-9]+)(?::[0-9]+)?\] at s; its length or 0. */
static size_t alnum_range_len(const char *s) {
        const char *p = s;
        if (*p++ != '[')
                return 0;
        if (isalpha((unsigned char)p[0]) && p[1] == ':' && isalpha((unsigned char)p[2]))
                p += 3;
        else {
                size_t a = strspn(p, "0123456789");
                if (a == 0 || p[a] != ':')
                        return 0;
                size_t b = strspn(p + a + 1, "0123456789");
                if (b == 0)
                        return 0;
                p += a + 1 + b;
        }
        if (*p == ':') {
                size_t c = strspn(p + 1, "0123456789");
                if (c == 0)
                        return 0;
                p += 1 + c;
        }
        return *p == ']' ? (size_t)(p + 1 - s) : 0;
}

/* \w in Python's Unicode sense, approximated: ASCII letters, digits, '_'
 * and any non-ASCII byte. */
static bool is_word(unsigned char c) {
        return isalnum(c) || c == '_' || c >= 0x80;
}

/* Ansible's 'hostname' pattern: labels of \w, '-' and ranges, not starting
 * with '-' and not ending in '-' or '_', joined by dots. */
static bool is_hostname(const char *s, const char *end) {
        bool label_start = true;
        char last = 0;
        while (s < end) {
                size_t r = alnum_range_len(s);
                if (r > 0 && s + r <= end) {
                        s += r;
                        last = ']';
                        label_start = false;
                        continue;
                }
                unsigned char c = (unsigned char)*s;
                if (c == '.') {
                        if (label_start || last == '-' || last == '_')
                                return false;
                        label_start = true;
                } else if (is_word(c) || (c == '-' && !label_start)) {
                        label_start = false;
                } else
                        return false;
                last = (char)c;
                s++;
        }
        return !label_start && last != '-' && last != '_';
}

/* Loose IPv6 (with ranges inside, as Ansible allows): hex digits, ':', '.',
 * ranges, at least two colons. */
static bool is_ipv6ish(const char *s, const char *end) {
        size_t colons = 0;
        for (; s < end; s++) {
                if (*s == ':')
                        colons++;
                else if (*s == '[' || *s == ']' || *s == '.' || isxdigit((unsigned char)*s))
                        continue;
                else
                        return false;
        }
        return colons >= 2;
}

/* Splits "HOST:PORT" and "[HOST]:PORT" as parse_address() does; *ret_len is
 * the host part's length.  When the rest is no valid address, Ansible keeps
 * the whole pattern as the name and no port. */
static void split_port(const char *pattern, size_t *ret_start, size_t *ret_len,
                       unsigned *ret_port) {
        size_t start = 0, len = strlen(pattern);
        unsigned port = 0;
        bool have_port = false;

        *ret_start = 0;
        *ret_len = len;
        *ret_port = 0;
        /* bracketed_hostport: ^\[(.+)\]:([0-9]+)$ */
        const char *colon = strrchr(pattern, ':');
        if (pattern[0] == '[' && colon && colon > pattern + 2 && colon[-1] == ']' && colon[1] &&
            strspn(colon + 1, "0123456789") == strlen(colon + 1)) {
                start = 1;
                len = (size_t)(colon - 1 - pattern - 1);
                port = (unsigned)strtoul(colon + 1, NULL, 10);
                have_port = true;
        }
        /* hostport: ^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$ on what is left */
        const char *s = pattern + start, *end = s + len, *p = s;
        while (p < end) {
                if (*p == '[') {
                        const char *close = memchr(p, ']', (size_t)(end - p));
                        if (!close)
                                break;
                        p = close + 1;
                } else if (*p == ':' || *p == ']')
                        break;
                else
                        p++;
        }
        if (p < end && *p == ':' && p + 1 < end &&
            strspn(p + 1, "0123456789") >= (size_t)(end - p - 1)) {
                unsigned long v = strtoul(p + 1, NULL, 10);
                port = v > UINT_MAX ? UINT_MAX : (unsigned)v;
                have_port = true;
                len = (size_t)(p - s);
                end = p;
        }
        if (!have_port)
                return;
        /* What is left must be an address or a name, else nothing is split. */
        if (!is_hostname(s, end) && !is_ipv6ish(s, end))
                return;
        *ret_start = start;
        *ret_len = len;
        *ret_port = port; /* Ansible ignores a port of 0 ("if port:") */
}

/* --- ranges: expand_hostname_range() --- */

/* Python's int() on what an inventory holds: optional sign, digits. */
static int parse_py_int(const char *s, long *ret) {
        char *end;
        if (!s[0] || strspn(s + (s[0] == '-' || s[0] == '+'), "0123456789") !=
                             strlen(s + (s[0] == '-' || s[0] == '+')) ||
            !s[(s[0] == '-' || s[0] == '+')])
                return -EINVAL;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno || *end || v > 1000000000000L || v < -1000000000000L)
                return -EINVAL;
        *ret = v;
        return 0;
}

static int expand(const char *line, unsigned depth, size_t max_hosts, struct host_pattern *out,
                  const char **ret_problem);

static int emit(const char *head, size_t head_len, const char *mid, const char *tail,
                unsigned depth, size_t max_hosts, struct host_pattern *out,
                const char **ret_problem) {
        char *name;
        if (asprintf(&name, "%.*s%s%s", (int)head_len, head, mid, tail) < 0)
                return -ENOMEM;
        if (!strchr(name, '['))
                return push_name(out, name, max_hosts, ret_problem);
        int r = expand(name, depth + 1, max_hosts, out, ret_problem);
        free(name);
        return r;
}

static int expand(const char *line, unsigned depth, size_t max_hosts, struct host_pattern *out,
                  const char **ret_problem) {
        if (depth >= 16) {
                *ret_problem = "too many ranges in one name";
                return -EINVAL;
        }
        /* line.replace('[', '|', 1).replace(']', '|', 1).split('|') must give 3 parts. */
        const char *open = strchr(line, '['), *close = strchr(line, ']');
        if (strchr(line, '|') || !open || !close || close < open) {
                *ret_problem = "a range is written [START:END] or [START:END:STEP]";
                return -EINVAL;
        }
        char inner[64];
        size_t len = (size_t)(close - open - 1);
        if (len >= sizeof(inner)) {
                *ret_problem = "a range is too long";
                return -EINVAL;
        }
        memcpy(inner, open + 1, len);
        inner[len] = '\0';
        char *bounds[3] = {inner, NULL, NULL};
        size_t n_bounds = 1;
        for (char *p = inner; (p = strchr(p, ':')); p++) {
                if (n_bounds == 3) {
                        n_bounds = 4;
                        break;
                }
                *p = '\0';
                bounds[n_bounds++] = p + 1;
        }
        if (n_bounds != 2 && n_bounds != 3) {
                *ret_problem = "host range must be begin:end or begin:end:step";
                return -EINVAL;
        }
        const char *beg = bounds[0][0] ? bounds[0] : "0", *end = bounds[1];
        if (!end[0]) {
                *ret_problem = "host range must specify end value";
                return -EINVAL;
        }
        long step = 1;
        if (n_bounds == 3 && (parse_py_int(bounds[2], &step) < 0 || step == 0)) {
                *ret_problem = "the step of a range must be a non-zero number";
                return -EINVAL;
        }
        int width = 0;
        if (beg[0] == '0' && beg[1]) {
                width = (int)strlen(beg);
                if (strlen(end) != (size_t)width) {
                        *ret_problem = "host range must specify equal-length begin and end formats";
                        return -EINVAL;
                }
        }
        const char *head = line, *tail = close + 1;
        size_t head_len = (size_t)(open - line);
        char mid[64];
        int r;

        /* string.ascii_letters.index(): a substring, so "[a:c]", also "[ab:c]". */
        const char *lb = strstr(letters, beg), *le = strstr(letters, end);
        if (lb && le) {
                long i_beg = lb - letters, i_end = le - letters;
                if (i_beg > i_end) {
                        *ret_problem = "host range must have begin <= end";
                        return -EINVAL;
                }
                /* letters[i_beg:i_end + 1:step]: empty for a negative step */
                for (long i = i_beg; step > 0 && i <= i_end; i += step) {
                        snprintf(mid, sizeof(mid), "%c", letters[i]);
                        r = emit(head, head_len, mid, tail, depth, max_hosts, out, ret_problem);
                        if (r < 0)
                                return r;
                }
                return 0;
        }
        long b, e;
        if (parse_py_int(beg, &b) < 0 || parse_py_int(end, &e) < 0) {
                *ret_problem = "range bounds must be numbers or letters";
                return -EINVAL;
        }
        /* range(b, e + 1, step): a reversed range gives no host at all */
        for (long v = b; step > 0 ? v < e + 1 : v > e + 1; v += step) {
                /* str(v).zfill(width): the width counts the sign, as printf's */
                snprintf(mid, sizeof(mid), "%0*ld", width, v);
                r = emit(head, head_len, mid, tail, depth, max_hosts, out, ret_problem);
                if (r < 0)
                        return r;
        }
        return 0;
}

int host_pattern_expand(const char *pattern, size_t max_hosts, struct host_pattern *ret,
                        const char **ret_problem) {
        struct host_pattern p = {0};
        size_t start, len;
        int r;

        split_port(pattern, &start, &len, &p.port);
        char *host = strndup(pattern + start, len);
        if (!host)
                return -ENOMEM;
        if (!host[0]) {
                free(host);
                *ret_problem = "empty host name";
                return -EINVAL;
        }
        if (!strchr(host, '['))
                r = push_name(&p, host, max_hosts, ret_problem);
        else {
                r = expand(host, 0, max_hosts, &p, ret_problem);
                free(host);
        }
        if (r < 0) {
                host_pattern_done(&p);
                return r;
        }
        *ret = p;
        return 0;
}
