/* SPDX-License-Identifier: Apache-2.0 */
/* What a forced monitoring update owes a host, from its state and marks. */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "forceupdate.h"
#include "macros.h"
#include "pool-xml.h"

static bool mark_is(const char *mark, const char *want) {
        return mark && STREQ(mark, want);
}

/* The recorded state to restore, -1 when none (or unreadable). */
static int recorded_back(const char *restore) {
        if (mark_is(restore, "ENABLED"))
                return ONE_STATUS_ENABLED;
        if (mark_is(restore, "DISABLED"))
                return ONE_STATUS_DISABLED;
        return -1;
}

void forceupdate_plan(int state, const char *mark, const char *restore, bool filter_changed,
                      struct forceupdate_plan *ret) {
        bool pending = mark_is(mark, FORCEUPDATE_PENDING);
        int recorded = pending ? recorded_back(restore) : -1;

        *ret = (struct forceupdate_plan){.back = ONE_STATUS_ENABLED};
        if (one_host_state_offline(state)) {
                /* Ours (PENDING, and what it was is known): finish it by
                 * bringing it back.  The operator's: leave it alone. */
                if (recorded >= 0) {
                        ret->bring_back = true;
                        ret->back = recorded;
                }
                return;
        }
        if (!filter_changed && !pending)
                return;
        /* Back to the state it has now: whoever changed it since the marks
         * were written wins. */
        ret->go_offline = ret->bring_back = true;
        ret->back = one_host_state_disabled(state) ? ONE_STATUS_DISABLED : ONE_STATUS_ENABLED;
        ret->write_marks = !pending || recorded != ret->back;
}

const char *forceupdate_restore_name(int back) {
        return back == ONE_STATUS_DISABLED ? "DISABLED" : "ENABLED";
}

int forceupdate_add_restore(char **xml, int back) {
        static const char end[] = "</TEMPLATE>";
        size_t len = *xml ? strlen(*xml) : 0, keep;
        char *out = NULL;

        if (len < strlen(end) || !STREQ(*xml + len - strlen(end), end))
                return -EINVAL;
        keep = len - strlen(end);
        if (asprintf(&out, "%.*s<ONEPCI_FORCEUPDATE_RESTORE>%s</ONEPCI_FORCEUPDATE_RESTORE>%s",
                     (int)keep, *xml, forceupdate_restore_name(back), end) < 0)
                return -ENOMEM;
        free(*xml);
        *xml = out;
        return 0;
}

int forceupdate_render_marks(int back, char **ret_xml) {
        char *xml = NULL;

        if (asprintf(&xml,
                     "<TEMPLATE><ONEPCI_FORCEUPDATE>" FORCEUPDATE_PENDING "</ONEPCI_FORCEUPDATE>"
                     "<ONEPCI_FORCEUPDATE_RESTORE>%s</ONEPCI_FORCEUPDATE_RESTORE></TEMPLATE>",
                     forceupdate_restore_name(back)) < 0)
                return -ENOMEM;
        *ret_xml = xml;
        return 0;
}
