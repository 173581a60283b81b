"""Packed data against the CSV in memory, in one run on this machine (docs/datasets.md, "Figures").

For each size: writes an N x 20 CSV (binary label), times `lockstep data pack` against pyarrow's
single-threaded `read_csv` of the same file, then trains the reference model (clinical-mlp's layers)
from the pack and from the CSV in memory under `mpirun -np 2` (and one process), recording per rank
the peak RSS (/usr/bin/time), the seconds from launch to the first step's "training ..." line, and
the samples/s the run reports, with `data.order` keyed and blocks. Usage: python3 launch/bench_packed.py BIN WORKDIR [ROWS ...]
"""
import os, subprocess, sys, time, re, json

import numpy as np

bin_, work = sys.argv[1], sys.argv[2]
sizes = [int(s) for s in sys.argv[3:]] or [2_000_000]
os.makedirs(work, exist_ok=True)
MPI = ["mpirun", "-np", "2", "--oversubscribe", "--bind-to", "none", "-x", "OPENBLAS_NUM_THREADS"]
if os.getuid() == 0:
    MPI.append("--allow-run-as-root")

def write_csv(path, rows):
    """20 normal features (5 decimals) and a label that depends on the first five, written by pyarrow."""
    import pyarrow, pyarrow.csv
    rng = np.random.default_rng(7)
    with pyarrow.csv.CSVWriter(path, pyarrow.schema([(f"f{i}", pyarrow.float64()) for i in range(20)] + [("y", pyarrow.int8())]),
                               write_options=pyarrow.csv.WriteOptions(quoting_style="none")) as writer:
        for start in range(0, rows, 1_000_000):
            n = min(1_000_000, rows - start)
            x = np.round(rng.normal(size=(n, 20)), 5)
            y = (x[:, :5].sum(axis=1) + rng.normal(size=n) > 0).astype(np.int8)
            writer.write_table(pyarrow.table({**{f"f{i}": x[:, i] for i in range(20)}, "y": y}))

def config(path, data, steps):
    with open(path, "w") as f:
        f.write(f"""seed: 7
model:
  input: 20
  layers:
    - {{name: layer1, type: linear, out: 64}}
    - {{name: bn1, type: batchnorm1d}}
    - {{type: relu}}
    - {{type: dropout, p: 0.3}}
    - {{name: layer2, type: linear, out: 32}}
    - {{name: bn2, type: batchnorm1d}}
    - {{type: relu}}
    - {{name: layer3, type: linear, out: 1}}
data: {data}
loss: bce_with_logits
batch: {{global: 256, micro: 128}}
optimizer: {{type: sgd, lr: 0.1, momentum: 0.9}}
train: {{steps: {steps}, eval_every: 0}}
output: {{dir: {work}/run}}
""")

def train(cfg, out, mpi):
    """Peak RSS per rank (MB), seconds to the first step, samples/s, params_sha256."""
    rss_files = [f"{out}.rss{r}" for r in range(2 if mpi else 1)]
    wrapper = ["/usr/bin/time", "-f", "%M", "-o"]
    if mpi:
        cmd = MPI + ["bash", "-c", f'exec /usr/bin/time -f %M -o {out}.rss$OMPI_COMM_WORLD_RANK "$@"', "_",
                     bin_, "train", "--config", cfg, "--out", out]
    else:
        cmd = wrapper + [rss_files[0], bin_, "train", "--config", cfg, "--out", out]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    first = None
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if first is None and line.startswith("training "):
            first = time.monotonic() - start
    proc.wait()
    if proc.returncode != 0:
        sys.exit("".join(lines))
    done = next(l for l in lines if l.startswith("done:"))
    rate = float(re.search(r"([0-9,]+) samples/s", done).group(1).replace(",", ""))
    rss = [int(open(f).read().split()[-1]) / 1024 for f in rss_files]
    digest = json.load(open(out + "/summary.json"))["params_sha256"]
    subprocess.run(["rm", "-rf", out] + rss_files)
    return rss, first, rate, digest

cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
print(f"CPU: {cpu}, {os.cpu_count()} cores")
for rows in sizes:
    csv = f"{work}/data-{rows}.csv"
    pack = f"{work}/pack-{rows}"
    if not os.path.exists(csv):
        write_csv(csv, rows)
    mb = os.path.getsize(csv) / 1e6
    subprocess.run(["rm", "-rf", pack])
    import pyarrow, pyarrow.csv
    pyarrow.set_cpu_count(1)
    pyarrow.set_io_thread_count(1)
    t = time.monotonic()
    pyarrow.csv.read_csv(csv, read_options=pyarrow.csv.ReadOptions(use_threads=False))
    arrow = time.monotonic() - t
    t = time.monotonic()
    subprocess.run(["/usr/bin/time", "-f", "%M", "-o", f"{work}/pack.rss", bin_, "data", "pack", "--input", csv, "--out", pack,
                    "--label", "y", "--seed", "7"], check=True, stdout=subprocess.DEVNULL)
    packing = time.monotonic() - t
    pack_rss = int(open(f"{work}/pack.rss").read().split()[-1]) / 1024
    print(f"{rows:,} rows ({mb:.0f} MB CSV): pack {packing:.2f} s ({rows / packing / 1e6:.2f} M rows/s, peak RSS {pack_rss:.0f} MB), "
          f"pyarrow read_csv one thread {arrow:.2f} s ({rows / arrow / 1e6:.2f} M rows/s): pack/pyarrow rate {arrow / packing:.2f}x")
    steps = 12_500   # two epochs of the 2M-row set's 1.6M training rows: the blocks are verified in the first
    for order, mpi in [(o, m) for o in ("keyed", "blocks") for m in (True, False)]:
        config(f"{work}/packed.yaml", f"{{source: packed, path: {pack}, order: {order}}}", steps)
        config(f"{work}/csv.yaml", f"{{source: csv, path: {csv}, label: y, order: {order}, validation_fraction: 0.2}}", steps)
        label = ("mpirun -np 2" if mpi else "one process ") + f", order {order}:"
        p = train(f"{work}/packed.yaml", f"{work}/out-p", mpi)
        c = train(f"{work}/csv.yaml", f"{work}/out-c", mpi) if rows <= 2_000_000 else None
        line = (f"  {label} packed: peak RSS/rank {', '.join(f'{r:.0f}' for r in p[0])} MB, first step after {p[1]:.2f} s, "
                f"{p[2]:,.0f} samples/s")
        if c:
            line += (f" | CSV in memory: {', '.join(f'{r:.0f}' for r in c[0])} MB, {c[1]:.2f} s, {c[2]:,.0f} samples/s | "
                     f"throughput ratio {p[2] / c[2]:.2f}, same params_sha256: {p[3] == c[3]}")
        print(line, flush=True)
