"""Builds ONNX graphs the size and shape of ModernBERT-base with random weights, for
bench/modernbert-speed.ts: 22 layers, hidden 768, 12 heads, GeGLU MLP 1152, vocab 50368,
bias-free LayerNorm, rotary positions (global theta 160000 every third layer, local theta
10000 with a 128-token sliding window otherwise), head dense + GELU + norm, decoder tied to
the token embeddings. Same inputs and output as the Hub's ONNX export: input_ids and
attention_mask int64 [batch, length] -> logits float32 [batch, length, 50368].

Two files are written into the output folder (default bench/tmp/modernbert, git-ignored):
  model_fp32.onnx  every weight float32
  model_int8.onnx  every Linear as dynamic int8 quantization, the form ONNX Runtime's
                   quantize_dynamic produces: DynamicQuantizeLinear on the activation,
                   MatMulInteger against an int8 weight (per-tensor symmetric scale), then
                   Cast and Mul by both scales. Embeddings stay float32.

The int8 nodes are emitted through torch.autograd.Function.symbolic (torch 1.13 has no
onnx or onnxruntime Python package here to quantize a finished graph with).

Usage: /usr/bin/python3 bench/modernbert-graph.py [OUT_DIR] [--layers N]
"""
from __future__ import annotations

import argparse
import json
import math
import os
import time

import torch
import torch.nn.functional as F
from torch import nn

VOCAB = 50368
HIDDEN = 768
HEADS = 12
INTERMEDIATE = 1152
LAYERS = 22
GLOBAL_EVERY = 3
LOCAL_WINDOW = 128
GLOBAL_THETA = 160000.0
LOCAL_THETA = 10000.0
EPS = 1e-5


class DynamicInt8Linear(torch.autograd.Function):
    """y = x @ W with W stored int8; exported as DynamicQuantizeLinear + MatMulInteger."""

    @staticmethod
    def forward(ctx, x, w_q, w_scale, w_zero):  # type: ignore[override]
        return x @ (w_q.float() * w_scale)

    @staticmethod
    def symbolic(g, x, w_q, w_scale, w_zero):  # type: ignore[override]
        x_q, x_scale, x_zero = g.op("DynamicQuantizeLinear", x, outputs=3)
        acc = g.op("MatMulInteger", x_q, w_q, x_zero, w_zero)
        acc_f = g.op("Cast", acc, to_i=1)  # 1 = FLOAT
        return g.op("Mul", acc_f, g.op("Mul", x_scale, w_scale))


class Linear(nn.Module):
    """A bias-free (optionally biased) linear layer that can switch to dynamic int8."""

    def __init__(self, n_in: int, n_out: int, bias: bool = False, weight: nn.Parameter | None = None):
        super().__init__()
        self.weight = weight if weight is not None else nn.Parameter(torch.randn(n_out, n_in) * 0.02)
        self.bias = nn.Parameter(torch.zeros(n_out)) if bias else None
        self.int8 = False

    def quantize(self) -> None:
        w = self.weight.detach().t().contiguous()  # [in, out] for MatMulInteger
        scale = w.abs().max().clamp(min=1e-8) / 127.0
        self.register_buffer("w_q", torch.clamp(torch.round(w / scale), -127, 127).to(torch.int8))
        self.register_buffer("w_scale", scale.reshape(()).float())
        self.register_buffer("w_zero", torch.zeros((), dtype=torch.int8))
        self.int8 = True

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = DynamicInt8Linear.apply(x, self.w_q, self.w_scale, self.w_zero) if self.int8 else x @ self.weight.t()
        return y + self.bias if self.bias is not None else y


ZERO_BIAS = torch.zeros(HIDDEN)


def norm(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """Bias-free LayerNorm, exported with an explicit zero bias. Without a bias input, onnxruntime-node
    1.30 crashed (segfault) creating a session for this graph at optimization level 'extended' or
    'all' (the engine uses 'all'); 'basic' loaded it."""
    return F.layer_norm(x, (HIDDEN,), weight, ZERO_BIAS, EPS)


def rotary(x: torch.Tensor, theta: float) -> torch.Tensor:
    """x [batch, heads, length, head_dim] with rotary position embedding (half-split form)."""
    length, dim = x.shape[2], x.shape[3]
    inv = 1.0 / (theta ** (torch.arange(0, dim, 2, dtype=torch.float32) / dim))
    pos = torch.arange(length, dtype=torch.float32)
    freqs = pos[:, None] * inv[None, :]
    emb = torch.cat([freqs, freqs], dim=-1)
    cos, sin = emb.cos(), emb.sin()
    half = dim // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


class Layer(nn.Module):
    def __init__(self, index: int):
        super().__init__()
        self.global_attention = index % GLOBAL_EVERY == 0
        self.attn_norm = nn.Parameter(torch.ones(HIDDEN)) if index > 0 else None  # ModernBERT: identity on layer 0
        self.wqkv = Linear(HIDDEN, 3 * HIDDEN)
        self.wo = Linear(HIDDEN, HIDDEN)
        self.mlp_norm = nn.Parameter(torch.ones(HIDDEN))
        self.wi = Linear(HIDDEN, 2 * INTERMEDIATE)
        self.mlp_out = Linear(INTERMEDIATE, HIDDEN)

    def forward(self, h: torch.Tensor, global_bias: torch.Tensor, local_bias: torch.Tensor) -> torch.Tensor:
        b, length, _ = h.shape
        x = norm(h, self.attn_norm) if self.attn_norm is not None else h
        qkv = self.wqkv(x).view(b, length, 3, HEADS, HIDDEN // HEADS).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        theta = GLOBAL_THETA if self.global_attention else LOCAL_THETA
        q, k = rotary(q, theta), rotary(k, theta)
        scores = q @ k.transpose(-1, -2) / math.sqrt(HIDDEN // HEADS)
        scores = scores + (global_bias if self.global_attention else local_bias)
        attn = torch.softmax(scores, dim=-1) @ v
        h = h + self.wo(attn.transpose(1, 2).reshape(b, length, HIDDEN))
        gate, value = self.wi(norm(h, self.mlp_norm)).chunk(2, dim=-1)
        return h + self.mlp_out(F.gelu(gate) * value)


class ModernBertShaped(nn.Module):
    def __init__(self, layers: int = LAYERS):
        super().__init__()
        self.tok_embeddings = nn.Parameter(torch.randn(VOCAB, HIDDEN) * 0.02)
        self.emb_norm = nn.Parameter(torch.ones(HIDDEN))
        self.layers = nn.ModuleList([Layer(i) for i in range(layers)])
        self.final_norm = nn.Parameter(torch.ones(HIDDEN))
        self.head_dense = Linear(HIDDEN, HIDDEN)
        self.head_norm = nn.Parameter(torch.ones(HIDDEN))
        self.decoder = Linear(HIDDEN, VOCAB, bias=True, weight=self.tok_embeddings)

    def quantize(self) -> None:
        for m in self.modules():
            if isinstance(m, Linear):
                m.quantize()

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        length = input_ids.shape[1]
        h = norm(F.embedding(input_ids, self.tok_embeddings), self.emb_norm)
        keep = attention_mask[:, None, None, :].to(torch.float32)
        global_bias = (1.0 - keep) * -1e4
        pos = torch.arange(length)
        far = ((pos[:, None] - pos[None, :]).abs() > LOCAL_WINDOW // 2).to(torch.float32)
        local_bias = global_bias + far[None, None, :, :] * -1e4
        for layer in self.layers:
            h = layer(h, global_bias, local_bias)
        h = norm(h, self.final_norm)
        h = norm(F.gelu(self.head_dense(h)), self.head_norm)
        return self.decoder(h)


def export(model: nn.Module, path: str) -> None:
    ids = torch.randint(0, VOCAB, (1, 48), dtype=torch.int64)
    mask = torch.ones_like(ids)
    torch.onnx.export(
        model, (ids, mask), path,
        input_names=["input_ids", "attention_mask"], output_names=["logits"],
        dynamic_axes={n: {0: "batch", 1: "length"} for n in ("input_ids", "attention_mask", "logits")},
        opset_version=17, do_constant_folding=False,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("out_dir", nargs="?", default=os.path.join("bench", "tmp", "modernbert"))
    parser.add_argument("--layers", type=int, default=LAYERS, help="fewer layers for a quick check of the script")
    args = parser.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    torch.manual_seed(1234)
    torch.set_num_threads(1)
    model = ModernBertShaped(args.layers).eval()
    params = sum(p.numel() for p in model.parameters())
    info = {"layers": args.layers, "hidden": HIDDEN, "heads": HEADS, "intermediate": INTERMEDIATE, "vocab": VOCAB,
            "parameters": params, "torch": torch.__version__, "files": {}}
    with torch.no_grad():
        for variant in ("fp32", "int8"):
            if variant == "int8":
                model.quantize()
            path = os.path.join(args.out_dir, f"model_{variant}.onnx")
            t0 = time.time()
            export(model, path)
            info["files"][variant] = {"bytes": os.path.getsize(path), "exportSeconds": round(time.time() - t0, 1)}
            print(f"{path}: {os.path.getsize(path) / 1e6:.1f} MB in {time.time() - t0:.0f} s", flush=True)
    with open(os.path.join(args.out_dir, "graph.json"), "w") as f:
        json.dump(info, f, indent=2)
    print(json.dumps(info))


if __name__ == "__main__":
    main()
