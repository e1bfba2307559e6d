/* SPDX-License-Identifier: Apache-2.0 */
/* HOST_POOL / HOST / CLUSTER_POOL readers.  The XML comes from oned, but the
 * template values inside it came from anyone who could update a template, so
 * the parser loads no DTD, resolves no entities and touches no network. */

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "macros.h"
#include "pool-xml.h"

#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

static xmlNode *child(xmlNode *n, const char *name) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && STREQ((const char *)c->name, name))
                        return c;
        return NULL;
}

/* The text (and CDATA) of an element, NULL when there is no such element. */
static char *text_of(xmlNode *n) {
        xmlChar *t;
        char *s;

        if (!n)
                return NULL;
        t = xmlNodeGetContent(n);
        if (!t)
                return strdup("");
        s = strdup((const char *)t);
        xmlFree(t);
        return s;
}

static int int_of(xmlNode *n, int *ret) {
        _cleanup_free_ char *s = text_of(n);
        char *end = NULL;
        long v;

        if (!s || !*s)
                return -EBADMSG;
        errno = 0;
        v = strtol(s, &end, 10);
        if (errno != 0 || *end != '\0' || v < -1 || v > INT32_MAX)
                return -EBADMSG;
        *ret = (int)v;
        return 0;
}

void one_host_done(struct one_host *h) {
        if (!h)
                return;
        free(h->name);
        free(h->pci_filter);
        free(h->pci_short_address);
        free(h->onepci_status);
        free(h->onepci_reported_at);
        free(h->onepci_forceupdate);
        memset(h, 0, sizeof(*h));
}

void one_hosts_free(struct one_host *hosts, size_t n) {
        for (size_t i = 0; hosts && i < n; i++)
                one_host_done(&hosts[i]);
        free(hosts);
}

void one_clusters_free(struct one_cluster *c, size_t n) {
        for (size_t i = 0; c && i < n; i++) {
                free(c[i].name);
                free(c[i].pci_filter);
        }
        free(c);
}

static int host_from_node(xmlNode *n, struct one_host *ret) {
        struct one_host h = {};
        xmlNode *tmpl;
        int r;

        r = int_of(child(n, "ID"), &h.id);
        if (r >= 0)
                r = int_of(child(n, "STATE"), &h.state);
        if (r >= 0)
                r = int_of(child(n, "CLUSTER_ID"), &h.cluster_id);
        if (r < 0)
                return r;
        h.name = text_of(child(n, "NAME"));
        if (!h.name || !*h.name) {
                one_host_done(&h);
                return -EBADMSG;
        }
        tmpl = child(n, "TEMPLATE");
        h.pci_filter = text_of(child(tmpl, "PCI_FILTER"));
        h.pci_short_address = text_of(child(tmpl, "PCI_SHORT_ADDRESS"));
        h.onepci_status = text_of(child(tmpl, "ONEPCI_STATUS"));
        h.onepci_reported_at = text_of(child(tmpl, "ONEPCI_REPORTED_AT"));
        h.onepci_forceupdate = text_of(child(tmpl, "ONEPCI_FORCEUPDATE"));
        *ret = h;
        return 0;
}

static xmlDoc *read_doc(const char *xml, size_t len) {
        if (!xml || len > INT32_MAX)
                return NULL;
        return xmlReadMemory(xml, (int)len, "oned.xml", NULL, XML_OPTS);
}

int pool_parse_hosts(const char *xml, size_t len, struct one_host **ret, size_t *ret_n) {
        struct one_host *hosts = NULL;
        size_t n = 0, cap = 0;
        xmlDoc *doc = read_doc(xml, len);
        xmlNode *root;
        int r = 0;

        if (!doc)
                return -EBADMSG;
        root = xmlDocGetRootElement(doc);
        if (!root || !STREQ((const char *)root->name, "HOST_POOL")) {
                xmlFreeDoc(doc);
                return -EBADMSG;
        }
        for (xmlNode *c = root->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE || !STREQ((const char *)c->name, "HOST"))
                        continue;
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        struct one_host *nh = realloc(hosts, ncap * sizeof(*hosts));

                        if (!nh) {
                                r = -ENOMEM;
                                break;
                        }
                        hosts = nh;
                        cap = ncap;
                }
                r = host_from_node(c, &hosts[n]);
                if (r < 0)
                        break;
                n++;
        }
        xmlFreeDoc(doc);
        if (r < 0) {
                one_hosts_free(hosts, n);
                return r;
        }
        *ret = hosts;
        *ret_n = n;
        return 0;
}

int pool_parse_host(const char *xml, size_t len, struct one_host *ret) {
        xmlDoc *doc = read_doc(xml, len);
        xmlNode *root;
        int r;

        if (!doc)
                return -EBADMSG;
        root = xmlDocGetRootElement(doc);
        if (!root || !STREQ((const char *)root->name, "HOST"))
                r = -EBADMSG;
        else
                r = host_from_node(root, ret);
        xmlFreeDoc(doc);
        return r;
}

int pool_parse_clusters(const char *xml, size_t len, struct one_cluster **ret, size_t *ret_n) {
        struct one_cluster *cl = NULL;
        size_t n = 0, cap = 0;
        xmlDoc *doc = read_doc(xml, len);
        xmlNode *root;
        int r = 0;

        if (!doc)
                return -EBADMSG;
        root = xmlDocGetRootElement(doc);
        if (!root || !STREQ((const char *)root->name, "CLUSTER_POOL")) {
                xmlFreeDoc(doc);
                return -EBADMSG;
        }
        for (xmlNode *c = root->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE || !STREQ((const char *)c->name, "CLUSTER"))
                        continue;
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 8;
                        struct one_cluster *nc = realloc(cl, ncap * sizeof(*cl));

                        if (!nc) {
                                r = -ENOMEM;
                                break;
                        }
                        cl = nc;
                        cap = ncap;
                }
                memset(&cl[n], 0, sizeof(cl[n]));
                r = int_of(child(c, "ID"), &cl[n].id);
                if (r < 0)
                        break;
                cl[n].name = text_of(child(c, "NAME"));
                cl[n].pci_filter = text_of(child(child(c, "TEMPLATE"), "PCI_FILTER"));
                n++;
        }
        xmlFreeDoc(doc);
        if (r < 0) {
                one_clusters_free(cl, n);
                return r;
        }
        *ret = cl;
        *ret_n = n;
        return 0;
}

ssize_t pool_find_host(const struct one_host *hosts, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (STREQ(hosts[i].name, name))
                        return (ssize_t)i;
        return -1;
}

int one_version_at_least(const char *version, int major, int minor, bool *ret) {
        char *end = NULL;
        long ma, mi;

        if (!version || version[0] < '0' || version[0] > '9')
                return -EINVAL;
        errno = 0;
        ma = strtol(version, &end, 10);
        if (errno != 0 || *end != '.' || end[1] < '0' || end[1] > '9')
                return -EINVAL;
        mi = strtol(end + 1, &end, 10);
        if (errno != 0 || (*end != '\0' && *end != '.' && *end != '-'))
                return -EINVAL;
        *ret = ma > major || (ma == major && mi >= minor);
        return 0;
}

bool one_host_state_disabled(int state) {
        return state == ONE_HOST_DISABLED || state == ONE_HOST_MONITORING_DISABLED;
}

bool one_host_state_offline(int state) {
        return state == ONE_HOST_OFFLINE;
}
