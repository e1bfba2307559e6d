/* SPDX-License-Identifier: Apache-2.0 */
#pragma once

/* libxml2 helpers for the XML oned answers with (pools, hosts, RAFT, ZONE,
 * DOCUMENT).  Template values inside it came from anyone who could update a
 * template, so documents are read with no DTD, no entities, no network. */

#include <stddef.h>

#include <libxml/tree.h>

/* The root element of xml when it is named root_name (the caller frees
 * *ret_doc with xmlFreeDoc), else NULL and *ret_doc NULL. */
xmlNode *xml_read_root(const char *xml, size_t len, const char *root_name, xmlDoc **ret_doc);

/* The first child element of n named name; NULL when n is NULL or has none. */
xmlNode *xml_child(xmlNode *n, const char *name);

/* The text (and CDATA) of an element as a new string, NULL when n is NULL. */
char *xml_text(xmlNode *n);

/* The element's text as a decimal integer: -ENOENT when n is NULL,
 * -EBADMSG when it is empty or not a number. */
int xml_ll(xmlNode *n, long long *ret);
