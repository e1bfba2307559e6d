/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Host updates and `onehost sync` kept apart across every front-end, in
 * oned (the replicated store) rather than in one machine's files.
 *
 * The sync rewrites every host's whole template in REPLACE mode from a pool
 * it read first: an update landing between the read and the write is lost.
 * The flock pair in the remotes directory (sync-lock.h) only sees the
 * instances of one machine.  Here one OpenNebula document (NAME
 * "onepci-registrar-sync", TYPE DOC_LOCK_TYPE; created on first use, the
 * lowest ID wins if two front-ends create it at once) carries:
 *
 *   sync:    one.document.lock(id, 4, test=true) until granted (a lock older
 *            than lease_s is a dead registrar's: broken with unlock), then
 *            SEQ incremented in its template, then the pool is read and
 *            written, then unlock;
 *   update:  before writing, wait while the document is locked and note
 *            SEQ; after writing, read it again: locked, or SEQ moved, means a
 *            sync may have read the pool before the write and written over
 *            it: wait for its end, then re-read the host and write again
 *            what is missing (doc_lock_overlapped).
 *
 * Every read goes to the leader (one-zone.h), so "after" means after.  Waits
 * are bounded by wait_ms (-ETIMEDOUT, with who holds the lock). */

#include <stdbool.h>

#include "error-message.h"
#include "one-client.h"

#define DOC_LOCK_NAME "onepci-registrar-sync"
#define DOC_LOCK_TYPE 1472

struct doc_lock;

/* A NULL doc_lock is none: every function below succeeds at once (a test
 * with no oned to hold the lock). */

int doc_lock_new(struct one_client *one, unsigned wait_ms, unsigned lease_s, struct doc_lock **ret);
void doc_lock_free(struct doc_lock *l);

/* The sync side. */
int doc_lock_sync_begin(struct doc_lock *l, struct error_message *ret_error);
void doc_lock_sync_end(struct doc_lock *l);

/* Sync from one place: each front-end widens its own pci.conf, but the nodes
 * need the widened probe synced once.  The document's template records what
 * was last synced (DOC_LOCK_SYNCED_ATTR, the probe's SHA-256, written under
 * the lock after a sync succeeded).  doc_lock_sync_begin_probe() is
 * doc_lock_sync_begin() that, once holding the lock, sets *ret_synced when
 * that record equals probe: the caller then skips the sync (SEQ is not
 * moved) and still ends with doc_lock_sync_end(). */
#define DOC_LOCK_SYNCED_ATTR "SYNCED_PROBE"
#define DOC_LOCK_SYNCED_MAX 128
int doc_lock_sync_begin_probe(struct doc_lock *l, const char *probe, bool *ret_synced,
                              struct error_message *ret_error);
/* Under the lock, after a successful sync: records probe as synced. */
int doc_lock_sync_record(struct doc_lock *l, const char *probe, struct error_message *ret_error);
/* Pure: the DOCUMENT's DOC_LOCK_SYNCED_ATTR into buf ("" when none or too
 * long for size); -EBADMSG when xml is not a DOCUMENT. */
int doc_lock_parse_synced(const char *xml, size_t len, char *buf, size_t size);

/* The update side: waits while a sync holds the document; *ret_seq is what
 * to hand to doc_lock_overlapped() after the write. */
int doc_lock_hold_off(struct doc_lock *l, long long *ret_seq, struct error_message *ret_error);
/* After the write: *ret_overlapped when a sync may have overwritten it; then
 * it has ended (waited for) and *seq is the new value for the next round. */
int doc_lock_overlapped(struct doc_lock *l, long long *seq, bool *ret_overlapped,
                        struct error_message *ret_error);

/* Pure: the document's ID, whether it is locked, since when (LOCK/TIME) and
 * its SEQ (0 when absent). */
int doc_lock_parse(const char *xml, size_t len, int *ret_id, bool *ret_locked,
                   long long *ret_lock_time, long long *ret_seq);
/* Pure: the lowest ID of a DOCUMENT named name in a DOCUMENT_POOL, -ENOENT. */
int doc_lock_find(const char *xml, size_t len, const char *name, int *ret_id);
