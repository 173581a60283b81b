#!/usr/bin/env python3
"""Score a CSV file with a Lockstep run folder in plain PyTorch: the interop example of docs/outputs.md.

Reads RUN/config.yaml (the model's layers), RUN/preprocessing.json (how a raw row becomes inputs) and
RUN/model.safetensors (the weights, PyTorch state_dict names), applies the saved preprocessing exactly
as `lockstep predict` does, and writes the same columns.

    python3 docs/examples/predict_with_pytorch.py RUN new.csv preds.csv [--id-column patient_id] [--weights FILE]

Needs torch, numpy and PyYAML; the safetensors file is read directly (8-byte header length, JSON
header, raw little-endian tensors), so the safetensors package is not needed.
"""
import argparse
import csv
import json
import math
import struct
from collections import OrderedDict

import numpy as np
import torch
import yaml


def read_safetensors(path):
    """The tensors of a safetensors file as a dict of torch tensors."""
    with open(path, "rb") as f:
        (length,) = struct.unpack("<Q", f.read(8))
        header = json.loads(f.read(length))
        data = f.read()
    dtypes = {"F32": np.float32, "F64": np.float64, "I64": np.int64}
    tensors = {}
    for name, spec in header.items():
        if name == "__metadata__":
            continue
        start, end = spec["data_offsets"]
        array = np.frombuffer(data[start:end], dtype=dtypes[spec["dtype"]]).reshape(spec["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors


def build_model(config):
    """nn.Sequential with Lockstep's layer names (a layer's `name`, else its index)."""
    layers, width = [], config["model"]["input"]
    for index, layer in enumerate(config["model"]["layers"]):
        kind = layer["type"]
        if kind == "linear":
            module = torch.nn.Linear(width, layer["out"], bias=layer.get("bias", True))
            width = layer["out"]
        elif kind == "batchnorm1d":
            module = torch.nn.BatchNorm1d(width, eps=layer.get("eps", 1e-5), momentum=layer.get("momentum", 0.1),
                                          affine=layer.get("affine", True))
        elif kind == "layernorm":
            module = torch.nn.LayerNorm(width, eps=layer.get("eps", 1e-5),
                                        elementwise_affine=layer.get("elementwise_affine", True))
        elif kind == "relu":
            module = torch.nn.ReLU()
        elif kind == "leaky_relu":
            module = torch.nn.LeakyReLU(layer.get("negative_slope", 0.01))
        elif kind == "gelu":
            module = torch.nn.GELU()
        elif kind == "tanh":
            module = torch.nn.Tanh()
        elif kind == "sigmoid":
            module = torch.nn.Sigmoid()
        elif kind == "dropout":
            module = torch.nn.Dropout(layer.get("p", 0.5))
        else:
            raise SystemExit(f"unknown layer type {kind}")
        layers.append((layer.get("name") or str(index), module))
    return torch.nn.Sequential(OrderedDict(layers))


def encode(rows, header, prep, path):
    """Raw CSV rows → float32 inputs (n, F), following preprocessing.json."""
    out = np.zeros((len(rows), len(prep["encoded_features"])), dtype=np.float32)
    position = {name: k for k, name in enumerate(header)}
    for r, row in enumerate(rows):
        o = 0
        for column in prep["columns"]:
            cell = row[position[column["name"]]].strip()
            if column["kind"] == "numeric":
                if cell == "":
                    if "impute" not in column:
                        raise SystemExit(f"{path}:{r + 2}: column {column['name']}: empty cell")
                    value = np.float32(column["impute"])
                else:
                    value = np.float32(float(cell))
                out[r, o] = (value - np.float32(column["mean"])) / np.float32(column["scale"])
                o += 1
                if column["missing_indicator"]:
                    out[r, o] = 1.0 if cell == "" else 0.0
                    o += 1
            else:
                categories = column["categories"]
                if cell in categories:
                    out[r, o + categories.index(cell)] = 1.0
                elif cell != "" and prep["unknown_category"] == "error":
                    raise SystemExit(f"{path}:{r + 2}: column {column['name']}: unknown category {cell!r}")
                o += len(categories)
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run")
    parser.add_argument("input")
    parser.add_argument("output")
    parser.add_argument("--id-column")
    parser.add_argument("--weights")
    args = parser.parse_args()

    with open(f"{args.run}/config.yaml") as f:
        config = yaml.safe_load(f)
    with open(f"{args.run}/preprocessing.json") as f:
        prep = json.load(f)
    model = build_model(config)
    model.load_state_dict(read_safetensors(args.weights or f"{args.run}/model.safetensors"), strict=True)
    model.eval()

    with open(args.input, newline="") as f:
        reader = csv.reader(f)
        header = [h.strip() for h in next(reader)]
        rows = [row for row in reader if any(cell.strip() for cell in row)]
    with torch.no_grad():
        logits = model(torch.from_numpy(encode(rows, header, prep, args.input))).double().numpy()

    with open(args.output, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        ids = [row[header.index(args.id_column)] for row in rows] if args.id_column else None
        loss = config["loss"]
        if loss == "bce_with_logits":
            columns = ["logit", "prob"]
        elif loss == "cross_entropy":
            columns = [f"prob_{label}" for label in prep["class_labels"]] + ["predicted"]
        else:
            columns = ["prediction"]
        writer.writerow(([args.id_column] if ids else []) + columns)
        for i, z in enumerate(logits):
            if loss == "bce_with_logits":
                values = [repr(float(z[0])), repr(1 / (1 + math.exp(-float(z[0]))))]
            elif loss == "cross_entropy":
                e = np.exp(z - z.max())
                p = e / e.sum()
                values = [repr(float(v)) for v in p] + [prep["class_labels"][int(np.argmax(z))]]
            else:
                values = [repr(float(z[0]))]
            writer.writerow(([ids[i]] if ids else []) + values)


if __name__ == "__main__":
    main()
