#!/usr/bin/env bash
# Preemption on a real (local, one-node) Slurm: submits launch/slurm.sbatch with 2 MPI ranks, preempts
# it once training is under way, and checks that the job requeued itself, continued from the
# checkpoint its stop wrote, and finished with the params_sha256 of an uninterrupted single-process
# run of the same config. See docs/mpi.md, "Slurm".
#
# Usage: launch/test-slurm.sh            (as root; called by launch/test.sh)
#
# When Slurm cannot be installed or started here (no apt, not root, daemons refuse), it prints one line
# saying why and exits 0. Once Slurm is up, a wrong hash, a job that is not requeued or a job that does
# not finish within the time limits below fails (exit 1) and prints the job's log.
#
# Environment:
#   LOCKSTEP_BIN               the lockstep binary (default: the debug build, built when missing)
#   LOCKSTEP_SLURM_PREEMPT     the ways to preempt, one job each (default "batch requeue"):
#                              batch    scancel --signal=TERM --batch: the batch shell alone, as
#                                       #SBATCH --signal=B:TERM@60 does before the time limit
#                              requeue  scontrol requeue: Slurm signals every process of the job and
#                                       requeues it itself, as preemption in REQUEUE mode does
#                              signal   scancel --signal=TERM --full: the batch shell and mpirun (not
#                                       the ranks, which mpirun puts in their own process groups);
#                                       not with srun, which ends the step on SIGTERM (docs/mpi.md)
#   LOCKSTEP_SLURM_LAUNCHER    the job's LOCKSTEP_LAUNCHER: mpirun (default) or srun (srun --mpi=pmix)
#   LOCKSTEP_SLURM_KEEP=1      keep the temporary directory (job log, outputs) and a Slurm it started
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
source launch/env.sh

read -r -a modes <<< "${LOCKSTEP_SLURM_PREEMPT:-batch requeue}"
for mode in "${modes[@]}"; do
    case "$mode" in batch|requeue|signal) ;; *) echo "error: LOCKSTEP_SLURM_PREEMPT takes batch, requeue and signal, got '$mode'" >&2; exit 2 ;; esac
done
launcher="${LOCKSTEP_SLURM_LAUNCHER:-mpirun}"
case "$launcher" in mpirun|srun) ;; *) echo "error: LOCKSTEP_SLURM_LAUNCHER must be mpirun or srun, got '$launcher'" >&2; exit 2 ;; esac
# A short run of the reference model: 2,000 samples, 600 steps (~5–15 s per run of the job here), long
# enough that the run cannot finish between the preemption and the stop.
overrides=(--set data.samples=2000 --set train.steps=600 --set train.eval_every=200)
steps=600
# Bounds, not timings: a healthy run here takes a few seconds per segment (docs/mpi.md).
progress_limit=120   # submission until the first metrics record
finish_limit=180     # preemption until the requeued job has finished

skip() { echo "slurm preemption: skipped: $*"; exit 0; }
fail() {
    echo "slurm preemption: FAILED: $*" >&2
    if [ -n "${job:-}" ]; then
        echo "--- scontrol show job $job" >&2; scontrol show job "$job" >&2 || true
    fi
    [ -f "${work:-}/${mode:-}.log" ] && { echo "--- job log" >&2; cat "$work/$mode.log" >&2; }
    exit 1
}

[ "$(id -u)" -eq 0 ] || skip "not root (the local Slurm runs its daemons as root)"
started_slurm=0
if ! bash launch/slurm-local.sh status >/dev/null 2>&1; then
    # Daemons someone else started (a Slurm that is not up yet) are not this test's to stop.
    already_running="$(bash launch/slurm-local.sh status 2>/dev/null | grep -c 'running (pid' || true)"
    start_log="$(mktemp)"
    if ! bash launch/slurm-local.sh start > "$start_log" 2>&1; then
        reason="$(grep -m1 'error:' "$start_log" || tail -n 1 "$start_log")"
        rm -f "$start_log"
        [ "$already_running" -eq 0 ] && { bash launch/slurm-local.sh stop >/dev/null 2>&1 || true; }
        skip "the local Slurm did not start (${reason#slurm-local: })"
    fi
    rm -f "$start_log"
    started_slurm=1
fi
eval "$(bash launch/slurm-local.sh env)"

work="$(mktemp -d /tmp/lockstep-slurm-test.XXXXXX)"
job=""
cleanup() {
    [ -n "$job" ] && scancel "$job" 2>/dev/null || true
    if [ "${LOCKSTEP_SLURM_KEEP:-0}" = 1 ]; then
        echo "kept $work" >&2
    else
        rm -rf "$work"
        [ $started_slurm -eq 1 ] && bash launch/slurm-local.sh stop >/dev/null 2>&1 || true
    fi
}
trap cleanup EXIT

binary="${LOCKSTEP_BIN:-}"
if [ -z "$binary" ]; then
    swift build --product lockstep >&2
    binary="$(swift build --show-bin-path)/lockstep"
fi
[ -x "$binary" ] || fail "$binary is not an executable"

# The uninterrupted run: one process, no Slurm.
"$binary" train --config configs/clinical-mlp.yaml "${overrides[@]}" --out "$work/reference" --quiet \
    > "$work/reference.log" 2>&1 || { cat "$work/reference.log" >&2; fail "the reference run failed"; }
reference="$(sed -n 's/.*"params_sha256" *: *"\([0-9a-f]*\)".*/\1/p' "$work/reference/summary.json")"
[ -n "$reference" ] || fail "no params_sha256 in $work/reference/summary.json"

job_field() { scontrol show job "$job" 2>/dev/null | grep -o "$1=[^ ]*" | head -n 1 | cut -d= -f2; }

preempt_and_check() {   # preempt_and_check MODE: one job, preempted once, checked
    local mode="$1" submitted started_training preempted requeued_at="" finished state restarts resumed_step hash
    # The script's own #SBATCH lines ask for 2 nodes × 4 tasks; this machine is one node.
    # LOCKSTEP_FORWARD_DELAY=1: this model's step and checkpoint take milliseconds, and a shorter delay
    # keeps the stop well before the end of the run.
    job="$(LOCKSTEP_LAUNCHER="$launcher" LOCKSTEP_BIN="$binary" LOCKSTEP_FORWARD_DELAY=1 sbatch --parsable --nodes=1 --ntasks=2 \
        --ntasks-per-node=2 --time=00:10:00 --output="$work/$mode.log" --job-name="lockstep-$mode" \
        launch/slurm.sbatch configs/clinical-mlp.yaml "${overrides[@]}" --out "$work/$mode" --quiet)" \
        || fail "sbatch refused the job"
    job="${job%%;*}"
    submitted=$SECONDS

    # Preempt once training is under way (a train record in metrics.jsonl) and before it is done.
    until grep -q '"event" *: *"train"' "$work/$mode/metrics.jsonl" 2>/dev/null; do
        state="$(job_field JobState)"
        case "$state" in PENDING|RUNNING|CONFIGURING) ;; *) fail "job $job is $state before training made progress" ;; esac
        [ $((SECONDS - submitted)) -lt $progress_limit ] || fail "no training progress within ${progress_limit} s of submission"
        sleep 0.2
    done
    started_training=$((SECONDS - submitted))
    preempted=$SECONDS
    case "$mode" in
        batch) scancel --signal=TERM --batch "$job" || fail "scancel --signal=TERM --batch $job failed" ;;
        requeue) scontrol requeue "$job" || fail "scontrol requeue $job failed" ;;
        signal) scancel --signal=TERM --full "$job" || fail "scancel --signal=TERM --full $job failed" ;;
    esac

    # The requeued job may start again after cred_expire (10 s here), and then finishes.
    while :; do
        state="$(job_field JobState)"
        restarts="$(job_field Restarts)"
        [ -z "$requeued_at" ] && [ "${restarts:-0}" -ge 1 ] && requeued_at=$((SECONDS - preempted))
        case "$state" in
            COMPLETED) break ;;
            PENDING|RUNNING|CONFIGURING|COMPLETING|REQUEUED|REQUEUE_FED|REQUEUE_HOLD|RESIZING) ;;
            *) fail "job $job ended as $state" ;;
        esac
        [ $((SECONDS - preempted)) -lt $finish_limit ] || fail "job $job did not finish within ${finish_limit} s of the preemption (state $state)"
        sleep 0.5
    done
    finished=$((SECONDS - preempted))

    [ "${restarts:-0}" -eq 1 ] || fail "expected the job to be requeued once, Restarts=$restarts"
    # The second run of the job continued from the checkpoint of the stop (this config writes no
    # periodic checkpoints, so any checkpoint is the stop's), from a step before the end.
    resumed_step="$(sed -n 's/.*resuming after step \([0-9]*\).*/\1/p' "$work/$mode.log" | head -n 1)"
    [ -n "$resumed_step" ] || fail "the requeued job did not resume from a checkpoint (no 'resuming after step' in the log)"
    [ "$resumed_step" -ge 1 ] && [ "$resumed_step" -lt $steps ] || fail "resumed after step $resumed_step, outside 1…$((steps - 1))"
    [ -f "$work/$mode/summary.json" ] || fail "the requeued job wrote no summary.json"
    hash="$(sed -n 's/.*"params_sha256" *: *"\([0-9a-f]*\)".*/\1/p' "$work/$mode/summary.json")"
    [ "$hash" = "$reference" ] || fail "params_sha256 $hash differs from the uninterrupted run's $reference"
    job=""

    echo "slurm preemption ($mode, $launcher): requeued ${restarts}×, resumed after step $resumed_step of $steps, params_sha256 equal" \
        "(training after ${started_training} s; requeued ${requeued_at:-?} s and finished ${finished} s after the preemption)"
}

for mode in "${modes[@]}"; do preempt_and_check "$mode"; done
