/* SPDX-License-Identifier: Apache-2.0 */
/* XML-RPC calls to oned: decoding [true, value, 0] and the five-element
 * [false, message, code, id, <i8>] failure, with bounded concurrency. */

#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xmlrpc-c/base.h>
#include <xmlrpc-c/client.h>

#include "config.h"
#include "escape.h"
#include "fileio.h"
#include "macros.h"
#include "one-client.h"

#define DEFAULT_ENDPOINT "http://localhost:2633/RPC2"
#define SESSION_MAX 4096
/* Largest answer accepted from oned (a HOST_POOL of thousands of hosts). */
#define ONE_ANSWER_MAX ((size_t)256 * 1024 * 1024)

struct one_client {
        char *endpoint;
        char *endpoint_shown; /* for logs: a user:password in it masked */
        pthread_mutex_t session_mu; /* session is replaced when re-read */
        char *session;
        unsigned session_gen; /* counts replacements: which session a call used */
        /* Where the session was found, to read it again (NULL: never). */
        char *session_env, *session_home, *session_oneadmin_home;
        bool session_source;
        unsigned timeout_ms;
        sem_t slots;
        void (*observe)(const char *method, const char *result, void *userdata);
        void *userdata;
        struct one_router router; /* endpoint NULL: always c->endpoint */
};

int one_client_global_init(void) {
        xmlrpc_env env;
        int r = 0;

        /* A pool of a few hundred hosts is already over xmlrpc-c's default 512 KiB
         * answer limit; OpenNebula's own clients raise it the same way. */
        xmlrpc_limit_set(XMLRPC_XML_SIZE_LIMIT_ID, ONE_ANSWER_MAX);
        xmlrpc_env_init(&env);
        xmlrpc_client_setup_global_const(&env);
        if (env.fault_occurred)
                r = -EIO;
        xmlrpc_env_clean(&env);
        return r;
}

void one_client_global_done(void) {
        xmlrpc_client_teardown_global_const();
}

/* The first line of a small file, trimmed; -ENOENT when absent or empty. */
static int first_line(const char *path, char **ret) {
        _cleanup_free_ char *data = NULL;
        size_t len;
        int r;

        r = read_file_bounded(path, SESSION_MAX, &data, &len);
        if (r < 0)
                return r;
        data[strcspn(data, "\r\n")] = '\0';
        len = strlen(data);
        while (len > 0 && (data[len - 1] == ' ' || data[len - 1] == '\t'))
                data[--len] = '\0';
        if (len == 0)
                return -ENOENT;
        *ret = TAKE_PTR(data);
        return 0;
}

static int from_home(const char *home, const char *file, char **ret) {
        _cleanup_free_ char *path = NULL;

        if (!home || !*home)
                return -ENOENT;
        if (asprintf(&path, "%s/.one/%s", home, file) < 0) {
                path = NULL;
                return -ENOMEM;
        }
        return first_line(path, ret);
}

int one_resolve_endpoint(const char *env_xmlrpc, const char *home, const char *oneadmin_home,
                         char **ret) {
        char *s;

        if (env_xmlrpc && *env_xmlrpc)
                s = strdup(env_xmlrpc);
        else if (from_home(home, "one_endpoint", &s) >= 0 ||
                 from_home(oneadmin_home, "one_endpoint", &s) >= 0)
                ;
        else
                s = strdup(DEFAULT_ENDPOINT);
        if (!s)
                return -ENOMEM;
        *ret = s;
        return 0;
}

int one_resolve_session(const char *env_auth, const char *home, const char *oneadmin_home,
                        char **ret, struct error_message *ret_error) {
        int r;

        if (env_auth && *env_auth) {
                r = first_line(env_auth, ret);
                if (r < 0)
                        error_set(ret_error, "ONE_AUTH=%s: %s", env_auth,
                                  r == -ENOENT ? "missing or empty" : strerror(-r));
                return r;
        }
        if (from_home(home, "one_auth", ret) >= 0 || from_home(oneadmin_home, "one_auth", ret) >= 0)
                return 0;
        error_set(ret_error,
                  "no oned session: set ONE_AUTH or create ~/.one/one_auth or "
                  "%s/.one/one_auth",
                  oneadmin_home ? oneadmin_home : "/var/lib/one");
        return -ENOENT;
}

int one_client_new(const char *endpoint, const char *session, unsigned max_concurrent,
                   unsigned timeout_ms, struct one_client **ret) {
        struct one_client *c;

        if (!endpoint || !session || max_concurrent == 0)
                return -EINVAL;
        c = calloc(1, sizeof(*c));
        if (!c)
                return -ENOMEM;
        c->endpoint = strdup(endpoint);
        c->endpoint_shown = strdup(endpoint);
        c->session = strdup(session);
        c->timeout_ms = timeout_ms;
        if (!c->endpoint || !c->endpoint_shown || !c->session ||
            sem_init(&c->slots, 0, max_concurrent) < 0) {
                free(c->endpoint);
                free(c->endpoint_shown);
                free(c->session);
                free(c);
                return -ENOMEM;
        }
        mask_url_userinfo(c->endpoint_shown, strlen(c->endpoint_shown));
        pthread_mutex_init(&c->session_mu, NULL);
        *ret = c;
        return 0;
}

void one_client_free(struct one_client *c) {
        if (!c)
                return;
        sem_destroy(&c->slots);
        pthread_mutex_destroy(&c->session_mu);
        explicit_bzero(c->session, strlen(c->session));
        free(c->session);
        free(c->session_env);
        free(c->session_home);
        free(c->session_oneadmin_home);
        free(c->endpoint);
        free(c->endpoint_shown);
        free(c);
}

static char *strdup_or_null(const char *s, bool *failed) {
        char *d = s ? strdup(s) : NULL;

        if (s && !d)
                *failed = true;
        return d;
}

int one_client_set_session_source(struct one_client *c, const char *env_auth, const char *home,
                                  const char *oneadmin_home) {
        bool failed = false;

        c->session_env = strdup_or_null(env_auth, &failed);
        c->session_home = strdup_or_null(home, &failed);
        c->session_oneadmin_home = strdup_or_null(oneadmin_home, &failed);
        c->session_source = !failed;
        return failed ? -ENOMEM : 0;
}

int one_client_reload_session(struct one_client *c) {
        char *session = NULL;
        bool changed;
        int r;

        if (!c->session_source)
                return 0;
        r = one_resolve_session(c->session_env, c->session_home, c->session_oneadmin_home, &session,
                                NULL);
        if (r < 0)
                return r;
        pthread_mutex_lock(&c->session_mu);
        changed = !STREQ(session, c->session);
        if (changed) {
                explicit_bzero(c->session, strlen(c->session));
                free(c->session);
                c->session = session;
                c->session_gen++;
                session = NULL;
        }
        pthread_mutex_unlock(&c->session_mu);
        if (session) {
                explicit_bzero(session, strlen(session));
                free(session);
        }
        return changed;
}

/* A copy of the current session for one call, and its generation (may be NULL). */
static char *session_copy(struct one_client *c, unsigned *ret_gen) {
        char *s;

        pthread_mutex_lock(&c->session_mu);
        s = strdup(c->session);
        if (ret_gen)
                *ret_gen = c->session_gen;
        pthread_mutex_unlock(&c->session_mu);
        return s;
}

static unsigned session_gen(struct one_client *c) {
        unsigned gen;

        pthread_mutex_lock(&c->session_mu);
        gen = c->session_gen;
        pthread_mutex_unlock(&c->session_mu);
        return gen;
}

const char *one_client_endpoint(const struct one_client *c) {
        return c->endpoint;
}

const char *one_client_endpoint_shown(const struct one_client *c) {
        return c->endpoint_shown;
}

void one_client_set_router(struct one_client *c, const struct one_router *router) {
        c->router = router ? *router : (struct one_router){};
}

int one_client_new_like(const struct one_client *c, unsigned timeout_ms, struct one_client **ret) {
        _cleanup_free_ char *session = session_copy((struct one_client *)c, NULL);
        int r;

        if (!session)
                return -ENOMEM;
        r = one_client_new(c->endpoint, session, 1, timeout_ms, ret);
        explicit_bzero(session, strlen(session));
        return r;
}

void one_client_set_observer(struct one_client *c,
                             void (*observe)(const char *method, const char *result,
                                             void *userdata),
                             void *userdata) {
        c->observe = observe;
        c->userdata = userdata;
}

static void set_err(struct one_error *err, int code, const char *fmt, ...) _printf_(3, 4);
static void set_err(struct one_error *err, int code, const char *fmt, ...) {
        va_list ap;

        if (!err)
                return;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof(err->message), fmt, ap);
        va_end(ap);
}

/* What a successful call returned as its second element. */
struct one_value {
        char *str;
        int num;
        bool is_str;
};

/* Decodes [true, value, 0] / [false, msg, code, id, i8]. */
static int decode(xmlrpc_env *env, xmlrpc_value *res, const char *method, struct one_value *ret,
                  struct one_error *err) {
        xmlrpc_value *ok_v = NULL, *val = NULL;
        xmlrpc_bool ok = false;
        int n, r = 0;

        if (xmlrpc_value_type(res) != XMLRPC_TYPE_ARRAY)
                goto bad;
        n = xmlrpc_array_size(env, res);
        if (env->fault_occurred || n < 2)
                goto bad;
        xmlrpc_array_read_item(env, res, 0, &ok_v);
        if (env->fault_occurred)
                goto bad;
        xmlrpc_read_bool(env, ok_v, &ok);
        xmlrpc_DECREF(ok_v);
        if (env->fault_occurred)
                goto bad;
        xmlrpc_array_read_item(env, res, 1, &val);
        if (env->fault_occurred)
                goto bad;

        if (!ok) {
                const char *msg = NULL;
                xmlrpc_value *code_v = NULL;
                int code = 0;

                if (xmlrpc_value_type(val) == XMLRPC_TYPE_STRING)
                        xmlrpc_read_string(env, val, &msg);
                if (!env->fault_occurred && n >= 3) {
                        xmlrpc_array_read_item(env, res, 2, &code_v);
                        if (!env->fault_occurred && xmlrpc_value_type(code_v) == XMLRPC_TYPE_INT)
                                xmlrpc_read_int(env, code_v, &code);
                        if (code_v)
                                xmlrpc_DECREF(code_v);
                }
                xmlrpc_env_clean(env);
                xmlrpc_env_init(env);
                set_err(err, code, "%s: %s (code 0x%x)", method, msg ? msg : "failed", code);
                free((void *)msg);
                xmlrpc_DECREF(val);
                return -EREMOTEIO;
        }

        if (xmlrpc_value_type(val) == XMLRPC_TYPE_STRING) {
                const char *s = NULL;

                xmlrpc_read_string(env, val, &s);
                ret->str = (char *)s;
                ret->is_str = true;
        } else if (xmlrpc_value_type(val) == XMLRPC_TYPE_INT) {
                xmlrpc_read_int(env, val, &ret->num);
        } else {
                r = -EBADMSG;
        }
        xmlrpc_DECREF(val);
        if (env->fault_occurred || r < 0)
                goto bad;
        return 0;
bad:
        set_err(err, 0, "%s: unexpected answer from oned", method);
        return -EBADMSG;
}

/* [session] followed by the items of params; NULL on failure. */
static xmlrpc_value *with_session(xmlrpc_env *env, const char *session, xmlrpc_value *params) {
        xmlrpc_value *full = xmlrpc_array_new(env), *item = NULL;
        int n;

        if (env->fault_occurred)
                return NULL;
        item = xmlrpc_string_new(env, session);
        if (!env->fault_occurred) {
                xmlrpc_array_append_item(env, full, item);
                xmlrpc_DECREF(item);
        }
        n = env->fault_occurred ? 0 : xmlrpc_array_size(env, params);
        for (int i = 0; i < n && !env->fault_occurred; i++) {
                xmlrpc_array_read_item(env, params, i, &item);
                if (env->fault_occurred)
                        break;
                xmlrpc_array_append_item(env, full, item);
                xmlrpc_DECREF(item);
        }
        if (env->fault_occurred) {
                xmlrpc_DECREF(full);
                return NULL;
        }
        return full;
}

/* Runs one call at endpoint with the current session before params (not
 * consumed); *ret_gen says which session that was. */
static int call_once(struct one_client *c, const char *endpoint, const char *method,
                     xmlrpc_value *params, struct one_value *ret, struct one_error *err,
                     unsigned *ret_gen) {
        struct xmlrpc_curl_xportparms xp = {.timeout = c->timeout_ms, .dont_advertise = true};
        struct xmlrpc_clientparms cp = {
                .transport = "curl",
                .transportparmsP = &xp,
                .transportparm_size = XMLRPC_CXPSIZE(dont_advertise),
        };
        xmlrpc_client *client = NULL;
        xmlrpc_server_info *server = NULL;
        xmlrpc_value *res = NULL, *full = NULL;
        _cleanup_free_ char *session = session_copy(c, ret_gen);
        xmlrpc_env env;
        const char *result = "unreachable";
        int r;

        if (!session)
                return -ENOMEM;

        memset(ret, 0, sizeof(*ret));
        if (err)
                *err = (struct one_error){};
        while (sem_wait(&c->slots) < 0 && errno == EINTR)
                ;
        xmlrpc_env_init(&env);
        xmlrpc_client_create(&env, XMLRPC_CLIENT_NO_FLAGS, "onepci-registrar", ONEPCI_VERSION, &cp,
                             XMLRPC_CPSIZE(transportparm_size), &client);
        if (!env.fault_occurred)
                server = xmlrpc_server_info_new(&env, endpoint);
        if (!env.fault_occurred)
                full = with_session(&env, session, params);
        if (!env.fault_occurred)
                xmlrpc_client_call2(&env, client, server, method, full, &res);
        if (env.fault_occurred) {
                /* An XML-RPC <fault> or a transport failure: oned is not usable. */
                set_err(err, 0, "%s: %s", method, env.fault_string ?: "call failed");
                r = -EHOSTDOWN;
        } else {
                r = decode(&env, res, method, ret, err);
                result = r == 0 ? "ok" : r == -EREMOTEIO ? "error" : "unreachable";
                if (r == -EBADMSG)
                        result = "bad_answer";
        }
        if (res)
                xmlrpc_DECREF(res);
        if (server)
                xmlrpc_server_info_free(server);
        if (client)
                xmlrpc_client_destroy(client);
        if (full)
                xmlrpc_DECREF(full);
        explicit_bzero(session, strlen(session));
        xmlrpc_env_clean(&env);
        sem_post(&c->slots);
        if (c->observe)
                c->observe(method, result, c->userdata);
        return r;
}

/* Runs one call: params (without the session) is an array the function
 * consumes.  When oned refuses the session, it is read again from where it
 * was found (a corrected ONE_AUTH file takes effect without a restart) and,
 * if the session is no longer the one the call used, the call is made once
 * more.  "No longer the one used", not "changed by this reload": another
 * thread (the health check, a concurrent report) may have read the corrected
 * file first, and this call must then not fail with the stale session. */
static int call_at(struct one_client *c, const char *endpoint, const char *method,
                   xmlrpc_value *params, struct one_value *ret, struct one_error *err) {
        struct one_error e = {};
        unsigned used = 0;
        int r;

        r = call_once(c, endpoint, method, params, ret, &e, &used);
        if (r == -EREMOTEIO && e.code == ONE_ERR_AUTHENTICATION &&
            (one_client_reload_session(c) > 0 || session_gen(c) != used))
                r = call_once(c, endpoint, method, params, ret, &e, &used);
        if (err)
                *err = e;
        return r;
}

/* As call_at(), where the router says (the zone's leader), again while the
 * router says a failure is an election to wait out (one-zone.h). */
static int call(struct one_client *c, const char *method, xmlrpc_value *params,
                struct one_value *ret, struct one_error *err) {
        char endpoint[ONE_ENDPOINT_MAX];
        int r;

        if (!params) /* params_new() failed */
                return -ENOMEM;
        for (unsigned attempt = 0;; attempt++) {
                if (c->router.endpoint)
                        c->router.endpoint(c->router.userdata, endpoint, sizeof(endpoint));
                else
                        snprintf(endpoint, sizeof(endpoint), "%s", c->endpoint);
                r = call_at(c, endpoint, method, params, ret, err);
                if (r >= 0 || !c->router.failed ||
                    !c->router.failed(c->router.userdata, endpoint, r, err, attempt))
                        break;
        }
        xmlrpc_DECREF(params);
        return r;
}

/* Builds the parameter array from a format such as "(si)" with the session first. */
static xmlrpc_value *params_new(const char *fmt, ...) {
        xmlrpc_value *v = NULL;
        const char *tail = NULL;
        xmlrpc_env env;
        va_list ap;

        xmlrpc_env_init(&env);
        va_start(ap, fmt);
        xmlrpc_build_value_va(&env, fmt, ap, &v, &tail);
        va_end(ap);
        if (!env.fault_occurred && tail && *tail) {
                xmlrpc_DECREF(v);
                v = NULL;
        }
        if (env.fault_occurred)
                v = NULL;
        xmlrpc_env_clean(&env);
        return v;
}

static int call_string(struct one_client *c, const char *method, xmlrpc_value *params, char **ret,
                       struct one_error *err) {
        struct one_value v;
        int r = call(c, method, params, &v, err);

        if (r < 0)
                return r;
        if (!v.is_str) {
                set_err(err, 0, "%s: answer is not a string", method);
                return -EBADMSG;
        }
        *ret = v.str;
        return 0;
}

static int call_int(struct one_client *c, const char *method, xmlrpc_value *params, int *ret,
                    struct one_error *err) {
        struct one_value v;
        int r = call(c, method, params, &v, err);

        if (r < 0)
                return r;
        if (v.is_str) {
                free(v.str);
                set_err(err, 0, "%s: answer is not an integer", method);
                return -EBADMSG;
        }
        if (ret)
                *ret = v.num;
        return 0;
}

int one_system_version(struct one_client *c, char **ret, struct one_error *err) {
        return call_string(c, "one.system.version", params_new("()"), ret, err);
}

int one_hostpool_info(struct one_client *c, char **ret_xml, struct one_error *err) {
        return call_string(c, "one.hostpool.info", params_new("()"), ret_xml, err);
}

int one_host_info(struct one_client *c, int id, char **ret_xml, struct one_error *err) {
        return call_string(c, "one.host.info", params_new("(i)", id), ret_xml, err);
}

int one_host_update(struct one_client *c, int id, const char *tmpl, int type,
                    struct one_error *err) {
        return call_int(c, "one.host.update", params_new("(isi)", id, tmpl, type), NULL, err);
}

int one_host_allocate(struct one_client *c, const char *name, const char *im_mad,
                      const char *vm_mad, int cluster_id, int *ret_id, struct one_error *err) {
        return call_int(c, "one.host.allocate",
                        params_new("(sssi)", name, im_mad, vm_mad, cluster_id), ret_id, err);
}

int one_host_status(struct one_client *c, int id, int status, struct one_error *err) {
        return call_int(c, "one.host.status", params_new("(ii)", id, status), NULL, err);
}

int one_clusterpool_info(struct one_client *c, char **ret_xml, struct one_error *err) {
        return call_string(c, "one.clusterpool.info", params_new("()"), ret_xml, err);
}

int one_cluster_update(struct one_client *c, int id, const char *tmpl, int type,
                       struct one_error *err) {
        return call_int(c, "one.cluster.update", params_new("(isi)", id, tmpl, type), NULL, err);
}

int one_call_at(struct one_client *c, const char *endpoint, const char *method, char **ret_str,
                int *ret_int, struct one_error *err, const char *fmt, ...) {
        xmlrpc_value *params = NULL;
        const char *tail = NULL;
        struct one_value v;
        xmlrpc_env env;
        va_list ap;
        int r;

        xmlrpc_env_init(&env);
        va_start(ap, fmt);
        xmlrpc_build_value_va(&env, fmt, ap, &params, &tail);
        va_end(ap);
        if (env.fault_occurred || (tail && *tail)) {
                if (!env.fault_occurred)
                        xmlrpc_DECREF(params);
                xmlrpc_env_clean(&env);
                set_err(err, 0, "%s: cannot build the call", method);
                return -EINVAL;
        }
        xmlrpc_env_clean(&env);
        if (endpoint) {
                r = call_at(c, endpoint, method, params, &v, err);
                xmlrpc_DECREF(params);
        } else
                r = call(c, method, params, &v, err);
        if (r < 0)
                return r;
        if (v.is_str && ret_str) {
                *ret_str = v.str;
                return 0;
        }
        if (!v.is_str && !ret_str) {
                if (ret_int)
                        *ret_int = v.num;
                return 0;
        }
        free(v.str);
        set_err(err, 0, "%s: answer is not %s", method, ret_str ? "a string" : "an integer");
        return -EBADMSG;
}
