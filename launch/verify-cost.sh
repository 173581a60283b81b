#!/usr/bin/env bash
# Measures what checking a checkpoint's digests costs next to loading it (docs/reliability.md):
# builds Tests/Fuzz/VerifyCost.swift with Sources/Checkpointing (swiftc -O) and runs it once.
#   launch/verify-cost.sh [FILE]     # FILE: where to write the 25.7 MB test checkpoint (default /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
out=.build/verify-cost
mkdir -p "$out"
blas_cflags=$(pkg-config --cflags openblas)
swiftc -O -parse-as-library -module-name TensorCore -emit-module -emit-module-path "$out/TensorCore.swiftmodule" \
    -emit-library -static -o "$out/libTensorCore.a" -I Sources/CBLAS -Xcc ${blas_cflags} Sources/TensorCore/*.swift
swiftc -O -parse-as-library -module-name VerifyCost -I "$out" -I Sources/CBLAS -Xcc ${blas_cflags} \
    -L "$out" -lTensorCore $(pkg-config --libs openblas) Sources/Checkpointing/*.swift Tests/Fuzz/VerifyCost.swift -o "$out/verify-cost"
"$out/verify-cost" "${1:-/tmp/verify-cost-$$.safetensors}"
