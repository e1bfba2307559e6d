/* SPDX-License-Identifier: Apache-2.0 */
#include "context.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macros.h"

int onepci_context_new(const char *root, struct onepci_context **ret) {
        struct onepci_context *ctx = calloc(1, sizeof(*ctx));
        if (!ctx)
                return -ENOMEM;

        char resolved[PATH_MAX];
        if (!realpath(root ? root : "/", resolved)) {
                int r = -errno;
                free(ctx);
                return r;
        }
        ctx->root = strdup(resolved);
        if (!ctx->root) {
                free(ctx);
                return -ENOMEM;
        }
        ctx->live = STREQ(resolved, "/");
        *ret = ctx;
        return 0;
}

void onepci_context_free(struct onepci_context *ctx) {
        if (!ctx)
                return;
        free(ctx->root);
        free(ctx->driverctl);
        free(ctx->devlink);
        free(ctx);
}

char *ctx_path(const struct onepci_context *ctx, const char *rel) {
        return path_join(ctx->root, rel);
}

char *ctx_pathf(const struct onepci_context *ctx, const char *fmt, ...) {
        _cleanup_free_ char *rel = NULL;
        va_list ap;
        va_start(ap, fmt);
        int n = vasprintf(&rel, fmt, ap);
        va_end(ap);
        if (n < 0)
                return NULL;
        return path_join(ctx->root, rel);
}
