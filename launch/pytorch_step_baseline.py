#!/usr/bin/env python3
"""PyTorch baseline for `lockstep bench step`: the same models, loss, optimizer and batch sizes,
one CPU thread, timed the same way (median of 5 timed blocks after warm-up).

A step is what Trainer.step() does: gather the batch by indices from the preloaded data set,
zero_grad, forward in train mode, loss, backward, optimizer step. The MLPs use SGD(momentum=0.9);
batch-norm running statistics move inside the forward, as PyTorch does. The transformer
(`transformer-lm`, Sources/Benchmarks/TransformerLMBenchmark.swift) is a GPT-2 style language model:
vocabulary 64, context 64, width 64, 4 heads, 2 pre-LayerNorm blocks with an MLP of 256 and tanh
GELU, untied unbiased head, no dropout; windows of 64 input and 64 target tokens, mean
cross-entropy over the B·T positions, AdamW(lr 3e-3, betas (0.9, 0.95), weight decay 0.1).

Prints one `key=value` line per case, e.g.
    pytorch model=clinical-mlp batch=16 us_per_step=285.7 samples_per_second=56000

Usage: python3 launch/pytorch_step_baseline.py [--seconds 1.5] [--cases clinical:16,clinical:256]
"""
import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F


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


class CausalSelfAttention(nn.Module):
    """nanoGPT's attention without dropout: c_attn → heads → causal SDPA → c_proj."""

    def __init__(self, dim: int, heads: int):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(dim, 3 * dim)
        self.c_proj = nn.Linear(dim, dim)

    def forward(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, c // self.heads).transpose(1, 2) for z in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))


class MLP(nn.Module):
    def __init__(self, dim: int, hidden: int):
        super().__init__()
        self.c_fc = nn.Linear(dim, hidden)
        self.gelu = nn.GELU(approximate="tanh")
        self.c_proj = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, dim: int, heads: int, hidden: int):
        super().__init__()
        self.ln_1 = nn.LayerNorm(dim, eps=1e-5)
        self.attn = CausalSelfAttention(dim, heads)
        self.ln_2 = nn.LayerNorm(dim, eps=1e-5)
        self.mlp = MLP(dim, hidden)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class TransformerLM(nn.Module):
    """The benchmark's GPT-2 style LM, state_dict names wte, wpe, h.{i}.…, ln_f, lm_head."""

    def __init__(self, vocab=64, context=64, dim=64, heads=4, layers=2, hidden=256):
        super().__init__()
        self.wte = nn.Embedding(vocab, dim)
        self.wpe = nn.Embedding(context, dim)
        self.h = nn.ModuleList([Block(dim, heads, hidden) for _ in range(layers)])
        self.ln_f = nn.LayerNorm(dim, eps=1e-5)
        self.lm_head = nn.Linear(dim, vocab, bias=False)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def lm_loss(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


# name: (model factory, features, loss, lr, targets)
MODELS = {
    "clinical-mlp": (clinical_mlp, 20, nn.BCEWithLogitsLoss(), 0.1, "binary"),
    "wide-mlp": (wide_mlp, 1024, nn.CrossEntropyLoss(), 0.01, "classes"),
    "transformer-lm": (TransformerLM, 64, lm_loss, 3e-3, "tokens"),
}


def gemm_flops(model: nn.Module, batch: int) -> float:
    """As StepBenchmark.gemmFlops: forward, ∂W, and ∂x except in the first layer. The transformer as
    TransformerLMBenchmark.gemmFlops: every Linear on B·T rows (forward, ∂W, ∂x), and per block the
    attention's six (T, T, D) products per sample and head (q·kᵀ and P·v forward, four backward)."""
    if isinstance(model, TransformerLM):
        rows = batch * model.wpe.num_embeddings
        linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
        dim, t = model.wte.embedding_dim, model.wpe.num_embeddings
        attention = len(model.h) * 6 * 2 * batch * t * t * dim
        return sum(3 * 2 * rows * l.in_features * l.out_features for l in linears) + attention
    linears = [m for m in model if isinstance(m, nn.Linear)]
    return sum(2 * batch * l.in_features * l.out_features * (2 if i == 0 else 3) for i, l in enumerate(linears))


def time_case(name: str, batch: int, seconds: float) -> dict:
    make, features, loss_fn, lr, targets = MODELS[name]
    torch.manual_seed(7)
    model = make().train()
    samples = max(2 * batch + 64, 8192)
    if targets == "tokens":   # windows of context + 1 tokens: inputs and the targets shifted by one
        windows = torch.randint(0, model.wte.num_embeddings, (samples, model.wpe.num_embeddings + 1))
        x_all, y_all = windows[:, :-1].contiguous(), windows[:, 1:].contiguous()
        optimizer = torch.optim.AdamW(model.parameters(), lr=lr, betas=(0.9, 0.95), weight_decay=0.1)
    else:
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
    parser.add_argument("--cases", default="clinical-mlp:16,clinical-mlp:256,clinical-mlp:4096,wide-mlp:32,wide-mlp:256,"
                        "transformer-lm:16",
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
        if name in ("wide-mlp", "transformer-lm"):
            line += f" gflops={r['gflops']:.1f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
