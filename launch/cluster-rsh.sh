#!/usr/bin/env bash
# The "ssh" of the namespace cluster (launch/cluster-local.sh): mpirun runs
#   cluster-rsh.sh HOST COMMAND…
# (`--mca plm_rsh_agent` names it) to start its daemon on HOST; so does `lockstep launch` to ask
# whether HOST still answers (`cluster-rsh.sh HOST true`).
#
# It behaves as ssh does where it matters for failures:
# - it needs the network: it first connects to HOST's address (port 22; "connection refused" shows
#   that the host answers) from the caller's namespace, at most 3 s; a host whose link is down is
#   "ssh: connect to host HOST port 22: Connection timed out" and status 255;
# - the command runs inside HOST's namespace, under HOST's hostname (its own UTS namespace), in a
#   session of its own: a signal to this script does not reach it directly;
# - when this script is ended (mpirun ending its "ssh"), the command gets SIGTERM only if HOST still
#   answers, as sshd hangs up on a closed connection only if the connection can say so; on a host
#   that is gone the command runs on, as on a real machine whose cable was pulled.
# Open MPI's daemons daemonize (`orted --daemonize`): for them this script returns at once, and what
# ends a daemon is its connection to mpirun, not this script.
# What it does not model: the command's output reaches the caller even while HOST's link is down.
set -uo pipefail

dir="${LOCKSTEP_CLUSTER_DIR:-/run/lockstep-cluster}"
# ssh-style options before the host (e.g. `-x`, which Open MPI adds for ssh agents) are ignored.
while [ $# -gt 0 ] && [ "${1#-}" != "$1" ]; do shift; done
[ $# -ge 2 ] || { echo "usage: cluster-rsh.sh HOST COMMAND…" >&2; exit 255; }
host="$1"; shift
read -r ns addr < <(awk -v h="$host" '$1 == h || $3 == h {print $2, $3}' "$dir/hosts" 2>/dev/null) || true
[ -n "${ns:-}" ] || { echo "ssh: Could not resolve hostname $host: not a host of the namespace cluster ($dir/hosts)" >&2; exit 255; }

# Whether HOST answers a TCP connect within 3 s: connected or refused (a closed port answers with a
# reset); a timeout or "no route" means the host cannot be reached.
answers() {
    local out
    out="$(timeout 3 bash -c "exec 3<>/dev/tcp/$addr/22" 2>&1)" && return 0
    [[ "$out" == *refused* ]]
}
answers || { echo "ssh: connect to host $host port 22: Connection timed out" >&2; exit 255; }

# One command line, as ssh sends it to the remote shell.
command_line="$*"
setsid ip netns exec "$ns" unshare --uts -- sh -c 'hostname "$0" && exec sh -c "$1"' "$host" "$command_line" &
remote=$!
hang_up() {
    if answers; then kill -TERM "$remote" 2>/dev/null; fi
    exit 255
}
trap hang_up TERM HUP INT
wait "$remote"
