/* SPDX-License-Identifier: Apache-2.0 */
/* The sync runner: words without a shell, singleflight, timeout, failure
 * reasons, the flock between instances; and the retry storm it must not
 * cause: a failing sync answers everyone who waited on it, is not tried
 * again during the back-off, and the wait for another instance is bounded.
 * Across instances: another's host update holds a sync off, and a waiting
 * sync goes before new updates.  The stand-in command is a shell script
 * that counts its runs in a file. */

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "fileio.h"
#include "macros.h"
#include "one-client.h"
#include "probe-ensure.h"
#include "doc-lock.h"
#include "registrar.h"
#include "sync-reason.h"
#include "sync.h"

#define WAITERS 16

static char dir[] = "/tmp/test-sync-XXXXXX";
static char script[256], count_file[256], fail_file[256], lock_file[256];

static int setup(void **state) {
        char text[768];

        assert_non_null(mkdtemp(dir));
        snprintf(script, sizeof(script), "%s/fake-sync", dir);
        snprintf(count_file, sizeof(count_file), "%s/count", dir);
        snprintf(fail_file, sizeof(fail_file), "%s/fail", dir);
        snprintf(lock_file, sizeof(lock_file), "%s/.onepci-sync.lock", dir);
        /* Appends a line per run, sleeps $1 seconds, fails when $2 is given
         * or while the file "fail" exists. */
        snprintf(text, sizeof(text),
                 "#!/bin/sh\necho run >> %s\nsleep \"$1\"\n"
                 "if [ -n \"$2\" ]; then echo \"oneadmin: $2\" >&2; exit 3; fi\n"
                 "if [ -e %s ]; then echo \"oneadmin: failing\" >&2; exit 3; fi\n",
                 count_file, fail_file);
        assert_int_equal(write_file_atomic(script, text, strlen(text), 0755), 0);
        return 0;
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
        (void)st, (void)flag, (void)ftw;
        return remove(path);
}

static int teardown(void **state) {
        nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
        return 0;
}

static unsigned runs_in_file(void) {
        char *data = NULL;
        size_t len;
        unsigned n = 0;

        if (read_file_bounded(count_file, 1 << 16, &data, &len) < 0)
                return 0;
        for (size_t i = 0; i < len; i++)
                n += data[i] == '\n';
        free(data);
        return n;
}

static double now_s(void) {
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void test_split(void **state) {
        char **argv = NULL;

        assert_int_equal(sync_split_command("onehost  sync --force", &argv), 0);
        assert_string_equal(argv[0], "onehost");
        assert_string_equal(argv[1], "sync");
        assert_string_equal(argv[2], "--force");
        assert_null(argv[3]);
        strv_free(argv);
        assert_int_equal(sync_split_command("", &argv), -EINVAL);
        assert_int_equal(sync_split_command("   ", &argv), -EINVAL);
        /* no shell: shell syntax is refused rather than passed on literally */
        assert_int_equal(sync_split_command("onehost sync; rm -rf /", &argv), -EINVAL);
        assert_int_equal(sync_split_command("onehost 'sync'", &argv), -EINVAL);
        assert_int_equal(sync_split_command("onehost $(x)", &argv), -EINVAL);
}

/* One caller: either sync_run directly or a report's probe step. */
struct job {
        struct sync_runner *s;
        struct registrar *r;
        int result;
        struct error_message reason;
        double ended;
};

static void *run_thread(void *userdata) {
        struct job *j = userdata;

        if (j->r) {
                struct one_error err = {};
                bool widened;

                j->result = probe_ensure(j->r, &widened, &err, &j->reason);
        } else {
                j->result = sync_run(j->s, sync_ticket(j->s), &j->reason);
        }
        j->ended = now_s();
        return NULL;
}

/* false after 10 s without them (then the test fails on its assertions). */
static bool wait_for_runs(unsigned n) {
        for (int i = 0; i < 1000 && runs_in_file() < n; i++)
                usleep(10 * 1000);
        return runs_in_file() >= n;
}

/* Starts jobs[0], waits until its run is going, then starts the others,
 * who all arrive while it runs; joins them all. */
static void run_crowd(struct job *jobs, size_t n) {
        pthread_t t[WAITERS];

        assert_true(n <= WAITERS);
        assert_int_equal(pthread_create(&t[0], NULL, run_thread, &jobs[0]), 0);
        wait_for_runs(1);
        for (size_t i = 1; i < n; i++)
                assert_int_equal(pthread_create(&t[i], NULL, run_thread, &jobs[i]), 0);
        for (size_t i = 0; i < n; i++)
                pthread_join(t[i], NULL);
}

static void test_singleflight(void **state) {
        struct sync_runner *s = NULL;
        struct job jobs[8];
        char cmd[300];

        unlink(count_file);
        snprintf(cmd, sizeof(cmd), "%s 1", script);
        assert_int_equal(sync_runner_new(cmd, dir, 30, 5000, 5000, &s), 0);
        for (int i = 0; i < 8; i++)
                jobs[i] = (struct job){.s = s, .result = 1};
        /* Everyone arriving while the first run goes needs a run that starts
         * later (their edit may have missed the first): they share one. */
        run_crowd(jobs, 8);
        for (int i = 0; i < 8; i++)
                assert_int_equal(jobs[i].result, 0);
        assert_int_equal(sync_runs(s), 2);
        assert_int_equal(runs_in_file(), 2);

        /* A later caller gets a run of its own. */
        struct error_message reason;
        assert_int_equal(sync_run(s, sync_ticket(s), &reason), 0);
        assert_int_equal(runs_in_file(), sync_runs(s));
        sync_runner_free(s);
}

/* A run that fails answers everyone waiting at that time, at once, and none
 * of them starts a run of its own. */
static void test_failure_shared_by_waiters(void **state) {
        struct sync_runner *s = NULL;
        struct job jobs[WAITERS];
        double first = 1e18, last = 0;
        char cmd[300];

        unlink(count_file);
        snprintf(cmd, sizeof(cmd), "%s 1 refused", script);
        assert_int_equal(sync_runner_new(cmd, dir, 30, 5000, 5000, &s), 0);
        for (int i = 0; i < WAITERS; i++)
                jobs[i] = (struct job){.s = s, .result = 1};
        run_crowd(jobs, WAITERS);
        for (int i = 0; i < WAITERS; i++) {
                assert_int_equal(jobs[i].result, -EIO);
                assert_non_null(strstr(jobs[i].reason.text, "oneadmin: refused"));
                first = jobs[i].ended < first ? jobs[i].ended : first;
                last = jobs[i].ended > last ? jobs[i].ended : last;
        }
        assert_int_equal(runs_in_file(), 1);
        assert_int_equal(sync_runs(s), 1);
        /* Together: nobody waited for a second (one-second) run. */
        assert_true(last - first < 0.5);
        sync_runner_free(s);
}

/* After a failure: callers get it at once for the back-off, then a new
 * caller may run again. */
static void test_backoff_after_failure(void **state) {
        struct sync_runner *s = NULL;
        struct job jobs[8];
        pthread_t t[8];
        char cmd[300];
        struct error_message reason = {};
        double t0;

        unlink(count_file);
        assert_int_equal(write_file_atomic(fail_file, "", 0, 0644), 0);
        snprintf(cmd, sizeof(cmd), "%s 0", script);
        assert_int_equal(sync_runner_new(cmd, dir, 30, 5000, 1500, &s), 0);
        assert_int_equal(sync_run(s, sync_ticket(s), &reason), -EIO);
        assert_int_equal(runs_in_file(), 1);

        /* Arriving after the failure, within the back-off: refused at once. */
        unlink(fail_file);
        t0 = now_s();
        for (int i = 0; i < 8; i++) {
                jobs[i] = (struct job){.s = s, .result = 1};
                assert_int_equal(pthread_create(&t[i], NULL, run_thread, &jobs[i]), 0);
        }
        for (int i = 0; i < 8; i++)
                pthread_join(t[i], NULL);
        for (int i = 0; i < 8; i++) {
                assert_int_equal(jobs[i].result, -EAGAIN);
                assert_non_null(strstr(jobs[i].reason.text, "the last sync failed"));
                assert_non_null(strstr(jobs[i].reason.text, "oneadmin: failing"));
        }
        assert_true(now_s() - t0 < 0.5);
        assert_int_equal(runs_in_file(), 1);

        /* After the back-off the next caller runs it again, and it works now. */
        usleep(1600 * 1000);
        assert_int_equal(sync_run(s, sync_ticket(s), &reason), 0);
        assert_int_equal(runs_in_file(), 2);
        assert_int_equal(sync_runs(s), 2);
        sync_runner_free(s);
}

static void test_failure_and_timeout(void **state) {
        struct sync_runner *s = NULL;
        char cmd[300];
        struct error_message reason = {};

        snprintf(cmd, sizeof(cmd), "%s 0 refused", script);
        assert_int_equal(sync_runner_new(cmd, dir, 10, 5000, 0, &s), 0);
        assert_int_equal(sync_run(s, sync_ticket(s), &reason), -EIO);
        assert_non_null(strstr(reason.text, "exited with 3"));
        assert_non_null(strstr(reason.text, "oneadmin: refused"));
        sync_runner_free(s);

        snprintf(cmd, sizeof(cmd), "%s 5", script);
        assert_int_equal(sync_runner_new(cmd, dir, 1, 5000, 0, &s), 0);
        assert_int_equal(sync_run(s, sync_ticket(s), &reason), -ETIMEDOUT);
        assert_non_null(strstr(reason.text, "timed out"));
        sync_runner_free(s);

        assert_int_equal(sync_runner_new("/nonexistent/onehost sync", dir, 1, 5000, 0, &s), 0);
        assert_true(sync_run(s, sync_ticket(s), &reason) < 0);
        sync_runner_free(s);
}

/* onehost writes its error to stderr at once and its progress to stdout,
 * which Ruby flushes at exit: the error, not the chatter, is the reason. */
static void test_failure_reason_is_the_error(void **state) {
        static const char text[] = "#!/bin/sh\n"
                                   "echo 'Failed to update the following hosts:' >&2\n"
                                   "echo '* n2' >&2\n"
                                   "echo '* Adding n1 to upgrade'\n"
                                   "echo '* Adding n2 to upgrade'\n"
                                   "exit 255\n";
        char cmd[300];
        struct sync_runner *s = NULL;
        struct error_message reason = {};

        snprintf(cmd, sizeof(cmd), "%s/fake-onehost", dir);
        assert_int_equal(write_file_atomic(cmd, text, strlen(text), 0755), 0);
        assert_int_equal(sync_runner_new(cmd, dir, 10, 5000, 0, &s), 0);
        assert_int_equal(sync_run(s, sync_ticket(s), &reason), -EIO);
        assert_non_null(strstr(reason.text, "exited with 255: Failed to update the following "
                                            "hosts:; * n2"));
        assert_null(strstr(reason.text, "Adding"));
        sync_runner_free(s);
}

static void test_sync_reason(void **state) {
        char buf[SYNC_REASON_MAX + 1], big[4096];
        static const char out[] = "* Adding n1 to upgrade\nAll done?\n\n";

        /* No stderr: stdout's last non-empty line. */
        sync_reason(out, strlen(out), "\n", 1, buf, sizeof(buf));
        assert_string_equal(buf, "All done?");
        sync_reason("", 0, "", 0, buf, sizeof(buf));
        assert_string_equal(buf, "");

        /* Terminal escapes are escaped, a URL's password is masked. */
        static const char err[] = "\x1b[31mERROR\x1b[0m: [one.host.info] "
                                  "http://oneadmin:s3cret@fe:2633/RPC2 refused\r\n";
        sync_reason(out, strlen(out), err, strlen(err), buf, sizeof(buf));
        assert_string_equal(buf, "\\x1b[31mERROR\\x1b[0m: [one.host.info] "
                                 "http://***@fe:2633/RPC2 refused");

        /* Bounded, however much onehost wrote. */
        memset(big, 'x', sizeof(big) - 1);
        big[sizeof(big) - 1] = '\0';
        sync_reason(big, strlen(big), big, strlen(big), buf, sizeof(buf));
        assert_int_equal(strlen(buf), SYNC_REASON_MAX);
        sync_reason(big, strlen(big), "", 0, buf, 16);
        assert_int_equal(strlen(buf), 15);
}

static void test_flock_between_instances(void **state) {
        struct sync_runner *s = NULL;
        char cmd[300];
        struct error_message reason = {};
        double t0, waited;
        int fd, k;

        unlink(count_file);
        fd = open(lock_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX), 0);
        /* Another instance holds the lock: this one waits its lock wait (not
         * the command's 30 s timeout), then gives up. */
        snprintf(cmd, sizeof(cmd), "%s 0", script);
        assert_int_equal(sync_runner_new(cmd, dir, 30, 300, 0, &s), 0);
        t0 = now_s();
        k = sync_run(s, sync_ticket(s), &reason);
        waited = now_s() - t0;
        close(fd);
        assert_int_equal(k, -ETIMEDOUT);
        assert_true(waited < 2);
        assert_non_null(strstr(reason.text, "another sync"));
        assert_int_equal(runs_in_file(), 0);
        assert_int_equal(sync_run(s, sync_ticket(s), &reason), 0);
        assert_int_equal(runs_in_file(), 1);
        sync_runner_free(s);
}

static void *release_lock_later(void *userdata) {
        int *fd = userdata;

        usleep(800 * 1000);
        close(*fd);
        return NULL;
}

/* The time spent waiting for the lock is not taken from the command's own
 * timeout. */
static void test_lock_wait_apart_from_timeout(void **state) {
        struct sync_runner *s = NULL;
        char cmd[300];
        struct error_message reason = {};
        pthread_t t;
        int fd, k;

        unlink(count_file);
        fd = open(lock_file, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
        assert_true(fd >= 0);
        assert_int_equal(flock(fd, LOCK_EX), 0);
        snprintf(cmd, sizeof(cmd), "%s 0.5", script);
        assert_int_equal(sync_runner_new(cmd, dir, 1, 5000, 0, &s), 0);
        assert_int_equal(pthread_create(&t, NULL, release_lock_later, &fd), 0);
        /* 0.8 s for the lock + 0.5 s of command > the 1 s timeout */
        k = sync_run(s, sync_ticket(s), &reason);
        pthread_join(t, NULL);
        assert_int_equal(k, 0);
        assert_int_equal(runs_in_file(), 1);
        sync_runner_free(s);
}

/* Instance B updates a host (the shared side of the lock): instance A's sync
 * (a runner of its own: its own open file descriptions, as another process
 * would have) waits until that update ends, and while it waits no new update
 * starts (writer preference). */
static void test_update_holds_off_other_instance_sync(void **state) {
        struct sync_runner *a = NULL, *b = NULL;
        struct sync_lock update = SYNC_LOCK_INIT, late = SYNC_LOCK_INIT;
        struct job job = {};
        char cmd[300];
        struct error_message reason = {};
        double released;
        pthread_t t;

        unlink(count_file);
        snprintf(cmd, sizeof(cmd), "%s 0", script);
        assert_int_equal(sync_runner_new(cmd, dir, 30, 5000, 0, &a), 0);
        assert_int_equal(sync_runner_new(cmd, dir, 30, 300, 0, &b), 0);
        assert_int_equal(sync_hold_off(b, &update, &reason), 0);
        job = (struct job){.s = a, .result = 1};
        assert_int_equal(pthread_create(&t, NULL, run_thread, &job), 0);
        usleep(500 * 1000);
        /* The sync waits for the update in flight... */
        assert_int_equal(runs_in_file(), 0);
        /* ...and a new update waits for the sync: B gives up after 300 ms. */
        assert_int_equal(sync_hold_off(b, &late, &reason), -ETIMEDOUT);
        assert_non_null(strstr(reason.text, "a sync"));
        released = now_s();
        sync_lock_release(&update);
        pthread_join(t, NULL);
        assert_int_equal(job.result, 0);
        assert_int_equal(runs_in_file(), 1);
        assert_true(job.ended >= released);
        /* The sync is over: updates go again. */
        assert_int_equal(sync_hold_off(b, &late, &reason), 0);
        sync_lock_release(&late);
        sync_runner_free(a);
        sync_runner_free(b);
}

struct updater {
        struct sync_runner *s; /* another instance's */
        pthread_mutex_t *mu;
        bool *stop;
        unsigned held, failed;
};

/* Another instance's host updates, 300 ms each, back to back. */
static void *updater_thread(void *userdata) {
        struct updater *u = userdata;
        struct error_message reason;

        for (;;) {
                struct sync_lock l = SYNC_LOCK_INIT;

                pthread_mutex_lock(u->mu);
                bool stop = *u->stop;
                pthread_mutex_unlock(u->mu);
                if (stop)
                        return NULL;
                if (sync_hold_off(u->s, &l, &reason) < 0) {
                        u->failed++;
                        continue;
                }
                pthread_mutex_lock(u->mu);
                u->held++;
                pthread_mutex_unlock(u->mu);
                usleep(300 * 1000);
                sync_lock_release(&l);
                usleep(1000);
        }
}

/* Overlapping updates of other instances keep the shared side held all the
 * time; a sync still starts once the updates in flight end (within one
 * update's 300 ms, not whenever they pause), and they carry on after it. */
static void test_sync_not_starved_by_other_instances_updates(void **state) {
        struct sync_runner *a = NULL, *b = NULL;
        struct updater u[4];
        pthread_t t[4];
        pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
        bool stop = false, started;
        char cmd[300];
        unsigned before = 0, after = 0;
        double t0, took;

        unlink(count_file);
        snprintf(cmd, sizeof(cmd), "%s 0.5", script);
        assert_int_equal(sync_runner_new(cmd, dir, 30, 5000, 0, &a), 0);
        assert_int_equal(sync_runner_new(cmd, dir, 30, 5000, 0, &b), 0);
        for (int i = 0; i < 4; i++) {
                u[i] = (struct updater){.s = b, .mu = &mu, .stop = &stop};
                assert_int_equal(pthread_create(&t[i], NULL, updater_thread, &u[i]), 0);
                usleep(75 * 1000);
        }
        t0 = now_s();
        struct job job = {.s = a, .result = 1};
        pthread_t st;
        assert_int_equal(pthread_create(&st, NULL, run_thread, &job), 0);
        started = wait_for_runs(1);
        took = now_s() - t0;
        pthread_mutex_lock(&mu);
        for (int i = 0; i < 4; i++)
                before += u[i].held;
        pthread_mutex_unlock(&mu);
        pthread_join(st, NULL);
        usleep(700 * 1000);
        pthread_mutex_lock(&mu);
        stop = true;
        pthread_mutex_unlock(&mu);
        for (int i = 0; i < 4; i++) {
                pthread_join(t[i], NULL);
                after += u[i].held;
                assert_int_equal(u[i].failed, 0);
        }
        assert_true(started);
        assert_true(took < 1.5);
        assert_int_equal(job.result, 0);
        assert_true(after > before);
        sync_runner_free(a);
        sync_runner_free(b);
}

struct readers {
        struct registrar *r;
        pthread_mutex_t mu;
        bool stop;
};

/* A report updating a host: holds the probe lock for reading a while. */
static void *reader_thread(void *userdata) {
        struct readers *rd = userdata;

        for (;;) {
                pthread_mutex_lock(&rd->mu);
                bool stop = rd->stop;
                pthread_mutex_unlock(&rd->mu);
                if (stop)
                        return NULL;
                pthread_rwlock_rdlock(&rd->r->probe_lock);
                usleep(300 * 1000);
                pthread_rwlock_unlock(&rd->r->probe_lock);
                usleep(1000);
        }
}

/* Reports that need the probe widened queue on the registrar's probe lock
 * behind the one that syncs, while other reports keep updating hosts.  When
 * that sync fails they all answer with its failure at once: one sync, not
 * one per waiting report, and no wait for a moment without host updates. */
static void test_probe_ensure_no_storm(void **state) {
        struct registrar_config cfg;
        struct registrar *r = NULL;
        struct one_client *one = NULL;
        struct readers rd = {};
        struct job jobs[WAITERS];
        pthread_t readers[4];
        uint8_t secret[AUTH_SECRET_LEN] = {};
        char remotes[300], probes[320], conf[340], marker[340], cmd[300];
        double first = 1e18, last = 0, stopped;

        unlink(count_file);
        snprintf(remotes, sizeof(remotes), "%s/remotes", dir);
        snprintf(probes, sizeof(probes), "%s/kvm-probes.d", remotes);
        snprintf(conf, sizeof(conf), "%s/pci.conf", probes);
        snprintf(marker, sizeof(marker), "%s/.onepci-probe-synced", remotes);
        assert_int_equal(mkdir(remotes, 0755), 0);
        assert_int_equal(mkdir(probes, 0755), 0);
        /* Already wide, never synced: only the sync is left to do. */
        assert_int_equal(write_file_atomic(conf, ":filter: '*:*'\n", 15, 0644), 0);
        assert_int_equal(write_file_atomic(fail_file, "", 0, 0644), 0);

        /* The registrar as main.c builds it; oned is never called here. */
        snprintf(cmd, sizeof(cmd), "%s 0.5", script);
        assert_int_equal(config_init(&cfg), 0);
        assert_int_equal(config_set(&cfg, "remotes-dir", remotes, NULL), 0);
        assert_int_equal(config_set(&cfg, "sync-command", cmd, NULL), 0);
        assert_int_equal(config_set(&cfg, "protect-clusters", "no", NULL), 0);
        assert_int_equal(one_client_new("http://127.0.0.1:9/RPC2", "a:b", 1, 100, &one), 0);
        assert_int_equal(registrar_new(&cfg, one, secret, NULL, &r), 0);
        /* Its runner, with a back-off short enough for a test. */
        sync_runner_free(r->sync);
        assert_int_equal(sync_runner_new(cmd, remotes, 30, 5000, 1500, &r->sync), 0);
        /* No oned to hold the zone-wide sync lock in (doc-lock.h). */
        doc_lock_free(r->doclock);
        r->doclock = NULL;

        rd.r = r;
        pthread_mutex_init(&rd.mu, NULL);
        for (int i = 0; i < 4; i++) {
                assert_int_equal(pthread_create(&readers[i], NULL, reader_thread, &rd), 0);
                usleep(75 * 1000);
        }
        for (int i = 0; i < WAITERS; i++)
                jobs[i] = (struct job){.r = r, .result = 1};
        pthread_t t[WAITERS];
        assert_int_equal(pthread_create(&t[0], NULL, run_thread, &jobs[0]), 0);
        /* Within 300 ms (a reader's hold), not whenever the readers pause. */
        bool started = wait_for_runs(1);
        for (int i = 1; i < WAITERS; i++)
                assert_int_equal(pthread_create(&t[i], NULL, run_thread, &jobs[i]), 0);
        /* The failed sync (0.5 s) is long over by then. */
        usleep(3 * 1000 * 1000);
        pthread_mutex_lock(&rd.mu);
        rd.stop = true;
        stopped = now_s();
        pthread_mutex_unlock(&rd.mu);
        for (int i = 0; i < 4; i++)
                pthread_join(readers[i], NULL);
        for (int i = 0; i < WAITERS; i++)
                pthread_join(t[i], NULL);
        pthread_mutex_destroy(&rd.mu);

        for (int i = 0; i < WAITERS; i++) {
                assert_true(jobs[i].result == -EIO || jobs[i].result == -EAGAIN);
                assert_non_null(strstr(jobs[i].reason.text, "oneadmin: failing"));
                first = jobs[i].ended < first ? jobs[i].ended : first;
                last = jobs[i].ended > last ? jobs[i].ended : last;
        }
        assert_int_equal(runs_in_file(), 1);
        assert_true(started);
        assert_true(last < stopped);
        /* One after the other through the lock, each a few file reads (slow
         * under valgrind), against 15 runs of 0.5 s before. */
        assert_true(last - first < 2);
        assert_false(path_exists(marker));

        /* After the back-off a report syncs again; then nobody needs to. */
        unlink(fail_file);
        usleep(1600 * 1000);
        jobs[0] = (struct job){.r = r, .result = 1};
        run_thread(&jobs[0]);
        assert_int_equal(jobs[0].result, 0);
        assert_int_equal(runs_in_file(), 2);
        assert_true(path_exists(marker));
        run_thread(&jobs[0]);
        assert_int_equal(jobs[0].result, 0);
        assert_int_equal(runs_in_file(), 2);

        registrar_free(r);
        config_done(&cfg);
}

int main(void) {
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(test_split),
                cmocka_unit_test(test_singleflight),
                cmocka_unit_test(test_failure_shared_by_waiters),
                cmocka_unit_test(test_backoff_after_failure),
                cmocka_unit_test(test_failure_and_timeout),
                cmocka_unit_test(test_failure_reason_is_the_error),
                cmocka_unit_test(test_sync_reason),
                cmocka_unit_test(test_flock_between_instances),
                cmocka_unit_test(test_lock_wait_apart_from_timeout),
                cmocka_unit_test(test_update_holds_off_other_instance_sync),
                cmocka_unit_test(test_sync_not_starved_by_other_instances_updates),
                cmocka_unit_test(test_probe_ensure_no_storm),
        };
        return cmocka_run_group_tests(tests, setup, teardown);
}
