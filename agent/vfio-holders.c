/* SPDX-License-Identifier: Apache-2.0 */
#include "vfio-holders.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fileio.h"
#include "macros.h"
#include "strv.h"

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static bool all_digits(const char *s) {
        if (!*s)
                return false;
        for (; *s; s++)
                if (*s < '0' || *s > '9')
                        return false;
        return true;
}

/* The command line with NULs as spaces, at most 200 bytes. */
static void command_line(const char *pid_dir, char *buf, size_t size) {
        _cleanup_free_ char *path = path_join(pid_dir, "cmdline");
        _cleanup_free_ char *data = NULL;
        size_t len = 0;
        buf[0] = '\0';
        if (!path || read_file_bounded(path, 4096, &data, &len) < 0)
                return;
        while (len > 0 && data[len - 1] == '\0')
                len--;
        size_t n = 0;
        for (size_t i = 0; i < len && n + 1 < size; i++)
                buf[n++] = data[i] == '\0' ? ' ' : (data[i] < 0x20 ? '?' : data[i]);
        buf[n] = '\0';
}

int vfio_group_holders(const struct onepci_context *ctx, int group, char ***ret_strv) {
        _cleanup_free_ char *proc = ctx_path(ctx, "proc");
        _cleanup_strv_free_ char **v = NULL;
        char want[32];
        if (!proc)
                return -ENOMEM;
        snprintf(want, sizeof(want), "/dev/vfio/%d", group);
        _cleanup_(closedirp) DIR *pd = opendir(proc);
        struct dirent *de;
        while (pd && (de = readdir(pd))) {
                if (!all_digits(de->d_name))
                        continue;
                _cleanup_free_ char *pid_dir = path_join(proc, de->d_name);
                _cleanup_free_ char *fd_dir = pid_dir ? path_join(pid_dir, "fd") : NULL;
                if (!fd_dir)
                        return -ENOMEM;
                _cleanup_(closedirp) DIR *fd = opendir(fd_dir);
                struct dirent *fe;
                bool holds = false;
                while (fd && !holds && (fe = readdir(fd))) {
                        char target[PATH_MAX];
                        _cleanup_free_ char *link = path_join(fd_dir, fe->d_name);
                        ssize_t n = link ? readlink(link, target, sizeof(target) - 1) : -1;
                        if (n <= 0)
                                continue;
                        target[n] = '\0';
                        holds = STREQ(target, want);
                }
                if (!holds)
                        continue;
                char cmd[201];
                command_line(pid_dir, cmd, sizeof(cmd));
                int r = strv_pushf(&v, "%s (%s)", de->d_name, cmd[0] ? cmd : "?");
                if (r < 0)
                        return r;
        }
        *ret_strv = TAKE_PTR(v);
        return 0;
}
