/* SPDX-License-Identifier: Apache-2.0 */
#include "pci-snapshot.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <libudev.h>

#include "fileio.h"
#include "macros.h"
#include "pci-address.h"
#include "pci-ids.h"

static void closedirp(DIR **d) {
        if (*d)
                closedir(*d);
}
#define _cleanup_closedir_ _cleanup_(closedirp)

/* libpci's error callback must not return (its default calls exit(1)), and it
 * takes no user pointer: it jumps back to the scan with its message kept
 * here.  Thread-local so two scans in two threads cannot cross. */
static __thread jmp_buf pci_error_jump;
static __thread char pci_error_text[256];

static void __attribute__((noreturn, format(printf, 1, 2))) on_pci_error(char *msg, ...) {
        va_list ap;
        va_start(ap, msg);
        vsnprintf(pci_error_text, sizeof(pci_error_text), msg, ap);
        va_end(ap);
        pci_error_text[strcspn(pci_error_text, "\n")] = '\0';
        longjmp(pci_error_jump, 1);
}

/* Warnings (a missing pci.ids, say) must not reach the operator's terminal
 * from library code: names are optional. */
static void __attribute__((format(printf, 1, 2))) on_pci_quiet(char *msg, ...) {
}


static int compare_devices(const void *a, const void *b) {
        const struct pci_device *x = a, *y = b;
        return strcmp(x->address, y->address);
}

static void copy_string(char *dst, size_t size, const char *src) {
        snprintf(dst, size, "%s", src ? src : "");
}

/* Strict decimal parse of a sysfs number ("13", "-1"). */
static int parse_int(const char *s, int *ret) {
        char *end;
        errno = 0;
        long v = strtol(s, &end, 10);
        if (errno != 0 || end == s || *end != '\0' || v < INT_MIN || v > INT_MAX)
                return -EINVAL;
        *ret = (int)v;
        return 0;
}

/* Domains above ffff (Intel VMD) do not fit DDDD:BB:DD.F; devices behind a
 * VMD cannot be passed through on their own anyway. */
static bool fits_address(const struct pci_dev *p) {
        return p->domain >= 0 && p->domain <= 0xffff && p->dev < 32 && p->func < 8;
}

static void fill_from_libpci(struct pci_dev *p, struct pci_device *d) {
        pci_fill_info(p, PCI_FILL_IDENT | PCI_FILL_CLASS | PCI_FILL_CLASS_EXT | PCI_FILL_DRIVER |
                                 PCI_FILL_IOMMU_GROUP | PCI_FILL_NUMA_NODE);

        snprintf(d->address, sizeof(d->address), "%04x:%02x:%02x.%x",
                 (unsigned)p->domain & 0xffff, p->bus & 0xffu, p->dev & 0x1fu, p->func & 0x7u);
        snprintf(d->vendor, sizeof(d->vendor), "%04x", p->vendor_id);
        snprintf(d->device, sizeof(d->device), "%04x", p->device_id);
        snprintf(d->class6, sizeof(d->class6), "%04x%02x", p->device_class, p->prog_if);
        d->is_bridge = (p->device_class >> 8) == 0x06;

        const char *driver = pci_get_string_property(p, PCI_FILL_DRIVER);
        if (driver && strrchr(driver, '/'))
                driver = strrchr(driver, '/') + 1;
        copy_string(d->driver, sizeof(d->driver), driver);

        const char *group = pci_get_string_property(p, PCI_FILL_IOMMU_GROUP);
        if (!group || parse_int(group, &d->iommu_group) < 0 || d->iommu_group < 0)
                d->iommu_group = -1;

        d->numa_node = p->numa_node;
}

/* Names are cosmetic: a missing, unreadable or damaged pci.ids leaves names
 * empty, never fails the snapshot.  The file is mapped, not read: it is
 * 1.3 MB and only a few of its lines are wanted. */
static void name_devices(const char *ids_path, struct pci_device *devices, size_t n) {
        _cleanup_free_ struct pci_ids_query *q = calloc(n ? n : 1, sizeof(*q));
        if (!q)
                return;
        for (size_t i = 0; i < n; i++) {
                struct pci_device *d = &devices[i];
                q[i] = (struct pci_ids_query){
                        .vendor = (unsigned)strtoul(d->vendor, NULL, 16),
                        .device = (unsigned)strtoul(d->device, NULL, 16),
                        .vendor_name = d->vendor_name,
                        .vendor_size = sizeof(d->vendor_name),
                        .device_name = d->device_name,
                        .device_size = sizeof(d->device_name),
                };
        }
        /* Empty names first, so every early return below leaves them so. */
        pci_ids_lookup(NULL, 0, q, n);

        _cleanup_close_ int fd = open(ids_path, O_RDONLY | O_CLOEXEC);
        struct stat st;
        if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size == 0 ||
            (uintmax_t)st.st_size > SIZE_MAX)
                return;
        void *data = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (data == MAP_FAILED)
                return;
        pci_ids_lookup(data, (size_t)st.st_size, q, n);
        munmap(data, (size_t)st.st_size);
}

/* What pci.ids left unnamed, from udev's hwdb (often newer than pci.ids: on
 * Debian 12 only the hwdb knows the L40S), as libpci itself falls back. */
static void name_devices_from_hwdb(struct pci_device *devices, size_t n) {
        struct udev *udev = NULL;
        struct udev_hwdb *hwdb = NULL;
        for (size_t i = 0; i < n; i++) {
                struct pci_device *d = &devices[i];
                if (d->vendor_name[0] && d->device_name[0])
                        continue;
                if (!hwdb) {
                        udev = udev_new();
                        hwdb = udev ? udev_hwdb_new(udev) : NULL;
                        if (!hwdb)
                                break;
                }
                /* The key libpci asks the hwdb with: upper-case hex, a glob. */
                char modalias[64];
                snprintf(modalias, sizeof(modalias), "pci:v%08lXd%08lX*",
                         strtoul(d->vendor, NULL, 16), strtoul(d->device, NULL, 16));
                struct udev_list_entry *e;
                udev_list_entry_foreach(e, udev_hwdb_get_properties_list_entry(hwdb, modalias, 0)) {
                        const char *key = udev_list_entry_get_name(e);
                        const char *value = udev_list_entry_get_value(e);
                        if (!d->vendor_name[0] && STREQ(key, "ID_VENDOR_FROM_DATABASE"))
                                copy_string(d->vendor_name, sizeof(d->vendor_name), value);
                        else if (!d->device_name[0] && STREQ(key, "ID_MODEL_FROM_DATABASE"))
                                copy_string(d->device_name, sizeof(d->device_name), value);
                }
        }
        udev_hwdb_unref(hwdb);
        udev_unref(udev);
}

/* Lists the devices libpci finds under bus_path into *ret_devices, named
 * from ids_path (NULL: the pci.ids libpci was built to use, then udev's hwdb).  -EIO with
 * ret_error when libpci reports an error. */
static int scan_with_libpci(char *bus_path, char *ids_path, struct pci_device **ret_devices,
                            size_t *ret_n, struct error_message *ret_error) {
        /* volatile: read again after a longjmp back into this frame. */
        struct pci_access *volatile acc = pci_alloc();
        struct pci_device *volatile devices = NULL;

        if (!acc)
                return -ENOMEM;
        acc->error = on_pci_error;
        acc->warning = on_pci_quiet;
        acc->debug = on_pci_quiet;

        if (setjmp(pci_error_jump) != 0) {
                pci_cleanup(acc);
                free(devices);
                error_set(ret_error, "libpci: %s", pci_error_text);
                return -EIO;
        }

        /* A fresh pci_access per snapshot, so libpci's per-device cache
         * never serves values from before a rebind. */
        acc->method = PCI_ACCESS_SYS_BUS_PCI;
        char param[] = "sysfs.path"; /* libpci takes char *, not const */
        if (pci_set_param(acc, param, bus_path) < 0) {
                pci_cleanup(acc);
                error_set(ret_error, "libpci has no sysfs.path parameter");
                return -EOPNOTSUPP;
        }
        pci_init(acc);
        pci_scan_bus(acc);

        size_t n = 0;
        for (struct pci_dev *p = acc->devices; p; p = p->next)
                if (fits_address(p))
                        n++;
        devices = calloc(n ? n : 1, sizeof(struct pci_device));
        if (!devices) {
                pci_cleanup(acc);
                return -ENOMEM;
        }
        size_t i = 0;
        for (struct pci_dev *p = acc->devices; p; p = p->next)
                if (fits_address(p))
                        fill_from_libpci(p, &devices[i++]);

        if (ids_path) {
                name_devices(ids_path, devices, n);
        } else {
                /* libpci may be built to read pci.ids.gz; Debian and RHEL ship the
                 * plain file beside that name, and that is the one read here. */
                _cleanup_free_ char *plain = strdup(acc->id_file_name ? acc->id_file_name : "");
                size_t len = plain ? strlen(plain) : 0;
                if (len > 3 && STREQ(plain + len - 3, ".gz"))
                        plain[len - 3] = '\0';
                if (plain)
                        name_devices(plain, devices, n);
                name_devices_from_hwdb(devices, n);
        }

        pci_cleanup(acc);
        *ret_devices = devices;
        *ret_n = n;
        return 0;
}

/* Reads an optional text attribute: "" when the file does not exist. */
static int read_optional(const char *path, char *buf, size_t size) {
        int r = read_attr(path, buf, size);
        if (r == -ENOENT) {
                buf[0] = '\0';
                return 0;
        }
        return r;
}

/* A VF's PF and index (the PF's virtfnN link that points back at it), and
 * the device's first network interface with its MAC address. */
static int fill_vf_and_net(const char *dir, struct pci_device *d) {
        _cleanup_free_ char *physfn = path_join(dir, "physfn");
        _cleanup_free_ char *net = path_join(dir, "net");
        if (!physfn || !net)
                return -ENOMEM;
        char base[64], canon[PCI_ADDRESS_MAX];
        if (read_link_basename(physfn, base, sizeof(base)) == 0 &&
            pci_address_normalize(base, canon) == 0) {
                memcpy(d->physfn, canon, sizeof(canon));
                _cleanup_closedir_ DIR *pd = opendir(physfn);
                struct dirent *de;
                while (pd && (de = readdir(pd))) {
                        if (strncmp(de->d_name, "virtfn", 6) != 0)
                                continue;
                        _cleanup_free_ char *lp = path_join(physfn, de->d_name);
                        char vf[64];
                        if (lp && read_link_basename(lp, vf, sizeof(vf)) == 0 &&
                            STREQ(vf, d->address))
                                d->vf_index = atoi(de->d_name + 6);
                }
        }
        _cleanup_closedir_ DIR *nd = opendir(net);
        struct dirent *de;
        while (nd && (de = readdir(nd))) {
                if (de->d_name[0] == '.' || strlen(de->d_name) >= sizeof(d->ifname))
                        continue;
                if (d->ifname[0] && strcmp(de->d_name, d->ifname) > 0)
                        continue; /* the first by name, for a stable answer */
                _cleanup_free_ char *addr = path_join(net, de->d_name);
                _cleanup_free_ char *ap = addr ? path_join(addr, "address") : NULL;
                char mac[32];
                if (!ap || read_attr(ap, mac, sizeof(mac)) < 0 || strlen(mac) != 17)
                        continue;
                snprintf(d->ifname, sizeof(d->ifname), "%s", de->d_name);
                for (size_t i = 0; i < 18; i++)
                        d->mac[i] = (char)tolower((unsigned char)mac[i]);
        }
        return 0;
}

/* The attributes libpci does not report, plus driverctl's saved override. */
static int fill_from_sysfs(const struct onepci_context *ctx, struct pci_device *d,
                           struct error_message *ret_error) {
        _cleanup_free_ char *dir = ctx_pathf(ctx, "sys/bus/pci/devices/%s", d->address);
        _cleanup_free_ char *saved = ctx_pathf(ctx, "etc/driverctl.d/pci-%s", d->address);
        if (!dir || !saved)
                return -ENOMEM;

        struct {
                const char *name;
                char *buf;
                size_t size;
        } attrs[] = {
                { "driver_override", d->driver_override, sizeof(d->driver_override) },
                { NULL, d->saved_override, sizeof(d->saved_override) },
        };
        for (size_t i = 0; i < ELEMENTSOF(attrs); i++) {
                _cleanup_free_ char *path = attrs[i].name ? path_join(dir, attrs[i].name)
                                                          : strdup(saved);
                if (!path)
                        return -ENOMEM;
                int r = read_optional(path, attrs[i].buf, attrs[i].size);
                if (r < 0) {
                        error_set(ret_error, "cannot read %s: %s", path, strerror(-r));
                        return r;
                }
        }
        if (STREQ(d->driver_override, "(null)"))
                d->driver_override[0] = '\0';

        char buf[32];
        _cleanup_free_ char *numvfs = path_join(dir, "sriov_numvfs");
        if (!numvfs)
                return -ENOMEM;
        int r = read_optional(numvfs, buf, sizeof(buf));
        int vfs = 0;
        if (r == 0 && buf[0] != '\0')
                r = parse_int(buf, &vfs);
        if (r < 0) {
                error_set(ret_error, "cannot read %s: %s", numvfs, strerror(-r));
                return r;
        }
        d->has_vfs = vfs > 0;
        d->sriov_numvfs = vfs;
        d->sriov_totalvfs = -1;
        d->vf_index = -1;
        _cleanup_free_ char *total = path_join(dir, "sriov_totalvfs");
        if (!total)
                return -ENOMEM;
        if (read_optional(total, buf, sizeof(buf)) == 0 && buf[0] &&
            parse_int(buf, &d->sriov_totalvfs) < 0)
                d->sriov_totalvfs = -1;

        r = fill_vf_and_net(dir, d);
        if (r < 0) {
                error_set(ret_error, "cannot read %s: %s", dir, strerror(-r));
                return r;
        }

        _cleanup_free_ char *boot_vga = path_join(dir, "boot_vga");
        _cleanup_free_ char *physfn = path_join(dir, "physfn");
        if (!boot_vga || !physfn)
                return -ENOMEM;
        d->boot_vga = read_attr(boot_vga, buf, sizeof(buf)) == 0 && STREQ(buf, "1");
        d->is_vf = path_exists(physfn);
        return 0;
}

int pci_snapshot_read(const struct onepci_context *ctx, struct pci_snapshot **ret,
                      struct error_message *ret_error) {
        _cleanup_free_ char *bus_path = ctx_path(ctx, "sys/bus/pci");
        _cleanup_free_ char *devices_path = ctx_path(ctx, "sys/bus/pci/devices");
        if (!bus_path || !devices_path)
                return -ENOMEM;
        if (!path_exists(devices_path)) {
                error_set(ret_error, "%s does not exist: is sysfs mounted?", devices_path);
                return -ENOENT;
        }

        /* With --root, a root that brings its own pci.ids (a fixture, a
         * captured machine) is named from it alone, not from this host's. */
        _cleanup_free_ char *ids_path = ctx_path(ctx, "usr/share/misc/pci.ids");
        if (!ids_path)
                return -ENOMEM;
        if (ctx->live || !path_exists(ids_path)) {
                free(ids_path);
                ids_path = NULL;
        }

        _cleanup_free_ struct pci_device *devices = NULL;
        size_t n = 0;
        int r = scan_with_libpci(bus_path, ids_path, &devices, &n, ret_error);
        if (r < 0)
                return r;

        for (size_t i = 0; i < n; i++) {
                r = fill_from_sysfs(ctx, &devices[i], ret_error);
                if (r < 0)
                        return r;
        }
        qsort(devices, n, sizeof(*devices), compare_devices);

        struct pci_snapshot *s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->devices = TAKE_PTR(devices);
        s->n = n;
        *ret = s;
        return 0;
}

void pci_snapshot_free(struct pci_snapshot *s) {
        if (!s)
                return;
        free(s->devices);
        free(s);
}

const struct pci_device *pci_snapshot_find(const struct pci_snapshot *s, const char *address) {
        if (!s || !address || s->n == 0 || strlen(address) >= PCI_ADDRESS_MAX)
                return NULL;
        struct pci_device key;
        copy_string(key.address, sizeof(key.address), address);
        return bsearch(&key, s->devices, s->n, sizeof(key), compare_devices);
}

bool pci_device_is_settled_vfio(const struct pci_device *d) {
        return STREQ(d->driver, "vfio-pci") && STREQ(d->driver_override, "vfio-pci") &&
               STREQ(d->saved_override, "vfio-pci");
}
