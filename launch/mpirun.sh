#!/usr/bin/env bash
# Trains with N MPI processes (one rank each): builds the release binary, then runs
#   mpirun -np N <lockstep> train --config CONFIG [train args…]
# with what these machines need. See docs/mpi.md.
#
# Usage: launch/mpirun.sh [--hostfile FILE] N CONFIG [train args…]
#   launch/mpirun.sh 4 configs/clinical-mlp.yaml --out runs/w4
#   LOCKSTEP_HOSTFILE=hosts.txt launch/mpirun.sh 16 configs/clinical-mlp.yaml
#
# CONFIG and the other paths are relative to the directory you run this from.
#
# Environment:
#   LOCKSTEP_HOSTFILE     hostfile for several nodes (same as --hostfile); one node when unset
#   LOCKSTEP_MPIRUN_ARGS  extra mpirun options, split on spaces (e.g. "--tag-output")
#   LOCKSTEP_SKIP_BUILD=1 use the binary already built (e.g. when several jobs start at once)
#   LOCKSTEP_BIN          the lockstep binary to run (implies no build; e.g. a debug build in tests)
#   OMPI_MCA_pml          kept if set; ob1 otherwise (start-up ~0.14 s instead of ~0.35 s here)
set -euo pipefail

usage() { sed -n '5,7p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

hostfile="${LOCKSTEP_HOSTFILE:-}"
while [ $# -gt 0 ]; do
    case "$1" in
        --hostfile) [ $# -ge 2 ] || usage; hostfile="$2"; shift 2 ;;
        --hostfile=*) hostfile="${1#--hostfile=}"; shift ;;
        -h|--help) usage ;;
        *) break ;;
    esac
done
[ $# -ge 2 ] || usage
ranks="$1"; config="$2"; shift 2
[[ "$ranks" =~ ^[1-9][0-9]*$ ]] || { echo "error: N must be a positive number of ranks, got '$ranks'" >&2; exit 2; }
[ -f "$config" ] || { echo "error: config file '$config' not found (paths are relative to $(pwd))" >&2; exit 2; }
[ -z "$hostfile" ] || [ -f "$hostfile" ] || { echo "error: hostfile '$hostfile' not found" >&2; exit 2; }

root="$(cd "$(dirname "$0")/.." && pwd)"
source "$root/launch/env.sh"
if [ "${LOCKSTEP_SKIP_BUILD:-0}" != 1 ] && [ -z "${LOCKSTEP_BIN:-}" ]; then
    (cd "$root" && bash launch/setup.sh release)
fi
binary="${LOCKSTEP_BIN:-$(cd "$root" && swift build -c release --show-bin-path)/lockstep}"
[ -x "$binary" ] || { echo "error: $binary is not built (run launch/setup.sh release)" >&2; exit 1; }

# Open MPI reads OMPI_MCA_* from the environment and forwards them to every rank, on every node.
# ob1 skips probing for UCX/InfiniBand hardware, which these machines do not have.
export OMPI_MCA_pml="${OMPI_MCA_pml:-ob1}"

args=(-np "$ranks" -x OPENBLAS_NUM_THREADS=1)   # one BLAS thread per rank: the ranks are the parallelism
[ "$(id -u)" -eq 0 ] && args+=(--allow-run-as-root)
if [ -n "$hostfile" ]; then
    args+=(--hostfile "$hostfile")                # slots per host come from the hostfile
elif [ "$ranks" -gt "$(nproc)" ]; then
    args+=(--oversubscribe --bind-to none)        # more ranks than cores: let the OS share them
fi
# shellcheck disable=SC2206
[ -n "${LOCKSTEP_MPIRUN_ARGS:-}" ] && args+=(${LOCKSTEP_MPIRUN_ARGS})

echo "+ mpirun ${args[*]} $binary train --config $config $*" >&2
# mpirun forwards SIGINT/SIGTERM to the ranks, which finish their step, checkpoint and stop; mpirun
# itself then reports a failure (1). The script passes the signal on and exits 130/143 as a
# single-process run would, so a scheduler sees a job that was stopped, not one that broke.
mpirun "${args[@]}" "$binary" train --config "$config" "$@" &
pid=$!
stopped_by=""
trap 'stopped_by=130; kill -INT $pid 2>/dev/null' INT
trap 'stopped_by=143; kill -TERM $pid 2>/dev/null' TERM
status=0
wait $pid || status=$?
# A trapped signal interrupts `wait`; wait again for mpirun to finish winding the ranks down.
while kill -0 $pid 2>/dev/null; do wait $pid || status=$?; done
[ -n "$stopped_by" ] && exit "$stopped_by"
exit "$status"
