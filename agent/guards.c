/* SPDX-License-Identifier: Apache-2.0 */
#include "guards.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fileio.h"
#include "macros.h"
#include "pci-address.h"

/* Stacked devices are rarely more than three deep (vlan on bond on NICs,
 * LVM on dm-crypt on md on disks); the limit only stops a loop. */
#define MAX_DEPTH 8

static void free_dirp(DIR **d) {
        if (*d)
                closedir(*d);
}

static int add_hit(struct guard_facts *g, const char *address, enum guard_kind kind,
                   const char *why) {
        for (size_t i = 0; i < g->n; i++)
                if (STREQ(g->hits[i].address, address) && g->hits[i].kind == kind)
                        return 0;
        struct guard_hit *n = realloc(g->hits, (g->n + 1) * sizeof(*n));
        if (!n)
                return -ENOMEM;
        g->hits = n;
        struct guard_hit *h = &g->hits[g->n++];
        memset(h, 0, sizeof(*h));
        snprintf(h->address, sizeof(h->address), "%s", address);
        h->kind = kind;
        snprintf(h->why, sizeof(h->why), "%s", why);
        return 0;
}

/* The nearest PCI device at or above a resolved sysfs path, into ret.
 * -ENODEV when there is none (a virtual device, a platform device) or when
 * the path left the root (an absolute link in a copied tree). */
static int pci_ancestor(const struct onepci_context *ctx, const char *resolved,
                        char ret[PCI_ADDRESS_MAX]) {
        size_t rootlen = STREQ(ctx->root, "/") ? 0 : strlen(ctx->root);
        if (strncmp(resolved, ctx->root, rootlen) != 0 || resolved[rootlen] != '/')
                return -ENODEV;
        _cleanup_free_ char *p = strdup(resolved + rootlen);
        if (!p)
                return -ENOMEM;
        for (;;) {
                char *slash = strrchr(p, '/');
                if (!slash)
                        return -ENODEV;
                char canonical[PCI_ADDRESS_MAX];
                if (pci_address_normalize(slash + 1, canonical) == 0 &&
                    STREQ(canonical, slash + 1)) {
                        memcpy(ret, canonical, PCI_ADDRESS_MAX);
                        return 0;
                }
                if (STREQ(slash + 1, "devices"))
                        return -ENODEV;
                *slash = '\0';
        }
}

/* realpath() of ROOT/rel; NULL when it does not exist. */
static char *resolve(const struct onepci_context *ctx, const char *rel) {
        _cleanup_free_ char *p = ctx_path(ctx, rel);
        return p ? realpath(p, NULL) : NULL;
}

/* Calls visit(name) for each entry of dir whose name starts with prefix,
 * passing the rest of the name.  A missing directory has no entries. */
typedef int (*entry_fn)(const struct onepci_context *ctx, const char *name, const char *chain,
                        int depth, struct guard_facts *g, const void *extra);

static int for_each_entry(const struct onepci_context *ctx, const char *dir, const char *prefix,
                          entry_fn visit, const char *chain, int depth, struct guard_facts *g,
                          const void *extra) {
        _cleanup_(free_dirp) DIR *d = opendir(dir);
        if (!d)
                return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
        size_t plen = strlen(prefix);
        struct dirent *e;
        while ((e = readdir(d))) {
                if (e->d_name[0] == '.' || strncmp(e->d_name, prefix, plen) != 0)
                        continue;
                int r = visit(ctx, e->d_name + plen, chain, depth, g, extra);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- network: default route interface down to its PCI NICs ---- */

static int visit_netdev(const struct onepci_context *ctx, const char *ifname, const char *chain,
                        int depth, struct guard_facts *g, const void *extra);

static int visit_bond_slaves(const struct onepci_context *ctx, const char *ifname,
                             const char *chain, int depth, struct guard_facts *g) {
        _cleanup_free_ char *path = ctx_pathf(ctx, "sys/class/net/%s/bonding/slaves", ifname);
        if (!path)
                return -ENOMEM;
        _cleanup_free_ char *data = NULL;
        int r = read_file_bounded(path, 4096, &data, NULL);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        char *save = NULL;
        for (char *tok = strtok_r(data, " \t\n", &save); tok;
             tok = strtok_r(NULL, " \t\n", &save)) {
                r = visit_netdev(ctx, tok, chain, depth + 1, g, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

static int visit_lower(const struct onepci_context *ctx, const char *name, const char *chain,
                       int depth, struct guard_facts *g, const void *extra) {
        return visit_netdev(ctx, name, chain, depth + 1, g, NULL);
}

static int visit_netdev(const struct onepci_context *ctx, const char *ifname, const char *chain,
                        int depth, struct guard_facts *g, const void *extra) {
        if (depth > MAX_DEPTH || strchr(ifname, '/') || STREQ(ifname, "..") || STREQ(ifname, "."))
                return 0;

        char here[160];
        if (chain[0])
                snprintf(here, sizeof(here), "%s -> %s", chain, ifname);
        else
                snprintf(here, sizeof(here), "%s", ifname);

        _cleanup_free_ char *dev_rel = NULL;
        if (asprintf(&dev_rel, "sys/class/net/%s/device", ifname) < 0)
                return -ENOMEM;
        _cleanup_free_ char *dev = resolve(ctx, dev_rel);
        if (dev) {
                char address[PCI_ADDRESS_MAX];
                if (pci_ancestor(ctx, dev, address) == 0) {
                        char why[160];
                        snprintf(why, sizeof(why), "carries the default route via %.129s", here);
                        return add_hit(g, address, GUARD_DEFAULT_ROUTE, why);
                }
        }

        /* A bridge's ports, a bond's slaves, the device under a VLAN or a
         * macvlan (lower_*; a bridge's ports appear there too). */
        _cleanup_free_ char *brif = ctx_pathf(ctx, "sys/class/net/%s/brif", ifname);
        _cleanup_free_ char *netdir = ctx_pathf(ctx, "sys/class/net/%s", ifname);
        if (!brif || !netdir)
                return -ENOMEM;
        int r = for_each_entry(ctx, brif, "", visit_lower, here, depth, g, NULL);
        if (r < 0)
                return r;
        r = visit_bond_slaves(ctx, ifname, here, depth, g);
        if (r < 0)
                return r;
        return for_each_entry(ctx, netdir, "lower_", visit_lower, here, depth, g, NULL);
}

/* ROOT/rel opened for reading: 0 with *ret NULL when it does not exist. */
static int open_optional(const struct onepci_context *ctx, const char *rel, FILE **ret) {
        _cleanup_free_ char *path = ctx_path(ctx, rel);
        if (!path)
                return -ENOMEM;
        *ret = fopen(path, "re");
        if (!*ret)
                return errno == ENOENT ? 0 : -errno;
        return 0;
}

/* Interfaces of the IPv4 default routes: destination and mask 0, route up. */
static int default_route_v4(const struct onepci_context *ctx, struct guard_facts *g) {
        _cleanup_fclose_ FILE *f = NULL;
        int r = open_optional(ctx, "proc/net/route", &f);
        if (r < 0 || !f)
                return r;

        char line[512];
        bool header = true;
        while (fgets(line, sizeof(line), f)) {
                if (header) {
                        header = false;
                        continue;
                }
                char ifname[64];
                unsigned long dest, gw, flags, mask;
                int refcnt, use, metric;
                if (sscanf(line, "%63s %lx %lx %lx %d %d %d %lx", ifname, &dest, &gw, &flags,
                           &refcnt, &use, &metric, &mask) != 8)
                        continue;
                if (dest != 0 || mask != 0 || !(flags & 0x1 /* RTF_UP */))
                        continue;
                r = visit_netdev(ctx, ifname, "", 0, g, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Interfaces of the IPv6 default routes: ::/0, up, not a reject route. */
static int default_route_v6(const struct onepci_context *ctx, struct guard_facts *g) {
        _cleanup_fclose_ FILE *f = NULL;
        int r = open_optional(ctx, "proc/net/ipv6_route", &f);
        if (r < 0 || !f)
                return r;

        char line[512];
        while (fgets(line, sizeof(line), f)) {
                char dest[33], src[33], next_hop[33], ifname[64];
                unsigned dest_len, src_len, metric, refcnt, use, flags;
                if (sscanf(line, "%32s %x %32s %x %32s %x %x %x %x %63s", dest, &dest_len, src,
                           &src_len, next_hop, &metric, &refcnt, &use, &flags, ifname) != 10)
                        continue;
                if (dest_len != 0 || strspn(dest, "0") != 32)
                        continue;
                if (!(flags & 0x1 /* RTF_UP */) || (flags & 0x200 /* RTF_REJECT */) ||
                    STREQ(ifname, "lo"))
                        continue;
                r = visit_netdev(ctx, ifname, "", 0, g, NULL);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* ---- storage: the root filesystem down to its PCI controllers ---- */

static int visit_block(const struct onepci_context *ctx, const char *name, const char *chain,
                       int depth, struct guard_facts *g, const void *extra);

/* Guards the controller of a resolved block device directory, or follows
 * its slaves/ (dm, md; a partition's are its disk's). */
static int visit_block_dir(const struct onepci_context *ctx, const char *dir, const char *here,
                           int depth, struct guard_facts *g) {
        char address[PCI_ADDRESS_MAX];
        if (pci_ancestor(ctx, dir, address) == 0) {
                char why[160];
                snprintf(why, sizeof(why), "controls the disk of the root filesystem (%.110s)",
                         here);
                return add_hit(g, address, GUARD_ROOT_DISK, why);
        }

        _cleanup_free_ char *slaves = path_join(dir, "slaves");
        _cleanup_free_ char *partition = path_join(dir, "partition");
        if (!slaves || !partition)
                return -ENOMEM;
        if (path_exists(partition)) {
                free(slaves);
                slaves = path_join(dir, "../slaves");
                if (!slaves)
                        return -ENOMEM;
        }
        return for_each_entry(ctx, slaves, "", visit_block, here, depth, g, NULL);
}

static int visit_block(const struct onepci_context *ctx, const char *name, const char *chain,
                       int depth, struct guard_facts *g, const void *extra) {
        if (depth > MAX_DEPTH || strchr(name, '/') || STREQ(name, "..") || STREQ(name, "."))
                return 0;
        char here[160];
        snprintf(here, sizeof(here), "%s -> %s", chain, name);
        _cleanup_free_ char *rel = NULL;
        if (asprintf(&rel, "sys/class/block/%s", name) < 0)
                return -ENOMEM;
        _cleanup_free_ char *dir = resolve(ctx, rel);
        if (!dir)
                return 0;
        return visit_block_dir(ctx, dir, here, depth + 1, g);
}

/* Splits a mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [TAGS] - FS SOURCE ...".
 * Octal escapes in the mount point ("\040") are left alone: only "/" matters. */
static bool parse_mountinfo(char *line, unsigned *ret_major, unsigned *ret_minor,
                            char **ret_mountpoint, char **ret_source) {
        char *save = NULL, *field[5];
        for (int i = 0; i < 5; i++) {
                field[i] = strtok_r(i == 0 ? line : NULL, " \n", &save);
                if (!field[i])
                        return false;
        }
        char *end;
        unsigned long major = strtoul(field[2], &end, 10);
        if (end == field[2] || *end != ':')
                return false;
        char *mstart = end + 1;
        unsigned long minor = strtoul(mstart, &end, 10);
        if (end == mstart || *end != '\0' || major > UINT_MAX || minor > UINT_MAX)
                return false;

        char *tok, *source = NULL;
        while ((tok = strtok_r(NULL, " \n", &save)))
                if (STREQ(tok, "-")) {
                        (void)strtok_r(NULL, " \n", &save); /* fs type */
                        source = strtok_r(NULL, " \n", &save);
                        break;
                }
        *ret_major = (unsigned)major;
        *ret_minor = (unsigned)minor;
        *ret_mountpoint = field[4];
        *ret_source = source;
        return true;
}

static int root_disk(const struct onepci_context *ctx, struct guard_facts *g) {
        _cleanup_free_ char *path = ctx_path(ctx, "proc/self/mountinfo");
        if (!path)
                return -ENOMEM;
        _cleanup_fclose_ FILE *f = fopen(path, "re");
        if (!f)
                return errno == ENOENT ? 0 : -errno;

        /* The last mount on / is the one in effect. */
        unsigned major = 0, minor = 0;
        char source[256] = "";
        bool found = false;
        char line[4096];
        while (fgets(line, sizeof(line), f)) {
                unsigned ma, mi;
                char *mountpoint, *src;
                if (!parse_mountinfo(line, &ma, &mi, &mountpoint, &src) || !STREQ(mountpoint, "/"))
                        continue;
                major = ma;
                minor = mi;
                snprintf(source, sizeof(source), "%s", src ? src : "");
                found = true;
        }
        if (!found)
                return 0;

        char label[300];
        snprintf(label, sizeof(label), "/ on %s", source[0] ? source : "?");

        _cleanup_free_ char *dir = NULL;
        if (major != 0) {
                _cleanup_free_ char *rel = NULL;
                if (asprintf(&rel, "sys/dev/block/%u:%u", major, minor) < 0)
                        return -ENOMEM;
                dir = resolve(ctx, rel);
        } else if (strncmp(source, "/dev/", 5) == 0 && !strchr(source + 5, '/')) {
                /* btrfs reports an anonymous 0:N; its source names the device. */
                _cleanup_free_ char *rel = NULL;
                if (asprintf(&rel, "sys/class/block/%s", source + 5) < 0)
                        return -ENOMEM;
                dir = resolve(ctx, rel);
        }
        if (!dir)
                return 0; /* tmpfs, overlay, NFS: no local disk to guard */
        return visit_block_dir(ctx, dir, label, 0, g);
}

int guards_collect(const struct onepci_context *ctx, struct guard_facts **ret) {
        struct guard_facts *g = calloc(1, sizeof(*g));
        if (!g)
                return -ENOMEM;
        int r = default_route_v4(ctx, g);
        if (r >= 0)
                r = default_route_v6(ctx, g);
        if (r >= 0)
                r = root_disk(ctx, g);
        if (r < 0) {
                guard_facts_free(g);
                return r;
        }
        *ret = g;
        return 0;
}

void guard_facts_free(struct guard_facts *g) {
        if (!g)
                return;
        free(g->hits);
        free(g);
}

const struct guard_hit *guard_facts_find(const struct guard_facts *g, const char *address) {
        if (!g || !address)
                return NULL;
        for (size_t i = 0; i < g->n; i++)
                if (STREQ(g->hits[i].address, address))
                        return &g->hits[i];
        return NULL;
}
