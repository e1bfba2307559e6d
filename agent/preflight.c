/* SPDX-License-Identifier: Apache-2.0 */
#include "preflight.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "driverctl.h"
#include "fileio.h"
#include "macros.h"

/* Does the running kernel know vfio-pci as a module or built in? */
static bool kernel_has_vfio_pci(const struct onepci_context *ctx) {
        struct utsname u;
        if (uname(&u) < 0)
                return false;
        static const char *const lists[] = { "modules.dep", "modules.builtin" };
        for (size_t i = 0; i < ELEMENTSOF(lists); i++) {
                _cleanup_free_ char *path = ctx_pathf(ctx, "lib/modules/%s/%s", u.release, lists[i]);
                _cleanup_free_ char *data = NULL;
                if (!path || read_file_bounded(path, 16 << 20, &data, NULL) < 0)
                        continue;
                if (strstr(data, "/vfio-pci.ko"))
                        return true;
        }
        return false;
}

int preflight_vfio_pci(const struct onepci_context *ctx, struct error_message *ret_error) {
        static const char *const present[] = { "sys/bus/pci/drivers/vfio-pci", "sys/module/vfio_pci" };
        for (size_t i = 0; i < ELEMENTSOF(present); i++) {
                _cleanup_free_ char *p = ctx_path(ctx, present[i]);
                if (p && path_exists(p))
                        return 0;
        }
        if (ctx->live && kernel_has_vfio_pci(ctx))
                return 0;
        error_set(ret_error,
                  "vfio-pci is not available: %s/sys/bus/pci/drivers/vfio-pci is missing and "
                  "the kernel has no vfio-pci module; install a kernel with CONFIG_VFIO_PCI",
                  ctx->live ? "" : ctx->root);
        return -ENODEV;
}

int preflight_driverctl(const struct onepci_context *ctx, char **ret_path,
                        struct error_message *ret_error) {
        int r = driverctl_locate(ctx, ret_path);
        if (r != -ENOENT)
                return r;
        if (!ctx->live && !ctx->driverctl) {
                /* Under a fixture root the system's driverctl would touch the real /sys. */
                error_set(ret_error, "--root %s is not /: name the driverctl stand-in for that "
                                     "root with --driverctl PATH", ctx->root);
                return -ENOENT;
        }
        if (ctx->no_install || ctx->driverctl) {
                error_set(ret_error, "driverctl is not installed%s; install the driverctl "
                                     "package (apt-get install driverctl / dnf install "
                                     "driverctl)",
                          ctx->driverctl ? " at the --driverctl path" : " and --no-install was given");
                return -ENOENT;
        }
        r = driverctl_install(ctx, ret_error);
        if (r < 0)
                return r;
        return driverctl_locate(ctx, ret_path);
}
