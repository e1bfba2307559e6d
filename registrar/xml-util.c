/* SPDX-License-Identifier: Apache-2.0 */
#include "xml-util.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>

#include "macros.h"

#define XML_OPTS (XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR | XML_PARSE_NOWARNING)

xmlNode *xml_read_root(const char *xml, size_t len, const char *root_name, xmlDoc **ret_doc) {
        xmlDoc *doc;
        xmlNode *root;

        *ret_doc = NULL;
        if (!xml || len > INT32_MAX)
                return NULL;
        doc = xmlReadMemory(xml, (int)len, "oned.xml", NULL, XML_OPTS);
        if (!doc)
                return NULL;
        root = xmlDocGetRootElement(doc);
        if (!root || !STREQ((const char *)root->name, root_name)) {
                xmlFreeDoc(doc);
                return NULL;
        }
        *ret_doc = doc;
        return root;
}

xmlNode *xml_child(xmlNode *n, const char *name) {
        for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
                if (c->type == XML_ELEMENT_NODE && STREQ((const char *)c->name, name))
                        return c;
        return NULL;
}

char *xml_text(xmlNode *n) {
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

int xml_ll(xmlNode *n, long long *ret) {
        _cleanup_free_ char *s = NULL;
        char *end = NULL;
        long long v;

        if (!n)
                return -ENOENT;
        s = xml_text(n);
        if (!s || !*s)
                return -EBADMSG;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno != 0 || *end != '\0')
                return -EBADMSG;
        *ret = v;
        return 0;
}
