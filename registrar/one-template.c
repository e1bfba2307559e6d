/* SPDX-License-Identifier: Apache-2.0 */
/* XML form of a template update: it avoids the quoting rules of the
 * attribute syntax (no escape for a backslash, "]]>" breaks the update), and
 * the whitelists below mean no value needs escaping at all. */

#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macros.h"
#include "one-template.h"

static bool match(const char *pattern, const char *s) {
        regex_t re;
        bool ok;

        if (regcomp(&re, pattern, REG_EXTENDED | REG_NOSUB) != 0)
                return false;
        ok = regexec(&re, s, 0, NULL, 0) == 0;
        regfree(&re);
        return ok;
}

/* Checks each comma-separated element of s against pattern; an empty element fails. */
static bool list_valid(const char *s, const char *pattern, size_t max_len) {
        _cleanup_free_ char *copy = NULL;
        char *save = NULL;
        size_t len;

        if (!s)
                return false;
        len = strlen(s);
        if (len == 0 || len > max_len || s[0] == ',' || s[len - 1] == ',' || strstr(s, ",,"))
                return false;
        copy = strdup(s);
        if (!copy)
                return false;
        for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                if (!match(pattern, tok))
                        return false;
        return true;
}

bool template_filter_valid(const char *s) {
        return list_valid(s, "^[0-9a-f*]{1,4}:[0-9a-f*]{1,4}(:[0-9a-f*]{1,4})?$", 4096);
}

bool template_short_address_valid(const char *s) {
        return list_valid(s, "^([0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\\.[0-7]$", 8192);
}

static bool version_valid(const char *s) {
        return strlen(s) <= 64 && match("^[A-Za-z0-9.+~_-]+$", s);
}

int template_render(const struct template_update *u, char **ret_xml) {
        char when[32] = "";
        struct tm tm;
        char *xml = NULL;
        int n;

        if ((u->forceupdate && !STREQ(u->forceupdate, "PENDING") &&
             !STREQ(u->forceupdate, "DONE")) ||
            (u->pci_filter && !template_filter_valid(u->pci_filter)) ||
            (u->pci_short_address && !template_short_address_valid(u->pci_short_address)) ||
            (u->agent_version && !version_valid(u->agent_version)))
                return -EINVAL;
        if (!gmtime_r(&u->reported_at, &tm) ||
            strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
                return -EINVAL;

        n = asprintf(&xml,
                     "<TEMPLATE>%s%s%s%s%s%s"
                     "<ONEPCI_STATUS>%s</ONEPCI_STATUS>"
                     "<ONEPCI_REPORTED_AT>%s</ONEPCI_REPORTED_AT>%s%s%s%s%s%s</TEMPLATE>",
                     u->pci_filter ? "<PCI_FILTER>" : "", u->pci_filter ?: "",
                     u->pci_filter ? "</PCI_FILTER>" : "",
                     u->pci_short_address ? "<PCI_SHORT_ADDRESS>" : "", u->pci_short_address ?: "",
                     u->pci_short_address ? "</PCI_SHORT_ADDRESS>" : "",
                     u->succeeded ? "SUCCEEDED" : "FAILED", when,
                     u->agent_version ? "<ONEPCI_AGENT_VERSION>" : "", u->agent_version ?: "",
                     u->agent_version ? "</ONEPCI_AGENT_VERSION>" : "",
                     u->forceupdate ? "<ONEPCI_FORCEUPDATE>" : "", u->forceupdate ?: "",
                     u->forceupdate ? "</ONEPCI_FORCEUPDATE>" : "");
        if (n < 0)
                return -ENOMEM;
        *ret_xml = xml;
        return 0;
}

int template_render_forceupdate_done(char **ret_xml) {
        char *xml = strdup("<TEMPLATE><ONEPCI_FORCEUPDATE>DONE</ONEPCI_FORCEUPDATE></TEMPLATE>");

        if (!xml)
                return -ENOMEM;
        *ret_xml = xml;
        return 0;
}

int template_render_deny_all(char **ret_xml) {
        char *xml = strdup("<TEMPLATE><PCI_FILTER>0:0</PCI_FILTER></TEMPLATE>");

        if (!xml)
                return -ENOMEM;
        *ret_xml = xml;
        return 0;
}
