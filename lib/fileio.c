/* SPDX-License-Identifier: Apache-2.0 */
#include "fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "macros.h"

/* read(2) again when a signal interrupts it; a negative errno on failure. */
static ssize_t read_retrying(int fd, void *buf, size_t size) {
        for (;;) {
                ssize_t r = read(fd, buf, size);
                if (r >= 0 || errno != EINTR)
                        return r < 0 ? -errno : r;
        }
}

int open_regular_file(const char *path, struct stat *ret_st) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        struct stat st;
        int flags;

        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (S_ISDIR(st.st_mode))
                return -EISDIR;
        if (!S_ISREG(st.st_mode))
                return -EINVAL;
        flags = fcntl(fd, F_GETFL);
        if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0)
                return -errno;
        if (ret_st)
                *ret_st = st;
        return TAKE_FD(fd);
}

/* Reads fd to its end, at most max bytes, into a NUL-terminated buffer. */
static int read_fd_bounded(int fd, size_t max, char **ret_data, size_t *ret_len) {
        size_t cap = 4096, len = 0;
        _cleanup_free_ char *buf = malloc(cap + 1);
        if (!buf)
                return -ENOMEM;

        for (;;) {
                if (len == cap) {
                        if (cap > max)
                                return -EFBIG;
                        size_t ncap = cap * 2;
                        char *n = realloc(buf, ncap + 1);
                        if (!n)
                                return -ENOMEM;
                        buf = n;
                        cap = ncap;
                }
                ssize_t r = read_retrying(fd, buf + len, cap - len);
                if (r < 0)
                        return (int)r;
                if (r == 0)
                        break;
                len += (size_t)r;
                if (len > max)
                        return -EFBIG;
        }
        buf[len] = '\0';
        *ret_data = TAKE_PTR(buf);
        if (ret_len)
                *ret_len = len;
        return 0;
}

int read_file_bounded(const char *path, size_t max, char **ret_data, size_t *ret_len) {
        /* O_NONBLOCK: a FIFO with no writer reads as empty instead of
         * blocking the open for ever; regular files and /dev/null ignore it. */
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
        if (fd < 0)
                return -errno;
        return read_fd_bounded(fd, max, ret_data, ret_len);
}

int read_regular_file_bounded(const char *path, size_t max, char **ret_data, size_t *ret_len) {
        _cleanup_close_ int fd = open_regular_file(path, NULL);
        if (fd < 0)
                return fd;
        return read_fd_bounded(fd, max, ret_data, ret_len);
}

const char *read_error_text(int r) {
        switch (r) {
        case -EINVAL:
                return "not a regular file (a FIFO, device or socket is refused, never waited on)";
        case -EFBIG:
                return "file is larger than the limit";
        default:
                return strerror(-r);
        }
}

int read_attr(const char *path, char *buf, size_t size) {
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (size == 0)
                return -ENOBUFS;

        size_t len = 0;
        for (;;) {
                if (len == size - 1) {
                        /* Full: only acceptable if the file ends here (or with a newline). */
                        char extra;
                        ssize_t r = read(fd, &extra, 1);
                        if (r < 0)
                                return -errno;
                        if (r == 1 && !(extra == '\n' && read(fd, &extra, 1) == 0))
                                return -ENOBUFS;
                        break;
                }
                ssize_t r = read_retrying(fd, buf + len, size - 1 - len);
                if (r < 0)
                        return (int)r;
                if (r == 0)
                        break;
                len += (size_t)r;
        }
        buf[len] = '\0';
        if (len > 0 && buf[len - 1] == '\n')
                buf[len - 1] = '\0';
        return 0;
}

static int fsync_directory_of(const char *path) {
        _cleanup_free_ char *copy = strdup(path);
        if (!copy)
                return -ENOMEM;
        _cleanup_close_ int dfd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd < 0)
                return -errno;
        if (fsync(dfd) < 0)
                return -errno;
        return 0;
}

int write_file_atomic(const char *path, const void *data, size_t len, mode_t mode) {
        _cleanup_free_ char *tmp = NULL;
        if (asprintf(&tmp, "%s.onepci-XXXXXX", path) < 0)
                return -ENOMEM;

        _cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0)
                return -errno;

        int r = 0;
        const char *p = data;
        size_t left = len;
        while (left > 0) {
                ssize_t w = write(fd, p, left);
                if (w < 0) {
                        if (errno == EINTR)
                                continue;
                        r = -errno;
                        goto fail;
                }
                p += w;
                left -= (size_t)w;
        }
        if (fchmod(fd, mode) < 0 || fsync(fd) < 0) {
                r = -errno;
                goto fail;
        }
        if (close(TAKE_FD(fd)) < 0) {
                r = -errno;
                goto fail;
        }
        if (rename(tmp, path) < 0) {
                r = -errno;
                goto fail;
        }
        return fsync_directory_of(path);

fail:
        (void)unlink(tmp);
        return r;
}

int write_file_if_changed(const char *path, const void *data, size_t len, mode_t mode,
                          bool *ret_changed) {
        _cleanup_free_ char *old = NULL;
        size_t old_len = 0;
        struct stat st;

        int r = read_file_bounded(path, len + 1, &old, &old_len);
        if (r == 0 && old_len == len && memcmp(old, data, len) == 0 && stat(path, &st) == 0 &&
            (st.st_mode & 07777) == mode) {
                if (ret_changed)
                        *ret_changed = false;
                return 0;
        }
        r = write_file_atomic(path, data, len, mode);
        if (r < 0)
                return r;
        if (ret_changed)
                *ret_changed = true;
        return 0;
}

int mkdir_parents(const char *path, mode_t mode) {
        _cleanup_free_ char *p = strdup(path);
        if (!p)
                return -ENOMEM;
        for (char *s = p + 1; *s; s++) {
                if (*s != '/')
                        continue;
                *s = '\0';
                if (mkdir(p, mode) < 0 && errno != EEXIST)
                        return -errno;
                *s = '/';
        }
        if (mkdir(p, mode) < 0 && errno != EEXIST)
                return -errno;
        return 0;
}

char *path_join(const char *root, const char *rel) {
        char *out;
        size_t rl = strlen(root);
        while (rl > 0 && root[rl - 1] == '/')
                rl--;
        while (*rel == '/')
                rel++;
        if (asprintf(&out, "%.*s/%s", (int)rl, root, rel) < 0)
                return NULL;
        return out;
}

int read_link_basename(const char *path, char *buf, size_t size) {
        char target[PATH_MAX];
        ssize_t n = readlink(path, target, sizeof(target) - 1);
        if (n < 0)
                return -errno;
        target[n] = '\0';
        const char *base = strrchr(target, '/');
        base = base ? base + 1 : target;
        if (strlen(base) >= size)
                return -ENOBUFS;
        strcpy(buf, base);
        return 0;
}

bool path_exists(const char *path) {
        return access(path, F_OK) == 0;
}
