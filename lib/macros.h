/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Attribute and cleanup helpers shared by every onepci program.  Library
 * functions return 0 or a negative errno; out-parameters come last as ret_*. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define _cleanup_(f) __attribute__((cleanup(f)))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _nonnull_ __attribute__((nonnull))
#define _warn_unused_result_ __attribute__((warn_unused_result))
#define _unused_ __attribute__((unused))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))
#define STREQ(a, b) (strcmp((a), (b)) == 0)

/* Defines a cleanup function that calls func on a non-NULL *p. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)                                \
        static inline void func##p(type *p) {                                  \
                if (*p)                                                        \
                        func(*p);                                              \
        }

static inline void freep(void *p) {
        free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd) {
        if (*fd >= 0) {
                int saved = errno;
                close(*fd);
                errno = saved;
        }
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f) {
        if (*f)
                fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Frees a NULL-terminated array of strings and the array itself. */
static inline void strv_free(char **v) {
        if (!v)
                return;
        for (char **i = v; *i; i++)
                free(*i);
        free(v);
}
DEFINE_TRIVIAL_CLEANUP_FUNC(char **, strv_free)
#define _cleanup_strv_free_ _cleanup_(strv_freep)

/* Hands ownership of *p to the caller and leaves NULL behind. */
#define TAKE_PTR(p)                                                            \
        ({                                                                     \
                __typeof__(p) _tp = (p);                                       \
                (p) = NULL;                                                    \
                _tp;                                                           \
        })

#define TAKE_FD(fd)                                                            \
        ({                                                                     \
                int _tfd = (fd);                                               \
                (fd) = -1;                                                     \
                _tfd;                                                          \
        })

/* Cleanups for a library's types live in lib/cleanup-<library>.h, which
 * includes that library's header itself: this file includes none. */
