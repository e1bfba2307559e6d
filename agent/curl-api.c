/* SPDX-License-Identifier: Apache-2.0 */
#include "curl-api.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "macros.h"

/* The soname Debian's libcurl4 and RHEL's libcurl install, whichever TLS
 * library they were built with. */
#define LIBCURL_SONAME "libcurl.so.4"

/* The agent is single-threaded; a process-wide handle is what a dynamic
 * loader keeps anyway. */
static struct curl_api api;
static bool loaded;

int curl_api_get(const struct curl_api **ret, struct error_message *ret_error) {
        if (loaded) {
                *ret = &api;
                return 0;
        }
        void *dl = dlopen(LIBCURL_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!dl) {
                error_set(ret_error, "cannot load %s: %s", LIBCURL_SONAME, dlerror());
                return -ELIBACC;
        }
        /* Filled by offset: dlsym returns void *, which POSIX guarantees to
         * hold a function pointer of the same size. */
        static const struct {
                const char *name;
                size_t offset;
        } symbols[] = {
#define SYM(field, name) { name, offsetof(struct curl_api, field) }
                SYM(global_init, "curl_global_init"),
                SYM(global_cleanup, "curl_global_cleanup"),
                SYM(easy_init, "curl_easy_init"),
                SYM(easy_setopt, "curl_easy_setopt"),
                SYM(easy_perform, "curl_easy_perform"),
                SYM(easy_getinfo, "curl_easy_getinfo"),
                SYM(easy_cleanup, "curl_easy_cleanup"),
                SYM(easy_strerror, "curl_easy_strerror"),
                SYM(slist_append, "curl_slist_append"),
                SYM(slist_free_all, "curl_slist_free_all"),
                SYM(getdate, "curl_getdate"),
#undef SYM
        };
        struct curl_api a;
        for (size_t i = 0; i < ELEMENTSOF(symbols); i++) {
                void *p = dlsym(dl, symbols[i].name);
                if (!p) {
                        error_set(ret_error, "%s has no %s: %s", LIBCURL_SONAME,
                                  symbols[i].name, dlerror());
                        dlclose(dl);
                        return -ELIBACC;
                }
                memcpy((char *)&a + symbols[i].offset, &p, sizeof(p));
        }
        api = a;
        loaded = true;
        *ret = &api;
        return 0;
}
