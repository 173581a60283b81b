#!/usr/bin/env bash
# A one-node Slurm on this machine (munged, slurmctld, slurmd), for trying launch/slurm.sbatch and for
# the preemption test (launch/test-slurm.sh). See docs/mpi.md, "Slurm".
#
# Usage: launch/slurm-local.sh start|stop|status|env
#   start   installs slurm-wlm and munge with apt when missing, then starts the three daemons
#           (nothing happens for those already running, so `start` twice is fine)
#   stop    stops exactly the daemons `start` started (from their pid files)
#   status  says what runs; exit 0 when the node is up, 1 otherwise
#   env     prints `export SLURM_CONF=…` for clients (eval "$(launch/slurm-local.sh env)")
#
# Everything lives in LOCKSTEP_SLURM_DIR (default /var/spool/lockstep-slurm): slurm.conf (from
# launch/slurm/slurm.conf.in), the munge key and socket, pid files, logs, controller and node state.
# Loopback only. Needs root (the daemons run as root, munged as the munge user).
#
# Environment:
#   LOCKSTEP_SLURM_DIR       state directory (default /var/spool/lockstep-slurm)
#   LOCKSTEP_SLURM_PORT      slurmctld port; slurmd uses the next one (default 6817)
#   LOCKSTEP_SLURM_CRED_EXPIRE  seconds a requeued job waits before it may start again (default 10)
#   LOCKSTEP_SLURM_NO_APT=1  never install packages; fail when they are missing
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
state="${LOCKSTEP_SLURM_DIR:-/var/spool/lockstep-slurm}"
ctld_port="${LOCKSTEP_SLURM_PORT:-6817}"
conf="$state/slurm.conf"
munge_socket="$state/munge/munge.socket"
# The daemons start in this order and stop in the reverse one.
daemons=(munged slurmctld slurmd)

say() { echo "slurm-local: $*" >&2; }
die() { say "error: $*"; exit 1; }
usage() { sed -n '5,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

pidfile() {
    case "$1" in
        munged) echo "$state/munge/munged.pid" ;;
        *) echo "$state/run/$1.pid" ;;
    esac
}

# The pid in the daemon's pid file, if that process is alive and is that daemon (a stale pid file whose
# number now belongs to another process is ignored, so `stop` never kills a stranger).
running_pid() {
    local file pid
    file="$(pidfile "$1")"
    [ -f "$file" ] || return 1
    pid="$(tr -dc '0-9' < "$file")"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ] || return 1
    echo "$pid"
}

install_packages() {
    command -v slurmctld >/dev/null && command -v slurmd >/dev/null && command -v sbatch >/dev/null \
        && command -v munged >/dev/null && return 0
    [ "${LOCKSTEP_SLURM_NO_APT:-0}" != 1 ] || die "slurm-wlm/munge are not installed and LOCKSTEP_SLURM_NO_APT=1"
    command -v apt-get >/dev/null || die "slurm-wlm/munge are not installed and there is no apt-get to install them"
    [ "$(id -u)" -eq 0 ] || die "installing slurm-wlm and munge needs root"
    say "installing slurm-wlm and munge with apt-get"
    apt-get update -qq >&2 || die "apt-get update failed"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends slurm-wlm munge >&2 \
        || die "apt-get install slurm-wlm munge failed"
}

write_config() {
    mkdir -p "$state/run" "$state/log" "$state/slurmctld" "$state/slurmd" "$state/munge"
    chmod 0755 "$state"
    # `slurmd -C` prints this machine's node line (NodeName=host CPUs=… Boards=… RealMemory=…).
    local node_line host
    node_line="$(slurmd -C | head -n 1)"
    [[ "$node_line" == NodeName=* ]] || die "slurmd -C did not print a node line: $node_line"
    host="${node_line%% *}"; host="${host#NodeName=}"
    sed -e "s|@STATE@|$state|g" -e "s|@HOST@|$host|g" -e "s|@NODE_LINE@|$node_line|g" \
        -e "s|@CRED_EXPIRE@|${LOCKSTEP_SLURM_CRED_EXPIRE:-10}|g" -e "s|@CTLD_PORT@|$ctld_port|g" -e "s|@SLURMD_PORT@|$((ctld_port + 1))|g" \
        "$root/launch/slurm/slurm.conf.in" > "$conf.tmp"
    mv "$conf.tmp" "$conf"
}

# munged checks that its key and socket directory belong to the munge user and that nobody else can
# write to them; it refuses to start otherwise.
start_munged() {
    local dir="$state/munge"
    chown munge:munge "$dir"
    chmod 0755 "$dir"   # readable so that any local user's sbatch can reach the socket
    if [ ! -s "$dir/munge.key" ]; then
        (umask 077 && dd if=/dev/urandom of="$dir/munge.key.tmp" bs=1024 count=1 status=none)
        chown munge:munge "$dir/munge.key.tmp"
        mv "$dir/munge.key.tmp" "$dir/munge.key"
    fi
    runuser -u munge -- munged --socket="$munge_socket" --key-file="$dir/munge.key" \
        --pid-file="$(pidfile munged)" --log-file="$dir/munged.log" --seed-file="$dir/munged.seed" \
        || die "munged did not start (see $dir/munged.log)"
}

wait_for() {   # wait_for SECONDS DESCRIPTION COMMAND…
    local seconds="$1" what="$2"; shift 2
    local deadline=$((SECONDS + seconds))
    until "$@" >/dev/null 2>&1; do
        [ $SECONDS -lt $deadline ] || die "$what did not happen within ${seconds} s"
        sleep 0.5
    done
}

node_is_up() {
    local node_state
    node_state="$(SLURM_CONF="$conf" sinfo -h -o %t 2>/dev/null | head -n 1)"
    [[ "$node_state" =~ ^(idle|mix|alloc|comp) ]]
}

start() {
    install_packages
    [ "$(id -u)" -eq 0 ] || die "the daemons run as root here; run this as root"
    if [ -z "$(running_pid slurmctld)" ] && [ -z "$(running_pid slurmd)" ]; then
        write_config   # only rewritten while no daemon reads it
    fi
    export SLURM_CONF="$conf"
    if ! running_pid munged >/dev/null; then
        start_munged
        say "munged started (pid $(cat "$(pidfile munged)"))"
    fi
    # munge round trip: a key or socket problem shows up here, not as a vague Slurm error later.
    wait_for 10 "a munge credential round trip" \
        bash -c "munge -n -S '$munge_socket' | unmunge -S '$munge_socket'"
    if ! running_pid slurmctld >/dev/null; then
        # -c: start from a clean state, without jobs left from a previous start.
        slurmctld -c -f "$conf" || die "slurmctld did not start (see $state/log/slurmctld.log)"
        wait_for 20 "slurmctld answering (see $state/log/slurmctld.log)" scontrol ping
        say "slurmctld started (pid $(running_pid slurmctld))"
    fi
    if ! running_pid slurmd >/dev/null; then
        slurmd -f "$conf" || die "slurmd did not start (see $state/log/slurmd.log)"
        wait_for 20 "slurmd writing its pid file" running_pid slurmd
        say "slurmd started (pid $(running_pid slurmd))"
    fi
    wait_for 30 "the node coming up (sinfo; see $state/log/slurmd.log)" node_is_up
    link_system_config
    say "up: $(sinfo -h -o '%P %D node(s) %c CPUs %t' | head -n 1); clients: export SLURM_CONF=$conf"
}

# sbatch and friends read /etc/slurm/slurm.conf unless SLURM_CONF says otherwise. When that file does not
# exist, point it at ours for the life of this Slurm (and remove the link on stop); an existing one is
# left alone.
link_system_config() {
    local system=/etc/slurm/slurm.conf
    if [ ! -e "$system" ] && [ ! -L "$system" ]; then
        mkdir -p /etc/slurm
        ln -s "$conf" "$system"
        echo "$system" > "$state/run/linked-config"
    fi
}

stop() {
    local daemon pid i
    for ((i = ${#daemons[@]} - 1; i >= 0; i--)); do
        daemon="${daemons[$i]}"
        if pid="$(running_pid "$daemon")"; then
            kill -TERM "$pid"
            local deadline=$((SECONDS + 15))
            while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
            if kill -0 "$pid" 2>/dev/null; then
                kill -KILL "$pid"
                say "$daemon (pid $pid) did not stop on SIGTERM within 15 s; killed"
            else
                say "$daemon (pid $pid) stopped"
            fi
        fi
        rm -f "$(pidfile "$daemon")"
    done
    if [ -f "$state/run/linked-config" ]; then
        local system
        system="$(cat "$state/run/linked-config")"
        [ "$(readlink "$system" 2>/dev/null)" = "$conf" ] && rm -f "$system"
        rm -f "$state/run/linked-config"
    fi
}

status() {
    local daemon pid up=0
    for daemon in "${daemons[@]}"; do
        if pid="$(running_pid "$daemon")"; then
            echo "$daemon: running (pid $pid)"
        else
            echo "$daemon: not running"; up=1
        fi
    done
    if [ $up -eq 0 ] && node_is_up; then
        echo "node: $(SLURM_CONF="$conf" sinfo -h -o '%n %t, %c CPUs, partition %P' | head -n 1)"
        echo "clients: export SLURM_CONF=$conf"
        return 0
    fi
    return 1
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) status ;;
    env) echo "export SLURM_CONF=$conf" ;;
    *) usage ;;
esac
