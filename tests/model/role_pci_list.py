# SPDX-License-Identifier: Apache-2.0
"""A MODEL of one-deploy's reworked PCI role, written from the reference
text (shared/reference/one-deploy-pci.md, sections 1 and 2), not from
onepci's code: how the role builds its device list from pci_devices and
numbers it for set_name's {3}.  Tests compare onepci-agent with it.

The role, as the reference states it:
  * each entry queries its devices (lspci order = address order); a PCI or
    vendor/device/class entry attaches set_counter to its FIRST device only,
    a MAC entry to EACH device;
  * records merge per slot in entry order, later overwriting earlier: the
    8 settings are always written, so the last matching entry wins whole
    (set_name omitted there means no name); set_counter survives unless
    overwritten; a device keeps its first position (first matching entry,
    then lspci order);
  * excluded devices are removed afterwards;
  * counter: i=0; walk the final list; if a device has set_counter,
    i=int(it); index=i; i+=1.  Every listed device (unlisted ones too) uses
    a number; excluded ones do not;
  * name = set_name.format(a0, a1, a2, a3) with a0 the slot's hex groups.

onepci's deliberate differences (onepci-inventory(5), "Differences from
one-deploy") are switches, off by default so the model stays the role's:
  excluded_absolute  any matching excluded entry excludes the device;
  skip_bridges       an address glob or ID entry never selects a bridge
                     (class 06xx), so it is not in the list at all.
"""

import fnmatch

DEFAULTS = {"set_name": None, "excluded": False, "unlisted": True}


def _is_mac(address):
    return address is not None and address.count(":") == 5


def _pci_fields(address):
    """'dddd:bb:dd.f' -> [domain, bus, slot, func] strings."""
    head, func = address.rsplit(".", 1)
    return head.split(":") + [func]


def _pci_match(key, slot):
    """lspci -s: each field hex (compared as a number) or '*'."""
    for k, v in zip(_pci_fields(key), _pci_fields(slot)):
        if k not in ("*", "") and int(k, 16) != int(v, 16):
            return False
    return True


def _id_match(key, value):
    return key in (None, "*", "") or int(key, 16) == int(value, 16)


def matches(entry, dev):
    address = entry.get("address")
    if address is not None:
        address = address.lower()
        if _is_mac(address):
            return any(fnmatch.fnmatchcase(m, address) for m in dev.get("macs", []))
        return _pci_match(address, dev["address"])
    return (_id_match(entry.get("vendor"), dev["vendor"]) and
            _id_match(entry.get("device"), dev["device"]) and
            _id_match(entry.get("class"), dev["class6"][:4]))


def _exact(entry):
    a = entry.get("address")
    return a is not None and not _is_mac(a) and "*" not in a


def role_list(devices, entries, excluded_absolute=False, skip_bridges=False):
    """The final list: [(device, record)] in the role's order, with
    record["index"] the counter and record["name"] the formatted name."""
    devices = sorted(devices, key=lambda d: d["address"])
    records = {}  # slot -> record; dict order is the device's first position
    ever_excluded = set()
    for e in entries:
        found = [d for d in devices if matches(e, d)]
        if skip_bridges and not _exact(e):
            found = [d for d in found if not d["class6"].startswith("06")]
        for k, d in enumerate(found):
            rec = dict(DEFAULTS)
            for key in DEFAULTS:
                if key in e:
                    rec[key] = e[key]
            if "set_counter" in e and (_is_mac(e.get("address")) or k == 0):
                rec["set_counter"] = e["set_counter"]
            if rec["excluded"]:
                ever_excluded.add(d["address"])
            slot = d["address"]
            if slot in records:
                records[slot][1].update(rec)
            else:
                records[slot] = (d, rec)
    final = []
    for slot, (d, rec) in records.items():
        if rec["excluded"] or (excluded_absolute and slot in ever_excluded):
            continue
        final.append((d, rec))
    i = 0
    for d, rec in final:
        if "set_counter" in rec:
            i = int(rec["set_counter"])
        rec["index"] = i
        i += 1
        rec["name"] = None
        if rec["set_name"] not in (None, "omit"):
            groups = [g for g in d["address"].replace(".", ":").split(":")]
            rec["name"] = rec["set_name"].format(groups, [], "", rec["index"])
    return final


def role_names(devices, entries, **switches):
    """slot -> name, for the devices the list names."""
    return {d["address"]: rec["name"] for d, rec in role_list(devices, entries, **switches)
            if rec["name"] is not None}
