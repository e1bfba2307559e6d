/* SPDX-License-Identifier: Apache-2.0 */
/* The update-vs-sync exclusion held in oned (one.document.lock). */

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "clock.h"
#include "doc-lock.h"
#include "xml-util.h"
#include "macros.h"

#define POLL_MS 200

struct doc_lock {
        struct one_client *one;
        unsigned wait_ms, lease_s;
        pthread_mutex_t mu;
        int id; /* -1: not found yet */
};

static int doc_fields(xmlNode *d, int *ret_id, bool *ret_locked, long long *ret_lock_time,
                      long long *ret_seq) {
        xmlNode *lock = xml_child(d, "LOCK");
        long long id, t = 0, seq = 0, locked = 0;
        int r;

        r = xml_ll(xml_child(d, "ID"), &id);
        if (r < 0 || id < 0 || id > INT32_MAX)
                return -EBADMSG;
        if (lock) {
                if (xml_ll(xml_child(lock, "LOCKED"), &locked) < 0)
                        locked = 1;
                (void)xml_ll(xml_child(lock, "TIME"), &t);
        }
        r = xml_ll(xml_child(xml_child(d, "TEMPLATE"), "SEQ"), &seq);
        if (r == -EBADMSG)
                seq = 0;
        *ret_id = (int)id;
        *ret_locked = locked != 0;
        *ret_lock_time = t;
        *ret_seq = seq;
        return 0;
}

int doc_lock_parse(const char *xml, size_t len, int *ret_id, bool *ret_locked,
                   long long *ret_lock_time, long long *ret_seq) {
        xmlDoc *doc;
        xmlNode *root = xml_read_root(xml, len, "DOCUMENT", &doc);
        int r;

        if (!root)
                return -EBADMSG;
        r = doc_fields(root, ret_id, ret_locked, ret_lock_time, ret_seq);
        xmlFreeDoc(doc);
        return r;
}

int doc_lock_find(const char *xml, size_t len, const char *name, int *ret_id) {
        xmlDoc *doc;
        xmlNode *root = xml_read_root(xml, len, "DOCUMENT_POOL", &doc);
        int best = -1, r = 0;

        if (!root)
                return -EBADMSG;
        for (xmlNode *d = root->children; d; d = d->next) {
                xmlChar *n;
                long long id;

                if (d->type != XML_ELEMENT_NODE || !STREQ((const char *)d->name, "DOCUMENT"))
                        continue;
                n = xmlNodeGetContent(xml_child(d, "NAME"));
                if (n && STREQ((const char *)n, name) && xml_ll(xml_child(d, "ID"), &id) >= 0 &&
                    id >= 0 && id <= INT32_MAX && (best < 0 || id < best))
                        best = (int)id;
                xmlFree(n);
        }
        xmlFreeDoc(doc);
        if (r < 0)
                return r;
        if (best < 0)
                return -ENOENT;
        *ret_id = best;
        return 0;
}

int doc_lock_new(struct one_client *one, unsigned wait_ms, unsigned lease_s,
                 struct doc_lock **ret) {
        struct doc_lock *l = calloc(1, sizeof(*l));

        if (!l)
                return -ENOMEM;
        l->one = one;
        l->wait_ms = wait_ms;
        l->lease_s = lease_s;
        l->id = -1;
        pthread_mutex_init(&l->mu, NULL);
        *ret = l;
        return 0;
}

void doc_lock_free(struct doc_lock *l) {
        if (!l)
                return;
        pthread_mutex_destroy(&l->mu);
        free(l);
}

static int find(struct doc_lock *l, int *ret_id, struct one_error *err) {
        _cleanup_free_ char *xml = NULL;
        int r;

        r = one_call_at(l->one, NULL, "one.documentpool.info", &xml, NULL, err, "(iiii)", -2, -1,
                        -1, DOC_LOCK_TYPE);
        if (r < 0)
                return r;
        r = doc_lock_find(xml, strlen(xml), DOC_LOCK_NAME, ret_id);
        if (r == -EBADMSG)
                snprintf(err->message, sizeof(err->message),
                         "one.documentpool.info: answer is not a DOCUMENT_POOL");
        return r;
}

/* The document's ID, created when there is none. */
static int doc_id(struct doc_lock *l, int *ret, struct one_error *err) {
        int r, id;

        pthread_mutex_lock(&l->mu);
        if (l->id >= 0) {
                *ret = l->id;
                pthread_mutex_unlock(&l->mu);
                return 0;
        }
        r = find(l, &id, err);
        if (r == -ENOENT) {
                r = one_call_at(l->one, NULL, "one.document.allocate", NULL, &id, err, "(si)",
                                "NAME=\"" DOC_LOCK_NAME "\"\nSEQ=\"0\"\n", DOC_LOCK_TYPE);
                /* Two front-ends may create it at once: the lowest ID is the one. */
                if (r >= 0)
                        r = find(l, &id, err);
        }
        if (r >= 0)
                l->id = *ret = id;
        pthread_mutex_unlock(&l->mu);
        return r;
}

int doc_lock_parse_synced(const char *xml, size_t len, char *buf, size_t size) {
        xmlDoc *doc;
        xmlNode *root = xml_read_root(xml, len, "DOCUMENT", &doc);
        _cleanup_free_ char *v = NULL;

        if (!root)
                return -EBADMSG;
        buf[0] = '\0';
        v = xml_text(xml_child(xml_child(root, "TEMPLATE"), DOC_LOCK_SYNCED_ATTR));
        xmlFreeDoc(doc);
        if (v && strlen(v) < size)
                snprintf(buf, size, "%s", v);
        return 0;
}

/* synced (may be NULL): the document's SYNCED_PROBE, "" when none. */
static int read_doc_synced(struct doc_lock *l, bool *ret_locked, long long *ret_time,
                           long long *ret_seq, char *synced, size_t synced_size,
                           struct one_error *err) {
        _cleanup_free_ char *xml = NULL;
        int id, r;

        r = doc_id(l, &id, err);
        if (r >= 0)
                r = one_call_at(l->one, NULL, "one.document.info", &xml, NULL, err, "(i)", id);
        if (r == -EREMOTEIO && err->code == ONE_ERR_NO_EXISTS) {
                /* Someone deleted it: find or create it again. */
                pthread_mutex_lock(&l->mu);
                if (l->id == id)
                        l->id = -1;
                pthread_mutex_unlock(&l->mu);
                *err = (struct one_error){};
                r = doc_id(l, &id, err);
                if (r >= 0)
                        r = one_call_at(l->one, NULL, "one.document.info", &xml, NULL, err, "(i)",
                                        id);
        }
        if (r >= 0)
                r = doc_lock_parse(xml, strlen(xml), &id, ret_locked, ret_time, ret_seq);
        if (r >= 0 && synced)
                r = doc_lock_parse_synced(xml, strlen(xml), synced, synced_size);
        if (r == -EBADMSG && !err->message[0])
                snprintf(err->message, sizeof(err->message),
                         "one.document.info: answer is not a DOCUMENT");
        return r;
}

static int read_doc(struct doc_lock *l, bool *ret_locked, long long *ret_time, long long *ret_seq,
                    struct one_error *err) {
        return read_doc_synced(l, ret_locked, ret_time, ret_seq, NULL, 0, err);
}

static void sleep_ms(unsigned ms) {
        struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (long)(ms % 1000) * 1000000L};

        while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
                ;
}

int doc_lock_sync_begin(struct doc_lock *l, struct error_message *ret_error) {
        return doc_lock_sync_begin_probe(l, NULL, NULL, ret_error);
}

int doc_lock_sync_begin_probe(struct doc_lock *l, const char *probe, bool *ret_synced,
                              struct error_message *ret_error) {
        int64_t deadline;
        struct one_error err = {};
        char tmpl[64], synced[DOC_LOCK_SYNCED_MAX];
        long long t, seq;
        bool locked;
        int id, r;

        if (ret_synced)
                *ret_synced = false;
        if (!l)
                return 0;
        deadline = monotonic_ms() + l->wait_ms;
        r = doc_id(l, &id, &err);
        if (r < 0)
                goto fail;
        for (bool found_again = false;;) {
                r = one_call_at(l->one, NULL, "one.document.lock", NULL, NULL, &err, "(iib)", id, 4,
                                1);
                if (r >= 0)
                        break;
                if (r == -EREMOTEIO && err.code == ONE_ERR_NO_EXISTS && !found_again) {
                        /* Someone deleted it: find or create it again, once. */
                        pthread_mutex_lock(&l->mu);
                        if (l->id == id)
                                l->id = -1;
                        pthread_mutex_unlock(&l->mu);
                        found_again = true;
                        r = doc_id(l, &id, &err);
                        if (r < 0)
                                goto fail;
                        continue;
                }
                if (r != -EREMOTEIO || err.code != ONE_ERR_ACTION)
                        goto fail;
                /* Held: by a live sync elsewhere, or by a registrar that died. */
                r = read_doc(l, &locked, &t, &seq, &err);
                if (r < 0)
                        goto fail;
                if (locked && t > 0 && (long long)time(NULL) - t > (long long)l->lease_s) {
                        (void)one_call_at(l->one, NULL, "one.document.unlock", NULL, NULL, &err,
                                          "(i)", id);
                        continue;
                }
                if (monotonic_ms() >= deadline) {
                        error_set(ret_error,
                                  "another front-end's registrar has been syncing for more than "
                                  "%u ms (document %d locked since %lld)",
                                  l->wait_ms, id, t);
                        return -ETIMEDOUT;
                }
                sleep_ms(POLL_MS);
        }
        r = read_doc_synced(l, &locked, &t, &seq, synced, sizeof(synced), &err);
        if (r >= 0 && probe && ret_synced && STREQ(synced, probe)) {
                /* Another front-end synced this very probe: no sync, so no
                 * SEQ moved (no update needs writing again). */
                *ret_synced = true;
                return 0;
        }
        if (r >= 0) {
                snprintf(tmpl, sizeof(tmpl), "SEQ=\"%lld\"\n", seq + 1);
                r = one_call_at(l->one, NULL, "one.document.update", NULL, NULL, &err, "(isi)", id,
                                tmpl, 1);
        }
        if (r < 0) {
                doc_lock_sync_end(l);
                goto fail;
        }
        return 0;
fail:
        error_set(ret_error, "the sync lock in oned: %s", err.message);
        return r;
}

int doc_lock_sync_record(struct doc_lock *l, const char *probe, struct error_message *ret_error) {
        _cleanup_free_ char *tmpl = NULL;
        struct one_error err = {};
        int id, r;

        if (!l)
                return 0;
        if (strlen(probe) >= DOC_LOCK_SYNCED_MAX || strpbrk(probe, "\"\\\n")) {
                error_set(ret_error, "the sync lock in oned: probe id not recordable");
                return -EINVAL;
        }
        if (asprintf(&tmpl, DOC_LOCK_SYNCED_ATTR "=\"%s\"\n", probe) < 0)
                return -ENOMEM;
        r = doc_id(l, &id, &err);
        if (r >= 0)
                r = one_call_at(l->one, NULL, "one.document.update", NULL, NULL, &err, "(isi)", id,
                                tmpl, 1);
        if (r < 0)
                error_set(ret_error, "the sync lock in oned: %s", err.message);
        return r;
}

void doc_lock_sync_end(struct doc_lock *l) {
        struct one_error err = {};
        int id;

        if (!l || doc_id(l, &id, &err) < 0)
                return;
        /* A lock left behind stops every update in the zone until its lease
         * ends: try hard (the router already waits out an election). */
        for (int attempt = 0; attempt < 3; attempt++) {
                if (one_call_at(l->one, NULL, "one.document.unlock", NULL, NULL, &err, "(i)", id) >=
                    0)
                        return;
                sleep_ms(500);
        }
}

/* Waits until the document is not locked; its SEQ then. */
static int wait_unlocked(struct doc_lock *l, long long *ret_seq, struct error_message *ret_error) {
        int64_t deadline = monotonic_ms() + l->wait_ms;
        struct one_error err = {};
        long long t, seq;
        bool locked;
        int r;

        for (;;) {
                r = read_doc(l, &locked, &t, &seq, &err);
                if (r < 0) {
                        error_set(ret_error, "the sync lock in oned: %s", err.message);
                        return r;
                }
                /* A dead registrar's lock does not hold anyone off past its lease. */
                if (!locked || (t > 0 && (long long)time(NULL) - t > (long long)l->lease_s)) {
                        *ret_seq = seq;
                        return 0;
                }
                if (monotonic_ms() >= deadline) {
                        error_set(ret_error,
                                  "a registrar on another front-end has been syncing for more "
                                  "than %u ms",
                                  l->wait_ms);
                        return -ETIMEDOUT;
                }
                sleep_ms(POLL_MS);
        }
}

int doc_lock_hold_off(struct doc_lock *l, long long *ret_seq, struct error_message *ret_error) {
        *ret_seq = 0;
        if (!l)
                return 0;
        return wait_unlocked(l, ret_seq, ret_error);
}

int doc_lock_overlapped(struct doc_lock *l, long long *seq, bool *ret_overlapped,
                        struct error_message *ret_error) {
        struct one_error err = {};
        long long t, now_seq;
        bool locked;
        int r;

        *ret_overlapped = false;
        if (!l)
                return 0;
        r = read_doc(l, &locked, &t, &now_seq, &err);
        if (r < 0) {
                error_set(ret_error, "the sync lock in oned: %s", err.message);
                return r;
        }
        if (!locked && now_seq == *seq)
                return 0;
        *ret_overlapped = true;
        return wait_unlocked(l, seq, ret_error);
}
