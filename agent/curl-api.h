/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libcurl, loaded the first time the agent talks to the registrar rather
 * than when the program starts.  libcurl brings 31 of the agent's 37 shared
 * libraries: loading them costs about 5 ms of CPU and 5 MB of memory on every
 * run (9 M instructions), and most runs (plan, check, apply --no-register,
 * an apply with nothing to register) never open a connection.  The agent
 * still depends on libcurl (the packages say so); it just pays for it late. */

#include <curl/curl.h>
#include <time.h>

#include "error-message.h"

struct curl_api {
        CURLcode (*global_init)(long flags);
        void (*global_cleanup)(void);
        CURL *(*easy_init)(void);
        CURLcode (*easy_setopt)(CURL *curl, CURLoption option, ...);
        CURLcode (*easy_perform)(CURL *curl);
        CURLcode (*easy_getinfo)(CURL *curl, CURLINFO info, ...);
        void (*easy_cleanup)(CURL *curl);
        const char *(*easy_strerror)(CURLcode code);
        struct curl_slist *(*slist_append)(struct curl_slist *list, const char *string);
        void (*slist_free_all)(struct curl_slist *list);
        time_t (*getdate)(const char *date, const time_t *unused);
};

/* The loaded library (loaded once, kept for the life of the process).
 * -ELIBACC with ret_error (optional) naming the library and dlerror()'s
 * reason when it cannot be loaded or lacks a symbol. */
int curl_api_get(const struct curl_api **ret, struct error_message *ret_error);
