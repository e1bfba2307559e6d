/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Host updates and `onehost sync` kept apart across registrar instances that
 * share the remotes directory.  The sync rewrites every host's template in
 * replace mode, so an update another instance makes while it runs can be
 * lost.  A reader-writer lock on two files in DIR, with writers (syncs)
 * preferred so a steady stream of updates cannot starve a sync:
 *
 *   sync:   .onepci-sync-intent.lock exclusive (no new updates start),
 *           then .onepci-sync.lock exclusive (the updates in flight end);
 *   update: intent shared, then main shared, intent released at once.
 *
 * The main lock keeps the name the sync lock had before, so an older
 * instance's sync still excludes this one's updates and syncs.  flock belongs
 * to the open file description: each holder opens the files itself, which is
 * what makes two threads (or instances) two holders.  Waits are bounded. */

#include <stdbool.h>
#include <stddef.h>

#include "error-message.h"

struct sync_lock {
        int intent_fd, main_fd; /* -1: not held */
};

#define SYNC_LOCK_INIT                                                                             \
        { .intent_fd = -1, .main_fd = -1 }

/* 0 with *ret held (exclusive: for a sync; shared: for a host update).
 * -ETIMEDOUT after wait_ms without it (the message says who holds it), or the
 * -errno of open/flock. */
int sync_lock_take(const char *dir, bool exclusive, unsigned wait_ms, struct sync_lock *ret,
                   struct error_message *ret_error);

/* Releases what l holds (nothing is fine) and leaves it released. */
void sync_lock_release(struct sync_lock *l);
