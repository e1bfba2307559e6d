/* SPDX-License-Identifier: Apache-2.0 */
/* libmicrohttpd glue.  A request's life: headers (Content-Length checked),
 * body collected up to the limit, then either answered at once (cheap
 * routes) or suspended and queued for a worker, which computes the reply and
 * resumes the connection; the handler then queues that reply. */

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "fileio.h"
#include "http-mhd.h"
#include "http-util.h"
#include "log.h"
#include "macros.h"
#include "registrar.h"
#include "report-validate.h"
#include "routes.h"
#include "server.h"

#define QUEUE_MAX 4096

struct request {
        struct request *next; /* work queue */
        struct server *srv;
        struct MHD_Connection *conn;
        char *method, *path, *authorization;
        char *body;
        size_t len;
        bool too_large;
        bool queued, done;
        bool orphaned; /* the connection ended while a worker had it */
        bool replied;  /* a reply is queued (before the body, for a 413) */
        struct http_reply reply;
        struct timespec started;
};

/* A message libmicrohttpd may log once per connection: counted, and logged
 * as one line a minute at most, so a client opening connections in a loop
 * cannot flood the journal. */
struct log_burst {
        unsigned count; /* since the last line */
        time_t logged;  /* when that line was written */
};

struct server {
        struct registrar *r;
        struct MHD_Daemon *daemon;
        char *cert, *key;
        pthread_t *workers;
        unsigned n_workers;
        pthread_mutex_t mu;
        pthread_cond_t cv;
        struct request *head, *tail;
        unsigned queued;
        bool stopping;
        /* Its own lock: MHD calls the logger from its threads, and s->mu is
         * held around MHD_resume_connection(). */
        pthread_mutex_t log_mu;
        struct log_burst refused, incomplete;
};

/* Per TCP connection (MHD's socket context): whether a request ever came. */
struct conn {
        bool requested;
};

static double elapsed(const struct timespec *since) {
        struct timespec now;

        clock_gettime(CLOCK_MONOTONIC, &now);
        return (double)(now.tv_sec - since->tv_sec) + (now.tv_nsec - since->tv_nsec) / 1e9;
}

static void request_free(struct request *q) {
        if (!q)
                return;
        free(q->method);
        free(q->path);
        free(q->authorization);
        free(q->body);
        http_reply_done(&q->reply);
        free(q);
}

static struct http_request request_view(const struct request *q) {
        return (struct http_request){
                .method = q->method,
                .path = q->path,
                .authorization = q->authorization,
                .body = q->body ? q->body : "",
                .body_len = q->len,
                .body_too_large = q->too_large,
                .now = (int64_t)time(NULL),
        };
}

static void run(struct server *s, struct request *q) {
        struct http_request req = request_view(q);

        routes_handle(s->r, &req, &q->reply);
}

static void *worker(void *userdata) {
        struct server *s = userdata;

        for (;;) {
                struct request *q;

                pthread_mutex_lock(&s->mu);
                while (!s->head && !s->stopping)
                        pthread_cond_wait(&s->cv, &s->mu);
                if (!s->head) {
                        pthread_mutex_unlock(&s->mu);
                        return NULL;
                }
                q = s->head;
                s->head = q->next;
                if (!s->head)
                        s->tail = NULL;
                s->queued--;
                pthread_mutex_unlock(&s->mu);

                run(s, q);
                /* Marking done and resuming under the lock orders them against
                 * the handler's own check and the completion callback. */
                pthread_mutex_lock(&s->mu);
                q->done = true;
                if (q->orphaned) {
                        pthread_mutex_unlock(&s->mu);
                        request_free(q);
                        continue;
                }
                MHD_resume_connection(q->conn);
                pthread_mutex_unlock(&s->mu);
        }
}

static bool enqueue(struct server *s, struct request *q) {
        bool ok;

        pthread_mutex_lock(&s->mu);
        ok = !s->stopping && s->queued < QUEUE_MAX;
        if (ok) {
                q->next = NULL;
                if (s->tail)
                        s->tail->next = q;
                else
                        s->head = q;
                s->tail = q;
                s->queued++;
                q->queued = true;
                /* Suspend before a worker can resume. */
                MHD_suspend_connection(q->conn);
                pthread_cond_signal(&s->cv);
        }
        pthread_mutex_unlock(&s->mu);
        return ok;
}

/* One line per request: method, path (only when printable), status, and our
 * own JSON answer, which never holds a secret or a signature. */
static void log_request(const struct request *q, double seconds) {
        bool api = strncmp(q->path, "/v1/", 4) == 0;
        bool printable = strlen(q->path) < 128;
        const char *body = "";
        int body_len = 0;

        for (const char *c = q->path; printable && *c; c++)
                printable = *c > 0x20 && *c < 0x7f;
        if (api && q->reply.body && STREQ(q->reply.content_type ?: "", "application/json")) {
                body = q->reply.body;
                body_len = (int)strcspn(body, "\n");
                if (body_len > 400)
                        body_len = 400;
        }
        log_msg(api || q->reply.status >= 500 ? LOG_LVL_INFO : LOG_LVL_DEBUG,
                "%s %s -> %d (%.3f s)%s%.*s", q->method, printable ? q->path : "(path)",
                q->reply.status, seconds, body_len ? ": " : "", body_len, body);
}

static MHD_RESULT send_reply(struct server *s, struct request *q) {
        MHD_RESULT ret = respond(q->conn, &q->reply);
        double seconds = elapsed(&q->started);

        q->replied = true;
        metrics_request(s->r->metrics, seconds);
        log_request(q, seconds);
        return ret;
}

static MHD_RESULT handler(void *cls, struct MHD_Connection *conn, const char *url,
                          const char *method, const char *version, const char *upload_data,
                          size_t *upload_data_size, void **con_cls) {
        struct server *s = cls;
        struct request *q = *con_cls;

        if (!q) {
                const union MHD_ConnectionInfo *ci =
                        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
                const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                             MHD_HTTP_HEADER_CONTENT_LENGTH);
                const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                                               MHD_HTTP_HEADER_AUTHORIZATION);

                if (ci && ci->socket_context)
                        ((struct conn *)ci->socket_context)->requested = true;
                q = calloc(1, sizeof(*q));
                if (!q)
                        return MHD_NO;
                clock_gettime(CLOCK_MONOTONIC, &q->started);
                q->srv = s;
                q->conn = conn;
                q->method = strdup(method);
                q->path = strdup(url);
                q->authorization = auth ? strdup(auth) : NULL;
                if (!q->method || !q->path || (auth && !q->authorization)) {
                        request_free(q);
                        return MHD_NO;
                }
                *con_cls = q;
                /* A declared body over the limit is refused before it is read:
                 * the 413 is queued now, so a client that sent "Expect:
                 * 100-continue" gets it instead of "100 Continue". */
                if (cl && (strlen(cl) > 7 || strtoul(cl, NULL, 10) > REPORT_BODY_MAX)) {
                        q->too_large = true;
                        run(s, q);
                        return send_reply(s, q);
                }
                return MHD_YES;
        }

        if (q->replied) {
                *upload_data_size = 0; /* what a client sends after its 413 is dropped */
                return MHD_YES;
        }
        if (*upload_data_size > 0) {
                if (!q->too_large && q->len + *upload_data_size <= REPORT_BODY_MAX) {
                        char *b = realloc(q->body, q->len + *upload_data_size + 1);
                        if (!b)
                                return MHD_NO;
                        memcpy(b + q->len, upload_data, *upload_data_size);
                        q->len += *upload_data_size;
                        b[q->len] = '\0';
                        q->body = b;
                } else {
                        q->too_large = true;
                }
                *upload_data_size = 0;
                return MHD_YES;
        }

        if (q->queued) {
                bool done;

                pthread_mutex_lock(&s->mu);
                done = q->done;
                pthread_mutex_unlock(&s->mu);
                if (!done)
                        return MHD_YES;
                return send_reply(s, q);
        }

        if (routes_is_inline(q->method, q->path) || q->too_large) {
                run(s, q);
                return send_reply(s, q);
        }
        if (!enqueue(s, q)) {
                struct http_request req = request_view(q);

                routes_refuse_busy(s->r, &req, &q->reply);
                return send_reply(s, q);
        }
        return MHD_YES;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe) {
        struct server *s = cls;
        struct request *q = *con_cls;

        if (!q)
                return;
        /* A queued request is only freed once its worker is done with it. */
        pthread_mutex_lock(&s->mu);
        bool busy = q->queued && !q->done;
        if (busy)
                q->orphaned = true;
        pthread_mutex_unlock(&s->mu);
        if (!busy)
                request_free(q);
        *con_cls = NULL;
}

/* Counts connections: open now, and how each ended.  A connection that
 * closes without ever completing a request is an idle or slow client (or
 * one that gave up): that is where slowloris and floods show. */
static void notify_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
                              enum MHD_ConnectionNotificationCode toe) {
        struct server *s = cls;
        struct conn *c = *socket_context;

        (void)conn;
        if (toe == MHD_CONNECTION_NOTIFY_STARTED) {
                /* Without memory the connection is simply not told apart. */
                *socket_context = calloc(1, sizeof(struct conn));
                metrics_connection(s->r->metrics, METRICS_CONN_OPENED);
                return;
        }
        metrics_connection(s->r->metrics,
                           c && !c->requested ? METRICS_CONN_NO_REQUEST : METRICS_CONN_SERVED);
        free(c);
        *socket_context = NULL;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ret, unsigned *ret_flags) {
        _cleanup_free_ char *host = NULL;
        unsigned port;
        int r;

        r = config_split_listen(listen, &host, &port);
        if (r < 0)
                return r;
        memset(ret, 0, sizeof(*ret));
        struct sockaddr_in *in4 = (struct sockaddr_in *)ret;
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ret;
        if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
                in4->sin_family = AF_INET;
                in4->sin_port = htons((uint16_t)port);
                *ret_flags = 0;
        } else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
                in6->sin6_family = AF_INET6;
                in6->sin6_port = htons((uint16_t)port);
                *ret_flags = MHD_USE_IPv6;
        } else {
                return -EINVAL;
        }
        return 0;
}

#define MHD_REFUSED_MESSAGE "Server reached connection limit"
#define MHD_INCOMPLETE_MESSAGE "Connection was closed by remote side with incomplete request"

/* Counts one more; returns the count to log now, 0 within a minute of the
 * last line. */
static unsigned burst_hit(struct server *s, struct log_burst *b) {
        time_t now = time(NULL);
        unsigned n = 0;

        pthread_mutex_lock(&s->log_mu);
        b->count++;
        if (now - b->logged >= 60 || now < b->logged) {
                n = b->count;
                b->count = 0;
                b->logged = now;
        }
        pthread_mutex_unlock(&s->log_mu);
        return n;
}

static bool starts_with(const char *s, const char *prefix) {
        return strncmp(s, prefix, strlen(prefix)) == 0;
}

_printf_(2, 0) static void mhd_log(void *cls, const char *fmt, va_list ap) {
        struct server *s = cls;
        unsigned n;

        /* libmicrohttpd 0.9 tells the application of a connection it refused
         * (--max-connections-per-ip or --max-connections reached) only through
         * this message.  Every one is counted in the metrics. */
        if (starts_with(fmt, MHD_REFUSED_MESSAGE)) {
                metrics_connection(s->r->metrics, METRICS_CONN_REFUSED);
                n = burst_hit(s, &s->refused);
                if (n > 0)
                        log_warning("refused %u connection(s) since this was last logged: too "
                                    "many from one client (--max-connections-per-ip %u) or in "
                                    "all (--max-connections %u); all are counted in "
                                    "onepci_connections_total",
                                    n, s->r->cfg->max_connections_per_ip,
                                    s->r->cfg->max_connections);
                return;
        }
        /* Slow or idle clients (slowloris) end this way, one line each; the
         * metrics count them as no_request already. */
        if (starts_with(fmt, MHD_INCOMPLETE_MESSAGE)) {
                n = burst_hit(s, &s->incomplete);
                if (n > 0)
                        log_warning("%u connection(s) closed before sending a whole request "
                                    "since this was last logged (onepci_connections_total"
                                    "{result=\"no_request\"})",
                                    n);
                return;
        }
        /* libmicrohttpd's own messages carry no request data we could leak. */
        vfprintf(stderr, fmt, ap);
}

int server_start(struct registrar *r, struct server **ret, struct error_message *ret_error) {
        const struct registrar_config *cfg = r->cfg;
        struct sockaddr_storage addr;
        unsigned flags =
                MHD_USE_INTERNAL_POLLING_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG;
        unsigned af_flags;
        size_t len;
        struct server *s;
        int k;

        k = parse_listen(cfg->listen, &addr, &af_flags);
        if (k < 0) {
                error_set(ret_error,
                          "--listen %s: not ADDRESS:PORT with a numeric "
                          "address",
                          cfg->listen);
                return k;
        }
        s = calloc(1, sizeof(*s));
        if (!s)
                return -ENOMEM;
        s->r = r;
        pthread_mutex_init(&s->mu, NULL);
        pthread_mutex_init(&s->log_mu, NULL);
        pthread_cond_init(&s->cv, NULL);
        if (cfg->tls_cert || cfg->tls_key) {
                if (!cfg->tls_cert || !cfg->tls_key) {
                        error_set(ret_error, "--tls-cert and --tls-key go together");
                        server_stop(s);
                        return -EINVAL;
                }
                k = read_file_bounded(cfg->tls_cert, 1 << 20, &s->cert, &len);
                if (k >= 0)
                        k = read_file_bounded(cfg->tls_key, 1 << 20, &s->key, &len);
                if (k < 0) {
                        error_set(ret_error, "reading the TLS certificate or key: %s",
                                  strerror(-k));
                        server_stop(s);
                        return k;
                }
                flags |= MHD_USE_TLS;
        }

        s->n_workers = cfg->threads;
        s->workers = calloc(s->n_workers, sizeof(pthread_t));
        if (!s->workers) {
                server_stop(s);
                return -ENOMEM;
        }
        for (unsigned i = 0; i < s->n_workers; i++) {
                k = -pthread_create(&s->workers[i], NULL, worker, s);
                if (k < 0) {
                        s->n_workers = i;
                        server_stop(s);
                        error_set(ret_error, "starting workers: %s", strerror(-k));
                        return k;
                }
        }

        unsigned pool = cfg->threads < 8 ? cfg->threads : 8;
        struct MHD_OptionItem tls[] = {
                {MHD_OPTION_HTTPS_MEM_CERT, 0, s->cert},
                {MHD_OPTION_HTTPS_MEM_KEY, 0, s->key},
                {MHD_OPTION_END, 0, NULL},
        };
        s->daemon = MHD_start_daemon(
                flags | af_flags, 0, NULL, NULL, handler, s, MHD_OPTION_EXTERNAL_LOGGER, mhd_log, s,
                MHD_OPTION_SOCK_ADDR, &addr, MHD_OPTION_THREAD_POOL_SIZE, pool,
                MHD_OPTION_CONNECTION_LIMIT, cfg->max_connections,
                MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->max_connections_per_ip,
                MHD_OPTION_CONNECTION_TIMEOUT, cfg->connection_timeout_s,
                MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_NOTIFY_CONNECTION,
                notify_connection, s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)128 * 1024,
                /* Without TLS the list is empty. */
                MHD_OPTION_ARRAY, s->cert ? tls : tls + 2, MHD_OPTION_END);
        if (!s->daemon) {
                error_set(ret_error,
                          "cannot listen on %s (in use, or a bad TLS "
                          "certificate/key)",
                          cfg->listen);
                server_stop(s);
                return -EADDRINUSE;
        }
        *ret = s;
        return 0;
}

unsigned server_port(struct server *s) {
        const union MHD_DaemonInfo *info;

        info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
        return info ? info->port : 0;
}

void server_stop(struct server *s) {
        if (!s)
                return;
        pthread_mutex_lock(&s->mu);
        s->stopping = true;
        pthread_cond_broadcast(&s->cv);
        pthread_mutex_unlock(&s->mu);
        for (unsigned i = 0; i < s->n_workers; i++)
                pthread_join(s->workers[i], NULL);
        if (s->daemon)
                MHD_stop_daemon(s->daemon);
        free(s->workers);
        if (s->key)
                explicit_bzero(s->key, strlen(s->key));
        free(s->key);
        free(s->cert);
        pthread_mutex_destroy(&s->mu);
        pthread_mutex_destroy(&s->log_mu);
        pthread_cond_destroy(&s->cv);
        free(s);
}
