/* SPDX-License-Identifier: Apache-2.0 */
/* onehost sync: once for many callers, never two at a time, never hung. */

#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "fileio.h"
#include "macros.h"
#include "sync-lock.h"
#include "sync-reason.h"
#include "sync.h"

extern char **environ;

struct sync_runner {
        char **argv;
        char *lock_dir;
        unsigned timeout_s, lock_wait_ms, backoff_ms;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        bool running;
        uint64_t started, finished; /* run generations */
        int last_result;
        char last_reason[sizeof(((struct error_message *)0)->text)];
        int64_t last_failed_ms; /* monotonic end of the last failed run */
        unsigned runs;
};

int sync_split_command(const char *command, char ***ret_argv) {
        _cleanup_strv_free_ char **argv = NULL;
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;
        size_t n = 0;

        if (!command || strpbrk(command, "\"'\\`$;|&<>()"))
                return -EINVAL;
        copy = strdup(command);
        argv = calloc(strlen(command) / 2 + 2, sizeof(char *));
        if (!copy || !argv)
                return -ENOMEM;
        for (char *w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
                argv[n] = strdup(w);
                if (!argv[n])
                        return -ENOMEM;
                n++;
        }
        if (n == 0)
                return -EINVAL;
        *ret_argv = TAKE_PTR(argv);
        return 0;
}

int sync_runner_new(const char *command, const char *lock_dir, unsigned timeout_s,
                    unsigned lock_wait_ms, unsigned backoff_ms, struct sync_runner **ret) {
        struct sync_runner *s;
        int r;

        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        r = sync_split_command(command, &s->argv);
        if (r < 0) {
                free(s);
                return r;
        }
        s->lock_dir = strdup(lock_dir);
        if (!s->lock_dir) {
                strv_free(s->argv);
                free(s);
                return -ENOMEM;
        }
        s->timeout_s = timeout_s;
        s->lock_wait_ms = lock_wait_ms;
        s->backoff_ms = backoff_ms;
        pthread_mutex_init(&s->mu, NULL);
        pthread_cond_init(&s->cv, NULL);
        *ret = s;
        return 0;
}

void sync_runner_free(struct sync_runner *s) {
        if (!s)
                return;
        pthread_mutex_destroy(&s->mu);
        pthread_cond_destroy(&s->cv);
        strv_free(s->argv);
        free(s->lock_dir);
        free(s);
}

unsigned sync_runs(struct sync_runner *s) {
        unsigned n;

        pthread_mutex_lock(&s->mu);
        n = s->runs;
        pthread_mutex_unlock(&s->mu);
        return n;
}

/* Keeps the head of a stream in o (its errors come first) or, with tail,
 * its end (the last line), dropping the rest. */
struct capture {
        char buf[4096];
        size_t len;
        bool tail;
};

static void capture_add(struct capture *o, const char *data, size_t n) {
        if (o->tail && o->len + n > sizeof(o->buf)) {
                size_t keep = n >= sizeof(o->buf) ? 0 : sizeof(o->buf) - n;
                if (keep > o->len)
                        keep = o->len;
                memmove(o->buf, o->buf + o->len - keep, keep);
                o->len = keep;
                if (n > sizeof(o->buf)) {
                        data += n - sizeof(o->buf);
                        n = sizeof(o->buf);
                }
        }
        if (n > sizeof(o->buf) - o->len)
                n = sizeof(o->buf) - o->len;
        memcpy(o->buf + o->len, data, n);
        o->len += n;
}

/* Runs argv with stdout and stderr into two pipes: onehost's error is on
 * stderr, its progress on stdout (sync-reason.h).
 * *ret_spawned tells whether the command was started at all. */
static int run_once(struct sync_runner *s, bool *ret_spawned, struct error_message *ret_error) {
        posix_spawn_file_actions_t fa;
        _cleanup_(sync_lock_release) struct sync_lock lock = SYNC_LOCK_INIT;
        int outp[2], errp[2], status = 0, r = 0;
        struct capture cap[2] = {{.tail = true}, {.tail = false}};
        char reason[SYNC_REASON_MAX + 1];
        int64_t deadline;
        pid_t pid;

        *ret_spawned = false;
        /* Another instance's sync may run for minutes: wait for the lock only
         * so long, and give the command its whole timeout once we hold it.
         * Held exclusively, it also waits for every instance's host updates
         * in flight and keeps new ones out (sync-lock.h). */
        r = sync_lock_take(s->lock_dir, true, s->lock_wait_ms, &lock, ret_error);
        if (r < 0)
                return r;
        deadline = monotonic_ms() + (int64_t)s->timeout_s * 1000;

        if (pipe2(outp, O_CLOEXEC) < 0) {
                r = -errno;
                error_set(ret_error, "pipe: %s", strerror(-r));
                return r;
        }
        if (pipe2(errp, O_CLOEXEC) < 0) {
                r = -errno;
                close(outp[0]);
                close(outp[1]);
                error_set(ret_error, "pipe: %s", strerror(-r));
                return r;
        }
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
        posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
        posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
        r = posix_spawnp(&pid, s->argv[0], &fa, NULL, s->argv, environ);
        posix_spawn_file_actions_destroy(&fa);
        close(outp[1]);
        close(errp[1]);
        *ret_spawned = r == 0;
        if (r != 0) {
                close(outp[0]);
                close(errp[0]);
                error_set(ret_error, "%s: %s", s->argv[0], strerror(r));
                return -r;
        }

        struct pollfd pfd[2] = {{.fd = outp[0], .events = POLLIN}, {.fd = errp[0], .events = POLLIN}};
        while (pfd[0].fd >= 0 || pfd[1].fd >= 0) {
                int64_t left = deadline - monotonic_ms();

                if (left <= 0) {
                        kill(pid, SIGKILL);
                        r = -ETIMEDOUT;
                        break;
                }
                if (poll(pfd, 2, (int)(left > 1000 ? 1000 : left)) <= 0)
                        continue;
                for (int i = 0; i < 2; i++) {
                        char buf[1024];
                        ssize_t n;

                        if (pfd[i].fd < 0 || !pfd[i].revents)
                                continue;
                        n = read(pfd[i].fd, buf, sizeof(buf));
                        if (n < 0 && errno == EINTR)
                                continue;
                        if (n <= 0) {
                                close(pfd[i].fd);
                                pfd[i].fd = -1; /* poll ignores it from now on */
                                continue;
                        }
                        capture_add(&cap[i], buf, (size_t)n);
                }
        }
        for (int i = 0; i < 2; i++)
                if (pfd[i].fd >= 0)
                        close(pfd[i].fd);
        while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                ;
        if (r == -ETIMEDOUT) {
                error_set(ret_error, "%s: timed out after %u s", s->argv[0], s->timeout_s);
                return r;
        }
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;

        sync_reason(cap[0].buf, cap[0].len, cap[1].buf, cap[1].len, reason, sizeof(reason));
        if (WIFEXITED(status))
                error_set(ret_error, "%s exited with %d: %s", s->argv[0], WEXITSTATUS(status),
                          reason);
        else
                error_set(ret_error, "%s killed by signal %d", s->argv[0], WTERMSIG(status));
        return -EIO;
}

uint64_t sync_ticket(struct sync_runner *s) {
        uint64_t t;

        pthread_mutex_lock(&s->mu);
        t = s->finished;
        pthread_mutex_unlock(&s->mu);
        return t;
}

int sync_run(struct sync_runner *s, uint64_t ticket, struct error_message *ret_error) {
        uint64_t target;
        int r;

        pthread_mutex_lock(&s->mu);
        /* A run already going started before our edit: success needs the next one. */
        target = s->started + 1;
        for (;;) {
                /* A run that failed while we waited: its failure is ours, and
                 * we do not try again on our own (that is the retry storm). */
                if (s->finished > ticket && s->last_result < 0) {
                        r = s->last_result;
                        error_set(ret_error, "%s", s->last_reason);
                        break;
                }
                if (s->finished >= target) {
                        r = s->last_result;
                        break;
                }
                if (s->running) {
                        pthread_cond_wait(&s->cv, &s->mu);
                        continue;
                }
                /* Back-off: a sync that just failed is not tried again at once. */
                int64_t since = monotonic_ms() - s->last_failed_ms;
                if (s->last_result < 0 && since < (int64_t)s->backoff_ms) {
                        error_set(ret_error,
                                  "the last sync failed %.1f s ago, not retried for %.1f s: %.190s",
                                  since / 1000.0, (s->backoff_ms - since) / 1000.0, s->last_reason);
                        r = -EAGAIN;
                        break;
                }

                s->running = true;
                s->started++;
                pthread_mutex_unlock(&s->mu);

                struct error_message why = {};
                bool spawned;
                r = run_once(s, &spawned, &why);

                pthread_mutex_lock(&s->mu);
                s->running = false;
                s->finished = s->started;
                s->runs += spawned;
                s->last_result = r;
                if (r < 0)
                        s->last_failed_ms = monotonic_ms();
                snprintf(s->last_reason, sizeof(s->last_reason), "%s", why.text);
                pthread_cond_broadcast(&s->cv);
        }
        pthread_mutex_unlock(&s->mu);
        return r;
}

int sync_hold_off(struct sync_runner *s, struct sync_lock *ret, struct error_message *ret_error) {
        return sync_lock_take(s->lock_dir, false, s->lock_wait_ms, ret, ret_error);
}
