#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, `swiftc -sanitize=fuzzer,address`) of the two parsers that read
# files a user hands to Lockstep: the safetensors reader (Tests/Fuzz/SafetensorsFuzz.swift, with
# Sources/Checkpointing) and the CSV parser (Tests/Fuzz/CSVParserFuzz.swift, with Sources/Datasets).
#
#   launch/fuzz.sh [SECONDS]      # each target runs SECONDS (default 300); launch/test.sh runs 25
#
# The harnesses are compiled straight from the sources with swiftc (they are not SwiftPM targets);
# TensorCore, which both depend on, is built once as a plain library. The seed corpus comes from real
# files: checkpoints and a model written by a short `lockstep train` run, and the shipped digits CSV.
# Corpora grow in .build/fuzz/corpus-*; a crash leaves its input in .build/fuzz/crash-* and fails the
# script. Without the fuzzer runtime (libclang_rt.fuzzer in the Swift toolchain) the script says so
# and exits 0, so that the test command still runs on such machines.
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
seconds="${1:-300}"
out=.build/fuzz
mkdir -p "$out"

# Is the libFuzzer runtime there? Compile a one-line target to find out.
probe="$out/probe"
printf '@_cdecl("LLVMFuzzerTestOneInput") public func f(_ d: UnsafePointer<UInt8>, _ n: Int) -> CInt { 0 }\n' > "$probe.swift"
if ! swiftc -sanitize=fuzzer -parse-as-library "$probe.swift" -o "$probe" >"$out/probe.log" 2>&1; then
    echo "fuzz.sh: skipped: this Swift toolchain cannot build libFuzzer targets (swiftc -sanitize=fuzzer failed; see $out/probe.log)"
    exit 0
fi

# TensorCore as a static library + module, without instrumentation (it is not what is fuzzed).
blas_cflags=$(pkg-config --cflags openblas)
blas_libs=$(pkg-config --libs openblas)
echo "fuzz.sh: building the targets (log: $out/build.log)"
: > "$out/build.log"
swiftc -O -parse-as-library -module-name TensorCore -emit-module -emit-module-path "$out/TensorCore.swiftmodule" \
    -emit-library -static -o "$out/libTensorCore.a" -I Sources/CBLAS -Xcc ${blas_cflags} Sources/TensorCore/*.swift >>"$out/build.log" 2>&1
build_target() {   # name, harness, sources...
    local name=$1 harness=$2; shift 2
    swiftc -O -parse-as-library -sanitize=fuzzer,address -module-name "Fuzz$name" \
        -I "$out" -I Sources/CBLAS -Xcc ${blas_cflags} -L "$out" -lTensorCore ${blas_libs} \
        "$@" "$harness" -o "$out/fuzz-$name" >>"$out/build.log" 2>&1 \
        || { echo "fuzz.sh: building fuzz-$name failed:"; grep -E "error" "$out/build.log" | head -20; exit 1; }
}
build_target safetensors Tests/Fuzz/SafetensorsFuzz.swift Sources/Checkpointing/*.swift
build_target csv Tests/Fuzz/CSVParserFuzz.swift Sources/Datasets/*.swift

# Seed corpora from real files (kept between runs; libFuzzer adds what it finds).
mkdir -p "$out/corpus-safetensors" "$out/corpus-csv"
if [ -z "$(ls -A "$out/corpus-safetensors")" ]; then
    swift build --product lockstep >/dev/null
    run="$out/seed-run"
    rm -rf "$run"
    "$(swift build --show-bin-path)/lockstep" train --config configs/clinical-mlp.yaml --out "$run" --quiet \
        --set train.steps=4 --set train.eval_every=0 --set output.checkpoint_every=2 --set data.samples=400 >/dev/null
    cp "$run/model.safetensors" "$out/corpus-safetensors/model.safetensors"
    cp "$run"/checkpoints/step-*.safetensors "$out/corpus-safetensors/"
fi
if [ -z "$(ls -A "$out/corpus-csv")" ]; then
    # The first byte picks the loader (see CSVParserFuzz.swift): 0 = digits with all features.
    { printf '\000'; head -n 30 configs/data/digits.csv; } > "$out/corpus-csv/digits-head.csv"
    { printf '\003'; head -n 12 configs/data/digits.csv; } > "$out/corpus-csv/digits-some.csv"
    printf '\001\357\273\277id,"age", bp ,label\r\n"a,1",63, 120.5 ,1\r\n\r\nb,41,1e2,0\r\n"c ""q""",70,-3.25e-1,1\r\n' \
        > "$out/corpus-csv/awkward.csv"
fi

# The sanitizer's and Swift's own crash reports are enough; the backtracer only slows each crash.
export SWIFT_BACKTRACE=enable=no
status=0
for name in safetensors csv; do
    echo "fuzz.sh: $name for ${seconds}s"
    if ! (cd "$out" && "./fuzz-$name" -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
            -print_final_stats=1 -artifact_prefix="crash-$name-" "corpus-$name" 2>"fuzz-$name.log"); then
        status=1
        echo "fuzz.sh: $name FOUND A FAILURE; input and report in $out (crash-$name-*, fuzz-$name.log):"
        grep -E "ERROR|Fatal error|SUMMARY" "$out/fuzz-$name.log" | head -5
    fi
    grep -E "stat::number_of_executed_units|stat::new_units_added|cov: " "$out/fuzz-$name.log" | tail -3 | sed "s/^/fuzz.sh: $name: /"
done
exit $status
