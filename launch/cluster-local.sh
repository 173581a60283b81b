#!/usr/bin/env bash
# A cluster of N "hosts" on this machine, to rehearse a multi-node run (docs/mpi.md, "Several nodes on
# one machine"): each host is a network namespace with its own address on a bridge and its own
# hostname; mpirun reaches it through an rsh agent (launch/cluster-rsh.sh) instead of ssh.
#
# Usage: launch/cluster-local.sh up N [RATE] | down | status | link HOST up|down
#   launch/cluster-local.sh up 3 1gbit    # hosts lsc-h1…lsc-h3, every link shaped to 1 Gbit/s (tc tbf)
#   launch/cluster-local.sh link lsc-h2 down   # pull host 2's cable (and `up` to plug it back)
#   launch/cluster-local.sh down          # removes everything `up` made, also after a failed `up`
#
# `up` prints the mpirun options the cluster needs; they are also in $LOCKSTEP_CLUSTER_DIR/mpirun-args
# (one per line), beside the hostfile. Needs root and iproute2. Environment:
#   LOCKSTEP_CLUSTER_DIR   state directory (/run/lockstep-cluster)
#   LOCKSTEP_CLUSTER_NET   the first three octets of the /24 the hosts live in (10.77.21)
set -euo pipefail

dir="${LOCKSTEP_CLUSTER_DIR:-/run/lockstep-cluster}"
net="${LOCKSTEP_CLUSTER_NET:-10.77.21}"
bridge=lscbr0
prefix=lsc-h                 # namespace, hostname and root-side veth of host i: lsc-h<i>
agent="$(cd "$(dirname "$0")" && pwd)/cluster-rsh.sh"

usage() { sed -n '6,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "error: $*" >&2; exit 1; }
# Every system command is checked: a step that fails names itself and stops `up` (set -e would stop
# without saying which).
run() { "$@" || die "'$*' failed (status $?)"; }

require_root() {
    [ "$(id -u)" -eq 0 ] || die "cluster-local.sh needs root (network namespaces, veth, tc)"
    command -v ip >/dev/null 2>&1 || die "'ip' (iproute2) not found"
}

# The hosts `up` made, from the state file (name namespace address per line); none when there is none.
hosts() { [ -f "$dir/hosts" ] && cat "$dir/hosts" || true; }

down() {
    # Whatever exists is removed, whether or not `up` finished: processes left in a namespace first
    # (orted and ranks of a job whose launcher was killed), then the namespaces (which takes their
    # veth ends and so the root-side ends with them), the bridge, the per-namespace files.
    local ns
    for ns in $(ip netns list 2>/dev/null | awk -v p="$prefix" 'index($1, p) == 1 {print $1}'); do
        local pids
        pids="$(ip netns pids "$ns" 2>/dev/null || true)"
        # shellcheck disable=SC2086
        [ -z "$pids" ] || kill -KILL $pids 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || echo "warning: could not delete namespace $ns" >&2
        rm -rf "/etc/netns/$ns"
    done
    for link in $(ip -o link show 2>/dev/null | awk -F': ' -v p="$prefix" 'index($2, p) == 1 {sub(/@.*/, "", $2); print $2}'); do
        ip link del "$link" 2>/dev/null || true
    done
    ! ip link show "$bridge" >/dev/null 2>&1 || ip link del "$bridge" || die "could not delete bridge $bridge"
    rm -rf "$dir" /etc/netns/"$prefix"*
}

# tbf at RATE on one interface's egress; burst ≥ what the rate sends in 4 ms, so that the kernel's
# timer granularity does not lower the rate.
shape() {
    local ns="$1" dev="$2" rate="$3" bytes_per_s burst
    bytes_per_s=$(tc_rate_bytes "$rate")
    burst=$(( bytes_per_s / 250 > 65536 ? bytes_per_s / 250 : 65536 ))
    run ${ns:+ip netns exec "$ns"} tc qdisc replace dev "$dev" root tbf rate "$rate" burst "$burst" latency 100ms
}

# RATE (e.g. 1gbit, 2500mbit, 100mbit) in bytes per second.
tc_rate_bytes() {
    local r="${1,,}" n unit
    n="${r%%[a-z]*}"; unit="${r#"$n"}"
    [[ "$n" =~ ^[0-9]+$ ]] || die "rate '$1' is not a number with a unit such as 1gbit or 2500mbit"
    case "$unit" in
        gbit) echo $(( n * 125000000 )) ;;
        mbit) echo $(( n * 125000 )) ;;
        kbit) echo $(( n * 125 )) ;;
        *) die "rate '$1': the unit must be gbit, mbit or kbit" ;;
    esac
}

up() {
    local count="$1" rate="${2:-}"
    [[ "$count" =~ ^[1-9][0-9]?$ ]] && [ "$count" -le 32 ] || die "N must be a number of hosts from 1 to 32, got '$count'"
    [ -z "$rate" ] || tc_rate_bytes "$rate" >/dev/null
    [ -z "$rate" ] || command -v tc >/dev/null 2>&1 || die "'tc' not found: no rate shaping without it"
    # Idempotent: `up` twice, or `up` after a half-finished `up`, starts from nothing.
    down
    # A failing step exits (run/die) or trips set -e: either way, what was made is removed.
    trap 'status=$?; if [ "$status" -ne 0 ]; then echo "error: cluster-local.sh up failed; removing what it made" >&2; down; fi; exit "$status"' EXIT
    run mkdir -p "$dir"
    run ip link add "$bridge" type bridge
    run ip addr add "$net.254/24" dev "$bridge"
    run ip link set "$bridge" up
    local i ns
    : > "$dir/hostfile"; : > "$dir/hosts"
    for ((i = 1; i <= count; i++)); do
        ns="$prefix$i"
        run ip netns add "$ns"
        run ip link add "$ns" type veth peer name eth0 netns "$ns"
        run ip link set "$ns" master "$bridge"
        run ip link set "$ns" up
        run ip netns exec "$ns" ip addr add "$net.$i/24" dev eth0
        run ip netns exec "$ns" ip link set eth0 up
        run ip netns exec "$ns" ip link set lo up
        if [ -n "$rate" ]; then
            shape "" "$ns" "$rate"        # towards the host
            shape "$ns" eth0 "$rate"      # from the host
        fi
        echo "$ns $ns $net.$i" >> "$dir/hosts"
        echo "$ns slots=1" >> "$dir/hostfile"
    done
    # Every namespace resolves every host (ip netns exec bind-mounts /etc/netns/NS/hosts on /etc/hosts).
    local names
    names="$(printf '127.0.0.1 localhost\n%s.254 %s\n' "$net" "$(hostname)"; awk '{print $3, $1}' "$dir/hosts")"
    for ((i = 1; i <= count; i++)); do
        run mkdir -p "/etc/netns/$prefix$i"
        echo "$names" > "/etc/netns/$prefix$i/hosts"
    done
    # TCP only, on the bridge's subnet; daemons started by mpirun directly (not from one another);
    # ranks that yield when idle (spinning ranks starve the kernel's network processing on 2 cores:
    # every message waited ~8 ms without it); no binding (each host's daemon would pin its rank to
    # "its" core 0, the same core for every host: compute took 1.9× as long).
    printf '%s\n' --hostfile "$dir/hostfile" --mca plm_rsh_agent "$agent" --mca plm_rsh_no_tree_spawn 1 \
        --mca btl tcp,self --mca btl_tcp_if_include "$net.0/24" --mca oob_tcp_if_include "$net.0/24" \
        --mca mpi_yield_when_idle 1 --bind-to none > "$dir/mpirun-args"
    echo "${rate:-unshaped}" > "$dir/rate"
    trap - EXIT
    echo "cluster up: $count host(s) ($(awk '{printf "%s%s=%s", sep, $1, $3; sep=" "}' "$dir/hosts")), links ${rate:-unshaped}"
    echo "mpirun $(tr '\n' ' ' < "$dir/mpirun-args")-np $count …"
}

status() {
    [ -f "$dir/hosts" ] || { echo "cluster down"; return 0; }
    local name ns addr state
    while read -r name ns addr; do
        state="$(ip netns exec "$ns" cat /sys/class/net/eth0/operstate 2>/dev/null || echo missing)"
        echo "$name $addr link $state processes $(ip netns pids "$ns" 2>/dev/null | wc -l)"
    done < "$dir/hosts"
}

# Pulls (or plugs back) a host's cable: the namespace side of its veth goes down, so the host neither
# sends nor receives, while its processes run on — what a switch port failing looks like to the others.
link() {
    local host="$1" state="$2" ns
    [ "$state" = up ] || [ "$state" = down ] || die "link state must be up or down, got '$state'"
    ns="$(awk -v h="$host" '$1 == h {print $2}' "$dir/hosts" 2>/dev/null || true)"
    [ -n "$ns" ] || die "no host '$host' in the cluster (launch/cluster-local.sh status lists them)"
    run ip netns exec "$ns" ip link set eth0 "$state"
    if [ "$state" = up ]; then
        # Taking the link down drops its routes; the subnet's route comes back with the address.
        ip netns exec "$ns" ip route replace "$net.0/24" dev eth0 2>/dev/null || true
    fi
}

[ $# -ge 1 ] || usage
case "$1" in
    up) [ $# -ge 2 ] && [ $# -le 3 ] || usage; require_root; up "$2" "${3:-}" ;;
    down) [ $# -eq 1 ] || usage; require_root; down; echo "cluster down" ;;
    status) [ $# -eq 1 ] || usage; require_root; status ;;
    link) [ $# -eq 3 ] || usage; require_root; link "$2" "$3" ;;
    -h|--help) usage ;;
    *) echo "error: unknown command '$1' (up, down, status or link)" >&2; exit 2 ;;
esac
