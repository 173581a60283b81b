#!/usr/bin/env bash
# Coverage-guided fuzzing (libFuzzer, `swiftc -sanitize=fuzzer,address`) of the three parsers that read
# files a user hands to Lockstep: the safetensors reader (Tests/Fuzz/SafetensorsFuzz.swift, with
# Sources/Checkpointing), the CSV parser (Tests/Fuzz/CSVParserFuzz.swift, with Sources/Datasets) and
# the config loader (Tests/Fuzz/ConfigFuzz.swift, with Sources/Config over Sources/ConfigCoding: YAML text
# and `--set` values).
#
#   launch/fuzz.sh [SECONDS]      # each target runs SECONDS (default 300); launch/test.sh runs 20
#
# The harnesses are compiled straight from the sources with swiftc (they are not SwiftPM targets);
# TensorCore, Datasets and Distributed are built as plain libraries, and the packages Checkpointing
# imports (swift-crypto, swift-system) are linked from SwiftPM's debug build
# (launch/package-objects.sh). Yams, which the config loader parses with, is compiled from SwiftPM's
# checkout (.build/checkouts/Yams) with the same instrumentation as the harness, its C part
# (libyaml) with clang, so that coverage guides the fuzzer through the YAML parser too; it is
# rebuilt only when its sources change. The seed corpus comes from real files: checkpoints and a
# model written by a short `lockstep train` run, the shipped digits CSV and the shipped configs.
# Corpora grow in .build/fuzz/corpus-*; a crash leaves its input in .build/fuzz/crash-* and fails the
# script. Without the fuzzer runtime (libclang_rt.fuzzer in the Swift toolchain) the script says so
# and exits 0, so that the test command still runs on such machines.
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
source launch/package-objects.sh
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

# TensorCore, Datasets and Distributed as static libraries + modules, without instrumentation (they
# are not what is fuzzed; the config loader only reads a few of their types).
blas_cflags=$(pkg-config --cflags openblas)
blas_libs=$(pkg-config --libs openblas)
echo "fuzz.sh: building the targets (log: $out/build.log)"
: > "$out/build.log"
build_library() {   # module name; TensorCore first, the others import it
    swiftc -O -parse-as-library -module-name "$1" -emit-module -emit-module-path "$out/$1.swiftmodule" \
        -emit-library -static -o "$out/lib$1.a" -I "$out" -I Sources/CBLAS -Xcc ${blas_cflags} Sources/"$1"/*.swift \
        >>"$out/build.log" 2>&1 || { echo "fuzz.sh: building $1 failed:"; grep -E "error" "$out/build.log" | head -20; exit 1; }
}
package_objects debug >>"$out/build.log" 2>&1 || { echo "fuzz.sh: swift build --target Checkpointing failed (see $out/build.log)"; exit 1; }

# Yams from SwiftPM's checkout, instrumented: libyaml (CYaml) with clang, the Swift part with swiftc.
yams=.build/checkouts/Yams/Sources
[ -d "$yams" ] || swift package resolve >>"$out/build.log" 2>&1
build_yams() {
    [ ! -f "$out/libYams.a" ] || [ -n "$(find "$yams" -type f -newer "$out/libYams.a" -print -quit)" ] || return 0
    rm -rf "$out/cyaml" && mkdir -p "$out/cyaml"
    for c in "$yams"/CYaml/src/*.c; do
        clang -O2 -fsanitize=fuzzer-no-link,address -DYAML_DECLARE_EXPORT -I "$yams/CYaml/include" \
            -c "$c" -o "$out/cyaml/$(basename "$c" .c).o" >>"$out/build.log" 2>&1 \
            || { echo "fuzz.sh: compiling $c failed (see $out/build.log)"; exit 1; }
    done
    rm -f "$out/libCYaml.a" && ar rcs "$out/libCYaml.a" "$out"/cyaml/*.o
    # SWIFT_PACKAGE: Yams imports its C module only when built as a package.
    swiftc -O -parse-as-library -sanitize=fuzzer,address -D SWIFT_PACKAGE -module-name Yams \
        -emit-module -emit-module-path "$out/Yams.swiftmodule" -emit-library -static -o "$out/libYams.a" \
        -I "$yams/CYaml/include" "$yams"/Yams/*.swift >>"$out/build.log" 2>&1 \
        || { echo "fuzz.sh: building Yams failed:"; grep -E "error" "$out/build.log" | head -20; exit 1; }
}
# The config reader (ConfigCoding) as a library over that Yams, instrumented as the harness is.
build_config_coding() {
    swiftc -O -parse-as-library -sanitize=fuzzer,address -module-name ConfigCoding -emit-module \
        -emit-module-path "$out/ConfigCoding.swiftmodule" -emit-library -static -o "$out/libConfigCoding.a" -I "$out" \
        -I "$yams/CYaml/include" Sources/ConfigCoding/*.swift >>"$out/build.log" 2>&1 \
        || { echo "fuzz.sh: building ConfigCoding failed:"; grep -E "error" "$out/build.log" | head -20; exit 1; }
}
build_target() {   # name, harness, sources...
    local name=$1 harness=$2; shift 2
    swiftc -O -parse-as-library -sanitize=fuzzer,address -module-name "Fuzz$name" -I "$out" -I "$yams/CYaml/include" -I Sources/CBLAS \
        -Xcc ${blas_cflags} -L "$out" -lDatasets -lDistributed -lTensorCore -lConfigCoding -lYams -lCYaml ${blas_libs} \
        "$@" "$harness" -o "$out/fuzz-$name" >>"$out/build.log" 2>&1 \
        || { echo "fuzz.sh: building fuzz-$name failed:"; grep -E "error" "$out/build.log" | head -20; exit 1; }
}
# Each swiftc above is one whole-module job on one core; the independent ones run side by side, in
# three waves (what a wave builds, the next imports). Every job runs to its end; any failure stops here.
in_parallel() {   # each argument one command
    local pids=() failed=0
    for job in "$@"; do eval "$job" & pids+=($!); done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
    return $failed
}
in_parallel "build_library TensorCore" build_yams || exit 1
in_parallel "build_library Datasets" "build_library Distributed" build_config_coding || exit 1
# -I "$out" comes first in build_target, so the harness imports the TensorCore built above, not SwiftPM's.
in_parallel 'build_target safetensors Tests/Fuzz/SafetensorsFuzz.swift ${package_flags} ${package_objects} Sources/Checkpointing/*.swift' \
    "build_target csv Tests/Fuzz/CSVParserFuzz.swift Sources/Datasets/*.swift" \
    "build_target config Tests/Fuzz/ConfigFuzz.swift Sources/Config/*.swift" || exit 1

# Seed corpora from real files (kept between runs; libFuzzer adds what it finds).
mkdir -p "$out/corpus-safetensors" "$out/corpus-csv" "$out/corpus-config"
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

if [ -z "$(ls -A "$out/corpus-config")" ]; then
    # NUL separates the YAML text from each `--set` argument (see ConfigFuzz.swift).
    cp configs/*.yaml "$out/corpus-config/"
    { cat configs/clinical-mlp.yaml
      printf '\000train.steps=3\000optimizer.type=adam\000model.layers[0]={type: dropout, p: 0.2}'; } \
        > "$out/corpus-config/clinical-with-overrides"
fi

# The sanitizer's and Swift's own crash reports are enough; the backtracer only slows each crash.
export SWIFT_BACKTRACE=enable=no
status=0
for name in safetensors csv config; do
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
