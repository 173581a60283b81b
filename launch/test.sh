#!/usr/bin/env bash
# Sets up (installs missing packages, builds) and runs the whole test suite, the Slurm preemption test,
# then the world-size invariance check on the optimised build (optimisation changes object lifetimes
# and code paths, so the release binary is checked too).
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
bash launch/setup.sh debug
swift build --build-tests
swift test --skip-build
# Preemption and requeue under a local one-node Slurm (docs/mpi.md, "Slurm"); one line and no failure
# when Slurm cannot be installed or started here.
LOCKSTEP_BIN="$(swift build --show-bin-path)/lockstep" bash launch/test-slurm.sh
bash launch/verify-invariance.sh
