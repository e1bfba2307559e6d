/* SPDX-License-Identifier: Apache-2.0 */
#include "name-format.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"

struct spec {
        char fill, align, sign;
        bool zero;
        long width, precision; /* -1 unset */
        char type;             /* 0 unset */
};

#include <stdarg.h>

_printf_(3, 4) static int whyf(char *why, size_t size, const char *fmt, ...) {
        if (why && size) {
                va_list ap;
                va_start(ap, fmt);
                vsnprintf(why, size, fmt, ap);
                va_end(ap);
        }
        return -EINVAL;
}

/* Python's format-spec mini-language, the parts a name can use. */
static int parse_spec(const char *s, size_t len, struct spec *sp, char *why, size_t wsize) {
        size_t i = 0;
        *sp = (struct spec){.fill = ' ', .width = -1, .precision = -1};
        if (len >= 2 && strchr("<>^=", s[1])) {
                sp->fill = s[0];
                sp->align = s[1];
                i = 2;
        } else if (len >= 1 && strchr("<>^=", s[0])) {
                sp->align = s[0];
                i = 1;
        }
        if (i < len && strchr("+- ", s[i]))
                sp->sign = s[i++];
        if (i < len && s[i] == '0') {
                sp->zero = true;
                i++;
        }
        if (i < len && isdigit((unsigned char)s[i])) {
                sp->width = 0;
                while (i < len && isdigit((unsigned char)s[i]) && sp->width < 1000)
                        sp->width = sp->width * 10 + (s[i++] - '0');
        }
        if (i < len && s[i] == '.') {
                i++;
                if (i >= len || !isdigit((unsigned char)s[i]))
                        return whyf(why, wsize, "%s", "a precision in a format spec needs digits");
                sp->precision = 0;
                while (i < len && isdigit((unsigned char)s[i]) && sp->precision < 1000)
                        sp->precision = sp->precision * 10 + (s[i++] - '0');
        }
        if (i < len && strchr("sdxXob", s[i]))
                sp->type = s[i++];
        if (i != len || sp->width >= 1000 || sp->precision >= 1000)
                return whyf(why, wsize, "invalid format spec \"%s\"", strndupa(s, len));
        return 0;
}

static int put(char *buf, size_t size, size_t *pos, char c) {
        if (*pos + 1 >= size)
                return -ENAMETOOLONG;
        buf[(*pos)++] = c;
        buf[*pos] = '\0';
        return 0;
}

static int pad_out(char *buf, size_t size, size_t *pos, const char *prefix, const char *body,
                   const struct spec *sp, char default_align) {
        size_t plen = strlen(prefix), blen = strlen(body), len = plen + blen;
        size_t width = sp->width > 0 ? (size_t)sp->width : 0;
        size_t padn = width > len ? width - len : 0;
        char align = sp->align ? sp->align : default_align;
        char fill = sp->fill;
        if (sp->zero && !sp->align) {
                fill = '0';
                align = default_align == '>' ? '=' : '<';
        }
        size_t left = align == '>' || align == '=' ? padn : align == '^' ? padn / 2 : 0;
        size_t right = padn - left;
        int r = 0;
        if (align == '=')
                for (size_t k = 0; k < plen && r == 0; k++)
                        r = put(buf, size, pos, prefix[k]);
        for (size_t k = 0; k < left && r == 0; k++)
                r = put(buf, size, pos, fill);
        if (align != '=')
                for (size_t k = 0; k < plen && r == 0; k++)
                        r = put(buf, size, pos, prefix[k]);
        for (size_t k = 0; k < blen && r == 0; k++)
                r = put(buf, size, pos, body[k]);
        for (size_t k = 0; k < right && r == 0; k++)
                r = put(buf, size, pos, fill);
        return r;
}

static int format_str(const char *v, const struct spec *sp, char *buf, size_t size, size_t *pos,
                      char *why, size_t wsize) {
        if (sp->type && sp->type != 's')
                return whyf(why, wsize, "unknown format code '%c' for a string", sp->type);
        if (sp->sign)
                return whyf(why, wsize, "a sign is not allowed in a string format spec%s", "");
        if (sp->align == '=')
                return whyf(why, wsize, "'=' alignment is not allowed in a string format spec%s", "");
        char body[256];
        snprintf(body, sizeof(body), "%.*s", sp->precision >= 0 ? (int)sp->precision : 255, v);
        return pad_out(buf, size, pos, "", body, sp, '<');
}

static int format_int(long v, const struct spec *sp, char *buf, size_t size, size_t *pos,
                      char *why, size_t wsize) {
        char body[80], prefix[2] = "";
        unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
        if (sp->type == 's')
                return whyf(why, wsize, "unknown format code 's' for an integer (the counter {3})%s", "");
        if (sp->precision >= 0)
                return whyf(why, wsize, "a precision is not allowed in an integer format spec%s", "");
        switch (sp->type) {
        case 'x': snprintf(body, sizeof(body), "%lx", u); break;
        case 'X': snprintf(body, sizeof(body), "%lX", u); break;
        case 'o': snprintf(body, sizeof(body), "%lo", u); break;
        case 'b': {
                size_t n = 0;
                do {
                        body[n++] = (char)('0' + (u & 1));
                        u >>= 1;
                } while (u && n < sizeof(body) - 1);
                for (size_t k = 0; k < n / 2; k++) {
                        char t = body[k];
                        body[k] = body[n - 1 - k];
                        body[n - 1 - k] = t;
                }
                body[n] = '\0';
                break;
        }
        default: snprintf(body, sizeof(body), "%lu", u); break;
        }
        if (v < 0)
                prefix[0] = '-';
        else if (sp->sign == '+' || sp->sign == ' ')
                prefix[0] = sp->sign;
        return pad_out(buf, size, pos, prefix, body, sp, '>');
}

/* Walks fmt; with a == NULL only checks. */
static int run(const char *fmt, const struct name_args *a, char *buf, size_t size, char *why,
               size_t wsize, unsigned *ret_fields) {
        size_t pos = 0;
        char dummy[2];
        unsigned fields = 0;
        int r;

        if (!buf) {
                buf = dummy;
                size = 0;
        } else if (size)
                buf[0] = '\0';
        for (const char *p = fmt; *p;) {
                if (*p == '}') {
                        if (p[1] != '}')
                                return whyf(why, wsize, "single '}' encountered in format string%s", "");
                        if (buf != dummy && (r = put(buf, size, &pos, '}')) < 0)
                                return r;
                        p += 2;
                        continue;
                }
                if (*p != '{') {
                        if (buf != dummy && (r = put(buf, size, &pos, *p)) < 0)
                                return r;
                        p++;
                        continue;
                }
                if (p[1] == '{') {
                        if (buf != dummy && (r = put(buf, size, &pos, '{')) < 0)
                                return r;
                        p += 2;
                        continue;
                }
                /* A field: {N}, {N[i]}, each with an optional :spec. */
                const char *q = p + 1;
                if (!isdigit((unsigned char)*q))
                        return whyf(why, wsize, "%s",
                                    *q == '}' ? "an automatic field {} is not supported: "
                                                "write {0[n]}, {1[n]}, {2}, {3} or {4}"
                                              : "a field must be {0[n]}, {1[n]}, {2}, {3} or {4}");
                int field = *q++ - '0';
                if (isdigit((unsigned char)*q) || field > 4)
                        return whyf(why, wsize, "%s", "there are only the fields 0 to 4");
                int index = -1;
                if (*q == '[') {
                        q++;
                        if (!isdigit((unsigned char)q[0]) || q[1] != ']')
                                return whyf(why, wsize, "%s", "an index must be [0] to [3]");
                        index = q[0] - '0';
                        q += 2;
                        if (index > 3)
                                return whyf(why, wsize, "%s", "an index must be [0] to [3] "
                                                              "(an address has 4 groups)");
                }
                if (*q == '{' || *q == '.')
                        return whyf(why, wsize, "unexpected '%c' in field name", *q);
                if (*q == '!')
                        return whyf(why, wsize, "%s", "conversions (!r, !s) are not supported");
                const char *spec = "";
                size_t spec_len = 0;
                if (*q == ':') {
                        spec = ++q;
                        while (*q && *q != '}' && *q != '{')
                                q++;
                        spec_len = (size_t)(q - spec);
                }
                if (*q != '}')
                        return whyf(why, wsize, "%s", *q ? "nested fields in a format spec are not supported"
                                                         : "expected '}' before end of string");
                if ((field == 0 || field == 1) && index < 0)
                        return whyf(why, wsize, "{%s} is a list: write {0[n]} or {1[n]}",
                                    field == 0 ? "0" : "1");
                if (field >= 2 && index >= 0)
                        return whyf(why, wsize, "{%d} has no index", field);
                struct spec sp;
                r = parse_spec(spec, spec_len, &sp, why, wsize);
                if (r < 0)
                        return r;
                fields |= 1u << field;
                if (field == 3 && (sp.type == 's' || sp.precision >= 0))
                        return format_int(0, &sp, NULL, 0, NULL, why, wsize);
                if (field != 3 && sp.type && sp.type != 's')
                        return whyf(why, wsize, "unknown format code '%c' for a string "
                                                "(only {3}, the counter, is a number)",
                                    sp.type);
                if (a) {
                        const char *v = NULL;
                        switch (field) {
                        case 0: v = a->a0[index]; break;
                        case 1:
                                if (!a->has_pf)
                                        return whyf(why, wsize, "%s", "{1[n]} names the PF's address, "
                                                                      "and this device is not a VF");
                                v = a->a1[index];
                                break;
                        case 2: v = a->a2 ? a->a2 : ""; break;
                        case 4:
                                if (!a->a4)
                                        return whyf(why, wsize, "%s", "{4} is the PF's name: this device is "
                                                                      "not a VF of a PF with a set_name");
                                v = a->a4;
                                break;
                        }
                        r = field == 3 ? format_int(a->a3, &sp, buf, size, &pos, why, wsize)
                                       : format_str(v ? v : "", &sp, buf, size, &pos, why, wsize);
                        if (r < 0) {
                                if (r == -ENAMETOOLONG)
                                        whyf(why, wsize, "%s", "the name is too long");
                                return r;
                        }
                }
                p = q + 1;
        }
        if (ret_fields)
                *ret_fields = fields;
        return 0;
}

int name_format_check(const char *fmt, char *why, size_t why_size) {
        return run(fmt, NULL, NULL, 0, why, why_size, NULL);
}

int name_format(const char *fmt, const struct name_args *a, char *buf, size_t size, char *why,
                size_t why_size) {
        return run(fmt, a, buf, size, why, why_size, NULL);
}

unsigned name_format_fields(const char *fmt) {
        unsigned f = 0;
        return run(fmt, NULL, NULL, 0, NULL, 0, &f) < 0 ? 0 : f;
}
