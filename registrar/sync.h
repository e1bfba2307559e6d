/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Running `onehost sync --force` (the configured command, split into words,
 * no shell) with a timeout.  Concurrent callers share one run: a caller
 * waits for the next run that starts after it asked, so its own pci.conf
 * edit is in it.  A run that fails answers every caller that was waiting at
 * that time with its failure, and for backoff_ms after a failure callers
 * get that failure at once without a run: a failing sync (it rewrites every
 * host's template, so a flaky oned fails it) is tried once per need, not
 * once per waiting report.  A run holds the cross-instance lock in LOCK_DIR
 * (sync-lock.h) exclusively: no two registrar instances sync at once, and
 * none updates a host while another syncs; waiting for it gives up after
 * lock_wait_ms. */

#include <stddef.h>
#include <stdint.h>

#include "error-message.h"
#include "sync-lock.h"

struct sync_runner;

/* -EINVAL when the command is empty or has quotes (there is no shell). */
int sync_runner_new(const char *command, const char *lock_dir, unsigned timeout_s,
                    unsigned lock_wait_ms, unsigned backoff_ms, struct sync_runner **ret);
void sync_runner_free(struct sync_runner *s);

/* A caller's place in line, taken as soon as it finds it needs a sync and
 * before it waits for anything else (a lock of its own): a run that ends in
 * failure after this point is the caller's failure too. */
uint64_t sync_ticket(struct sync_runner *s);

/* 0 when a run that started after this call succeeded.  Otherwise the
 * failure of a run that ended after ticket: -ETIMEDOUT (the command, or the
 * wait for another instance's lock), -EIO (non-zero exit), ...; or -EAGAIN
 * within the back-off after a failure (nothing ran).  The message says why. */
int sync_run(struct sync_runner *s, uint64_t ticket, struct error_message *ret_error);

/* Holds every instance's sync off (the shared side of the lock in LOCK_DIR)
 * while the caller updates hosts: a sync running or waiting is waited for,
 * at most lock_wait_ms, then -ETIMEDOUT.  Release with sync_lock_release().
 * Each call is a holder of its own (its own open file descriptions). */
int sync_hold_off(struct sync_runner *s, struct sync_lock *ret, struct error_message *ret_error);

/* How many times the command actually ran. */
unsigned sync_runs(struct sync_runner *s);

/* Splits a command line on blanks.  NULL-terminated; -EINVAL on quotes. */
int sync_split_command(const char *command, char ***ret_argv);
