/* SPDX-License-Identifier: Apache-2.0 */
#include "driverctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "run-program.h"

#define INSTALL_TIMEOUT_MS (10 * 60 * 1000)

int driverctl_locate(const struct onepci_context *ctx, char **ret_path) {
        if (ctx->driverctl) {
                int r = program_check_executable(ctx->driverctl);
                if (r < 0)
                        return r == -EACCES ? -EACCES : -ENOENT;
                char *p = strdup(ctx->driverctl);
                if (!p)
                        return -ENOMEM;
                *ret_path = p;
                return 0;
        }
        /* The system's driverctl works on the real /sys: never pair it with
         * a fixture root. */
        if (!ctx->live)
                return -ENOENT;
        return program_find("driverctl", ret_path);
}

int driverctl_set_override(const char *program, const char *address, const char *driver,
                           int timeout_ms, char **ret_stderr) {
        const char *args[] = { "set-override", address, driver, NULL };
        return run_program(program, args, NULL, timeout_ms, ret_stderr);
}

int driverctl_unset_override(const char *program, const char *address, int timeout_ms,
                             char **ret_stderr) {
        const char *args[] = { "unset-override", address, NULL };
        return run_program(program, args, NULL, timeout_ms, ret_stderr);
}

struct package_manager {
        const char *program;
        const char *const *install_args; /* after the program name */
        const char *const *refresh_args; /* run once when install fails; NULL: none */
        const char *env;                 /* extra environment entry; NULL: none */
};

static const char *const apt_install[] = { "install", "-y", "-q", "--no-install-recommends",
                                           "driverctl", NULL };
static const char *const apt_refresh[] = { "update", "-q", NULL };
static const char *const dnf_install[] = { "install", "-y", "-q", "driverctl", NULL };
static const char *const zypper_install[] = { "--non-interactive", "install", "driverctl",
                                              NULL };

static const struct package_manager package_managers[] = {
        { "apt-get", apt_install, apt_refresh, "DEBIAN_FRONTEND=noninteractive" },
        { "dnf", dnf_install, NULL, NULL },
        { "zypper", zypper_install, NULL, NULL },
};

int driverctl_install(const struct onepci_context *ctx, struct error_message *ret_error) {
        int r;

        if (!ctx->live) {
                error_set(ret_error, "driverctl is missing; not installing packages under --root %s"
                                     " (pass --driverctl PATH)", ctx->root);
                return -EPERM;
        }
        if (ctx->no_install) {
                error_set(ret_error, "driverctl is missing and --no-install was given: install the "
                                     "package \"driverctl\" by hand");
                return -EPERM;
        }

        for (size_t i = 0; i < ELEMENTSOF(package_managers); i++) {
                const struct package_manager *pm = &package_managers[i];
                _cleanup_free_ char *path = NULL;
                if (program_find(pm->program, &path) < 0)
                        continue;

                _cleanup_free_ char *err = NULL;
                r = run_program(path, pm->install_args, pm->env, INSTALL_TIMEOUT_MS, &err);
                if (r < 0 && r != -ENOMEM && pm->refresh_args) {
                        /* A fresh node often has stale package lists. */
                        _cleanup_free_ char *refresh_err = NULL;
                        if (run_program(path, pm->refresh_args, pm->env, INSTALL_TIMEOUT_MS,
                                        &refresh_err) == 0) {
                                free(err);
                                err = NULL;
                                r = run_program(path, pm->install_args, pm->env,
                                                INSTALL_TIMEOUT_MS, &err);
                        }
                }
                if (r == 0)
                        return 0;

                /* The last line is where package managers put the reason. */
                const char *last = "";
                if (err && *err) {
                        const char *nl = strrchr(err, '\n');
                        last = nl ? nl + 1 : err;
                }
                /* Bounded, so the advice after it always fits the message. */
                error_set(ret_error, "installing driverctl with %s failed (%s%s%.200s); install "
                                     "the package \"driverctl\" by hand",
                          path, r == -ETIMEDOUT ? "timed out" : strerror(-r), *last ? ": " : "",
                          last);
                return r;
        }

        error_set(ret_error, "driverctl is missing and no package manager (apt-get, dnf, zypper) "
                             "was found: install the package \"driverctl\" by hand");
        return -ENOENT;
}
