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
bash launch/verify-invariance.sh
