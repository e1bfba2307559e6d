/* SPDX-License-Identifier: Apache-2.0 */
#include "sriov.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macros.h"
#include "run-program.h"

static int default_write_attr(const char *path, const char *value, void *userdata) {
        int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        if (fd < 0)
                return -errno;
        size_t len = strlen(value);
        ssize_t n = write(fd, value, len);
        int r = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
        if (close(fd) < 0 && r == 0)
                r = -errno;
        return r;
}

static int default_run(const char *program, const char *const *args, char **ret_stderr,
                       void *userdata) {
        return run_program(program, args, NULL, DEVLINK_TIMEOUT_MS, ret_stderr);
}

const struct sriov_io sriov_io_default = {
        .write_attr = default_write_attr,
        .run = default_run,
};

bool sriov_change_needed(const struct sriov_pf_change *c) {
        return c->current != c->want || c->has_override || (c->switchdev && !c->switchdev_done) ||
               c->legacy;
}

static int write_count(const struct onepci_context *ctx, const char *address, int n,
                       const struct sriov_io *io, struct error_message *err) {
        _cleanup_free_ char *path = ctx_pathf(ctx, "sys/bus/pci/devices/%s/sriov_numvfs", address);
        char value[16];
        if (!path)
                return -ENOMEM;
        snprintf(value, sizeof(value), "%d", n);
        int r = io->write_attr(path, value, io->userdata);
        if (r < 0)
                error_set(err, "cannot write %d to %s: %s", n, path, strerror(-r));
        return r;
}

static int eswitch(const char *devlink, const char *address, const char *mode,
                   const struct sriov_io *io, struct error_message *err) {
        char dev[64];
        snprintf(dev, sizeof(dev), "pci/%s", address);
        const char *args[] = {"dev", "eswitch", "set", dev, "mode", mode, NULL};
        _cleanup_free_ char *stderr_text = NULL;
        if (!devlink) {
                error_set(err, "devlink (iproute2) is needed to set the eswitch of %s to %s",
                          address, mode);
                return -ENOENT;
        }
        int r = io->run(devlink, args, &stderr_text, io->userdata);
        if (r < 0)
                error_set(err, "devlink dev eswitch set %s mode %s failed (%s)%s%s", dev, mode,
                          r == -ETIMEDOUT ? "timed out" : strerror(-r),
                          stderr_text && stderr_text[0] ? ": " : "", stderr_text ? stderr_text : "");
        return r;
}

int sriov_change_pf(const struct onepci_context *ctx, const struct sriov_pf_change *c,
                    const char *driverctl, const char *devlink, const struct sriov_io *io,
                    struct error_message *err) {
        int r;
        if (!io)
                io = &sriov_io_default;
        if (c->has_override) {
                const char *args[] = {"unset-override", c->address, NULL};
                _cleanup_free_ char *stderr_text = NULL;
                r = io->run(driverctl, args, &stderr_text, io->userdata);
                if (r < 0) {
                        error_set(err, "driverctl unset-override %s failed (%s)%s%s", c->address,
                                  strerror(-r), stderr_text && stderr_text[0] ? ": " : "",
                                  stderr_text ? stderr_text : "");
                        return r;
                }
        }
        bool set_switchdev = c->switchdev && !c->switchdev_done;
        bool set_legacy = c->legacy && !c->switchdev;
        int current = c->current;
        if (current != 0 && (current != c->want || set_switchdev || set_legacy)) {
                r = write_count(ctx, c->address, 0, io, err);
                if (r < 0)
                        return r;
                current = 0;
        }
        if (set_switchdev || set_legacy) {
                r = eswitch(devlink, c->address, set_switchdev ? "switchdev" : "legacy", io, err);
                if (r < 0)
                        return r;
        }
        if (current != c->want)
                return write_count(ctx, c->address, c->want, io, err);
        return 0;
}

int sriov_release_pf(const struct onepci_context *ctx, const char *address, bool legacy,
                     const char *devlink, const struct sriov_io *io, struct error_message *err) {
        if (!io)
                io = &sriov_io_default;
        int r = write_count(ctx, address, 0, io, err);
        if (r < 0)
                return r;
        return legacy ? eswitch(devlink, address, "legacy", io, err) : 0;
}

int sriov_rule_render(const struct sriov_rule_pf *pfs, size_t n, const char *devlink, char **ret) {
        _cleanup_free_ char *buf = NULL;
        size_t size = 0;
        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("# Written by onepci-agent: the SR-IOV VFs of pci_devices' set_numvfs, made\n"
              "# again at boot when each PF's driver binds (see onepci-agent(8)).\n"
              "# Local edits are overwritten.\n",
              f);
        for (size_t i = 0; i < n; i++) {
                const struct sriov_rule_pf *p = &pfs[i];
                /* "bind" when the PF's host driver binds; "add" covers a driver
                 * bound before udev saw the device (coldplug replays "add"). */
                fprintf(f, "ACTION==\"add|bind\", SUBSYSTEM==\"pci\", KERNEL==\"%s\", "
                           "DRIVER==\"?*\", DRIVER!=\"vfio-pci\", ATTR{sriov_numvfs}==\"0\", ",
                        p->address);
                if (p->switchdev)
                        fprintf(f, "RUN+=\"%s dev eswitch set pci/%s mode switchdev\", "
                                   "RUN+=\"/bin/sh -c 'echo %d > /sys%%p/sriov_numvfs'\"\n",
                                devlink ? devlink : "/usr/sbin/devlink", p->address, p->numvfs);
                else
                        fprintf(f, "ATTR{sriov_numvfs}=\"%d\"\n", p->numvfs);
        }
        if (fclose(f) != 0)
                return -ENOMEM;
        *ret = TAKE_PTR(buf);
        return 0;
}

int devlink_locate(const struct onepci_context *ctx, char **ret_path) {
        if (ctx->devlink) {
                int r = program_check_executable(ctx->devlink);
                if (r < 0)
                        return r == -EACCES ? -EACCES : -ENOENT;
                char *p = strdup(ctx->devlink);
                if (!p)
                        return -ENOMEM;
                *ret_path = p;
                return 0;
        }
        if (!ctx->live)
                return -ENOENT;
        return program_find("devlink", ret_path);
}
