/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Per-host serialisation: reports for one host run one at a time, reports
 * for different hosts run concurrently.  Entries live only while in use. */

struct host_locks;
struct host_lock;

struct host_locks *host_locks_new(void);
void host_locks_free(struct host_locks *l);

/* Blocks until the host's lock is ours.  NULL on allocation failure. */
struct host_lock *host_lock_acquire(struct host_locks *l, const char *name);
void host_lock_release(struct host_locks *l, struct host_lock *h);

/* How many hosts have a lock entry right now (for tests). */
unsigned host_locks_in_use(struct host_locks *l);
