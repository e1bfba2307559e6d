/* SPDX-License-Identifier: Apache-2.0 */
/* The probe widening sequence, done once for all reports (write lock). */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "doc-lock.h"
#include "fileio.h"
#include "log.h"
#include "macros.h"
#include "one-template.h"
#include "one-zone.h"
#include "pool-xml.h"
#include "probe-conf.h"
#include "probe-ensure.h"
#include "registrar.h"

#define MARKER ".onepci-probe-synced"
#define SYNC_REPLICATED_WAIT_MS 10000

/* Whether every pci.conf is wide, and the hex SHA-256 of their texts. */
static int probe_state(const char *remotes_dir, bool *ret_wide, char ret_hash[65]) {
        static const char *const files[] = {"kvm-probes.d/pci.conf", "qemu-probes.d/pci.conf"};
        EVP_MD_CTX *ctx = EVP_MD_CTX_new();
        unsigned char md[32];
        bool wide = true;
        int r = 0;

        if (!ctx)
                return -ENOMEM;
        EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
        for (size_t i = 0; i < ELEMENTSOF(files); i++) {
                _cleanup_free_ char *path = path_join(remotes_dir, files[i]), *data = NULL;
                size_t len;

                if (!path) {
                        r = -ENOMEM;
                        break;
                }
                r = read_file_bounded(path, PROBE_CONF_MAX, &data, &len);
                if (r == -ENOENT && i > 0) {
                        r = 0;
                        continue;
                }
                if (r < 0)
                        break;
                wide = wide && probe_conf_is_wide(data, len);
                EVP_DigestUpdate(ctx, files[i], strlen(files[i]) + 1);
                EVP_DigestUpdate(ctx, data, len);
        }
        EVP_DigestFinal_ex(ctx, md, NULL);
        EVP_MD_CTX_free(ctx);
        if (r < 0)
                return r;
        for (size_t i = 0; i < sizeof(md); i++)
                snprintf(ret_hash + 2 * i, 3, "%02x", md[i]);
        *ret_wide = wide;
        return 0;
}

static bool marker_matches(const char *remotes_dir, const char *hash) {
        _cleanup_free_ char *path = path_join(remotes_dir, MARKER);
        char buf[128];

        return path && read_attr(path, buf, sizeof(buf)) >= 0 && STREQ(buf, hash);
}

static int write_marker(const char *dir, const char *hash, struct error_message *ret_error) {
        _cleanup_free_ char *path = path_join(dir, MARKER);
        char line[80];
        int k;

        snprintf(line, sizeof(line), "%s\n", hash);
        k = path ? write_file_atomic(path, line, strlen(line), 0644) : -ENOMEM;
        if (k < 0)
                error_set(ret_error, "%s/" MARKER ": %s", dir, strerror(-k));
        return k;
}

static int protect_clusters(struct registrar *r, struct one_error *err) {
        _cleanup_free_ char *xml = NULL, *deny = NULL;
        struct one_cluster *cl = NULL;
        size_t n = 0;
        int k;

        k = one_clusterpool_info(r->one, &xml, err);
        if (k < 0)
                return k;
        k = pool_parse_clusters(xml, strlen(xml), &cl, &n);
        if (k < 0) {
                snprintf(err->message, sizeof(err->message),
                         "one.clusterpool.info: answer is not a CLUSTER_POOL");
                return k;
        }
        k = template_render_deny_all(&deny);
        for (size_t i = 0; k >= 0 && i < n; i++) {
                /* An empty filter matches everything: treat it as none. */
                if (cl[i].pci_filter && cl[i].pci_filter[0])
                        continue;
                k = one_cluster_update(r->one, cl[i].id, deny, 1, err);
        }
        one_clusters_free(cl, n);
        return k;
}

int probe_ensure(struct registrar *r, bool *ret_widened, struct one_error *err,
                 struct error_message *ret_error) {
        const char *dir = r->cfg->remotes_dir;
        uint64_t ticket;
        char hash[65];
        bool wide, changed = false, synced_elsewhere = false;
        int k;

        *ret_widened = false;
        k = probe_state(dir, &wide, hash);
        if (k < 0) {
                error_set(ret_error, "%s/kvm-probes.d/pci.conf: %s", dir, strerror(-k));
                return k;
        }
        if (wide && marker_matches(dir, hash))
                return 0;

        /* Taken before waiting for the lock: when the sync of the report
         * ahead of us fails, we answer with its failure instead of queueing
         * a sync of our own behind it. */
        ticket = sync_ticket(r->sync);
        pthread_rwlock_wrlock(&r->probe_lock);
        /* Another report may have done it while we waited. */
        k = probe_state(dir, &wide, hash);
        if (k < 0 || (wide && marker_matches(dir, hash)))
                goto out;
        if (!wide && r->cfg->protect_clusters) {
                k = protect_clusters(r, err);
                if (k < 0) {
                        error_set(ret_error, "protecting clusters: %s", err->message);
                        goto out;
                }
        }
        k = probe_conf_widen_remotes(dir, &changed, ret_error);
        if (k < 0)
                goto out;
        k = probe_state(dir, &wide, hash);
        if (k < 0) {
                error_set(ret_error, "%s/kvm-probes.d/pci.conf: %s", dir, strerror(-k));
                goto out;
        }
        /* One sync at a time in the whole zone, none while a host is updated
         * (doc-lock.h), and none at all when another front-end already synced
         * this very probe to the nodes (its record in the lock document); and
         * the oned this front-end's onehost reads must have every write made
         * so far, or it writes older templates back. */
        k = doc_lock_sync_begin_probe(r->doclock, hash, &synced_elsewhere, ret_error);
        if (k >= 0) {
                if (!synced_elsewhere) {
                        k = one_zone_wait_replicated(r->zone, SYNC_REPLICATED_WAIT_MS, ret_error);
                        if (k >= 0)
                                k = sync_run(r->sync, ticket, ret_error);
                        if (k >= 0) {
                                struct error_message why = {};

                                /* Not recorded: another front-end syncs again. */
                                if (doc_lock_sync_record(r->doclock, hash, &why) < 0)
                                        log_warning("recording the synced probe: %s", why.text);
                        }
                }
                doc_lock_sync_end(r->doclock);
        }
        if ((k == -EREMOTEIO || k == -EHOSTDOWN || k == -EBADMSG) && error_is_set(ret_error))
                snprintf(err->message, sizeof(err->message), "%s", ret_error->text);
        if (k < 0)
                goto out;
        if (synced_elsewhere)
                log_info("probe %.12s already synced to the nodes by another front-end: "
                         "not synced again", hash);
        k = write_marker(dir, hash, ret_error);
        *ret_widened = true;
out:
        pthread_rwlock_unlock(&r->probe_lock);
        return k;
}
