#!/usr/bin/env bash
# Shows the headline promise: the reference model (BatchNorm and Dropout included), trained for 30
# steps with global batch 256 and micro-batch 32, hashes the same whatever the number of ranks:
# simulated ranks (threads) at W = 1, 2, 4, 8 (accumulation 8, 4, 2, 1) and MPI processes at -np 1, 2, 4.
# Usage: launch/verify-invariance.sh [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
steps="${1:-30}"
bash launch/setup.sh release
bin="$(swift build -c release --show-bin-path)/lockstep"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
common=(--config configs/clinical-mlp.yaml --quiet --set "train.steps=$steps" --set train.eval_every=0
        --set batch.global=256 --set batch.micro=32)

hash_of() { sed -n 's/.*"params_sha256" *: *"\([0-9a-f]*\)".*/\1/p' "$1/summary.json"; }

declare -a rows
for w in 1 2 4 8; do
    "$bin" train "${common[@]}" --ranks "$w" --out "$out/sim$w" >/dev/null
    rows+=("simulated W=$w A=$((8 / w))  $(hash_of "$out/sim$w")")
done
if command -v mpirun >/dev/null 2>&1; then
    for n in 1 2 4; do
        LOCKSTEP_BIN="$bin" bash launch/mpirun.sh "$n" configs/clinical-mlp.yaml "${common[@]:2}" --out "$out/mpi$n" >/dev/null 2>&1
        rows+=("mpirun -np $n A=$((8 / n))    $(hash_of "$out/mpi$n")")
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
