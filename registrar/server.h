/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The HTTP server: libmicrohttpd with an internal thread pool, connection
 * limits (in all and per client address) and a timeout, a 64 KiB body
 * limit, optional TLS.  Requests that talk
 * to oned are suspended and handed to a pool of worker threads, so a slow
 * oned or a long `onehost sync` never stalls /healthz or /metrics. */

#include "error-message.h"

struct registrar;
struct server;

/* Starts listening.  -EADDRINUSE etc., with a message. */
int server_start(struct registrar *r, struct server **ret, struct error_message *ret_error);
/* The port actually bound (useful with port 0). */
unsigned server_port(struct server *s);
/* Stops accepting, finishes the queued work, frees everything. */
void server_stop(struct server *s);
