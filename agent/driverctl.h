/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Running driverctl: spawned without a shell, with a timeout, stderr
 * captured for the error message. */

#include "context.h"

/* Finds the program: ctx->driverctl when set, else driverctl on PATH, else
 * /usr/sbin/driverctl, /sbin/driverctl.  -ENOENT when missing. */
int driverctl_locate(const struct onepci_context *ctx, char **ret_path);

/* Installs driverctl with the system's package manager (apt-get, dnf or
 * zypper, whichever exists).  Only on a live root.  *ret_message says what
 * failed and what to install by hand. */
int driverctl_install(const struct onepci_context *ctx, char **ret_message);

/* Runs `driverctl [args...]`.  Returns 0 on exit status 0, -ETIMEDOUT after
 * killing it on timeout, -EIO on another status; *ret_stderr gets what it
 * printed on stderr (may be NULL). */
int driverctl_run(const char *program, const char *const *args, int timeout_ms,
                  char **ret_stderr);

int driverctl_set_override(const char *program, const char *address, const char *driver,
                           int timeout_ms, char **ret_stderr);
