#!/usr/bin/env bash
# Sets up (installs missing packages, builds) and runs the whole test suite, the Slurm preemption test,
# then the world-size invariance check on the optimised build (optimisation changes object lifetimes
# and code paths, so the release binary is checked too).
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
bash launch/setup.sh debug
# rsvg-convert renders the benchmark charts in ScalingBenchmarkTests (they are still parsed as XML without it).
if ! command -v rsvg-convert >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    if command -v apt-get >/dev/null 2>&1 && { $SUDO apt-get install -y -qq librsvg2-bin >/dev/null 2>&1 \
        || { $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq librsvg2-bin >/dev/null; }; }; then
        echo "installed librsvg2-bin (rsvg-convert)" >&2
    else
        echo "skip: rsvg-convert unavailable (no apt or install failed); charts are checked as XML only" >&2
    fi
fi
# The reference safetensors implementation reads Lockstep's files in PythonInteropTests (the README
# promises `safetensors.torch.load_file`); installed from PyPI when missing, else that test says it skipped.
if command -v python3 >/dev/null 2>&1; then
    python3 -c "import safetensors.numpy" >/dev/null 2>&1 \
        || python3 -m pip install --quiet safetensors >/dev/null 2>&1 \
        || echo "skip: could not pip install safetensors; the Python interop test will skip" >&2
    export LOCKSTEP_SAFETENSORS_PYTHON="$(command -v python3)"
fi
swift build --build-tests
swift test --skip-build
# Preemption and requeue under a local one-node Slurm (docs/mpi.md, "Slurm"); one line and no failure
# when Slurm cannot be installed or started here. It spends most of its two minutes waiting on Slurm
# (requeue, credential expiry), so it runs beside the fuzzing; its output follows the fuzzer's.
slurm_log="$(mktemp)"
LOCKSTEP_BIN="$(swift build --show-bin-path)/lockstep" bash launch/test-slurm.sh >"$slurm_log" 2>&1 &
slurm=$!
# A short coverage-guided fuzz run of the safetensors, CSV and config parsers (20 s each, 60 s in
# all); it prints why it skipped on a toolchain without the libFuzzer runtime. Longer runs:
# launch/fuzz.sh SECONDS.
fuzz_status=0; bash launch/fuzz.sh 20 || fuzz_status=$?
slurm_status=0; wait "$slurm" || slurm_status=$?
cat "$slurm_log"; rm -f "$slurm_log"
[ "$fuzz_status" -eq 0 ] && [ "$slurm_status" -eq 0 ] || { echo "test.sh: fuzz.sh exited $fuzz_status, test-slurm.sh $slurm_status" >&2; exit 1; }
# One optimised build for the last two checks: the example package (docs/examples) builds the
# Lockstep library in release anyway, and the lockstep executable is one more product of that build
# (a second release build in this package's own .build took four minutes).
(cd docs/examples && swift build -c release && swift build -c release --product lockstep)
LOCKSTEP_BIN="$(cd docs/examples && swift build -c release --show-bin-path)/lockstep" bash launch/verify-invariance.sh
# The example programs (a package that depends on Lockstep by path, as a user's would): each at
# W = 1, 2, 3 and under mpirun, one params_sha256; the transformer within 10 % of its best achievable loss.
bash launch/examples.sh
