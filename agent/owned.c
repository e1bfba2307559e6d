/* SPDX-License-Identifier: Apache-2.0 */
#include "owned.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup-json.h"
#include "macros.h"
#include "pci-address.h"
#include "strv.h"

static bool valid_mac(const char *s) {
        if (strlen(s) != 17)
                return false;
        for (int i = 0; i < 17; i++)
                if (i % 3 == 2 ? s[i] != ':' : !isxdigit((unsigned char)s[i]))
                        return false;
        return true;
}

void owned_clear(struct owned *o) {
        free(o->overrides);
        free(o->vfs);
        *o = (struct owned){0};
}

const struct owned_vfs *owned_find_vfs(const struct owned *o, const char *pf) {
        for (size_t i = 0; i < o->n_vfs; i++)
                if (STREQ(o->vfs[i].pf, pf))
                        return &o->vfs[i];
        return NULL;
}

int owned_add_vfs(struct owned *o, const char *pf, const char *driver, int numvfs, bool switchdev) {
        char canon[PCI_ADDRESS_MAX];
        if (pci_address_normalize(pf, canon) < 0 || !pci_driver_name_valid(driver) || numvfs < 0 ||
            numvfs > 4096)
                return -EINVAL;
        struct owned_vfs *e = (struct owned_vfs *)owned_find_vfs(o, canon);
        if (!e) {
                struct owned_vfs *n = realloc(o->vfs, (o->n_vfs + 1) * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                o->vfs = n;
                e = &o->vfs[o->n_vfs++];
                memset(e, 0, sizeof(*e));
                memcpy(e->pf, canon, sizeof(canon));
        }
        snprintf(e->driver, sizeof(e->driver), "%s", driver);
        e->numvfs = numvfs;
        e->switchdev = switchdev;
        return 0;
}

void owned_remove_vfs(struct owned *o, const char *pf) {
        for (size_t i = 0; i < o->n_vfs; i++)
                if (STREQ(o->vfs[i].pf, pf)) {
                        memmove(&o->vfs[i], &o->vfs[i + 1], (o->n_vfs - i - 1) * sizeof(o->vfs[0]));
                        o->n_vfs--;
                        return;
                }
}

const struct owned_override *owned_find(const struct owned *o, const char *address) {
        for (size_t i = 0; i < o->n; i++)
                if (STREQ(o->overrides[i].address, address))
                        return &o->overrides[i];
        return NULL;
}

int owned_add(struct owned *o, const char *address, const char *driver, const char *mac) {
        char canon[PCI_ADDRESS_MAX];
        if (pci_address_normalize(address, canon) < 0 || !pci_driver_name_valid(driver) ||
            (mac && mac[0] && !valid_mac(mac)))
                return -EINVAL;
        struct owned_override *e = (struct owned_override *)owned_find(o, canon);
        if (!e) {
                struct owned_override *n = realloc(o->overrides, (o->n + 1) * sizeof(*n));
                if (!n)
                        return -ENOMEM;
                o->overrides = n;
                e = &o->overrides[o->n++];
                memset(e, 0, sizeof(*e));
                memcpy(e->address, canon, sizeof(canon));
        }
        snprintf(e->driver, sizeof(e->driver), "%s", driver);
        if (mac && mac[0])
                snprintf(e->mac, sizeof(e->mac), "%s", mac);
        return 0;
}

void owned_remove(struct owned *o, const char *address) {
        for (size_t i = 0; i < o->n; i++)
                if (STREQ(o->overrides[i].address, address)) {
                        memmove(&o->overrides[i], &o->overrides[i + 1],
                                (o->n - i - 1) * sizeof(o->overrides[0]));
                        o->n--;
                        return;
                }
}

static const char *get_str(struct json_object *obj, const char *key) {
        struct json_object *v;
        if (!json_object_object_get_ex(obj, key, &v) || !json_object_is_type(v, json_type_string))
                return NULL;
        return json_object_get_string(v);
}

int owned_from_state(struct json_object *state, struct owned *ret) {
        struct json_object *owned, *list, *vfs;
        *ret = (struct owned){0};
        if (!state || !json_object_object_get_ex(state, "owned", &owned))
                return 0;
        if (json_object_object_get_ex(owned, "vfs", &vfs) &&
            json_object_is_type(vfs, json_type_array))
                for (size_t i = 0; i < json_object_array_length(vfs); i++) {
                        struct json_object *e = json_object_array_get_idx(vfs, i), *n, *sd;
                        const char *pf = get_str(e, "pf"), *drv = get_str(e, "driver");
                        if (!pf || !drv || !json_object_object_get_ex(e, "numvfs", &n) ||
                            !json_object_is_type(n, json_type_int))
                                continue;
                        bool switchdev = json_object_object_get_ex(e, "switchdev", &sd) &&
                                         json_object_get_boolean(sd);
                        if (owned_add_vfs(ret, pf, drv, json_object_get_int(n), switchdev) == -ENOMEM) {
                                owned_clear(ret);
                                return -ENOMEM;
                        }
                }
        if (!json_object_object_get_ex(owned, "overrides", &list) ||
            !json_object_is_type(list, json_type_array))
                return 0;
        for (size_t i = 0; i < json_object_array_length(list); i++) {
                struct json_object *e = json_object_array_get_idx(list, i);
                const char *addr = get_str(e, "address"), *drv = get_str(e, "driver");
                const char *mac = get_str(e, "mac");
                if (!addr || !drv)
                        continue;
                int r = owned_add(ret, addr, drv, mac && valid_mac(mac) ? mac : NULL);
                if (r == -ENOMEM) {
                        owned_clear(ret);
                        return r;
                }
        }
        return 0;
}

struct json_object *owned_to_json(const struct owned *o) {
        _cleanup_(json_object_putp) struct json_object *root = json_object_new_object();
        struct json_object *list = json_object_new_array();
        if (!root || !list) {
                json_object_put(list);
                return NULL;
        }
        json_object_object_add(root, "overrides", list);
        struct json_object *vfs = json_object_new_array();
        if (!vfs)
                return NULL;
        json_object_object_add(root, "vfs", vfs);
        for (size_t i = 0; i < o->n_vfs; i++) {
                struct json_object *e = json_object_new_object();
                if (!e)
                        return NULL;
                json_object_array_add(vfs, e);
                json_object_object_add(e, "pf", json_object_new_string(o->vfs[i].pf));
                json_object_object_add(e, "driver", json_object_new_string(o->vfs[i].driver));
                json_object_object_add(e, "numvfs", json_object_new_int(o->vfs[i].numvfs));
                json_object_object_add(e, "switchdev", json_object_new_boolean(o->vfs[i].switchdev));
        }
        for (size_t i = 0; i < o->n; i++) {
                struct json_object *e = json_object_new_object();
                if (!e)
                        return NULL;
                json_object_array_add(list, e);
                json_object_object_add(e, "address", json_object_new_string(o->overrides[i].address));
                json_object_object_add(e, "driver", json_object_new_string(o->overrides[i].driver));
                if (o->overrides[i].mac[0])
                        json_object_object_add(e, "mac", json_object_new_string(o->overrides[i].mac));
        }
        return TAKE_PTR(root);
}

int owned_macs(const struct owned *o, char ***ret_strv) {
        _cleanup_strv_free_ char **v = NULL;
        for (size_t i = 0; i < o->n; i++)
                if (o->overrides[i].mac[0]) {
                        int r = strv_pushf(&v, "%s=%s", o->overrides[i].address, o->overrides[i].mac);
                        if (r < 0)
                                return r;
                }
        *ret_strv = TAKE_PTR(v);
        return 0;
}
