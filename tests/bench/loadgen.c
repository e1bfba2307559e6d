/* SPDX-License-Identifier: Apache-2.0 */
/* Load generator for onepci-registrar: N distinct hosts send signed reports
 * (docs/protocol.md, lib/sign.h) concurrently through libcurl multi.
 *
 *     loadgen --url URL [--url URL2 ...] --secret-file F --hosts N
 *             [--prefix b] [--rounds R] [--concurrency C] [--retries K]
 *             [--seed S] [--out FILE] [--deadline-s T]
 *
 * Host i is named PREFIX%06d; its inventory name and host_name are the same
 * (the registrar runs without --inventory, so the double must hold hosts of
 * those names).  Every host sends R reports one after the other (round r
 * goes to URL number (i + r) % number-of-URLs, so with two URLs the same
 * host's reports alternate between registrars); the devices of a report are
 * a pseudo-random function of (seed, host, round), 1-3 NVIDIA GPUs.  A
 * report answered 0 (no answer), 409, 429 or 5xx is retried up to K times
 * after 20-200 ms (60 s per request, as the agent).  --out writes one line per host: "NAME ROUND STATUS
 * FILTER", the last round, its final status and the PCI_FILTER it asked for.
 * --deadline-s: start no new round after T seconds (reports in flight or
 * being retried are carried to their end).
 *
 * Prints one JSON object: requests, ok, per-status counts, elapsed_s,
 * reports_per_s (successful reports), latency_ms p50/p99/max per request. */

#include <curl/curl.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sign.h"

#define MAX_URLS 8

static const char *const GPU_IDS[] = { "26b9", "2330", "20b5", "1eb8", "2236", "27b8" };
#define N_GPU_IDS (sizeof(GPU_IDS) / sizeof(GPU_IDS[0]))

struct host {
        char name[32];
        char key[SIGN_KEY_HEX_LEN + 1];
        unsigned round;
        unsigned attempt;
        int64_t not_before_ms;
        bool waiting;
        long final_status;
        unsigned final_round;
        char filter[128];
        /* in flight */
        CURL *easy;
        struct curl_slist *headers;
        char *body;
        char filter_now[128];
        int64_t started_us;
};

static int64_t now_us(void) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static uint64_t mix(uint64_t x) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        x ^= x >> 33;
        x *= 0xc4ceb9fe1a85ec53ULL;
        x ^= x >> 33;
        return x;
}

static int cmp_str(const void *a, const void *b) {
        return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static int cmp_i64(const void *a, const void *b) {
        int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
        return x < y ? -1 : x > y;
}

/* The report body of host h in its current round, and its PCI_FILTER. */
static char *make_body(const struct host *h, uint64_t seed, size_t idx, char ret_filter[128]) {
        uint64_t r = mix(seed ^ mix(idx * 1000003ULL + h->round + 1));
        unsigned n = 1 + r % 3;
        const char *ids[3];
        char devs[1024] = "";
        size_t off = 0;
        for (unsigned d = 0; d < n; d++) {
                ids[d] = GPU_IDS[(r >> (8 + 4 * d)) % N_GPU_IDS];
                off += (size_t) snprintf(devs + off, sizeof(devs) - off,
                                         "%s{\"address\":\"0000:%02x:00.0\",\"vendor\":\"10de\","
                                         "\"device\":\"%s\",\"class\":\"030200\",\"driver\":"
                                         "\"vfio-pci\",\"iommu_group\":%u,\"numa_node\":0}",
                                         d ? "," : "", 9 + d, ids[d], 13 + d);
        }
        qsort(ids, n, sizeof(ids[0]), cmp_str);
        size_t fo = 0;
        ret_filter[0] = 0;
        for (unsigned d = 0; d < n; d++) {
                if (d > 0 && strcmp(ids[d], ids[d - 1]) == 0)
                        continue;
                fo += (size_t) snprintf(ret_filter + fo, 128 - fo, "%s10de:%s", fo ? "," : "",
                                        ids[d]);
        }
        char *body = NULL;
        if (asprintf(&body,
                     "{\"schema\":1,\"inventory_name\":\"%s\",\"host_name\":\"%s\","
                     "\"agent_version\":\"0.1.0\",\"outcome\":{\"result\":\"succeeded\","
                     "\"errors\":[]},\"devices\":[%s],\"twins\":[]}",
                     h->name, h->name, devs) < 0)
                return NULL;
        return body;
}

static size_t discard(char *ptr, size_t size, size_t nmemb, void *userdata) {
        return size * nmemb;
}

static void usage(void) {
        fprintf(stderr, "usage: loadgen --url URL [--url URL] --secret-file F --hosts N "
                        "[--prefix P] [--rounds R] [--concurrency C] [--retries K] "
                        "[--seed S] [--out FILE]\n");
        exit(2);
}

int main(int argc, char **argv) {
        const char *urls[MAX_URLS];
        size_t n_urls = 0;
        const char *secret_file = NULL, *prefix = "b", *out = NULL;
        long n_hosts = 0, rounds = 1, concurrency = 64, retries = 0, deadline_s = 0;
        uint64_t seed = 1;
        static const struct option opts[] = {
                { "url", required_argument, NULL, 'u' },
                { "secret-file", required_argument, NULL, 's' },
                { "hosts", required_argument, NULL, 'n' },
                { "prefix", required_argument, NULL, 'p' },
                { "rounds", required_argument, NULL, 'r' },
                { "concurrency", required_argument, NULL, 'c' },
                { "retries", required_argument, NULL, 'k' },
                { "seed", required_argument, NULL, 'S' },
                { "out", required_argument, NULL, 'o' },
                { "deadline-s", required_argument, NULL, 'd' },
                {}
        };
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) >= 0) {
                switch (c) {
                case 'u':
                        if (n_urls == MAX_URLS)
                                usage();
                        urls[n_urls++] = optarg;
                        break;
                case 's': secret_file = optarg; break;
                case 'n': n_hosts = strtol(optarg, NULL, 10); break;
                case 'p': prefix = optarg; break;
                case 'r': rounds = strtol(optarg, NULL, 10); break;
                case 'c': concurrency = strtol(optarg, NULL, 10); break;
                case 'k': retries = strtol(optarg, NULL, 10); break;
                case 'S': seed = strtoull(optarg, NULL, 10); break;
                case 'o': out = optarg; break;
                case 'd': deadline_s = strtol(optarg, NULL, 10); break;
                default: usage();
                }
        }
        if (n_urls == 0 || !secret_file || n_hosts <= 0 || rounds <= 0 || concurrency <= 0)
                usage();

        char text[256] = "";
        FILE *sf = fopen(secret_file, "r");
        if (!sf || !fgets(text, sizeof(text), sf)) {
                perror(secret_file);
                return 1;
        }
        fclose(sf);
        uint8_t secret[32];
        if (sign_parse_hex_key(text, secret) < 0) {
                fprintf(stderr, "%s: not a secret\n", secret_file);
                return 1;
        }

        struct host *hosts = calloc((size_t) n_hosts, sizeof(*hosts));
        size_t max_req = (size_t) n_hosts * (size_t) rounds * (size_t) (retries + 1);
        int64_t *lat = malloc(max_req * sizeof(*lat));
        if (!hosts || !lat)
                return 1;
        for (long i = 0; i < n_hosts; i++) {
                snprintf(hosts[i].name, sizeof(hosts[i].name), "%s%06ld", prefix, i);
                if (sign_derive_node_key(secret, sizeof(secret), hosts[i].name, hosts[i].key) < 0)
                        return 1;
                hosts[i].waiting = true;
        }

        curl_global_init(CURL_GLOBAL_DEFAULT);
        CURLM *multi = curl_multi_init();
        curl_multi_setopt(multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, concurrency);
        size_t n_lat = 0, in_flight = 0, done_hosts = 0, next_scan = 0;
        unsigned long requests = 0, ok = 0, status_count[600] = { 0 };
        int64_t t0 = now_us();

        bool stopped = false;
        for (;;) {
                int64_t now_ms = now_us() / 1000;
                if (deadline_s > 0 && now_us() - t0 > (int64_t) deadline_s * 1000000)
                        stopped = true;
                /* After the deadline a report being retried is still retried to
                 * its end (a 503 may come after oned applied it, as for the
                 * agent); no new round starts. */
                size_t retrying = 0;
                if (stopped)
                        for (long i = 0; i < n_hosts; i++)
                                retrying += hosts[i].waiting && hosts[i].attempt > 0;
                if (!((!stopped && done_hosts < (size_t) n_hosts) || in_flight > 0 ||
                      retrying > 0))
                        break;
                /* Start what may start, round-robin over the hosts. */
                for (size_t scanned = 0; scanned < (size_t) n_hosts &&
                     in_flight < (size_t) concurrency; scanned++) {
                        size_t i = (next_scan + scanned) % (size_t) n_hosts;
                        struct host *h = &hosts[i];
                        if (!h->waiting || h->not_before_ms > now_ms ||
                            (stopped && h->attempt == 0))
                                continue;
                        h->waiting = false;
                        next_scan = i + 1;
                        h->body = make_body(h, seed, i, h->filter_now);
                        char path[128], url[512], auth[SIGN_HEADER_MAX], hdr[SIGN_HEADER_MAX + 32];
                        char nonce[SIGN_NONCE_HEX_LEN + 1];
                        snprintf(path, sizeof(path), "/v1/hosts/%s/pci", h->name);
                        snprintf(url, sizeof(url), "%s%s", urls[(i + h->round) % n_urls], path);
                        if (!h->body || sign_new_nonce(nonce) < 0 ||
                            sign_request(h->key, h->name, "PUT", path, (int64_t) time(NULL), nonce,
                                         h->body, strlen(h->body), auth) < 0)
                                return 1;
                        snprintf(hdr, sizeof(hdr), "Authorization: %s", auth);
                        h->headers = curl_slist_append(NULL, hdr);
                        h->headers = curl_slist_append(h->headers,
                                                       "Content-Type: application/json");
                        h->headers = curl_slist_append(h->headers, "Expect:");
                        h->easy = curl_easy_init();
                        curl_easy_setopt(h->easy, CURLOPT_URL, url);
                        curl_easy_setopt(h->easy, CURLOPT_CUSTOMREQUEST, "PUT");
                        curl_easy_setopt(h->easy, CURLOPT_POSTFIELDS, h->body);
                        curl_easy_setopt(h->easy, CURLOPT_POSTFIELDSIZE, (long) strlen(h->body));
                        curl_easy_setopt(h->easy, CURLOPT_HTTPHEADER, h->headers);
                        curl_easy_setopt(h->easy, CURLOPT_WRITEFUNCTION, discard);
                        curl_easy_setopt(h->easy, CURLOPT_TIMEOUT_MS, 60000L);
                        curl_easy_setopt(h->easy, CURLOPT_PRIVATE, h);
                        h->started_us = now_us();
                        curl_multi_add_handle(multi, h->easy);
                        in_flight++;
                        requests++;
                }
                int running;
                curl_multi_perform(multi, &running);
                CURLMsg *m;
                int left;
                while ((m = curl_multi_info_read(multi, &left))) {
                        if (m->msg != CURLMSG_DONE)
                                continue;
                        struct host *h;
                        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **) &h);
                        long status = 0;
                        if (m->data.result == CURLE_OK)
                                curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &status);
                        lat[n_lat++] = now_us() - h->started_us;
                        if (status < 0 || status >= 600)
                                status = 0;
                        status_count[status]++;
                        curl_multi_remove_handle(multi, h->easy);
                        curl_easy_cleanup(h->easy);
                        curl_slist_free_all(h->headers);
                        free(h->body);
                        h->easy = NULL;
                        in_flight--;
                        bool retryable = status == 0 || status == 409 || status == 429 ||
                                         status >= 500;
                        if (retryable && h->attempt < (unsigned) retries) {
                                h->attempt++;
                                h->not_before_ms = now_us() / 1000 + 20 +
                                                   (int64_t) (mix(requests ^ (uint64_t) h->started_us) % 180);
                                h->waiting = true;
                                continue;
                        }
                        if (status == 200)
                                ok++;
                        h->final_status = status;
                        h->final_round = h->round;
                        memcpy(h->filter, h->filter_now, sizeof(h->filter));
                        h->attempt = 0;
                        h->round++;
                        if (h->round < (unsigned) rounds) {
                                h->waiting = true;
                                h->not_before_ms = 0;
                        } else {
                                done_hosts++;
                        }
                }
                if (in_flight > 0)
                        curl_multi_poll(multi, NULL, 0, 5, NULL);
                else {
                        struct timespec ts = { 0, 2 * 1000 * 1000 };
                        nanosleep(&ts, NULL);
                }
        }
        double elapsed = (double) (now_us() - t0) / 1e6;
        curl_multi_cleanup(multi);
        curl_global_cleanup();

        qsort(lat, n_lat, sizeof(*lat), cmp_i64);
        double p50 = n_lat ? (double) lat[n_lat / 2] / 1000 : 0;
        double p99 = n_lat ? (double) lat[(n_lat * 99) / 100 < n_lat ? (n_lat * 99) / 100 : n_lat - 1] / 1000 : 0;
        double mx = n_lat ? (double) lat[n_lat - 1] / 1000 : 0;
        printf("{\"hosts\": %ld, \"rounds\": %ld, \"concurrency\": %ld, \"requests\": %lu, "
               "\"ok\": %lu, \"stopped_by_deadline\": %s, \"status\": {", n_hosts, rounds,
               concurrency, requests, ok, stopped ? "true" : "false");
        bool first = true;
        for (int s = 0; s < 600; s++)
                if (status_count[s]) {
                        printf("%s\"%d\": %lu", first ? "" : ", ", s, status_count[s]);
                        first = false;
                }
        printf("}, \"elapsed_s\": %.3f, \"reports_per_s\": %.1f, \"latency_ms\": "
               "{\"p50\": %.2f, \"p99\": %.2f, \"max\": %.2f}}\n",
               elapsed, elapsed > 0 ? (double) ok / elapsed : 0, p50, p99, mx);
        if (out) {
                FILE *f = fopen(out, "w");
                if (!f) {
                        perror(out);
                        return 1;
                }
                for (long i = 0; i < n_hosts; i++)
                        fprintf(f, "%s %u %ld %s\n", hosts[i].name, hosts[i].final_round,
                                hosts[i].final_status, hosts[i].filter);
                fclose(f);
        }
        free(hosts);
        free(lat);
        return 0;
}
