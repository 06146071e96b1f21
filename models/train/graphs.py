"""The extra graphs of a model directory beside the contract graph model.onnx (issue 17).

- `positions` (model.positions.onnx): input_ids int64 [batch, length] + positions int64
  [batch, k] -> logits float32 [batch, k, vocab] at those positions only. The output
  projection (8,192 x d_model per position) runs for the k positions a step reads, not for
  the whole window.
- `context` (model.context.onnx): input_ids [batch, length] -> keys, values float32
  [layers, batch, heads, length, head_dim] (after the rotary rotation): every layer's keys
  and values of one full pass (Fast-dLLM's DualCache, built once and refreshed now and then).
- `span` (model.span.onnx): slot_ids [batch, k], positions [batch, k], keys, values ->
  logits [batch, k, vocab]: a pass over the span's slots only. At each layer the slots'
  fresh keys and values replace the cached ones at their positions and the slots attend to
  the whole window. With a cache built from the same ids, the logits equal the full graph's
  at those positions; after reveals the context's deeper keys and values are stale (the
  approximation DualCache makes).

All three hold no weights of their own: their initializers point (ONNX external data) into
model.onnx beside them, at the byte ranges where model.onnx stores the same tensors, so a
directory carries the weights once. `share_weights` does that rewrite with a small protobuf
walker (no `onnx` package needed); the engine checks each graph against model.onnx at load,
so a model.onnx replaced without re-exporting its graphs is caught, not trusted.
"""
from __future__ import annotations

import hashlib
import math
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

from model import Block, Denoiser, rotate_half
from weights import _varint  # the protobuf varint reader model.onnx is read with

GRAPH_FILES = {"positions": "model.positions.onnx", "context": "model.context.onnx", "span": "model.span.onnx"}


def _attend_out(blk: Block, x: torch.Tensor, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    b, t, d = x.shape
    att = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(blk.head_dim))
    y = torch.matmul(att.softmax(dim=-1), v)
    x = x + blk.out(y.transpose(1, 2).reshape(b, t, d))
    h = blk.ffn_norm(x)
    return x + blk.w_down(F.silu(blk.w_gate(h)) * blk.w_up(h))


def _qkv(blk: Block, x: torch.Tensor, cos: torch.Tensor, sin: torch.Tensor):
    b, t, _ = x.shape
    qkv = blk.qkv(blk.attn_norm(x)).view(b, t, 3, blk.n_heads, blk.head_dim)
    q = qkv[:, :, 0].transpose(1, 2)
    k = qkv[:, :, 1].transpose(1, 2)
    v = qkv[:, :, 2].transpose(1, 2)
    return q * cos + rotate_half(q) * sin, k * cos + rotate_half(k) * sin, v


class PositionsGraph(nn.Module):
    def __init__(self, model: Denoiser):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor, positions: torch.Tensor) -> torch.Tensor:
        h = self.model.hidden(input_ids)
        idx = positions.unsqueeze(-1).expand(-1, -1, h.shape[-1])
        return self.model.project(torch.gather(h, 1, idx))


class ContextGraph(nn.Module):
    def __init__(self, model: Denoiser):
        super().__init__()
        self.model = model

    def forward(self, input_ids: torch.Tensor):
        m = self.model
        t = input_ids.shape[1]
        cos, sin = m.rope_cos[:t], m.rope_sin[:t]
        x = m.embed(input_ids)
        keys, values = [], []
        for blk in m.blocks:
            q, k, v = _qkv(blk, x, cos, sin)
            keys.append(k)
            values.append(v)
            x = _attend_out(blk, x, q, k, v)
        return torch.stack(keys), torch.stack(values)


class SpanGraph(nn.Module):
    def __init__(self, model: Denoiser):
        super().__init__()
        self.model = model

    def forward(self, slot_ids: torch.Tensor, positions: torch.Tensor, keys: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
        m = self.model
        cos = m.rope_cos[positions].unsqueeze(1)  # [b, 1, k, hd]
        sin = m.rope_sin[positions].unsqueeze(1)
        x = m.embed(slot_ids)
        b, k = slot_ids.shape
        hd = keys.shape[-1]
        idx = positions.view(b, 1, k, 1).expand(b, keys.shape[2], k, hd)
        for i, blk in enumerate(m.blocks):
            q, kk, vv = _qkv(blk, x, cos, sin)
            k_all = keys[i].scatter(2, idx, kk)
            v_all = values[i].scatter(2, idx, vv)
            x = _attend_out(blk, x, q, k_all, v_all)
        return m.project(m.norm(x))


def export_graphs(model: Denoiser, out_dir: str, opset: int = 17) -> dict[str, str]:
    """Writes the extra graphs beside out_dir/model.onnx (which must exist), weights shared
    with it; returns {graph name: file name} for the manifest's `graphs`."""
    model.eval()
    base = os.path.join(out_dir, "model.onnx")
    ids = torch.randint(5, model.cfg.vocab_size, (2, 24), dtype=torch.int64)
    pos = torch.tensor([[3, 5, 7], [1, 2, 20]], dtype=torch.int64)
    with torch.no_grad():
        keys, values = ContextGraph(model)(ids)
    specs = {
        "positions": (PositionsGraph(model), (ids, pos), ["input_ids", "positions"], ["logits"],
                      {"input_ids": {0: "batch", 1: "length"}, "positions": {0: "batch", 1: "k"}, "logits": {0: "batch", 1: "k"}}),
        "context": (ContextGraph(model), (ids,), ["input_ids"], ["keys", "values"],
                    {"input_ids": {0: "batch", 1: "length"}, "keys": {1: "batch", 3: "length"}, "values": {1: "batch", 3: "length"}}),
        "span": (SpanGraph(model), (ids.gather(1, pos), pos, keys, values), ["slot_ids", "positions", "keys", "values"], ["logits"],
                 {"slot_ids": {0: "batch", 1: "k"}, "positions": {0: "batch", 1: "k"}, "keys": {1: "batch", 3: "length"},
                  "values": {1: "batch", 3: "length"}, "logits": {0: "batch", 1: "k"}}),
    }
    shared = initializer_ranges(base)
    written = {}
    for name, (module, args, inputs, outputs, axes) in specs.items():
        path = os.path.join(out_dir, GRAPH_FILES[name])
        torch.onnx.export(module, args, path, input_names=inputs, output_names=outputs, dynamic_axes=axes,
                          opset_version=opset, do_constant_folding=False)
        share_weights(path, shared, "model.onnx")
        written[name] = GRAPH_FILES[name]
    return written


# --- sharing weights through ONNX external data --------------------------------------------

def _enc_varint(n: int) -> bytes:
    out = bytearray()
    while True:
        c = n & 0x7F
        n >>= 7
        if n:
            out.append(c | 0x80)
        else:
            out.append(c)
            return bytes(out)


def _spans(b, base: int = 0):
    """(field, wire, value start, value end, record start) of one protobuf message; offsets are base + index."""
    i = 0
    while i < len(b):
        rec = i
        key, i = _varint(b, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            _, j = _varint(b, i)
            yield field, wire, base + i, base + j, base + rec
            i = j
        elif wire == 1:
            yield field, wire, base + i, base + i + 8, base + rec
            i += 8
        elif wire == 2:
            n, i = _varint(b, i)
            yield field, wire, base + i, base + i + n, base + rec
            i += n
        elif wire == 5:
            yield field, wire, base + i, base + i + 4, base + rec
            i += 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} (is this an ONNX file?)")


def _field(tag: int, payload: bytes) -> bytes:
    return _enc_varint((tag << 3) | 2) + _enc_varint(len(payload)) + payload


def initializer_ranges(path: str) -> dict[str, tuple[int, int]]:
    """sha256 of each initializer's raw bytes in an ONNX file -> (file offset, length)."""
    with open(path, "rb") as f:
        data = memoryview(f.read())
    out: dict[str, tuple[int, int]] = {}
    for field, wire, gs, ge, _ in _spans(data):
        if field != 7 or wire != 2:
            continue
        for f2, w2, ts, te, _ in _spans(data[gs:ge], gs):
            if f2 != 5 or w2 != 2:
                continue
            for f3, w3, rs, re_, _ in _spans(data[ts:te], ts):
                if f3 == 9 and w3 == 2 and re_ - rs >= 1024:
                    out.setdefault(hashlib.sha256(data[rs:re_]).hexdigest(), (rs, re_ - rs))
    return out


def share_weights(path: str, shared: dict[str, tuple[int, int]], location: str) -> int:
    """Rewrites the ONNX file at `path` so every initializer whose bytes `shared` holds is
    read from `location` (external data) instead of stored inline; returns how many."""
    with open(path, "rb") as f:
        data = memoryview(f.read())
    moved = 0

    def tensor(t) -> bytes:
        nonlocal moved
        parts, raw = [], None
        for field, wire, s, e, rec in _spans(t):
            if field == 9 and wire == 2:
                raw = bytes(t[s:e])
            else:
                parts.append(bytes(t[rec:e]))
        hit = shared.get(hashlib.sha256(raw).hexdigest()) if raw is not None else None
        if hit is None:
            return b"".join(parts) + (_field(9, raw) if raw is not None else b"")
        moved += 1
        entries = [("location", location), ("offset", str(hit[0])), ("length", str(hit[1]))]
        ext = b"".join(_field(13, _field(1, k.encode()) + _field(2, v.encode())) for k, v in entries)
        return b"".join(parts) + ext + _enc_varint((14 << 3) | 0) + _enc_varint(1)

    def graph(g) -> bytes:
        out = []
        for field, wire, s, e, rec in _spans(g):
            out.append(_field(5, tensor(g[s:e])) if field == 5 and wire == 2 else bytes(g[rec:e]))
        return b"".join(out)

    out = []
    for field, wire, s, e, rec in _spans(data):
        out.append(_field(7, graph(data[s:e])) if field == 7 and wire == 2 else bytes(data[rec:e]))
    with open(path, "wb") as f:
        f.write(b"".join(out))
    return moved


def load_model(src: str) -> Denoiser:
    """The Denoiser whose weights an exported model directory (or --weights-out directory) holds."""
    import weights
    from model import ModelConfig
    config, state, _, _ = weights.load_init(src)
    model = Denoiser(ModelConfig(**{k: config[k] for k in ("vocab_size", "d_model", "n_layers", "n_heads", "ffn_hidden", "max_length")}))
    own = model.state_dict()
    missing = [k for k in own if k not in state]
    if missing:
        raise SystemExit(f"{src}: the weights lack {missing[:3]}: not a model this pipeline exported")
    model.load_state_dict({k: torch.from_numpy(state[k]) for k in own})
    return model.eval()


def main(argv: list[str]) -> int:
    """python3 models/train/graphs.py DIR: (re)writes DIR's extra graphs from DIR/model.onnx's
    weights (no retraining) and records them in DIR/manifest.json."""
    import argparse
    import json
    p = argparse.ArgumentParser(description=main.__doc__)
    p.add_argument("dir")
    a = p.parse_args(argv)
    model = load_model(a.dir)
    graphs = export_graphs(model, a.dir)
    mpath = os.path.join(a.dir, "manifest.json")
    with open(mpath) as f:
        m = json.load(f)
    m["graphs"] = graphs
    with open(mpath, "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")
    for name, fn in graphs.items():
        print(f"{fn}: {os.path.getsize(os.path.join(a.dir, fn)) / 1e3:.1f} kB ({name})")
    return 0


if __name__ == "__main__":
    import sys
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    sys.exit(main(sys.argv[1:]))
