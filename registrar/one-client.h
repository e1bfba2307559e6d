/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* oned's XML-RPC API through xmlrpc-c.
 *
 * Thread safety: xmlrpc-c's global constants are set up once by
 * one_client_global_init() before any thread starts; each call then creates
 * its own xmlrpc_client (curl transport), which the library documents as
 * safe to use from several threads as long as one client is not shared.  A
 * counting semaphore bounds how many calls run at once, so a burst of
 * reports never opens more than max_concurrent connections to oned. */

#include <stdbool.h>
#include <stddef.h>

#include "error-message.h"

/* oned error codes (the third element of a failure array). */
#define ONE_ERR_AUTHENTICATION 0x100
#define ONE_ERR_AUTHORIZATION 0x200
#define ONE_ERR_NO_EXISTS 0x400
#define ONE_ERR_ACTION 0x800
#define ONE_ERR_XML_RPC_API 0x1000
#define ONE_ERR_INTERNAL 0x2000
#define ONE_ERR_ALLOCATE 0x4000
#define ONE_ERR_LOCKED 0x8000

/* How a call failed.  Functions return:
 *   -EHOSTDOWN  oned could not be reached or answered garbage at the HTTP level
 *   -EREMOTEIO  oned answered with a failure array (code and message filled)
 *   -EBADMSG    oned's answer was not the shape the API promises */
struct one_error {
        int code;          /* oned's code, 0 when not from oned */
        char message[512]; /* for a person: oned's message or the transport's */
};

struct one_client;

int one_client_global_init(void);
void one_client_global_done(void);

/* Where oned is and who we are, found as OpenNebula's tools find them:
 * endpoint: $ONE_XMLRPC, ~/.one/one_endpoint, /var/lib/one/.one/one_endpoint,
 *           http://localhost:2633/RPC2;
 * session:  the file named by $ONE_AUTH, ~/.one/one_auth,
 *           /var/lib/one/.one/one_auth (first line, "user:password").
 * home may be NULL.  -ENOENT with a message when no session file exists. */
int one_resolve_endpoint(const char *env_xmlrpc, const char *home, const char *oneadmin_home,
                         char **ret);
int one_resolve_session(const char *env_auth, const char *home, const char *oneadmin_home,
                        char **ret, struct error_message *ret_error);

int one_client_new(const char *endpoint, const char *session, unsigned max_concurrent,
                   unsigned timeout_ms, struct one_client **ret);

/* Where the session came from (the arguments of one_resolve_session()), so
 * it can be read again: when oned answers a call with an authentication
 * failure (the call is then made once more if the session changed), and on
 * one_client_reload_session(). */
int one_client_set_session_source(struct one_client *c, const char *env_auth, const char *home,
                                  const char *oneadmin_home);
/* Reads the session again: 1 when it changed, 0 when not (or no source was
 * set), a negative errno when it cannot be read (the old one is kept). */
int one_client_reload_session(struct one_client *c);
void one_client_free(struct one_client *c);
/* Another client for the same oned and session, with its own timeout and
 * one call at a time (no router). */
int one_client_new_like(const struct one_client *c, unsigned timeout_ms, struct one_client **ret);
const char *one_client_endpoint(const struct one_client *c);
/* The endpoint for a log line: a user:password in its URL masked. */
const char *one_client_endpoint_shown(const struct one_client *c);

int one_system_version(struct one_client *c, char **ret, struct one_error *err);
int one_hostpool_info(struct one_client *c, char **ret_xml, struct one_error *err);
int one_host_info(struct one_client *c, int id, char **ret_xml, struct one_error *err);
int one_host_update(struct one_client *c, int id, const char *tmpl, int type,
                    struct one_error *err);
int one_host_allocate(struct one_client *c, const char *name, const char *im_mad,
                      const char *vm_mad, int cluster_id, int *ret_id, struct one_error *err);
int one_host_status(struct one_client *c, int id, int status, struct one_error *err);
int one_clusterpool_info(struct one_client *c, char **ret_xml, struct one_error *err);
int one_cluster_update(struct one_client *c, int id, const char *tmpl, int type,
                       struct one_error *err);

/* Where calls go in an HA zone (one-zone.h): endpoint() copies the endpoint
 * for the next attempt; failed() is told of each failed attempt and says
 * whether to try again (it may wait first).  endpoint NULL: no router. */
#define ONE_ENDPOINT_MAX 512
struct one_router {
        void (*endpoint)(void *userdata, char *buf, size_t size);
        bool (*failed)(void *userdata, const char *endpoint, int r, const struct one_error *err,
                       unsigned attempt);
        void *userdata;
};
void one_client_set_router(struct one_client *c, const struct one_router *router);

/* Any call: fmt is xmlrpc-c's format for the parameters after the session
 * (e.g. "(iib)"); the answer is a string (ret_str non-NULL) or an integer
 * (ret_int, may be NULL).  At endpoint, or (NULL) where the router says. */
int one_call_at(struct one_client *c, const char *endpoint, const char *method, char **ret_str,
                int *ret_int, struct one_error *err, const char *fmt, ...);

/* Called after every oned call with the method and "ok", "error" (failure
 * array) or "unreachable"; for metrics.  May be NULL. */
void one_client_set_observer(struct one_client *c,
                             void (*observe)(const char *method, const char *result,
                                             void *userdata),
                             void *userdata);
