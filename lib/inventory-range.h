/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* Host patterns of an Ansible inventory, read as Ansible's YAML inventory
 * plugin reads them (plugins/inventory/__init__.py, parsing/utils/addresses.py):
 *
 *   "n1:2222"           host n1 with ansible_port 2222 (a name, an IPv4
 *                       address or "[IPv6]" followed by ":PORT")
 *   "n[1:3]"            n1, n2, n3; "n[01:10:2]" counts by 2 with zero
 *                       padding; "db-[a:c]" takes letters ("[a:C]" runs
 *                       a..z then A..C, Python's string.ascii_letters)
 *   "n[5:3]"            no host at all (Python's range() is empty), as in
 *                       Ansible; "[c:a]" is an error there and here
 *
 * A pattern Ansible cannot expand (a step of 0, a ']' before '[', a bound
 * neither a number nor letters) is refused with the reason. */

#include <stddef.h>

struct host_pattern {
        char **names; /* expanded names, in Ansible's order */
        size_t n;
        unsigned port; /* 0 when none */
};

/* Reads pattern into ret (which the caller releases with
 * host_pattern_done()).  -EINVAL / -E2BIG with *ret_problem set. */
int host_pattern_expand(const char *pattern, size_t max_hosts, struct host_pattern *ret,
                        const char **ret_problem);
void host_pattern_done(struct host_pattern *p);
