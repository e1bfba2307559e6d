#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""check-examples.py UNITDIR EXAMPLE...

Checks the cloud-init examples: each one is valid for the real
`cloud-init schema`, the node key is written with mode 0600, an inventory
carries one node's part only (one host, no all.vars, no one_pass), and a
runcmd that starts the register unit uses --no-block (it is ordered after
cloud-final.service, which runs runcmd).  Exit 77 without cloud-init."""

import os
import shutil
import subprocess
import sys

import yaml

SECRET_VARS = {"one_pass", "ansible_password", "ansible_become_password"}


def hosts_of(inv):
    """All host names of an Ansible YAML inventory (groups, children)."""
    names = set()

    def walk(group):
        if not isinstance(group, dict):
            return
        names.update((group.get("hosts") or {}).keys())
        for child in (group.get("children") or {}).values():
            walk(child)

    for g in inv.values():
        walk(g)
    return names


def keys_deep(obj):
    if isinstance(obj, dict):
        for k, v in obj.items():
            yield k
            yield from keys_deep(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from keys_deep(v)


def check(path, unitdir):
    errors = []
    name = os.path.basename(path)
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if not text.startswith("#cloud-config\n"):
        errors.append("does not start with #cloud-config")
    r = subprocess.run(["cloud-init", "schema", "--config-file", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        errors.append("cloud-init schema: " + (r.stdout + r.stderr).strip())
    cfg = yaml.safe_load(text)

    for wf in cfg.get("write_files", []):
        p = wf["path"]
        if p.endswith(".key") or "secret" in p:
            if wf.get("permissions") != "0600":
                errors.append(f"{p}: permissions {wf.get('permissions')!r}, want '0600'")
        if p.endswith("inventory.yml"):
            inv = yaml.safe_load(wf["content"])
            hosts = hosts_of(inv)
            if len(hosts) != 1:
                errors.append(f"{p}: {len(hosts)} hosts ({sorted(hosts)}), want this node only")
            if "all" in inv:
                errors.append(f"{p}: carries the shared all: group")
            leaked = SECRET_VARS & set(keys_deep(inv))
            if leaked:
                errors.append(f"{p}: carries {sorted(leaked)}")

    for cmd in cfg.get("runcmd", []):
        words = cmd if isinstance(cmd, list) else cmd.split()
        if words and words[0] == "systemctl" and "start" in words:
            unit = words[-1]
            if not os.path.exists(os.path.join(unitdir, unit + ".in")):
                errors.append(f"runcmd starts {unit}, which packaging does not ship")
            if "register" in unit and "--no-block" not in words:
                errors.append(f"runcmd starts {unit} without --no-block: it waits "
                              "for cloud-final.service, which waits for runcmd")
    for e in errors:
        print(f"FAIL: {name}: {e}")
    if not errors:
        print(f"ok: {name}")
    return not errors


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    if shutil.which("cloud-init") is None:
        print("SKIP: cloud-init not installed (apt-get install cloud-init)")
        return 77
    unitdir = sys.argv[1]
    ok = all([check(p, unitdir) for p in sys.argv[2:]])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
