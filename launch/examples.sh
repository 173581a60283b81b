#!/usr/bin/env bash
# Builds the example programs (docs/examples: a package of its own that depends on the Lockstep
# library by path, as a user's would) and runs each at simulated W = 1, 2, 3 and under mpirun -np 2,
# then stopped half way on 2 ranks and resumed on 3. Prints one line per run:
#   example NAME world W params_sha256 HASH val_loss L bound B via threads|mpirun
# and fails when an example's runs do not all end with the same params_sha256, or when the
# transformer's validation loss is more than 10 % above its bound. Where torch and safetensors are
# importable, the transformer's PyTorch twin (docs/examples/transformer_lm_twin.py) must reproduce
# its logits to 1e-5; elsewhere that check says it skipped.
#
# Usage: launch/examples.sh [--quick]   (--quick: a few steps each, for the hashes only)
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
root=$(pwd)
quick=0
[ "${1:-}" = "--quick" ] && quick=1

(cd docs/examples && swift build -c release >&2)
bin=$(cd docs/examples && swift build -c release --show-bin-path)
out=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-examples.XXXXXX")
trap 'rm -rf "$out"' EXIT
export OMPI_MCA_pml="${OMPI_MCA_pml:-ob1}"
mpi=(-np 2 -x OPENBLAS_NUM_THREADS=1)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)

status=0
for example in tabular-embedding transformer-lm; do
    steps=$("$bin/$example" --help | sed -n 's/.*--steps <steps>.*(default: \([0-9]*\)).*/\1/p')
    [ "$quick" = 1 ] && steps=40
    half=$((steps / 2))
    lines=()
    for w in 1 2 3; do
        lines+=("$("$bin/$example" --steps "$steps" --ranks "$w" --out "$out/$example-w$w" --quiet)")
    done
    if command -v mpirun >/dev/null 2>&1; then
        lines+=("$(mpirun "${mpi[@]}" "$bin/$example" --steps "$steps" --out "$out/$example-mpi" --quiet)")
    else
        echo "skip: mpirun not found; $example runs on threads only" >&2
    fi
    "$bin/$example" --steps "$steps" --ranks 2 --stop-after "$half" --out "$out/$example-resumed" --quiet
    lines+=("$("$bin/$example" --steps "$steps" --ranks 3 --resume --out "$out/$example-resumed" --quiet) (resumed at step $half)")
    printf '%s\n' "${lines[@]}"
    hashes=$(printf '%s\n' "${lines[@]}" | awk '{print $6}' | sort -u)
    if [ "$(echo "$hashes" | wc -l)" -ne 1 ]; then
        echo "FAIL: $example ends with different parameters on different worlds: $(echo $hashes)" >&2
        status=1
    fi
    if [ "$example" = transformer-lm ] && [ "$quick" = 0 ]; then
        if ! printf '%s\n' "${lines[0]}" | awk '{ exit !($8 <= 1.10 * $10) }'; then
            echo "FAIL: transformer-lm's validation loss is more than 10 % above its bound: ${lines[0]}" >&2
            status=1
        fi
    fi
done

if python3 -c "import torch, safetensors" >/dev/null 2>&1; then
    python3 docs/examples/transformer_lm_twin.py "$out/transformer-lm-w1" || status=1
else
    echo "skip: torch or safetensors not importable; the transformer's PyTorch twin is not checked" >&2
fi
exit $status
