/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* The template text given to one.host.update (merge).  Every value is checked
 * again here against a whitelist, whatever the caller validated before: no
 * request string reaches oned unchecked. */

#include <stdbool.h>
#include <time.h>

/* "vendor:device[:class]" elements joined by commas, no empty element. */
bool template_filter_valid(const char *s);
/* Comma list of slots as the probe prints them ("09:00.0", "0001:09:00.0"). */
bool template_short_address_valid(const char *s);

struct template_update {
        const char *pci_filter;        /* NULL: leave alone */
        const char *pci_short_address; /* NULL: leave alone */
        bool succeeded;                /* ONEPCI_STATUS */
        time_t reported_at;            /* ONEPCI_REPORTED_AT, UTC ISO 8601 */
        const char *agent_version;     /* ONEPCI_AGENT_VERSION, NULL: leave alone */
        const char *forceupdate;       /* ONEPCI_FORCEUPDATE "PENDING"/"DONE", NULL: leave */
};

/* Renders <TEMPLATE>...</TEMPLATE>.  -EINVAL when a value fails its whitelist. */
int template_render(const struct template_update *u, char **ret_xml);

/* Renders <TEMPLATE><ONEPCI_FORCEUPDATE>DONE</ONEPCI_FORCEUPDATE></TEMPLATE>. */
int template_render_forceupdate_done(char **ret_xml);

/* Renders <TEMPLATE><PCI_FILTER>0:0</PCI_FILTER></TEMPLATE> for a cluster. */
int template_render_deny_all(char **ret_xml);
