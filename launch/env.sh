# Sourced by the launch scripts: the environment every Lockstep command runs in.
# The Swift toolchain may live in /opt/swift without being on PATH (as on these machines).
if ! command -v swift >/dev/null 2>&1 && [ -x /opt/swift/usr/bin/swift ]; then
    export PATH="/opt/swift/usr/bin:$PATH"
fi
# One BLAS thread per rank: ranks are the parallelism (docs/benchmarks.md).
export OPENBLAS_NUM_THREADS=1
