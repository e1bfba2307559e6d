#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The soak's --sync-command: logs "start PID NS" and "end PID NS" around the
# real command so soak.py can tell whether two syncs ever overlapped.
#   sync-wrap.sh LOG COMMAND...
log=$1
shift
echo "start $$ $(date +%s%N)" >> "$log"
"$@"
rc=$?
echo "end $$ $(date +%s%N)" >> "$log"
exit $rc
