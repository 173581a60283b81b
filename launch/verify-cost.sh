#!/usr/bin/env bash
# Measures what checking a checkpoint's digests costs next to loading it (docs/reliability.md):
# builds Checkpointing with SwiftPM (release) and Tests/Fuzz/VerifyCost.swift against it (swiftc -O),
# then runs it once.
#   launch/verify-cost.sh [FILE]     # FILE: where to write the 25.7 MB test checkpoint (default /tmp)
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
source launch/package-objects.sh
out=.build/verify-cost
mkdir -p "$out"
package_objects release >"$out/build.log" || { cat "$out/build.log"; exit 1; }
lockstep_objects=$(find "$package_bin/TensorCore.build" "$package_bin/Checkpointing.build" -name '*.o' | tr '\n' ' ')
swiftc -O -parse-as-library -module-name VerifyCost ${package_flags} -I Sources/CBLAS -Xcc $(pkg-config --cflags openblas) \
    Tests/Fuzz/VerifyCost.swift ${lockstep_objects} ${package_objects} $(pkg-config --libs openblas) -o "$out/verify-cost"
"$out/verify-cost" "${1:-/tmp/verify-cost-$$.safetensors}"
