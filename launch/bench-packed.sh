#!/usr/bin/env bash
# Packed data figures (docs/datasets.md): packing rate against pyarrow's read_csv (one thread), and
# peak RSS, start-up and samples/s training from a pack against the CSV in memory.
# Usage: launch/bench-packed.sh [ROWS ...]   (default 2000000; docs also used 20000000)
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
bash launch/setup.sh release
python3 -c "import pyarrow, numpy" 2>/dev/null || python3 -m pip install --quiet pyarrow numpy
work="${LOCKSTEP_BENCH_DIR:-$(mktemp -d)}"
python3 launch/bench_packed.py "$(swift build -c release --show-bin-path)/lockstep" "$work" "$@"
