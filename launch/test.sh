#!/usr/bin/env bash
# Sets up (installs missing packages, builds) and runs the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash launch/setup.sh debug
export OPENBLAS_NUM_THREADS=1
swift build --build-tests
swift test --skip-build
