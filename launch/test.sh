#!/usr/bin/env bash
# Sets up (installs missing packages, builds) and runs the whole test suite, then the world-size
# invariance check on the optimised build (optimisation changes object lifetimes and code paths, so
# the release binary is checked too).
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
bash launch/setup.sh debug
swift build --build-tests
swift test --skip-build
# A short coverage-guided fuzz run of the safetensors and CSV parsers (25 s each); it prints why it
# skipped on a toolchain without the libFuzzer runtime. Longer runs: launch/fuzz.sh SECONDS.
bash launch/fuzz.sh 25
bash launch/verify-invariance.sh
