/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A validated report applied to oned, issue 3's steps in order: version
 * check, host by NAME (or allocate), probe widened, filters computed,
 * one.host.update only when something differs, forced monitoring update when
 * a filter changed.  Any oned failure answers 503 before the host update, or
 * leaves the host as it was (the update is a single merge call). */

#include <stdbool.h>
#include <time.h>

#include "error-message.h"
#include "report-validate.h"

struct registrar;

struct apply_result {
        int status;        /* HTTP status */
        const char *error; /* JSON "error", NULL on success */
        char reason[512];
        unsigned retry_after; /* seconds; 0 = no header */
        int host_id;
        char host_name[REPORT_HOST_NAME_MAX + 1];
        char *pci_filter;
        char *pci_short_address;
        bool changed, forced_update, probe_widened, host_created;
};

void apply_result_done(struct apply_result *res);

/* Never fails as a function: everything ends up in res. */
void apply_report(struct registrar *r, const struct pci_report *rep, time_t now,
                  struct apply_result *res);

/* Finishes every forced update left half done (ONEPCI_FORCEUPDATE="PENDING"
 * in a host's template), as that host's next report would: a host left
 * OFFLINE by it is brought back to the recorded state.  For the registrar's
 * start.  *ret_done counts the hosts finished; the first failure (the other
 * hosts are still tried) is returned, with its message.  Stops between two
 * hosts once registrar_stopping(). */
int apply_pending_forceupdates(struct registrar *r, unsigned *ret_done,
                               struct error_message *ret_error);
