/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Running another program: spawned without a shell, stdin from /dev/null,
 * stdout discarded, stderr captured for the error message, in its own
 * process group, with a timeout.  The agent runs driverctl, udevadm and the
 * package managers through it. */

/* Enough for any error a tool prints; the rest is read and dropped so the
 * child never blocks on a full pipe. */
#define RUN_PROGRAM_STDERR_MAX (16 * 1024)

/* 0 when path is an executable regular file; -EACCES when it is there but
 * not an executable regular file, -ENOENT (or another -errno) when not. */
int program_check_executable(const char *path);

/* name in $PATH (absolute entries only), then in /usr/sbin, /sbin, /usr/bin,
 * /bin.  ret_path is malloc'ed.  -ENOENT when none has it. */
int program_find(const char *name, char **ret_path);

/* Runs `program args...` (args NULL-terminated, without the program name; may
 * be NULL) with the caller's environment, plus env_extra ("NAME=value",
 * replacing any NAME=) when not NULL.  Returns 0 on exit status 0,
 * -ETIMEDOUT after killing its process group when timeout_ms passed, -EIO on
 * another status or a signal, -EINVAL when timeout_ms <= 0, a negative errno
 * when it cannot be started.  *ret_stderr (ret_stderr may be NULL) gets what
 * it printed on stderr, at most RUN_PROGRAM_STDERR_MAX bytes with trailing
 * white space stripped. */
int run_program(const char *program, const char *const *args, const char *env_extra,
                int timeout_ms, char **ret_stderr);
