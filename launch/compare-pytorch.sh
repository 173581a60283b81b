#!/usr/bin/env bash
# Side by side, in one run: `lockstep bench step` and the same steps in PyTorch on one CPU thread
# (launch/pytorch_step_baseline.py), then per case both times and the speedup (PyTorch time ÷ ours).
# Installs torch from PyPI (CPU wheel) when it is missing. Goals (docs/benchmarks.md): reference
# model ≥ 10× at batch 16 and ≥ 3.5× at batch 256; wide MLP at batch 256 ≥ 0.94 of the sgemm rate;
# the transformer LM (batch 16 × context 64) ≥ 1.5×, with the share of its step spent in GEMMs.
# Usage: launch/compare-pytorch.sh [SECONDS_PER_CASE]        (default 1.5)
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
seconds="${1:-1.5}"
python="${PYTHON:-python3}"

if ! "$python" -c "import torch" >/dev/null 2>&1; then
    echo "installing torch (CPU) with pip …" >&2
    "$python" -m pip install --quiet torch >&2 || { echo "error: could not install torch with pip" >&2; exit 1; }
fi
bash launch/setup.sh release
bin="$(swift build -c release --show-bin-path)/lockstep"

out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$bin" bench step --seconds "$seconds" | tee "$out/lockstep.txt"
OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 "$python" launch/pytorch_step_baseline.py --seconds "$seconds" | tee "$out/pytorch.txt"

# key=value lookup: field KEY of the line for MODEL at BATCH in FILE.
field() { awk -v m="$2" -v b="batch=$3" -v k="$4=" '
    { found = 0; for (i = 1; i <= NF; i++) if ($i == b) found = 1 }
    found && ($1 == m || $2 == "model=" m) { for (i = 1; i <= NF; i++) if (index($i, k) == 1) print substr($i, length(k) + 1) }' "$1"; }

echo
printf '%-14s %6s %12s %12s %8s\n' model batch lockstep_us pytorch_us speedup
for case in clinical-mlp:16 clinical-mlp:256 clinical-mlp:4096 wide-mlp:32 wide-mlp:256 transformer-lm:16; do
    model="${case%%:*}"; batch="${case##*:}"
    ours="$(field "$out/lockstep.txt" "$model" "$batch" us_per_step)"
    theirs="$(field "$out/pytorch.txt" "$model" "$batch" us_per_step)"
    ratio="$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.2f", b / a }')"
    printf '%-14s %6s %12s %12s %7sx\n' "$model" "$batch" "$ours" "$theirs" "$ratio"
done
echo "wide-mlp batch=256 fraction_of_sgemm=$(field "$out/lockstep.txt" wide-mlp 256 fraction_of_sgemm)"
echo "transformer-lm batch=16 gemm_share=$(field "$out/lockstep.txt" transformer-lm 16 gemm_share)" \
     "sgemm_gflops=$(field "$out/lockstep.txt" transformer-lm 16 sgemm_gflops)"
