#!/usr/bin/env python3
"""PyTorch baseline for `lockstep bench step`: the same models, loss, optimizer and batch sizes,
one CPU thread, timed the same way (median of 5 timed blocks after warm-up).

A step is what Trainer.step() does: gather the batch by indices from the preloaded data set,
zero_grad, forward in train mode, loss, backward, SGD(momentum=0.9) step. Batch-norm running
statistics move inside the forward, as PyTorch does.

Prints one `key=value` line per case, e.g.
    pytorch model=clinical-mlp batch=16 us_per_step=285.7 samples_per_second=56000

Usage: python3 launch/pytorch_step_baseline.py [--seconds 1.5] [--cases clinical:16,clinical:256]
"""
import argparse
import statistics
import time

import torch
from torch import nn


def clinical_mlp(features: int = 20) -> nn.Module:
    """configs/clinical-mlp.yaml: 20 → 64 → BN → ReLU → Dropout(0.3) → 32 → BN → ReLU → 1."""
    return nn.Sequential(
        nn.Linear(features, 64), nn.BatchNorm1d(64), nn.ReLU(), nn.Dropout(0.3),
        nn.Linear(64, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 1))


def wide_mlp(features: int = 1024, width: int = 1024, classes: int = 10) -> nn.Module:
    """configs/wide-mlp.yaml: three Linear(1024) + ReLU blocks, then Linear(10)."""
    return nn.Sequential(
        nn.Linear(features, width), nn.ReLU(), nn.Linear(width, width), nn.ReLU(),
        nn.Linear(width, width), nn.ReLU(), nn.Linear(width, classes))


# name: (model factory, features, loss, lr, targets)
MODELS = {
    "clinical-mlp": (clinical_mlp, 20, nn.BCEWithLogitsLoss(), 0.1, "binary"),
    "wide-mlp": (wide_mlp, 1024, nn.CrossEntropyLoss(), 0.01, "classes"),
}


def gemm_flops(model: nn.Module, batch: int) -> float:
    """As StepBenchmark.gemmFlops: forward, ∂W, and ∂x except in the first layer."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return sum(2 * batch * l.in_features * l.out_features * (2 if i == 0 else 3) for i, l in enumerate(linears))


def time_case(name: str, batch: int, seconds: float) -> dict:
    make, features, loss_fn, lr, targets = MODELS[name]
    torch.manual_seed(7)
    model = make().train()
    samples = max(2 * batch + 64, 8192)
    x_all = torch.randn(samples, features)
    y_all = (torch.rand(samples, 1) < 0.3).float() if targets == "binary" else torch.randint(0, 10, (samples,))
    optimizer = torch.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    order = torch.randperm(samples)
    cursor = [0]

    def step():
        start = cursor[0]
        if start + batch > samples:
            start = 0
        cursor[0] = start + batch
        idx = order[start:start + batch]
        x, y = x_all.index_select(0, idx), y_all.index_select(0, idx)
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss

    for _ in range(5):
        step()
    probe_start = time.perf_counter()
    step()
    probe = time.perf_counter() - probe_start
    per_block = max(1, int(seconds / 5 / max(probe, 1e-7)))
    blocks = []
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(per_block):
            step()
        blocks.append((time.perf_counter() - start) / per_block * 1e6)
    us = statistics.median(blocks)
    return {"model": name, "batch": batch, "us_per_step": us, "samples_per_second": batch / us * 1e6,
            "gflops": gemm_flops(model, batch) / us / 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=1.5, help="seconds of timing per case")
    parser.add_argument("--cases", default="clinical-mlp:16,clinical-mlp:256,clinical-mlp:4096,wide-mlp:32,wide-mlp:256",
                        help="comma-separated model:batch pairs")
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    print(f"pytorch version={torch.__version__} threads={torch.get_num_threads()}", flush=True)
    for case in args.cases.split(","):
        name, batch = case.split(":")
        if name not in MODELS:
            raise SystemExit(f"error: unknown model '{name}' (known: {', '.join(MODELS)})")
        r = time_case(name, int(batch), args.seconds)
        line = (f"pytorch model={r['model']} batch={r['batch']} us_per_step={r['us_per_step']:.1f} "
                f"samples_per_second={int(r['samples_per_second'])}")
        if name == "wide-mlp":
            line += f" gflops={r['gflops']:.1f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
