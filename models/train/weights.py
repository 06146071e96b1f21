"""Model weights in and out of the pipeline without a checkpoint file.

- `read_onnx_initializers`: the weights of an exported model.onnx (our exporter keeps the
  parameter names), read with a small protobuf walker so no `onnx` package is needed. This
  lets a run start from the shipped model: `--init-from models/default`.
- `write_parts` / `read_parts`: fp32 weights as `weights.json` plus `weights.bin.NN` parts
  of at most 15 MB each, so a run on a machine whose results come back in size-limited
  files (the GPU lease) can hand its model back: `--weights-out DIR` there, then
  `--init-from DIR --export-only` here.
"""
from __future__ import annotations

import json
import os

import numpy as np

PART_BYTES = 15_000_000


def _varint(b: bytes, i: int) -> tuple[int, int]:
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def _fields(b: bytes):
    """(field number, wire type, value) of one protobuf message, in order."""
    i = 0
    while i < len(b):
        key, i = _varint(b, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(b, i)
        elif wire == 1:
            v, i = b[i:i + 8], i + 8
        elif wire == 2:
            n, i = _varint(b, i)
            v, i = b[i:i + n], i + n
        elif wire == 5:
            v, i = b[i:i + 4], i + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire} (is this an ONNX file?)")
        yield field, wire, v


def read_onnx_initializers(path: str) -> dict[str, np.ndarray]:
    """Float32 initializers of an ONNX model by name (ModelProto.graph.initializer)."""
    with open(path, "rb") as f:
        data = memoryview(f.read())
    graph = next((v for field, wire, v in _fields(data) if field == 7 and wire == 2), None)
    if graph is None:
        raise ValueError(f"{path}: no graph in the file; is it an ONNX model?")
    out: dict[str, np.ndarray] = {}
    for field, wire, v in _fields(graph):
        if field != 5 or wire != 2:
            continue
        name, dims, dtype, raw = "", [], 1, None
        for g, w, x in _fields(v):
            if g == 1 and w == 0:
                dims.append(x)
            elif g == 1 and w == 2:  # packed dims
                j = 0
                while j < len(x):
                    d, j = _varint(x, j)
                    dims.append(d)
            elif g == 2:
                dtype = x
            elif g == 8:
                name = bytes(x).decode()
            elif g == 9:
                raw = x
        if dtype == 1 and raw is not None:  # FLOAT with raw_data
            out[name] = np.frombuffer(raw, dtype="<f4").reshape(dims).copy()
    return out


def config_from_manifest(manifest: dict) -> dict:
    """ModelConfig fields from a manifest.json written by export.manifest()."""
    arch = manifest.get("architecture") or {}
    need = ("dModel", "layers", "heads", "ffnHidden")
    if any(k not in arch for k in need):
        raise ValueError(f"manifest.json has no architecture {list(need)}: not a model this pipeline exported")
    return {"vocab_size": manifest["vocabSize"], "d_model": arch["dModel"], "n_layers": arch["layers"],
            "n_heads": arch["heads"], "ffn_hidden": arch["ffnHidden"], "max_length": manifest["maxLength"]}


def write_parts(state: dict, config: dict, meta: dict, out_dir: str, part_bytes: int = PART_BYTES) -> list[str]:
    """Writes weights.json and weights.bin.NN (fp32, at most part_bytes each); returns the files."""
    os.makedirs(out_dir, exist_ok=True)
    tensors, blobs, offset = [], [], 0
    for name, t in state.items():
        a = np.ascontiguousarray(t.detach().float().cpu().numpy(), dtype="<f4")
        tensors.append({"name": name, "shape": list(a.shape), "offset": offset, "nbytes": a.nbytes})
        blobs.append(a.tobytes())
        offset += a.nbytes
    data = b"".join(blobs)
    parts = []
    for k in range(0, max(1, len(data)), part_bytes):
        part = f"weights.bin.{len(parts):02d}"
        with open(os.path.join(out_dir, part), "wb") as f:
            f.write(data[k:k + part_bytes])
        parts.append(part)
    with open(os.path.join(out_dir, "weights.json"), "w") as f:
        json.dump({"config": config, "meta": meta, "tensors": tensors, "parts": parts, "bytes": len(data)}, f, indent=1)
    return ["weights.json", *parts]


def read_parts(src_dir: str) -> tuple[dict, dict[str, np.ndarray], dict]:
    """(config, weights by name, meta) from a directory written by write_parts."""
    with open(os.path.join(src_dir, "weights.json")) as f:
        index = json.load(f)
    chunks = []
    for part in index["parts"]:
        p = os.path.join(src_dir, part)
        if not os.path.exists(p):
            raise FileNotFoundError(f"{p} is missing: copy every weights.bin.NN part beside weights.json")
        with open(p, "rb") as f:
            chunks.append(f.read())
    data = b"".join(chunks)
    if len(data) != index["bytes"]:
        raise ValueError(f"{src_dir}: the parts hold {len(data)} bytes, weights.json says {index['bytes']}")
    weights = {t["name"]: np.frombuffer(data, dtype="<f4", count=t["nbytes"] // 4, offset=t["offset"]).reshape(t["shape"]).copy()
               for t in index["tensors"]}
    return index["config"], weights, index.get("meta", {})


def load_init(src: str) -> tuple[dict, dict[str, np.ndarray], str, dict]:
    """(config, weights, description, meta) from a weights directory or an exported model
    directory; meta is what --weights-out recorded (training state, hardware), else {}."""
    if os.path.exists(os.path.join(src, "weights.json")):
        config, weights, meta = read_parts(src)
        return config, weights, f"weights of {src} ({meta.get('note', 'written by --weights-out')})", meta
    onnx_path, manifest_path = os.path.join(src, "model.onnx"), os.path.join(src, "manifest.json")
    if os.path.exists(onnx_path) and os.path.exists(manifest_path):
        with open(manifest_path) as f:
            config = config_from_manifest(json.load(f))
        return config, read_onnx_initializers(onnx_path), f"the weights of {onnx_path}", {}
    raise FileNotFoundError(f"--init-from {src}: expected weights.json (from --weights-out) or model.onnx with manifest.json")
