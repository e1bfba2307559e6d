#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# check-docs.sh SOURCE_ROOT
#
# Keeps the documentation in step with the code: every long option of
# agent/main.c and registrar/main.c is documented in its man page, and every
# exit code of agent/exit-codes.h is listed, with its number, in
# onepci-agent(8) and docs/exit-codes.md.  Prints what is missing.
set -eu

root=${1:?usage: check-docs.sh SOURCE_ROOT}
docs=$root/docs
status=0

missing() {
    echo "check-docs: $*" >&2
    status=1
}

# Long options from `struct option` tables: { "name", required_argument, ... }.
long_options() {
    [ -f "$1" ] || return 0
    grep -oE '\{ *"[a-z][a-z0-9-]*" *, *(no_argument|required_argument|optional_argument|[012]) *,' "$1" |
        sed -E 's/^\{ *"([a-z0-9-]*)".*/\1/' | sort -u
}

# Options a man page documents: lines that start a term, "*--name*" or
# "*-x, --name*" (several may share a line: "*--tls-cert* _FILE_, *--tls-key*").
documented_options() {
    grep -E '^\*(-[a-zA-Z], )?--[a-z]' "$1" |
        grep -oE -- '--[a-z][a-z0-9-]*' | sed 's/^--//' | sort -u
}

for pair in agent/main.c:onepci-agent.8.scd registrar/main.c:onepci-registrar.8.scd; do
    src=$root/${pair%%:*}
    page=$docs/${pair#*:}
    have=$(long_options "$src")
    # A main.c without an option table is not written yet: nothing to compare.
    [ -n "$have" ] || continue
    documented=$(documented_options "$page" | tr '\n' ' ')
    have=$(echo "$have" | tr '\n' ' ')
    for opt in $have; do
        case " $documented " in
        *" $opt "*) ;;
        *) missing "${pair%%:*}: option --$opt is not documented in ${pair#*:}" ;;
        esac
    done
    for opt in $documented; do
        case " $have " in
        *" $opt "*) ;;
        *) missing "${pair#*:} documents --$opt, which ${pair%%:*} does not have" ;;
        esac
    done
done

# EXIT_NAME = N, from agent/exit-codes.h.
codes=$(grep -oE 'EXIT_[A-Z_]+ *= *[0-9]+' "$root/agent/exit-codes.h" |
        sed -E 's/EXIT_([A-Z_]+) *= *([0-9]+)/\2:\1/')
for c in $codes; do
    n=${c%%:*}
    name=${c#*:}
    grep -qE "^\*$n\* \($name\)" "$docs/onepci-agent.8.scd" ||
        missing "exit code $n ($name) is not listed in onepci-agent.8.scd"
    grep -qE "^\| *$n *\| *\`$name\`" "$docs/exit-codes.md" ||
        missing "exit code $n ($name) is not listed in docs/exit-codes.md"
done

# Relative links between the guides point at files that exist.
for md in "$docs"/*.md; do
    for target in $(grep -oE '\]\([^)#:]+\.md' "$md" | sed 's/^](//'); do
        [ -f "$docs/$target" ] ||
            missing "$(basename "$md"): link to $target, which does not exist"
    done
done

exit $status
