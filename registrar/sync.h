/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Running `onehost sync --force` (the configured command, split into words,
 * no shell) with a timeout.  Concurrent callers share one run: a caller
 * waits for the next run that starts after it asked, so its own pci.conf
 * edit is in it.  An flock on LOCK_DIR/.onepci-sync.lock keeps two registrar
 * instances from syncing at once. */

#include <stddef.h>

struct sync_runner;

/* -EINVAL when the command is empty or has quotes (there is no shell). */
int sync_runner_new(const char *command, const char *lock_dir, unsigned timeout_s,
                    struct sync_runner **ret);
void sync_runner_free(struct sync_runner *s);

/* 0 when a run that started after this call succeeded; -ETIMEDOUT, -EIO
 * (non-zero exit, reason holds the status and the output's last line). */
int sync_run(struct sync_runner *s, char *reason, size_t reason_size);

/* How many times the command actually ran. */
unsigned sync_runs(struct sync_runner *s);

/* Splits a command line on blanks.  NULL-terminated; -EINVAL on quotes. */
int sync_split_command(const char *command, char ***ret_argv);
