/* SPDX-License-Identifier: Apache-2.0 */
#include "identity.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "cleanup-json.h"
#include "fileio.h"
#include "macros.h"

/* instance-data.json is small; anything bigger is not what we look for. */
#define MAX_INSTANCE_DATA ((size_t)4 << 20)
/* Hosts listed in a "no match" message before "and N more". */
#define MAX_LISTED_HOSTS 20

const char *identity_source_name(enum identity_source source) {
        static const char *const names[] = {
                [IDENTITY_GIVEN] = "--host",
                [IDENTITY_CLOUD_INIT] = "cloud-init local_hostname",
                [IDENTITY_HOSTNAME] = "hostname",
                [IDENTITY_ADDRESS] = "address",
        };
        return (unsigned)source < ELEMENTSOF(names) ? names[source] : "?";
}

void identity_facts_free(struct identity_facts *facts) {
        if (!facts)
                return;
        for (size_t i = 0; i < facts->n_candidates; i++)
                free(facts->candidates[i].value);
        free(facts->candidates);
        free(facts);
}

int identity_add(struct identity_facts *facts, enum identity_source source, const char *value) {
        if (!value || !value[0])
                return 0;
        for (size_t i = 0; i < facts->n_candidates; i++)
                if (facts->candidates[i].source == source &&
                    STREQ(facts->candidates[i].value, value))
                        return 0;
        if (facts->n_candidates == facts->cap_candidates) {
                size_t ncap = facts->cap_candidates ? facts->cap_candidates * 2 : 8;
                struct identity_candidate *c = realloc(facts->candidates, ncap * sizeof(*c));
                if (!c)
                        return -ENOMEM;
                facts->candidates = c;
                facts->cap_candidates = ncap;
        }
        char *v = strdup(value);
        if (!v)
                return -ENOMEM;
        facts->candidates[facts->n_candidates++] = (struct identity_candidate){source, v};
        return 0;
}

/* A name as given, then its first label ("n1.example.com", "n1"). */
static int add_full_and_short(struct identity_facts *facts, enum identity_source source,
                              const char *full) {
        char short_name[256];
        int r = identity_add(facts, source, full);
        if (r < 0)
                return r;
        snprintf(short_name, sizeof(short_name), "%.*s", (int)strcspn(full, "."), full);
        return identity_add(facts, source, short_name);
}

static int add_cloud_init(struct identity_facts *facts, const struct onepci_context *ctx) {
        _cleanup_free_ char *path = ctx_path(ctx, "run/cloud-init/instance-data.json");
        _cleanup_free_ char *data = NULL;
        if (!path)
                return -ENOMEM;
        if (read_file_bounded(path, MAX_INSTANCE_DATA, &data, NULL) < 0)
                return 0; /* no cloud-init here */

        _cleanup_json_ struct json_object *root = json_tokener_parse(data);
        struct json_object *v1, *name;
        if (!root || !json_object_object_get_ex(root, "v1", &v1) ||
            !json_object_object_get_ex(v1, "local_hostname", &name) ||
            !json_object_is_type(name, json_type_string))
                return 0;
        return add_full_and_short(facts, IDENTITY_CLOUD_INIT, json_object_get_string(name));
}

static int add_hostnames(struct identity_facts *facts, const struct onepci_context *ctx) {
        char name[256];
        if (ctx->live) {
                if (gethostname(name, sizeof(name)) < 0)
                        return 0;
                name[sizeof(name) - 1] = '\0';
                return add_full_and_short(facts, IDENTITY_HOSTNAME, name);
        }
        _cleanup_free_ char *path = ctx_path(ctx, "etc/hostname");
        if (!path)
                return -ENOMEM;
        if (read_attr(path, name, sizeof(name)) < 0)
                return 0;
        /* Only the first line; surrounding blanks are not part of it. */
        name[strcspn(name, "\n")] = '\0';
        char *start = name + strspn(name, " \t");
        start[strcspn(start, " \t\r")] = '\0';
        return add_full_and_short(facts, IDENTITY_HOSTNAME, start);
}

static int add_addresses(struct identity_facts *facts) {
        struct ifaddrs *list;
        if (getifaddrs(&list) < 0)
                return 0;
        int r = 0;
        for (struct ifaddrs *i = list; i && r >= 0; i = i->ifa_next) {
                char buf[INET6_ADDRSTRLEN];
                const void *addr;
                if (!i->ifa_addr || (i->ifa_flags & IFF_LOOPBACK))
                        continue;
                if (i->ifa_addr->sa_family == AF_INET)
                        addr = &((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
                else if (i->ifa_addr->sa_family == AF_INET6)
                        addr = &((const struct sockaddr_in6 *)(const void *)i->ifa_addr)->sin6_addr;
                else
                        continue;
                if (inet_ntop(i->ifa_addr->sa_family, addr, buf, sizeof(buf)))
                        r = identity_add(facts, IDENTITY_ADDRESS, buf);
        }
        freeifaddrs(list);
        return r;
}

int identity_collect(const struct onepci_context *ctx, const char *host,
                     struct identity_facts **ret) {
        _cleanup_(identity_facts_freep) struct identity_facts *facts = calloc(1, sizeof(*facts));
        int r;
        if (!facts)
                return -ENOMEM;
        if (host) {
                r = identity_add(facts, IDENTITY_GIVEN, host);
                if (r < 0)
                        return r;
                *ret = TAKE_PTR(facts);
                return 0;
        }
        r = add_cloud_init(facts, ctx);
        if (r >= 0)
                r = add_hostnames(facts, ctx);
        if (r >= 0 && ctx->live)
                r = add_addresses(facts);
        if (r < 0)
                return r;
        *ret = TAKE_PTR(facts);
        return 0;
}

/* exact: names compare byte for byte (hosts differing only in case are
 * different hosts in Ansible); otherwise case-insensitively (DNS names). */
static bool candidate_matches(const struct identity_candidate *c, const char *name,
                              const char *ansible_host, bool exact) {
        if (c->source == IDENTITY_ADDRESS)
                return ansible_host && STREQ(ansible_host, c->value);
        return exact ? STREQ(name, c->value) : strcasecmp(name, c->value) == 0;
}

bool identity_keep_host(const char *name, const char *ansible_host, void *userdata) {
        const struct identity_facts *facts = userdata;
        for (size_t i = 0; i < facts->n_candidates; i++)
                if (candidate_matches(&facts->candidates[i], name, ansible_host, false))
                        return true;
        return false;
}

static void list_candidates(FILE *f, const struct identity_facts *facts) {
        if (facts->n_candidates == 0) {
                fputs("none (give --host NAME)", f);
                return;
        }
        for (size_t i = 0; i < facts->n_candidates; i++)
                fprintf(f, "%s%s \"%s\"", i ? ", " : "",
                        identity_source_name(facts->candidates[i].source),
                        facts->candidates[i].value);
}

static void list_hosts(FILE *f, const struct inventory *inv) {
        size_t n = inventory_n_hosts(inv);
        if (n == 0) {
                fputs("none", f);
                return;
        }
        for (size_t i = 0; i < n && i < MAX_LISTED_HOSTS; i++) {
                const char *addr = inventory_host_address(inv, i);
                fprintf(f, "%s%s", i ? ", " : "", inventory_host_name(inv, i));
                if (addr)
                        fprintf(f, " (ansible_host %s)", addr);
        }
        if (n > MAX_LISTED_HOSTS)
                fprintf(f, " and %zu more", n - MAX_LISTED_HOSTS);
}

static char *finish_message(FILE *f, char **buf) {
        if (fclose(f) != 0) {
                free(*buf);
                return NULL;
        }
        return *buf;
}

/* Hosts matched by the candidates of one source, in inventory order. */
static size_t match_source_as(const struct identity_facts *facts, enum identity_source source,
                              const struct inventory *inv, bool exact, size_t *first,
                              size_t *second) {
        size_t found = 0;
        for (size_t h = 0; h < inventory_n_hosts(inv); h++) {
                const char *name = inventory_host_name(inv, h);
                const char *addr = inventory_host_address(inv, h);
                for (size_t i = 0; i < facts->n_candidates; i++) {
                        const struct identity_candidate *c = &facts->candidates[i];
                        if (c->source != source || !candidate_matches(c, name, addr, exact))
                                continue;
                        if (found == 0)
                                *first = h;
                        else if (found == 1)
                                *second = h;
                        found++;
                        break;
                }
        }
        return found;
}

/* A name written exactly as a host's wins over hosts that differ in case. */
static size_t match_source(const struct identity_facts *facts, enum identity_source source,
                           const struct inventory *inv, size_t *first, size_t *second) {
        size_t found = match_source_as(facts, source, inv, true, first, second);
        if (found == 1)
                return found;
        return match_source_as(facts, source, inv, false, first, second);
}

int identity_resolve(const struct identity_facts *facts, const struct inventory *inv,
                     char **ret_name, char **ret_message) {
        char *buf = NULL;
        size_t size = 0;

        *ret_message = NULL;
        for (int s = 0; s < _IDENTITY_SOURCE_MAX; s++) {
                size_t first = 0, second = 0;
                size_t found = match_source(facts, (enum identity_source)s, inv, &first, &second);
                if (found == 0)
                        continue;
                if (found == 1) {
                        char *name = strdup(inventory_host_name(inv, first));
                        if (!name)
                                return -ENOMEM;
                        *ret_name = name;
                        return 0;
                }
                FILE *f = open_memstream(&buf, &size);
                if (!f)
                        return -ENOMEM;
                fprintf(f,
                        "this machine matches %zu inventory hosts by %s: %s and %s%s; "
                        "candidates: ",
                        found, identity_source_name((enum identity_source)s),
                        inventory_host_name(inv, first), inventory_host_name(inv, second),
                        found > 2 ? " and more" : "");
                list_candidates(f, facts);
                fputs("; give --host NAME to choose", f);
                *ret_message = finish_message(f, &buf);
                return -ENOTUNIQ;
        }

        FILE *f = open_memstream(&buf, &size);
        if (!f)
                return -ENOMEM;
        fputs("no inventory host matches this machine; tried ", f);
        list_candidates(f, facts);
        fputs("; the inventory has hosts: ", f);
        list_hosts(f, inv);
        *ret_message = finish_message(f, &buf);
        return -ENOENT;
}
