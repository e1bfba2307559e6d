#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Differential test: every inventory read by Ansible and by onepci.

For each case (a folder under cases/ holding an inventory file, group_vars/
and host_vars/ as needed, and optionally an `expect` file), runs
`ansible-inventory -i INV --list` and `onepci-agent inventory`, then for each
host `onepci-agent inventory --host H` (the agent's own path: only that
host's variables are kept), and compares what onepci reads: ansible_host,
ansible_port, pci_* and onepci_* with every key and type, and the host's
groups.  A case passes when they agree, or when the agent refuses a host as
its `expect` file says.

expect: one line per refusal, "HOST EXIT TEXT" (HOST may be *): the agent
must exit EXIT for HOST and print TEXT.  Ansible may accept or refuse such a
host; the agent must never read it differently.

Also reads one-deploy's inventories (--one-deploy DIR, each DIR/*/inventory.yml
in place) for each host of their `node` group.

Exit 77 (skipped) when ansible-inventory is not installed.
"""
import argparse
import fnmatch
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile

READ = ["ansible_host", "ansible_port", "pci_*", "onepci_*"]
INVENTORY_NAMES = ["inventory.yml", "inventory.yaml", "inventory.ini", "inventory", "hosts"]


def is_read(key):
    return any(fnmatch.fnmatchcase(key, p) for p in READ)


class Ansible:
    def __init__(self, tmp):
        self.tmp = tmp
        cfg = os.path.join(tmp, "ansible.cfg")
        open(cfg, "w").close()
        self.env = dict(os.environ)
        self.env.update({
            "ANSIBLE_CONFIG": cfg,
            "ANSIBLE_HOME": os.path.join(tmp, "home"),
            "ANSIBLE_LOCAL_TEMP": os.path.join(tmp, "local"),
            "ANSIBLE_NOCOLOR": "1",
            "ANSIBLE_INVENTORY_UNPARSED_FAILED": "1",
            "ANSIBLE_INVENTORY_ANY_UNPARSED_IS_FAILED": "1",
            "ANSIBLE_DEPRECATION_WARNINGS": "0",
            "ANSIBLE_PYTHON_INTERPRETER": "auto_silent",
        })

    def list(self, inventory):
        # cwd: an empty directory, so no playbook-adjacent group_vars apply.
        p = subprocess.run(["ansible-inventory", "-i", inventory, "--list"],
                           cwd=self.tmp, env=self.env, capture_output=True, text=True)
        if p.returncode != 0:
            return None, p.stderr
        return json.loads(p.stdout), p.stderr


def ansible_hosts(data):
    """{host: (read vars, sorted group names)} from --list output."""
    parents = {}
    direct = {}
    for name, group in data.items():
        if name == "_meta":
            continue
        for child in group.get("children", []):
            parents.setdefault(child, set()).add(name)
        for h in group.get("hosts", []):
            direct.setdefault(h, set()).add(name)
    hostvars = data.get("_meta", {}).get("hostvars", {})
    result = {}
    for h in set(direct) | set(hostvars):
        groups = set()
        todo = list(direct.get(h, ()))
        while todo:
            g = todo.pop()
            if g in groups:
                continue
            groups.add(g)
            todo.extend(parents.get(g, ()))
        groups.discard("all")
        v = {k: val for k, val in hostvars.get(h, {}).items() if is_read(k)}
        result[h] = (v, sorted(groups))
    return result


def same(a, b):
    """Equal as Ansible's JSON and onepci's JSON: types must agree (True is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, float) or isinstance(b, float):
        if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
            return False
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def agent(binary, inventory, host=None):
    cmd = [binary, "inventory", "--inventory", inventory]
    if host is not None:
        cmd += ["--host", host]
    p = subprocess.run(cmd, capture_output=True, text=True)
    out = json.loads(p.stdout) if p.returncode == 0 else None
    return p.returncode, out, p.stderr


def read_expect(path):
    rules = []
    if os.path.exists(path):
        for line in open(path):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            host, code, text = line.split(None, 2)
            rules.append((host, int(code), text))
    return rules


def find_inventory(case):
    for name in INVENTORY_NAMES:
        p = os.path.join(case, name)
        if os.path.isfile(p) or (name == "inventory" and os.path.exists(p)):
            return p
    return None


IGNORE_GROUPS = False


def run_case(label, inventory, binary, ansible, expect, hosts_filter=None):
    """Returns a list of problems (empty: the case passes)."""
    problems = []
    data, a_err = ansible.list(inventory)
    a_hosts = ansible_hosts(data) if data is not None else {}
    if hosts_filter:
        a_hosts = {h: v for h, v in a_hosts.items() if hosts_filter(h, v[1])}
    rules = {host: (code, text) for host, code, text in expect}
    star = rules.get("*")

    code, everything, err = agent(binary, inventory)
    if code != 0 and not any(c == code and t in err for c, t in rules.values()):
        problems.append("the agent refuses the inventory (%d) where no expect line says so: %s"
                        % (code, err.strip()))
        return problems
    if data is None:
        last = a_err.strip().splitlines()[-1] if a_err.strip() else ""
        if not star:
            problems.append("Ansible refuses this inventory (%s) but no expect line says the "
                            "agent must refuse it too" % last)
        elif code != star[0] or star[1] not in err:
            problems.append("expected the agent to refuse with %d and \"%s\", got %d: %s"
                            % (star[0], star[1], code, err.strip()))
        return problems
    if code == 0 and not hosts_filter and set(everything) != set(a_hosts):
        problems.append("hosts differ: Ansible %s, onepci %s" % (sorted(a_hosts), sorted(everything)))

    for host in sorted(a_hosts):
        want_vars, want_groups = a_hosts[host]
        hcode, out, herr = agent(binary, inventory, host)
        rule = rules.get(host, star)
        if rule:
            if hcode != rule[0] or rule[1] not in herr:
                problems.append("%s: expected refusal %d \"%s\", got %d: %s"
                                % (host, rule[0], rule[1], hcode, herr.strip()))
            continue
        if hcode != 0:
            problems.append("%s: the agent exits %d: %s" % (host, hcode, herr.strip()))
            continue
        got = out.get(host)
        if got is None:
            problems.append("%s: the agent answered for %s" % (host, sorted(out)))
            continue
        if not same(want_vars, got["vars"]):
            problems.append("%s: variables differ\n      Ansible: %s\n      onepci:  %s"
                            % (host, json.dumps(want_vars, sort_keys=True),
                               json.dumps(got["vars"], sort_keys=True)))
        if want_groups != got["groups"] and not IGNORE_GROUPS:
            problems.append("%s: groups differ: Ansible %s, onepci %s"
                            % (host, want_groups, got["groups"]))
        if everything is not None and host in everything and everything[host] != got:
            problems.append("%s: reading every host and reading only %s differ" % (host, host))
    for host in rules:
        if host != "*" and host not in a_hosts:
            problems.append("expect names %s, which Ansible does not know" % host)
    return problems


def one_deploy_filter(conf_path):
    """case.conf's `hosts:` line: names, or @GROUP for every host of a group."""
    names, groups = set(), set()
    if os.path.exists(conf_path):
        for line in open(conf_path):
            if line.startswith("hosts:"):
                for word in line.split(":", 1)[1].split():
                    (groups.add(word[1:]) if word.startswith("@") else names.add(word))
    if not names and not groups:
        groups.add("node")
    return lambda host, host_groups: host in names or bool(groups & set(host_groups))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--agent", required=True)
    ap.add_argument("--cases", required=True)
    ap.add_argument("--one-deploy")
    ap.add_argument("--min-cases", type=int, default=0)
    ap.add_argument("--ignore-groups", action="store_true",
                    help="do not compare group membership (for a reader that does not report it)")
    ap.add_argument("only", nargs="*")
    args = ap.parse_args()
    global IGNORE_GROUPS
    IGNORE_GROUPS = args.ignore_groups

    if not shutil.which("ansible-inventory"):
        print("ansible-inventory is not installed (Debian: ansible-core): skipped")
        return 77

    cases = []
    for name in sorted(os.listdir(args.cases)):
        path = os.path.join(args.cases, name)
        if os.path.isdir(path) and (not args.only or name in args.only):
            cases.append((name, find_inventory(path), read_expect(os.path.join(path, "expect")),
                          None))
    n_own = len(cases)
    if args.one_deploy and os.path.isdir(args.one_deploy) and not args.only:
        # Expectations for them live here: "CASE HOST EXIT TEXT".
        od_expect = {}
        for line in open(os.path.join(args.cases, "..", "one-deploy.expect")):
            if line.strip() and not line.startswith("#"):
                case_name, host, code, text = line.strip().split(None, 3)
                od_expect.setdefault(case_name, []).append((host, int(code), text))
        for name in sorted(os.listdir(args.one_deploy)):
            inv = os.path.join(args.one_deploy, name, "inventory.yml")
            if os.path.isfile(inv):
                cases.append(("one-deploy/" + name, inv, od_expect.get(name, []),
                              one_deploy_filter(os.path.join(args.one_deploy, name, "case.conf"))))
    elif args.one_deploy and not args.only:
        print("# one-deploy's inventories not found at %s: not compared" % args.one_deploy)

    failed = 0
    with tempfile.TemporaryDirectory(prefix="onepci-compat-") as tmp:
        ansible = Ansible(tmp)
        for i, (name, inv, expect, group) in enumerate(cases, 1):
            if inv is None:
                problems = ["no inventory file (one of %s)" % ", ".join(INVENTORY_NAMES)]
            else:
                problems = run_case(name, os.path.abspath(inv), args.agent, ansible, expect, group)
            print("%s %d - %s" % ("not ok" if problems else "ok", i, name))
            for p in problems:
                print("    " + p)
            failed += bool(problems)
    print("1..%d" % len(cases))
    print("# %d cases (%d own, %d from one-deploy), %d failed"
          % (len(cases), n_own, len(cases) - n_own, failed))
    if n_own < args.min_cases:
        print("# fewer than %d own cases" % args.min_cases)
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
