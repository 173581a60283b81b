#!/usr/bin/env bash
# Shows the headline promise: the reference model (BatchNorm and Dropout included), trained for 30
# steps with global batch 256 and micro-batch 32 (n = 8 micro-batches per step), hashes the same
# whatever the number of ranks: simulated ranks (threads) at every W = 1…8 — 3, 5, 6 and 7 with
# uneven blocks (W = 3: 3, 3, 2 micro-batches) — and MPI processes at -np 1…8; then with bucketed
# overlap and ZeRO-1 sharding on, simulated and under mpirun.
# Usage: launch/verify-invariance.sh [STEPS]
#   LOCKSTEP_BIN=PATH: check that (optimised) binary instead of building .build/release/lockstep.
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
steps="${1:-30}"
if [ -n "${LOCKSTEP_BIN:-}" ]; then
    bin="$LOCKSTEP_BIN"
else
    bash launch/setup.sh release
    bin="$(swift build -c release --show-bin-path)/lockstep"
fi
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
common=(--config configs/clinical-mlp.yaml --quiet --set "train.steps=$steps" --set train.eval_every=0
        --set batch.global=256 --set batch.micro=32)
n=8

hash_of() { sed -n 's/.*"params_sha256" *: *"\([0-9a-f]*\)".*/\1/p' "$1/summary.json"; }
# Micro-batches per rank: the first n mod W ranks take one more.
blocks() { local w=$1 r s=""; for ((r = 0; r < w; r++)); do s+="$((n / w + (r < n % w ? 1 : 0)))"; [ $r -lt $((w - 1)) ] && s+=","; done; echo "$s"; }

declare -a rows
for w in 1 2 3 4 5 6 7 8; do
    "$bin" train "${common[@]}" --ranks "$w" --out "$out/sim$w" >/dev/null
    rows+=("$(printf 'simulated W=%-2s blocks %-16s %s' "$w" "$(blocks "$w")" "$(hash_of "$out/sim$w")")")
done
if command -v mpirun >/dev/null 2>&1; then
    for w in 1 2 3 4 5 6 7 8; do
        LOCKSTEP_BIN="$bin" bash launch/mpirun.sh "$w" configs/clinical-mlp.yaml "${common[@]:2}" --out "$out/mpi$w" >/dev/null 2>&1
        rows+=("$(printf 'mpirun -np %-3s blocks %-16s %s' "$w" "$(blocks "$w")" "$(hash_of "$out/mpi$w")")")
    done
fi
# Overlap (buckets of about 1 KB: the model's 3,649 parameters in several buckets) and ZeRO-1 sharding
# change how the step runs, never its bits.
ovl=(--set distributed.overlap=true --set distributed.bucket_mb=0.004 --set distributed.first_bucket_mb=0.001
     --set distributed.shard_optimizer=true)
for w in 3 8; do
    "$bin" train "${common[@]}" "${ovl[@]}" --ranks "$w" --out "$out/ovl$w" >/dev/null
    rows+=("$(printf 'simulated W=%-2s overlap+ZeRO-1          %s' "$w" "$(hash_of "$out/ovl$w")")")
done
if command -v mpirun >/dev/null 2>&1; then
    for w in 2 4; do
        LOCKSTEP_BIN="$bin" bash launch/mpirun.sh "$w" configs/clinical-mlp.yaml "${common[@]:2}" "${ovl[@]}" --out "$out/mpiovl$w" >/dev/null 2>&1
        rows+=("$(printf 'mpirun -np %-3s overlap+ZeRO-1          %s' "$w" "$(hash_of "$out/mpiovl$w")")")
    done
fi

printf '%s\n' "${rows[@]}"
distinct=$(printf '%s\n' "${rows[@]}" | awk '{print $NF}' | sort -u | wc -l)
if [ "$distinct" -eq 1 ]; then
    echo "OK: all ${#rows[@]} runs have the same params_sha256"
else
    echo "MISMATCH: $distinct different hashes" >&2
    exit 1
fi
