#!/usr/bin/env bash
# Regenerates every figure of docs/scaling.md: allreduce tables and fits (real transport and shaped
# networks), weak scaling with step breakdowns, and projections to 1,024 nodes, with their CSV, JSON
# and SVG files. Usage: launch/scaling.sh [OUT_DIR]   (default docs/scaling; release build)
set -euo pipefail
cd "$(dirname "$0")/.."
source launch/env.sh
B="${LOCKSTEP_BIN:-.build/release/lockstep}"
D="${1:-docs/scaling}"
REPS="${LOCKSTEP_SCALING_REPS:-5}"
# median (the default) or fastest: on a machine shared with other work, the fastest step of each point is
# the one least disturbed by it (docs/scaling.md says which one its tables use).
STAT="${LOCKSTEP_STEP_STATISTIC:-median}"
[ -x "$B" ] || swift build -c release --product lockstep >&2
mkdir -p "$D"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# Allreduce, OSU style: the real transport at W = 2, 4, 8 (4 and 8 share the 2 cores), then W = 2 shaped.
$B bench allreduce --ranks 2,4,8 --csv "$D/allreduce-real.csv" --json "$D/allreduce-real.json" --plot-dir "$D"
$B bench allreduce --ranks 2 --network 1gbit --network 10gbit --network 25gbit --network 100gbit \
    --csv "$D/allreduce-shaped.csv" --json "$D/allreduce-shaped.json" --plot-dir "$D"

# Weak scaling of the wide MLP: W = 1, 2 (a core each), 5 repetitions for the efficiency; then once with
# W = 4, 8 as well (oversubscribed: ranks share the 2 cores) for the charts of the breakdown per W.
$B bench scaling --step-statistic "$STAT" --model wide-mlp --ranks 1,2 --repetitions "$REPS" --steps 20 \
    --csv "$D/scaling-wide-mlp-real.csv" --json "$D/scaling-wide-mlp-real.json"
$B bench scaling --step-statistic "$STAT" --model wide-mlp --ranks 1,2,4,8 --steps 6 \
    --csv "$D/scaling-wide-mlp-real-w8.csv" --json "$D/scaling-wide-mlp-real-w8.json" --plot-dir "$D"
for net in 1gbit 10gbit 25gbit; do
    $B bench scaling --step-statistic "$STAT" --model wide-mlp --ranks 1,2 --network "$net" --repetitions 3 \
        --csv "$D/scaling-wide-mlp-$net.csv" --json "$D/scaling-wide-mlp-$net.json" --plot-dir "$D"
done
$B bench scaling --step-statistic "$STAT" --model clinical-mlp --ranks 1,2 --repetitions "$REPS" \
    --csv "$D/scaling-clinical-mlp-real.csv" --json "$D/scaling-clinical-mlp-real.json" --plot-dir "$D"

# Overlap (4 MB buckets, the wide MLP's layers one bucket each) against no overlap, per network, and with
# ZeRO-1 sharding on top; 5 repetitions each (docs/scaling.md, "Overlap and ZeRO-1").
OVL=(--overlap --bucket-mb 4 --first-bucket-mb 1)
for net in 10gbit 25gbit 100gbit real; do
    $B bench scaling --step-statistic "$STAT" --model wide-mlp --ranks 1,2 --network "$net" --repetitions "$REPS" \
        --csv "$D/scaling-wide-mlp-$net-plain.csv" --json "$D/scaling-wide-mlp-$net-plain.json"
    $B bench scaling --step-statistic "$STAT" --model wide-mlp --ranks 1,2 --network "$net" --repetitions "$REPS" "${OVL[@]}" \
        --csv "$D/scaling-wide-mlp-$net-overlap.csv" --json "$D/scaling-wide-mlp-$net-overlap.json" --plot-dir "$D"
    $B bench scaling --step-statistic "$STAT" --model wide-mlp --ranks 1,2 --network "$net" --repetitions "$REPS" "${OVL[@]}" \
        --shard-optimizer --csv "$D/scaling-wide-mlp-$net-overlap-shard.csv" --json "$D/scaling-wide-mlp-$net-overlap-shard.json"
done
$B bench memory --ranks 1,2,4,8 | tee "$D/memory.txt"

# Projections to 1,024 nodes, compared with every measured point.
fits=(--allreduce "$D/allreduce-real.json" --allreduce "$D/allreduce-shaped.json")
$B bench project --step-statistic "$STAT" --model wide-mlp "${fits[@]}" --network real --network 1gbit --network 10gbit --network 25gbit --network 100gbit \
    --bucket-mb 4 --first-bucket-mb 1 \
    --scaling "$D/scaling-wide-mlp-real.json" --scaling "$D/scaling-wide-mlp-1gbit.json" \
    --scaling "$D/scaling-wide-mlp-10gbit.json" --scaling "$D/scaling-wide-mlp-25gbit.json" \
    --scaling "$D/scaling-wide-mlp-10gbit-overlap.json" --scaling "$D/scaling-wide-mlp-25gbit-overlap.json" \
    --scaling "$D/scaling-wide-mlp-100gbit-overlap.json" --scaling "$D/scaling-wide-mlp-real-overlap.json" \
    --csv "$D/projection-wide-mlp.csv" --json "$D/projection-wide-mlp.json" --plot-dir "$D"
$B bench project --step-statistic "$STAT" --model clinical-mlp "${fits[@]}" --network real --network 10gbit --network 25gbit --network 100gbit \
    --scaling "$D/scaling-clinical-mlp-real.json" \
    --csv "$D/projection-clinical-mlp.csv" --json "$D/projection-clinical-mlp.json" --plot-dir "$D"
echo "# done $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
