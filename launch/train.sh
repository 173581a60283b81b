#!/usr/bin/env bash
# The main job: sets up, builds, and trains the reference model (20→64→BN→ReLU→Dropout→32→BN→ReLU→1)
# on the embedded synthetic clinical data. Extra arguments go to `lockstep train`, e.g.
#   launch/train.sh --set train.steps=100 --out runs/short
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
bash launch/setup.sh release
exec "$(swift build -c release --show-bin-path)/lockstep" train --config configs/clinical-mlp.yaml "$@"
