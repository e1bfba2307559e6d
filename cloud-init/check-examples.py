#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""check-examples.py [--registrar PROGRAM --inventory FILE] UNITDIR EXAMPLE...

Checks the cloud-init examples: each one is valid for the real
`cloud-init schema`, the node key and the inventory are written with mode
0600, the registrar's URL is https://, an inventory carries one node's part
only (one host, no all.vars, no one_pass), and a
runcmd that starts the register unit uses --no-block (it is ordered after
cloud-final.service, which runs runcmd).  With --registrar, the user-data
that `onepci-registrar cloud-config` renders for each node of the inventory
is checked the same way, and must carry that node's key.  Exit 77 without
cloud-init."""

import os
import re
import shutil
import subprocess
import sys
import tempfile

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

    for m in re.finditer(r"(--registrar|pci_registrar_url:)[ \t]+([^\s\"']+)", text):
        if not m.group(2).startswith("https://"):
            errors.append(f"{m.group(1)} {m.group(2)}: the registrar's URL is not https://")
    for cmd in cfg.get("runcmd", []):
        words = cmd if isinstance(cmd, list) else cmd.split()
        for i, w in enumerate(words[:-1]):
            if w == "--registrar" and not str(words[i + 1]).startswith("https://"):
                errors.append(f"runcmd: --registrar {words[i + 1]}: not https://")

    for wf in cfg.get("write_files", []):
        p = wf["path"]
        if p.endswith(".key") or "secret" in p or p.endswith("inventory.yml"):
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


def check_registrar(registrar, inventory, unitdir, tmp):
    """Renders every node's user-data with the registrar and checks it."""
    secret = os.path.join(tmp, "registrar.secret")
    subprocess.run([registrar, "keygen", "--secret-file", secret], check=True,
                   capture_output=True)
    with open(inventory, encoding="utf-8") as f:
        nodes = sorted(((yaml.safe_load(f) or {}).get("node") or {}).get("hosts") or {})
    ok = True
    for name in nodes:
        r = subprocess.run([registrar, "cloud-config", "--inventory", inventory,
                            "--secret-file", secret, "--url", "https://192.0.2.1:8474", name],
                           capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL: cloud-config {name}: exit {r.returncode}: {r.stderr.strip()}")
            ok = False
            continue
        path = os.path.join(tmp, f"cloud-config-{name}.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(r.stdout)
        ok = check(path, unitdir) and ok
        key = subprocess.run([registrar, "node-key", "--secret-file", secret, name],
                             capture_output=True, text=True, check=True).stdout.strip()
        cfg = yaml.safe_load(r.stdout)
        keys = [w.get("content", "").strip() for w in cfg.get("write_files", [])
                if w.get("path", "").endswith("node.key")]
        if keys != [key]:
            print(f"FAIL: cloud-config {name}: node.key is not `node-key {name}`")
            ok = False
    return ok


def main():
    args = sys.argv[1:]
    registrar = inventory = None
    while args and args[0].startswith("--"):
        if args[0] == "--registrar" and len(args) > 1:
            registrar, args = args[1], args[2:]
        elif args[0] == "--inventory" and len(args) > 1:
            inventory, args = args[1], args[2:]
        else:
            print(__doc__)
            return 2
    if len(args) < 2:
        print(__doc__)
        return 2
    if shutil.which("cloud-init") is None:
        print("SKIP: cloud-init not installed (apt-get install cloud-init)")
        return 77
    unitdir = args[0]
    ok = all([check(p, unitdir) for p in args[1:]])
    if registrar:
        with tempfile.TemporaryDirectory() as tmp:
            ok = check_registrar(registrar, inventory, unitdir, tmp) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
