/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Running driverctl: spawned without a shell, with a timeout, stderr
 * captured for the error message. */

#include "context.h"

/* Finds the program: ctx->driverctl when set, else driverctl on PATH, else
 * /usr/sbin/driverctl, /sbin/driverctl.  -ENOENT when missing.  Under a root
 * other than "/" only ctx->driverctl counts: the system's driverctl would
 * change the real /sys. */
int driverctl_locate(const struct onepci_context *ctx, char **ret_path);

/* Installs driverctl with the system's package manager (apt-get, dnf or
 * zypper, whichever exists).  Only on a live root.  *ret_message says what
 * failed and what to install by hand. */
int driverctl_install(const struct onepci_context *ctx, char **ret_message);

/* Runs `program args...` (args NULL-terminated, without the program name) with
 * no shell, stdin from /dev/null, stdout discarded, in its own process group
 * and with the caller's environment.  Returns 0 on exit status 0, -ETIMEDOUT
 * after killing its process group on timeout (timeout_ms > 0), -EIO on
 * another status or a signal, a negative errno when it cannot be started;
 * *ret_stderr gets what it printed on stderr, at most 16 KiB with trailing
 * white space stripped (ret_stderr may be NULL). */
int driverctl_run(const char *program, const char *const *args, int timeout_ms,
                  char **ret_stderr);

int driverctl_set_override(const char *program, const char *address, const char *driver,
                           int timeout_ms, char **ret_stderr);
