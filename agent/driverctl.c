/* SPDX-License-Identifier: Apache-2.0 */
#include "driverctl.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
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

/* Enough for any error driverctl or a package manager prints; the rest is
 * read and dropped so the child never blocks on a full pipe. */
#define STDERR_CAPTURE_MAX (16 * 1024)
#define INSTALL_TIMEOUT_MS (10 * 60 * 1000)
/* How often a child that closed its stderr is checked for having exited. */
#define POLL_SLICE_MS 100

extern char **environ;

static const char *const sbin_dirs[] = { "/usr/sbin", "/sbin", "/usr/bin", "/bin" };

static bool is_executable_file(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return false;
        if (!S_ISREG(st.st_mode)) {
                errno = EACCES;
                return false;
        }
        return access(path, X_OK) == 0;
}

/* name in $PATH, then in the usual system directories. */
static int find_program(const char *name, char **ret_path) {
        const char *path_env = getenv("PATH");
        if (path_env) {
                _cleanup_free_ char *copy = strdup(path_env);
                if (!copy)
                        return -ENOMEM;
                char *save = NULL;
                for (char *dir = strtok_r(copy, ":", &save); dir;
                     dir = strtok_r(NULL, ":", &save)) {
                        if (dir[0] != '/')
                                continue; /* a relative PATH entry depends on the cwd */
                        _cleanup_free_ char *p = NULL;
                        if (asprintf(&p, "%s/%s", dir, name) < 0)
                                return -ENOMEM;
                        if (is_executable_file(p)) {
                                *ret_path = TAKE_PTR(p);
                                return 0;
                        }
                }
        }
        for (size_t i = 0; i < ELEMENTSOF(sbin_dirs); i++) {
                _cleanup_free_ char *p = NULL;
                if (asprintf(&p, "%s/%s", sbin_dirs[i], name) < 0)
                        return -ENOMEM;
                if (is_executable_file(p)) {
                        *ret_path = TAKE_PTR(p);
                        return 0;
                }
        }
        return -ENOENT;
}

int driverctl_locate(const struct onepci_context *ctx, char **ret_path) {
        if (ctx->driverctl) {
                if (!is_executable_file(ctx->driverctl))
                        return errno == EACCES ? -EACCES : -ENOENT;
                char *p = strdup(ctx->driverctl);
                if (!p)
                        return -ENOMEM;
                *ret_path = p;
                return 0;
        }
        /* The system's driverctl works on the real /sys: never pair it with
         * a fixture root. */
        if (!ctx->live)
                return -ENOENT;
        return find_program("driverctl", ret_path);
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
                size_t room = STDERR_CAPTURE_MAX - *len;
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
static int run_program(const char *program, char *const *argv, char *const *envp, int timeout_ms,
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

        _cleanup_free_ char *captured = malloc(STDERR_CAPTURE_MAX + 1);
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

int driverctl_run(const char *program, const char *const *args, int timeout_ms,
                  char **ret_stderr) {
        size_t n = 0;
        while (args && args[n])
                n++;
        _cleanup_free_ char **argv = calloc(n + 2, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        argv[0] = (char *)program;
        for (size_t i = 0; i < n; i++)
                argv[i + 1] = (char *)args[i];

        return run_program(program, argv, environ, timeout_ms, ret_stderr);
}

int driverctl_set_override(const char *program, const char *address, const char *driver,
                           int timeout_ms, char **ret_stderr) {
        const char *args[] = { "set-override", address, driver, NULL };
        return driverctl_run(program, args, timeout_ms, ret_stderr);
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

struct package_manager {
        const char *program;
        const char *const *install_args; /* after the program name */
        const char *const *refresh_args; /* run once when install fails; NULL: none */
        const char *env;                 /* extra environment entry; NULL: none */
};

static const char *const apt_install[] = { "install", "-y", "-q", "--no-install-recommends",
                                           "driverctl", NULL };
static const char *const apt_refresh[] = { "update", "-q", NULL };
static const char *const dnf_install[] = { "install", "-y", "-q", "driverctl", NULL };
static const char *const zypper_install[] = { "--non-interactive", "install", "driverctl",
                                              NULL };

static const struct package_manager package_managers[] = {
        { "apt-get", apt_install, apt_refresh, "DEBIAN_FRONTEND=noninteractive" },
        { "dnf", dnf_install, NULL, NULL },
        { "zypper", zypper_install, NULL, NULL },
};

static int run_with_env(const char *path, const char *const *args, const char *env_extra,
                        char **ret_stderr) {
        size_t n = 0;
        while (args[n])
                n++;
        _cleanup_free_ char **argv = calloc(n + 2, sizeof(char *));
        if (!argv)
                return -ENOMEM;
        argv[0] = (char *)path;
        for (size_t i = 0; i < n; i++)
                argv[i + 1] = (char *)args[i];

        _cleanup_free_ char **env = NULL;
        if (env_extra) {
                env = environ_with(env_extra);
                if (!env)
                        return -ENOMEM;
        }
        return run_program(path, argv, env ? env : environ, INSTALL_TIMEOUT_MS, ret_stderr);
}

int driverctl_install(const struct onepci_context *ctx, char **ret_message) {
        char *msg = NULL;
        int r;

        if (!ctx->live) {
                r = asprintf(&msg, "driverctl is missing; not installing packages under --root %s"
                             " (pass --driverctl PATH)", ctx->root);
                *ret_message = r < 0 ? NULL : msg;
                return -EPERM;
        }
        if (ctx->no_install) {
                r = asprintf(&msg, "driverctl is missing and --no-install was given: install the "
                             "package \"driverctl\" by hand");
                *ret_message = r < 0 ? NULL : msg;
                return -EPERM;
        }

        for (size_t i = 0; i < ELEMENTSOF(package_managers); i++) {
                const struct package_manager *pm = &package_managers[i];
                _cleanup_free_ char *path = NULL;
                if (find_program(pm->program, &path) < 0)
                        continue;

                _cleanup_free_ char *err = NULL;
                r = run_with_env(path, pm->install_args, pm->env, &err);
                if (r < 0 && r != -ENOMEM && pm->refresh_args) {
                        /* A fresh node often has stale package lists. */
                        _cleanup_free_ char *refresh_err = NULL;
                        if (run_with_env(path, pm->refresh_args, pm->env, &refresh_err) == 0) {
                                free(err);
                                err = NULL;
                                r = run_with_env(path, pm->install_args, pm->env, &err);
                        }
                }
                if (r == 0) {
                        *ret_message = NULL;
                        return 0;
                }

                /* The last line is where package managers put the reason. */
                const char *last = "";
                if (err && *err) {
                        const char *nl = strrchr(err, '\n');
                        last = nl ? nl + 1 : err;
                }
                if (asprintf(&msg, "installing driverctl with %s failed (%s%s%s); install the "
                             "package \"driverctl\" by hand",
                             path, r == -ETIMEDOUT ? "timed out" : strerror(-r),
                             *last ? ": " : "", last) < 0)
                        msg = NULL;
                *ret_message = msg;
                return r;
        }

        if (asprintf(&msg, "driverctl is missing and no package manager (apt-get, dnf, zypper) "
                     "was found: install the package \"driverctl\" by hand") < 0)
                msg = NULL;
        *ret_message = msg;
        return -ENOENT;
}
