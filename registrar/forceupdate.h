/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* A forced monitoring update (`onehost forceupdate`: OFFLINE, then back) and
 * the marks that make it survive an oned that goes away half way.  Pure.
 *
 * The host template carries ONEPCI_FORCEUPDATE="PENDING" from the filter
 * update until the update is done ("DONE"), and beside it
 * ONEPCI_FORCEUPDATE_RESTORE, the state to bring the host back to
 * ("ENABLED" or "DISABLED", what it was before).  Both are written in the
 * same merge as the filter.  A host found OFFLINE with PENDING and a
 * recorded state was set OFFLINE by a registrar that could not bring it
 * back: it is brought back, not left OFFLINE for good.  Any other OFFLINE
 * host is the operator's and is left alone. */

#include <stdbool.h>

#define FORCEUPDATE_PENDING "PENDING"
#define FORCEUPDATE_DONE "DONE"

/* one.host.status arguments. */
enum one_status {
        ONE_STATUS_ENABLED = 0,
        ONE_STATUS_DISABLED = 1,
        ONE_STATUS_OFFLINE = 2,
};

struct forceupdate_plan {
        bool go_offline;  /* one.host.status(OFFLINE) first */
        bool bring_back;  /* then one.host.status(back): the update is owed */
        int back;         /* ONE_STATUS_ENABLED or ONE_STATUS_DISABLED */
        bool write_marks; /* PENDING and the restore state must be written first */
};

/* What is owed to a host in state with its template's marks (either may be
 * NULL), when its filter changed or not.  Nothing owed: bring_back false. */
void forceupdate_plan(int state, const char *mark, const char *restore, bool filter_changed,
                      struct forceupdate_plan *ret);

/* "ENABLED" / "DISABLED" for a back state. */
const char *forceupdate_restore_name(int back);

/* Adds <ONEPCI_FORCEUPDATE_RESTORE>…</…> for back at the end of a rendered
 * <TEMPLATE>…</TEMPLATE> (one-template.h), so that the one merge carries the
 * filter, PENDING and the state to restore.  -EINVAL when *xml is no template. */
int forceupdate_add_restore(char **xml, int back);

/* <TEMPLATE> with PENDING and the restore state only. */
int forceupdate_render_marks(int back, char **ret_xml);
