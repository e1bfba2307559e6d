/* SPDX-License-Identifier: Apache-2.0 */
#include "vfio-rule.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <libgen.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup-udev.h"
#include "clock.h"
#include "fileio.h"
#include "macros.h"
#include "run-program.h"

#define ACCOUNT_FILE_MAX (4 * 1024 * 1024)
#define UDEVADM_TIMEOUT_MS 30000
/* Re-check the nodes at least this often even without an event. */
#define POLL_SLICE_MS 250

/* A name udev and getgrnam accept, and that cannot break out of the quotes. */
static bool group_name_valid(const char *group) {
        size_t len = strlen(group);
        if (len == 0 || len > 32 || group[0] == '-')
                return false;
        for (const char *c = group; *c; c++)
                if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
                      (*c >= '0' && *c <= '9') || *c == '_' || *c == '-' || *c == '.'))
                        return false;
        return true;
}

int vfio_rule_render(const char *group, mode_t mode, char **ret_text) {
        if (!group || !group_name_valid(group) || (mode & ~(mode_t)0777) != 0)
                return -EINVAL;

        const char *why = (mode & 0007) ?
                "# This mode lets EVERY local user open the device and drive its DMA; it was\n"
                "# chosen in the inventory.  0660 with the group \"kvm\" is the safe default.\n" :
                "# No access for others: whoever opens the node drives the device's DMA.\n"
                "# QEMU run by oneadmin (a member of the group) can open it.\n";

        char *text = NULL;
        if (asprintf(&text,
                     "# Managed by onepci-agent; changes here are overwritten on the next apply.\n"
                     "# Gives /dev/vfio/N (one node per IOMMU group bound to vfio-pci) its group\n"
                     "# and mode; devtmpfs creates it root-only.\n"
                     "%s"
                     "SUBSYSTEM==\"vfio\", GROUP=\"%s\", MODE=\"%04o\"\n",
                     why, group, (unsigned)mode) < 0)
                return -ENOMEM;
        *ret_text = text;
        return 0;
}

int vfio_rule_install(const struct onepci_context *ctx, const char *group, mode_t mode,
                      bool *ret_changed) {
        _cleanup_free_ char *text = NULL;
        int r = vfio_rule_render(group, mode, &text);
        if (r < 0)
                return r;

        _cleanup_free_ char *path = ctx_path(ctx, VFIO_RULE_PATH);
        _cleanup_free_ char *dir = path ? strdup(path) : NULL;
        if (!dir)
                return -ENOMEM;
        r = mkdir_parents(dirname(dir), 0755);
        if (r < 0)
                return r;
        return write_file_if_changed(path, text, strlen(text), 0644, ret_changed);
}

struct vfio_watch {
        struct udev *udev;
        struct udev_monitor *monitor;
};

void vfio_watch_free(struct vfio_watch *w) {
        if (!w)
                return;
        udev_monitor_unref(w->monitor);
        udev_unref(w->udev);
        free(w);
}

int vfio_watch_start(struct vfio_watch **ret) {
        struct vfio_watch *w = calloc(1, sizeof(*w));
        if (!w)
                return -ENOMEM;

        int r = -ENOMEM;
        w->udev = udev_new();
        if (!w->udev)
                goto fail;
        /* "udev": events after the rules ran, so the node has its group. */
        w->monitor = udev_monitor_new_from_netlink(w->udev, "udev");
        if (!w->monitor) {
                r = errno > 0 ? -errno : -EIO;
                goto fail;
        }
        r = udev_monitor_filter_add_match_subsystem_devtype(w->monitor, "vfio", NULL);
        if (r < 0)
                goto fail;
        r = udev_monitor_enable_receiving(w->monitor);
        if (r < 0)
                goto fail;
        *ret = w;
        return 0;

fail:
        vfio_watch_free(w);
        return r;
}

static void stat_node(const char *path, int group, gid_t gid, mode_t mode,
                      struct vfio_node_state *ret) {
        struct stat st;
        *ret = (struct vfio_node_state){ .group = group };
        if (stat(path, &st) < 0)
                return;
        ret->present = true;
        ret->gid = st.st_gid;
        ret->mode = st.st_mode & 07777;
        ret->ok = ret->gid == gid && ret->mode == mode;
}

static int node_path(const char *root, int group, char **ret) {
        _cleanup_free_ char *rel = NULL;
        if (group < 0)
                return -EINVAL;
        if (asprintf(&rel, "dev/vfio/%d", group) < 0)
                return -ENOMEM;
        *ret = path_join(root, rel);
        return *ret ? 0 : -ENOMEM;
}

static int stat_all(const int *groups, size_t n_groups, gid_t gid, mode_t mode,
                    struct vfio_node_state *states, bool *ret_all_ok) {
        bool all_ok = true;
        for (size_t i = 0; i < n_groups; i++) {
                _cleanup_free_ char *path = NULL;
                int r = node_path("/", groups[i], &path);
                if (r < 0)
                        return r;
                stat_node(path, groups[i], gid, mode, &states[i]);
                all_ok = all_ok && states[i].ok;
        }
        *ret_all_ok = all_ok;
        return 0;
}

static int lookup_gid(const char *group, gid_t *ret) {
        long size = sysconf(_SC_GETGR_R_SIZE_MAX);
        if (size <= 0)
                size = 16384;
        for (;;) {
                _cleanup_free_ char *buf = malloc((size_t)size);
                if (!buf)
                        return -ENOMEM;
                struct group gr, *res = NULL;
                int r = getgrnam_r(group, &gr, buf, (size_t)size, &res);
                if (r == ERANGE && size < 1024 * 1024) {
                        size *= 2;
                        continue;
                }
                if (r != 0)
                        return -r;
                if (!res)
                        return -ENOENT;
                *ret = gr.gr_gid;
                return 0;
        }
}

static int udevadm_reload(void) {
        static const char *const dirs[] = { "/usr/bin/udevadm", "/bin/udevadm",
                                            "/usr/sbin/udevadm", "/sbin/udevadm" };
        static const char *const args[] = { "control", "--reload", NULL };
        for (size_t i = 0; i < ELEMENTSOF(dirs); i++)
                if (access(dirs[i], X_OK) == 0)
                        return run_program(dirs[i], args, NULL, UDEVADM_TIMEOUT_MS, NULL);
        return -ENOENT;
}

/* Asks udev to run its rules on /dev/vfio/N again. */
static int retrigger(struct udev *udev, int group) {
        char sysname[16];
        snprintf(sysname, sizeof(sysname), "%d", group);
        _cleanup_(udev_device_unrefp) struct udev_device *dev =
                udev_device_new_from_subsystem_sysname(udev, "vfio", sysname);
        if (!dev)
                return -ENODEV;
        const char *syspath = udev_device_get_syspath(dev);
        if (!syspath)
                return -ENODEV;

        _cleanup_free_ char *uevent = path_join(syspath, "uevent");
        if (!uevent)
                return -ENOMEM;
        _cleanup_close_ int fd = open(uevent, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, "change", 6) != 6)
                return -errno;
        return 0;
}

static void drain_monitor(struct udev_monitor *monitor) {
        struct udev_device *dev;
        while ((dev = udev_monitor_receive_device(monitor)))
                udev_device_unref(dev);
}

int vfio_rule_apply_live(struct vfio_watch *w, const int *groups, size_t n_groups,
                         const char *group, mode_t mode, int timeout_ms,
                         struct vfio_node_state *ret_states) {
        gid_t gid;
        bool all_ok;
        int r;

        if (n_groups > 0 && (!groups || !ret_states))
                return -EINVAL;

        r = lookup_gid(group, &gid);
        if (r < 0)
                return r;

        r = udevadm_reload();
        if (r < 0)
                return r;

        /* A node already right needs no event; the others are re-triggered
         * now that the new rule is loaded.  A group already on vfio-pci
         * before this run makes no event by itself. */
        r = stat_all(groups, n_groups, gid, mode, ret_states, &all_ok);
        if (r < 0 || all_ok)
                return r;
        /* Without a watch (the monitor could not start) trigger anyway and
         * poll the nodes on a timer. */
        _cleanup_(udev_unrefp) struct udev *own_udev = w ? NULL : udev_new();
        struct udev *udev = w ? w->udev : own_udev;
        for (size_t i = 0; udev && i < n_groups; i++)
                if (!ret_states[i].ok)
                        (void)retrigger(udev, groups[i]); /* the wait below judges */

        int fd = w ? udev_monitor_get_fd(w->monitor) : -1;
        int64_t deadline = monotonic_ms() + (timeout_ms > 0 ? timeout_ms : 0);
        for (;;) {
                if (w)
                        drain_monitor(w->monitor);
                r = stat_all(groups, n_groups, gid, mode, ret_states, &all_ok);
                if (r < 0 || all_ok)
                        return r;

                int64_t left = deadline - monotonic_ms();
                if (left <= 0)
                        return -ETIMEDOUT;
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int slice = (int)(left < POLL_SLICE_MS ? left : POLL_SLICE_MS);
                if (poll(&p, fd >= 0 ? 1 : 0, slice) < 0 && errno != EINTR)
                        return -errno;
        }
}

int vfio_node_stat(const struct onepci_context *ctx, int group, struct vfio_node_state *ret) {
        _cleanup_free_ char *path = NULL;
        int r = node_path(ctx->root, group, &path);
        if (r < 0)
                return r;
        /* No expectation here: ok stays false; see vfio_node_stat_expected(). */
        stat_node(path, group, (gid_t)-1, (mode_t)-1, ret);
        ret->ok = false;
        return 0;
}

/* Finds the line of an account file (passwd or group) whose first field is
 * name; fields are split in place into ret_fields. */
static int find_account_line(char *data, const char *name, char **ret_fields, size_t n_fields) {
        char *save = NULL;
        for (char *line = strtok_r(data, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
                char *colon = strchr(line, ':');
                if (!colon || (size_t)(colon - line) != strlen(name) ||
                    strncmp(line, name, strlen(name)) != 0)
                        continue;
                size_t i = 0;
                char *p = line;
                for (; i < n_fields; i++) {
                        ret_fields[i] = p;
                        char *next = strchr(p, ':');
                        if (!next) {
                                i++;
                                break;
                        }
                        *next = '\0';
                        p = next + 1;
                }
                for (; i < n_fields; i++)
                        ret_fields[i] = NULL;
                return 0;
        }
        return -ENOENT;
}

static int parse_id(const char *s, unsigned long *ret) {
        if (!s || !*s || *s == '-' || *s == '+')
                return -EINVAL;
        char *end;
        errno = 0;
        unsigned long v = strtoul(s, &end, 10);
        if (errno || *end || v > UINT32_MAX)
                return -EINVAL;
        *ret = v;
        return 0;
}

/* The gid of group in ROOT/etc/group. */
static int root_group_gid(const struct onepci_context *ctx, const char *group, gid_t *ret_gid,
                          char **ret_members) {
        _cleanup_free_ char *path = ctx_path(ctx, "etc/group");
        _cleanup_free_ char *data = NULL;
        if (!path)
                return -ENOMEM;
        int r = read_file_bounded(path, ACCOUNT_FILE_MAX, &data, NULL);
        if (r < 0)
                return r;
        char *fields[4];
        r = find_account_line(data, group, fields, ELEMENTSOF(fields));
        if (r < 0)
                return r;
        unsigned long gid;
        r = parse_id(fields[2], &gid);
        if (r < 0)
                return r;
        *ret_gid = (gid_t)gid;
        if (ret_members) {
                *ret_members = strdup(fields[3] ? fields[3] : "");
                if (!*ret_members)
                        return -ENOMEM;
        }
        return 0;
}

int vfio_group_gid(const struct onepci_context *ctx, const char *group, gid_t *ret_gid) {
        if (ctx->live) {
                /* NSS (LDAP, sssd) knows more than /etc/group. */
                int r = lookup_gid(group, ret_gid);
                if (r != -ENOENT)
                        return r;
        }
        return root_group_gid(ctx, group, ret_gid, NULL);
}

int vfio_node_stat_expected(const struct onepci_context *ctx, int group, const char *group_name,
                            mode_t mode, struct vfio_node_state *ret) {
        int r = vfio_node_stat(ctx, group, ret);
        if (r < 0)
                return r;
        gid_t gid;
        r = vfio_group_gid(ctx, group_name, &gid);
        if (r < 0 && r != -ENOENT)
                return r;
        ret->ok = r == 0 && ret->present && ret->gid == gid && ret->mode == mode;
        return 0;
}

static bool member_of(const char *members, const char *user) {
        size_t ulen = strlen(user);
        for (const char *p = members; *p;) {
                const char *comma = strchr(p, ',');
                size_t len = comma ? (size_t)(comma - p) : strlen(p);
                if (len == ulen && strncmp(p, user, len) == 0)
                        return true;
                if (!comma)
                        break;
                p = comma + 1;
        }
        return false;
}

bool vfio_oneadmin_missing_from_group(const struct onepci_context *ctx, const char *group) {
        _cleanup_free_ char *passwd_path = ctx_path(ctx, "etc/passwd");
        _cleanup_free_ char *passwd = NULL;
        if (!passwd_path || read_file_bounded(passwd_path, ACCOUNT_FILE_MAX, &passwd, NULL) < 0)
                return false;
        char *user[4];
        if (find_account_line(passwd, "oneadmin", user, ELEMENTSOF(user)) < 0)
                return false; /* no oneadmin: nothing to warn about */

        gid_t gid;
        _cleanup_free_ char *members = NULL;
        if (root_group_gid(ctx, group, &gid, &members) < 0)
                return true; /* the group is missing: oneadmin cannot be in it */

        unsigned long primary;
        if (parse_id(user[3], &primary) == 0 && (gid_t)primary == gid)
                return false;
        return !member_of(members, "oneadmin");
}
