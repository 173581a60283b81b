#!/usr/bin/env python3
"""The PyTorch twin of docs/examples/Sources/TransformerLM/GPT.swift: the same GPT-2 style model in
PyTorch, written as nanoGPT writes it, loading the weights a Lockstep run saved (model.safetensors,
strict=True) and computing the logits of the inputs that run saved beside them (logits.safetensors).
It prints the largest difference relative to the largest logit and exits 1 above the tolerance.

    python3 docs/examples/transformer_lm_twin.py runs/examples/transformer-lm [--tolerance 1e-5]
"""
import argparse
import sys

import torch
from torch import nn
from torch.nn import functional as F
from safetensors.torch import load_file


class CausalSelfAttention(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.c_attn = nn.Linear(width, 3 * width)
        self.c_proj = nn.Linear(width, width)

    def forward(self, x):
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q, k, v = (t.view(B, T, self.heads, C // self.heads).transpose(1, 2) for t in (q, k, v))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        return self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C))


class MLP(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width)
        self.c_proj = nn.Linear(4 * width, width)

    def forward(self, x):
        return self.c_proj(F.gelu(self.c_fc(x), approximate="tanh"))


class Block(nn.Module):
    def __init__(self, width, heads):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = MLP(width)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, vocabulary=64, context=64, width=64, heads=4, layers=2):
        super().__init__()
        self.wte = nn.Embedding(vocabulary, width)
        self.wpe = nn.Embedding(context, width)
        self.h = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width)
        self.lm_head = nn.Linear(width, vocabulary, bias=False)

    def forward(self, ids):
        x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
        for block in self.h:
            x = block(x)
        return self.lm_head(self.ln_f(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("run", help="the run folder holding model.safetensors and logits.safetensors")
    parser.add_argument("--tolerance", type=float, default=1e-5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    model = GPT()
    model.load_state_dict(load_file(f"{args.run}/model.safetensors"), strict=True)
    model.eval()
    saved = load_file(f"{args.run}/logits.safetensors")
    with torch.no_grad():
        logits = model(saved["inputs"])
    difference = (logits - saved["logits"]).abs().max().item() / saved["logits"].abs().max().item()
    print(f"twin transformer-lm max_relative_difference {difference:.3g} tolerance {args.tolerance:g}")
    sys.exit(0 if difference <= args.tolerance else 1)


if __name__ == "__main__":
    main()
