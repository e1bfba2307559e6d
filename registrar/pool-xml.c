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
#include "xml-util.h"

static int int_of(xmlNode *n, int *ret) {
        long long v;

        if (xml_ll(n, &v) < 0 || v < -1 || v > INT32_MAX)
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
        free(h->onepci_forceupdate_restore);
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

static int host_from_node(xmlNode *n, void *ret) {
        struct one_host h = {};
        xmlNode *tmpl;
        int r;

        r = int_of(xml_child(n, "ID"), &h.id);
        if (r >= 0)
                r = int_of(xml_child(n, "STATE"), &h.state);
        if (r >= 0)
                r = int_of(xml_child(n, "CLUSTER_ID"), &h.cluster_id);
        if (r < 0)
                return r;
        h.name = xml_text(xml_child(n, "NAME"));
        if (!h.name || !*h.name) {
                one_host_done(&h);
                return -EBADMSG;
        }
        tmpl = xml_child(n, "TEMPLATE");
        h.pci_filter = xml_text(xml_child(tmpl, "PCI_FILTER"));
        h.pci_short_address = xml_text(xml_child(tmpl, "PCI_SHORT_ADDRESS"));
        h.onepci_status = xml_text(xml_child(tmpl, "ONEPCI_STATUS"));
        h.onepci_reported_at = xml_text(xml_child(tmpl, "ONEPCI_REPORTED_AT"));
        h.onepci_forceupdate = xml_text(xml_child(tmpl, "ONEPCI_FORCEUPDATE"));
        h.onepci_forceupdate_restore = xml_text(xml_child(tmpl, "ONEPCI_FORCEUPDATE_RESTORE"));
        *(struct one_host *)ret = h;
        return 0;
}

static int cluster_from_node(xmlNode *n, void *ret) {
        struct one_cluster c = {};
        int r;

        r = int_of(xml_child(n, "ID"), &c.id);
        if (r < 0)
                return r;
        c.name = xml_text(xml_child(n, "NAME"));
        c.pci_filter = xml_text(xml_child(xml_child(n, "TEMPLATE"), "PCI_FILTER"));
        *(struct one_cluster *)ret = c;
        return 0;
}

/* One reader for every pool: each item_name child of the root_name element
 * read into an array of item_size entries by from_node; free_items undoes it. */
struct pool_kind {
        const char *root_name, *item_name;
        size_t item_size;
        int (*from_node)(xmlNode *n, void *ret);
        void (*free_items)(void *items, size_t n);
};

static int parse_pool(const struct pool_kind *kind, const char *xml, size_t len, void **ret,
                      size_t *ret_n) {
        _cleanup_free_ char *items = NULL;
        size_t n = 0, cap = 0;
        xmlDoc *doc;
        xmlNode *root = xml_read_root(xml, len, kind->root_name, &doc);
        int r = 0;

        if (!root)
                return -EBADMSG;
        for (xmlNode *c = root->children; c; c = c->next) {
                if (c->type != XML_ELEMENT_NODE || !STREQ((const char *)c->name, kind->item_name))
                        continue;
                if (n == cap) {
                        size_t ncap = cap ? cap * 2 : 16;
                        char *grown = reallocarray(items, ncap, kind->item_size);

                        if (!grown) {
                                r = -ENOMEM;
                                break;
                        }
                        items = grown;
                        cap = ncap;
                }
                r = kind->from_node(c, items + n * kind->item_size);
                if (r < 0)
                        break;
                n++;
        }
        xmlFreeDoc(doc);
        if (r < 0) {
                kind->free_items(TAKE_PTR(items), n);
                return r;
        }
        *ret = TAKE_PTR(items);
        *ret_n = n;
        return 0;
}

static void free_hosts(void *items, size_t n) {
        one_hosts_free(items, n);
}

static void free_clusters(void *items, size_t n) {
        one_clusters_free(items, n);
}

int pool_parse_hosts(const char *xml, size_t len, struct one_host **ret, size_t *ret_n) {
        static const struct pool_kind kind = {"HOST_POOL", "HOST", sizeof(struct one_host),
                                              host_from_node, free_hosts};

        return parse_pool(&kind, xml, len, (void **)ret, ret_n);
}

int pool_parse_clusters(const char *xml, size_t len, struct one_cluster **ret, size_t *ret_n) {
        static const struct pool_kind kind = {"CLUSTER_POOL", "CLUSTER",
                                              sizeof(struct one_cluster), cluster_from_node,
                                              free_clusters};

        return parse_pool(&kind, xml, len, (void **)ret, ret_n);
}

int pool_parse_host(const char *xml, size_t len, struct one_host *ret) {
        xmlDoc *doc;
        xmlNode *root = xml_read_root(xml, len, "HOST", &doc);
        int r;

        if (!root)
                return -EBADMSG;
        r = host_from_node(root, ret);
        xmlFreeDoc(doc);
        return r;
}

ssize_t pool_find_host(const struct one_host *hosts, size_t n, const char *name) {
        for (size_t i = 0; i < n; i++)
                if (STREQ(hosts[i].name, name))
                        return (ssize_t)i;
        return -1;
}

bool one_host_state_disabled(int state) {
        return state == ONE_HOST_DISABLED || state == ONE_HOST_MONITORING_DISABLED;
}

bool one_host_state_offline(int state) {
        return state == ONE_HOST_OFFLINE;
}
