/* SPDX-License-Identifier: Apache-2.0 */
#include "run-program.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "macros.h"

/* How often a child that closed its stderr is checked for having exited. */
#define POLL_SLICE_MS 100

extern char **environ;

static const char *const sbin_dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };

int program_check_executable(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EACCES;
        return access(path, X_OK) < 0 ? -errno : 0;
}

/* The executable dir/name, malloc'ed in *ret_path: 1 found, 0 not, -ENOMEM. */
static int try_dir(const char *dir, const char *name, char **ret_path) {
        _cleanup_free_ char *p = NULL;
        if (asprintf(&p, "%s/%s", dir, name) < 0)
                return -ENOMEM;
        if (program_check_executable(p) < 0)
                return 0;
        *ret_path = TAKE_PTR(p);
        return 1;
}

int program_find(const char *name, char **ret_path) {
        const char *path_env = getenv("PATH");
        int r;
        if (path_env) {
                _cleanup_free_ char *copy = strdup(path_env);
                if (!copy)
                        return -ENOMEM;
                char *save = NULL;
                for (char *dir = strtok_r(copy, ":", &save); dir;
                     dir = strtok_r(NULL, ":", &save)) {
                        if (dir[0] != '/')
                                continue; /* a relative PATH entry depends on the cwd */
                        r = try_dir(dir, name, ret_path);
                        if (r != 0)
                                return r < 0 ? r : 0;
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(sbin_dirs); i++) {
                r = try_dir(sbin_dirs[i], name, ret_path);
                if (r != 0)
                        return r < 0 ? r : 0;
        }
        return -ENOENT;
}

/* Strips trailing white space so the text fits in one error line. */
static void strip_trailing_space(char *s, size_t *len) {
        while (*len > 0 && (s[*len - 1] == '\n' || s[*len - 1] == ' ' || s[*len - 1] == '\t' ||
                            s[*len - 1] == '\r'))
                s[--*len] = '\0';
}

/* Reads what is available; returns 1 at end of file, 0 otherwise. */
static int drain_pipe(int fd, char *buf, size_t *len) {
        for (;;) {
                char chunk[4096];
                ssize_t n = read(fd, chunk, sizeof(chunk));
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        if (errno == EAGAIN)
                                return 0;
                        return -errno;
                }
                if (n == 0)
                        return 1;
                size_t room = RUN_PROGRAM_STDERR_MAX - *len;
                size_t take = (size_t)n < room ? (size_t)n : room;
                memcpy(buf + *len, chunk, take);
                *len += take;
                buf[*len] = '\0';
        }
}

static int spawn_child(const char *program, char *const *argv, char *const *envp, int err_fd,
                       pid_t *ret_pid) {
        posix_spawn_file_actions_t fa;
        posix_spawnattr_t attr;
        int r;

        r = posix_spawn_file_actions_init(&fa);
        if (r != 0)
                return -r;
        r = posix_spawnattr_init(&attr);
        if (r != 0) {
                posix_spawn_file_actions_destroy(&fa);
                return -r;
        }

        /* Own process group: on timeout the whole tree (a bash script and
         * what it started) is killed, so nothing keeps the pipe open. */
        sigset_t none, all;
        sigemptyset(&none);
        sigfillset(&all);
        r = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                    POSIX_SPAWN_SETSIGDEF);
        if (r == 0)
                r = posix_spawnattr_setpgroup(&attr, 0);
        if (r == 0)
                r = posix_spawnattr_setsigmask(&attr, &none);
        if (r == 0)
                r = posix_spawnattr_setsigdefault(&attr, &all);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
        if (r == 0)
                r = posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
        if (r == 0)
                r = posix_spawn(ret_pid, program, &fa, &attr, argv, envp);

        posix_spawnattr_destroy(&attr);
        posix_spawn_file_actions_destroy(&fa);
        return -r;
}

/* Runs argv[0] == program with envp, stderr captured, within timeout_ms. */
static int run_argv(const char *program, char *const *argv, char *const *envp, int timeout_ms,
                       char **ret_stderr) {
        if (timeout_ms <= 0)
                return -EINVAL;
        /* Checked here too, since not every posix_spawn reports a failed exec
         * (valgrind's does not): then it would look like exit status 127. */
        if (access(program, X_OK) < 0)
                return -errno;

        int pipefd[2];
        if (pipe2(pipefd, O_CLOEXEC | O_NONBLOCK) < 0)
                return -errno;
        _cleanup_close_ int rfd = pipefd[0];
        _cleanup_close_ int wfd = pipefd[1];

        _cleanup_free_ char *captured = malloc(RUN_PROGRAM_STDERR_MAX + 1);
        if (!captured)
                return -ENOMEM;
        captured[0] = '\0';
        size_t len = 0;

        pid_t pid;
        int r = spawn_child(program, argv, envp, wfd, &pid);
        if (r < 0)
                return r;
        closep(&wfd);
        wfd = -1; /* only the child holds the write end now, so EOF means it closed it */

        int64_t deadline = monotonic_ms() + timeout_ms;
        bool eof = false, exited = false, timed_out = false;
        int status = 0;

        while (!exited) {
                int64_t left = deadline - monotonic_ms();
                if (left <= 0) {
                        timed_out = true;
                        break;
                }
                if (!eof) {
                        struct pollfd p = { .fd = rfd, .events = POLLIN };
                        int n = poll(&p, 1, (int)(left < POLL_SLICE_MS ? left : POLL_SLICE_MS));
                        if (n < 0 && errno != EINTR) {
                                r = -errno;
                                break;
                        }
                        if (n > 0) {
                                int d = drain_pipe(rfd, captured, &len);
                                if (d < 0) {
                                        r = d;
                                        break;
                                }
                                eof = d == 1;
                        }
                } else {
                        struct timespec ts = { 0, 10 * 1000 * 1000 };
                        nanosleep(&ts, NULL);
                }
                pid_t w = waitpid(pid, &status, WNOHANG);
                if (w == pid)
                        exited = true;
                else if (w < 0 && errno != EINTR) {
                        r = -errno;
                        break;
                }
        }

        if (!exited) {
                /* Timed out or failed while waiting: the whole group goes. */
                (void)kill(-pid, SIGKILL);
                (void)kill(pid, SIGKILL);
                while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
                        ;
        } else if (!eof) {
                /* What it wrote just before exiting. */
                (void)drain_pipe(rfd, captured, &len);
        }

        strip_trailing_space(captured, &len);
        if (ret_stderr)
                *ret_stderr = TAKE_PTR(captured);

        if (r < 0)
                return r;
        if (timed_out)
                return -ETIMEDOUT;
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
                return 0;
        return -EIO;
}

/* environ with extra ("NAME=value") replacing any NAME= already there;
 * shares environ's strings. */
static char **environ_with(const char *extra) {
        size_t name_len = strcspn(extra, "=") + 1;
        size_t n = 0;
        while (environ[n])
                n++;
        char **env = calloc(n + 2, sizeof(char *));
        if (!env)
                return NULL;
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
                if (strncmp(environ[i], extra, name_len) != 0)
                        env[k++] = environ[i];
        env[k] = (char *)extra;
        return env;
}

int run_program(const char *program, const char *const *args, const char *env_extra,
                int timeout_ms, char **ret_stderr) {
        size_t n = 0;
        if (!program)
                return -EINVAL;
        while (args && args[n])
                n++;
        _cleanup_free_ char **argv = calloc(n + 2, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        argv[0] = (char *)program;
        for (size_t i = 0; i < n; i++)
                argv[i + 1] = (char *)args[i];

        _cleanup_free_ char **env = NULL;
        if (env_extra) {
                env = environ_with(env_extra);
                if (!env)
                        return -ENOMEM;
        }
        return run_argv(program, argv, env ? env : environ, timeout_ms, ret_stderr);
}
