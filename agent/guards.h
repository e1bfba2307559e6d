/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Devices the host itself depends on: refused unless a selector says
 * `unguarded: true`.
 *  - the NICs carrying a default route (IPv4 /proc/net/route and IPv6
 *    /proc/net/ipv6_route), followed through bridges (brif/), bonds
 *    (bonding/slaves, lower_*), VLANs and macvlans (lower_*) down to the PCI
 *    devices behind them (ROOT/sys/class/net/IF/device);
 *  - the controller of the disk that holds / (ROOT/proc/self/mountinfo ->
 *    major:minor -> ROOT/sys/dev/block/M:m, following dm/md slaves/ to the
 *    PCI device above it). */

#include <stddef.h>

#include "context.h"

enum guard_kind { GUARD_NONE, GUARD_DEFAULT_ROUTE, GUARD_ROOT_DISK };

struct guard_hit {
        char address[13];
        enum guard_kind kind;
        char why[160]; /* "carries the default route via br0 -> eth0" */
};

struct guard_facts {
        struct guard_hit *hits;
        size_t n;
};

int guards_collect(const struct onepci_context *ctx, struct guard_facts **ret);
void guard_facts_free(struct guard_facts *g);
/* The first hit for an address, NULL when none. */
const struct guard_hit *guard_facts_find(const struct guard_facts *g, const char *address);
