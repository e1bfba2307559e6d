/* SPDX-License-Identifier: Apache-2.0 */
/* The reader-writer flock pair between registrar instances (sync-lock.h). */

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "macros.h"
#include "sync-lock.h"

#define INTENT_LOCK ".onepci-sync-intent.lock"
#define MAIN_LOCK ".onepci-sync.lock"
#define POLL_US (20 * 1000)

/* flock() cannot time out, and a signal to interrupt it would hit any thread:
 * poll with LOCK_NB until the deadline instead. */
static int lock_file(const char *dir, const char *name, int op, int64_t deadline, unsigned wait_ms,
                     int *ret_fd, struct error_message *ret_error) {
        _cleanup_free_ char *path = path_join(dir, name);
        _cleanup_close_ int fd = -1;
        int k;

        if (!path)
                return -ENOMEM;
        /* Read-write: on NFS flock becomes a POSIX lock, and an exclusive one
         * needs a file open for writing. */
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
                k = -errno;
                error_set(ret_error, "%s: %s", path, strerror(-k));
                return k;
        }
        while (flock(fd, op | LOCK_NB) < 0) {
                if (errno != EWOULDBLOCK && errno != EINTR) {
                        k = -errno;
                        error_set(ret_error, "flock %s: %s", path, strerror(-k));
                        return k;
                }
                if (monotonic_ms() >= deadline) {
                        error_set(ret_error, "%s holds %s (waited %u ms)",
                                  op == LOCK_EX ? "another sync or host update"
                                                : "a sync (running or waiting)",
                                  path, wait_ms);
                        return -ETIMEDOUT;
                }
                usleep(POLL_US);
        }
        *ret_fd = TAKE_FD(fd);
        return 0;
}

int sync_lock_take(const char *dir, bool exclusive, unsigned wait_ms, struct sync_lock *ret,
                   struct error_message *ret_error) {
        struct sync_lock l = SYNC_LOCK_INIT;
        int64_t deadline = monotonic_ms() + wait_ms;
        int op = exclusive ? LOCK_EX : LOCK_SH;
        int k;

        /* Intent first, always: a sync holding it (even while it still waits
         * for the main lock) keeps new updates out; that is the writer
         * preference.  One deadline for both waits. */
        k = lock_file(dir, INTENT_LOCK, op, deadline, wait_ms, &l.intent_fd, ret_error);
        if (k >= 0)
                k = lock_file(dir, MAIN_LOCK, op, deadline, wait_ms, &l.main_fd, ret_error);
        if (k < 0) {
                sync_lock_release(&l);
                return k;
        }
        /* An update needs only the main lock from here on; keeping the intent
         * lock shared would hold off a sync that wants it. */
        if (!exclusive) {
                close(l.intent_fd);
                l.intent_fd = -1;
        }
        *ret = l;
        return 0;
}

void sync_lock_release(struct sync_lock *l) {
        if (l->main_fd >= 0)
                close(l->main_fd);
        if (l->intent_fd >= 0)
                close(l->intent_fd);
        l->main_fd = l->intent_fd = -1;
}
