/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* driverctl: finding it, installing it, running set-override (through
 * lib/run-program.h: no shell, a timeout, stderr captured). */

#include "context.h"
#include "error-message.h"

/* Finds the program: ctx->driverctl when set, else driverctl on PATH, else
 * /usr/sbin/driverctl, /sbin/driverctl.  -ENOENT when missing.  Under a root
 * other than "/" only ctx->driverctl counts: the system's driverctl would
 * change the real /sys. */
int driverctl_locate(const struct onepci_context *ctx, char **ret_path);

/* Installs driverctl with the system's package manager (apt-get, dnf or
 * zypper, whichever exists).  Only on a live root.  ret_error (optional)
 * says what failed and what to install by hand. */
int driverctl_install(const struct onepci_context *ctx, struct error_message *ret_error);

/* How long one set-override may take: it unbinds and rebinds the device. */
#define DRIVERCTL_TIMEOUT_MS (60 * 1000)

/* `program set-override ADDRESS DRIVER` through run_program() (lib/run-program.h). */
int driverctl_set_override(const char *program, const char *address, const char *driver,
                           int timeout_ms, char **ret_stderr);

/* `program unset-override ADDRESS`: the default driver comes back and
 * driverctl's saved override goes. */
int driverctl_unset_override(const char *program, const char *address, int timeout_ms,
                             char **ret_stderr);
