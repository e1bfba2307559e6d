/* SPDX-License-Identifier: Apache-2.0 */
/* Finding and following the leader of an oned Raft zone. */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "clock.h"
#include "macros.h"
#include "one-zone.h"
#include "xml-util.h"


struct one_zone {
        struct one_client *one;
        struct one_client *probe; /* raftstatus and zone.info: a short timeout */
        unsigned wait_ms;
        pthread_mutex_t mu;
        char home[ONE_ENDPOINT_MAX];   /* the configured server */
        char leader[ONE_ENDPOINT_MAX]; /* "" unknown */
        char *servers[ONE_ZONE_SERVERS_MAX];
        size_t n_servers;
        bool ha;
        bool stopping; /* one_zone_stop(): no more waiting out elections */
        int64_t last_discover_ms;
        /* per thread: when the current call first failed */
        pthread_key_t first_failure;
        struct one_zone_health health; /* the last refresh */
        int64_t health_checked_ms;     /* 0: never */
};

/* A RAFT field: a decimal integer, -1 allowed (VOTEDFOR); anything else is malformed. */
static int raft_field(xmlNode *n, long long *ret) {
        if (xml_ll(n, ret) < 0 || *ret < -1)
                return -EBADMSG;
        return 0;
}

int one_raft_parse(const char *xml, size_t len, struct one_raft *ret) {
        xmlDoc *doc;
        xmlNode *root = xml_read_root(xml, len, "RAFT", &doc);
        long long v[6];
        static const char *const names[] = {"SERVER_ID", "STATE",  "TERM",
                                            "VOTEDFOR",  "COMMIT", "LOG_INDEX"};
        int r = 0;

        if (!root)
                return -EBADMSG;
        for (size_t i = 0; r >= 0 && i < ELEMENTSOF(names); i++)
                r = raft_field(xml_child(root, names[i]), &v[i]);
        xmlFreeDoc(doc);
        if (r < 0)
                return r;
        if (v[1] < ONE_RAFT_SOLO || v[1] > ONE_RAFT_LEADER)
                return -EBADMSG;
        *ret = (struct one_raft){.server_id = (int)v[0],
                                 .state = (int)v[1],
                                 .term = (int)v[2],
                                 .votedfor = (int)v[3],
                                 .commit = v[4],
                                 .log_index = v[5]};
        return 0;
}

int one_zone_parse_endpoints(const char *xml, size_t len, char *ret[ONE_ZONE_SERVERS_MAX],
                             size_t *ret_n) {
        xmlDoc *doc;
        xmlNode *root = xml_read_root(xml, len, "ZONE", &doc), *pool;
        size_t n = 0;
        int r = 0;

        if (!root)
                return -EBADMSG;
        pool = xml_child(root, "SERVER_POOL");
        for (xmlNode *s = pool ? pool->children : NULL; r >= 0 && s; s = s->next) {
                xmlChar *t;

                if (s->type != XML_ELEMENT_NODE || !STREQ((const char *)s->name, "SERVER"))
                        continue;
                if (n == ONE_ZONE_SERVERS_MAX) {
                        r = -E2BIG;
                        break;
                }
                t = xmlNodeGetContent(xml_child(s, "ENDPOINT"));
                if (!t || !*t || strlen((const char *)t) >= ONE_ENDPOINT_MAX) {
                        xmlFree(t);
                        r = -EBADMSG;
                        break;
                }
                ret[n] = strdup((const char *)t);
                xmlFree(t);
                if (!ret[n]) {
                        r = -ENOMEM;
                        break;
                }
                n++;
        }
        xmlFreeDoc(doc);
        if (r < 0) {
                for (size_t i = 0; i < n; i++)
                        free(ret[i]);
                return r;
        }
        *ret_n = n;
        return 0;
}

bool one_zone_is_election_error(int r, const struct one_error *err) {
        static const char *const texts[] = {
                "no leader found",   "in election mode", "timed out and aborted",
                "Failed to connect", "libcurl failed",   "Couldn't connect",
        };

        if (r == -EHOSTDOWN)
                return true;
        if (r != -EREMOTEIO || !err || err->code != ONE_ERR_INTERNAL)
                return false;
        for (size_t i = 0; i < ELEMENTSOF(texts); i++)
                if (strstr(err->message, texts[i]))
                        return true;
        return false;
}

static int raftstatus_at(struct one_zone *z, const char *endpoint, struct one_raft *ret) {
        _cleanup_free_ char *xml = NULL;
        struct one_error err = {};
        int r;

        r = one_call_at(z->probe, endpoint, "one.zone.raftstatus", &xml, NULL, &err, "()");
        if (r >= 0)
                r = one_raft_parse(xml, strlen(xml), ret);
        return r;
}

static void forget_servers(struct one_zone *z) {
        for (size_t i = 0; i < z->n_servers; i++)
                free(z->servers[i]);
        z->n_servers = 0;
}

/* Looks for the leader (z->mu held); "" when there is none now. */
static void discover_locked(struct one_zone *z) {
        struct one_raft raft;
        _cleanup_free_ char *xml = NULL;
        struct one_error err = {};
        char *found[ONE_ZONE_SERVERS_MAX];
        size_t n = 0;

        z->last_discover_ms = monotonic_ms();
        z->leader[0] = '\0';
        if (raftstatus_at(z, z->home, &raft) >= 0) {
                if (raft.state == ONE_RAFT_SOLO) {
                        z->ha = false;
                        snprintf(z->leader, sizeof(z->leader), "%s", z->home);
                        return;
                }
                z->ha = true;
                /* Every server's endpoint, remembered for when this one is down. */
                if (one_call_at(z->probe, z->home, "one.zone.info", &xml, NULL, &err, "(i)", 0) >=
                            0 &&
                    one_zone_parse_endpoints(xml, strlen(xml), found, &n) >= 0 && n > 0) {
                        forget_servers(z);
                        memcpy(z->servers, found, n * sizeof(found[0]));
                        z->n_servers = n;
                }
                if (raft.state == ONE_RAFT_LEADER) {
                        snprintf(z->leader, sizeof(z->leader), "%s", z->home);
                        return;
                }
        }
        /* The configured server is a follower, or does not answer: ask each
         * server of the zone as last seen. */
        for (size_t i = 0; i < z->n_servers; i++) {
                if (raftstatus_at(z, z->servers[i], &raft) >= 0 && raft.state == ONE_RAFT_LEADER) {
                        snprintf(z->leader, sizeof(z->leader), "%s", z->servers[i]);
                        return;
                }
        }
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

static void route_endpoint(void *userdata, char *buf, size_t size) {
        struct one_zone *z = userdata;

        pthread_mutex_lock(&z->mu);
        if (!z->leader[0] && monotonic_ms() - z->last_discover_ms >= ONE_ZONE_DISCOVER_MS)
                discover_locked(z);
        /* No leader known: the configured server answers with why. */
        snprintf(buf, size, "%s", z->leader[0] ? z->leader : z->home);
        pthread_mutex_unlock(&z->mu);
}

static bool route_failed(void *userdata, const char *endpoint, int r, const struct one_error *err,
                         unsigned attempt) {
        struct one_zone *z = userdata;
        int64_t now = monotonic_ms(), *first;
        bool ha;

        if (!one_zone_is_election_error(r, err))
                return false;
        pthread_mutex_lock(&z->mu);
        if (STREQ(z->leader, endpoint))
                z->leader[0] = '\0';
        ha = z->ha && !z->stopping;
        pthread_mutex_unlock(&z->mu);
        if (!ha)
                return false;
        first = pthread_getspecific(z->first_failure);
        if (!first) {
                first = malloc(sizeof(*first));
                if (!first)
                        return false;
                pthread_setspecific(z->first_failure, first);
        }
        if (attempt == 0)
                *first = now;
        if (now - *first >= (int64_t)z->wait_ms)
                return false;
        /* 250 ms, 500 ms, then every second: a few calls per election, not a storm. */
        sleep_ms(attempt == 0 ? 250 : attempt == 1 ? 500 : 1000);
        return true;
}

void one_zone_stop(struct one_zone *z) {
        if (!z)
                return;
        pthread_mutex_lock(&z->mu);
        z->stopping = true;
        pthread_mutex_unlock(&z->mu);
}

int one_zone_new(struct one_client *one, unsigned wait_ms, struct one_zone **ret) {
        struct one_zone *z = calloc(1, sizeof(*z));

        if (!z)
                return -ENOMEM;
        z->one = one;
        z->wait_ms = wait_ms;
        snprintf(z->home, sizeof(z->home), "%s", one_client_endpoint(one));
        z->last_discover_ms = INT64_MIN / 2;
        if (one_client_new_like(one, ONE_ZONE_PROBE_TIMEOUT_MS, &z->probe) < 0) {
                free(z);
                return -ENOMEM;
        }
        pthread_mutex_init(&z->mu, NULL);
        if (pthread_key_create(&z->first_failure, free) != 0) {
                pthread_mutex_destroy(&z->mu);
                one_client_free(z->probe);
                free(z);
                return -ENOMEM;
        }
        *ret = z;
        return 0;
}

void one_zone_attach(struct one_zone *z) {
        struct one_router router = {
                .endpoint = route_endpoint, .failed = route_failed, .userdata = z};

        one_client_set_router(z->one, &router);
}

void one_zone_free(struct one_zone *z) {
        if (!z)
                return;
        one_client_set_router(z->one, NULL);
        free(pthread_getspecific(z->first_failure));
        pthread_setspecific(z->first_failure, NULL);
        pthread_key_delete(z->first_failure);
        forget_servers(z);
        one_client_free(z->probe);
        pthread_mutex_destroy(&z->mu);
        free(z);
}

bool one_zone_is_ha(struct one_zone *z) {
        bool ha;

        pthread_mutex_lock(&z->mu);
        ha = z->ha;
        pthread_mutex_unlock(&z->mu);
        return ha;
}

int one_zone_health(struct one_zone *z, struct one_zone_health *ret) {
        struct one_raft home = {}, lead = {};
        int r;

        *ret = (struct one_zone_health){.state = -1, .commit = -1, .leader_log_index = -1};
        r = raftstatus_at(z, z->home, &home);
        if (r >= 0) {
                ret->state = home.state;
                ret->term = home.term;
                ret->commit = home.commit;
        }
        /* The leader as last known; when it no longer leads, once more as found now. */
        for (int attempt = 0; attempt < 2 && !ret->leader_reachable; attempt++) {
                pthread_mutex_lock(&z->mu);
                if (attempt > 0 && STREQ(z->leader, ret->leader))
                        z->leader[0] = '\0';
                if (!z->leader[0] && monotonic_ms() - z->last_discover_ms >= ONE_ZONE_DISCOVER_MS)
                        discover_locked(z);
                snprintf(ret->leader, sizeof(ret->leader), "%s", z->leader);
                pthread_mutex_unlock(&z->mu);
                if (ret->leader[0] && raftstatus_at(z, ret->leader, &lead) >= 0 &&
                    (lead.state == ONE_RAFT_LEADER || lead.state == ONE_RAFT_SOLO)) {
                        ret->leader_reachable = true;
                        ret->leader_log_index =
                                lead.state == ONE_RAFT_SOLO ? home.commit : lead.log_index;
                }
        }
        return r;
}

int one_zone_wait_replicated(struct one_zone *z, unsigned wait_ms,
                             struct error_message *ret_error) {
        struct one_raft home, lead;
        char leader[ONE_ENDPOINT_MAX];
        int64_t deadline = monotonic_ms() + wait_ms;
        long long want = -1;

        for (;;) {
                if (!one_zone_is_ha(z))
                        return 0;
                if (want < 0) {
                        route_endpoint(z, leader, sizeof(leader));
                        if (raftstatus_at(z, leader, &lead) >= 0 && lead.state == ONE_RAFT_LEADER)
                                want = lead.log_index;
                }
                if (want >= 0 && raftstatus_at(z, z->home, &home) >= 0 && home.commit >= want)
                        return 0;
                if (monotonic_ms() >= deadline) {
                        error_set(ret_error,
                                  "%s has not applied the leader's writes (log index %lld) "
                                  "after %u ms",
                                  z->home, want, wait_ms);
                        return -ETIMEDOUT;
                }
                sleep_ms(100);
        }
}

void one_zone_health_refresh(struct one_zone *z) {
        struct one_zone_health h;

        (void)one_zone_health(z, &h);
        pthread_mutex_lock(&z->mu);
        z->health = h;
        z->health_checked_ms = monotonic_ms();
        pthread_mutex_unlock(&z->mu);
}

bool one_zone_health_cached(struct one_zone *z, struct one_zone_health *ret,
                            int64_t *ret_checked_ms) {
        bool have;

        pthread_mutex_lock(&z->mu);
        have = z->health_checked_ms != 0;
        *ret = z->health;
        *ret_checked_ms = z->health_checked_ms;
        pthread_mutex_unlock(&z->mu);
        return have;
}
