"""Export stage: write a model directory per the model contract (model.onnx, tokenizer.json,
tokenizer_config.json, manifest.json), the extra graphs beside it (graphs.py: positions and
the DualCache pair, listed in the manifest's `graphs`), and reference logits for verify-onnx.mjs."""
from __future__ import annotations

import json
import os

import torch

import graphs
from model import Denoiser
from tokenizer import EOS_ID, MASK_ID, PAD_ID, UNK_ID


def export_onnx(model: Denoiser, path: str, opset: int = 17) -> None:
    """input_ids int64 [batch, length] -> logits float32 [batch, length, vocab], both axes dynamic."""
    model.eval()
    example = torch.randint(5, model.cfg.vocab_size, (2, 24), dtype=torch.int64)
    torch.onnx.export(
        model, (example,), path,
        input_names=["input_ids"], output_names=["logits"],
        dynamic_axes={"input_ids": {0: "batch", 1: "length"}, "logits": {0: "batch", 1: "length"}},
        # no constant folding: it would store a transposed copy of the tied embedding matrix
        opset_version=opset, do_constant_folding=False,
    )


def write_reference(model: Denoiser, work_dir: str, seed: int = 7) -> str:
    """Save an input (with some mask tokens) and torch's fp32 logits for the ONNX check."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, model.cfg.vocab_size, (2, 37), generator=g, dtype=torch.int64)
    ids[:, 5:12] = MASK_ID
    ids[1, 20:23] = PAD_ID
    model.eval()
    with torch.no_grad():
        logits = model(ids).float().numpy()
    ref = os.path.join(work_dir, "onnx_reference.json")
    logits.astype("<f4").tofile(os.path.join(work_dir, "onnx_reference_logits.f32"))
    # positions the extra graphs are checked at: the masked run, a pad, the first and last
    positions = [[0, 5, 6, 7, 8, 9, 10, 11, 20, 36]] * 2
    with open(ref, "w") as f:
        json.dump({"input_ids": ids.tolist(), "shape": list(logits.shape),
                   "logits_file": "onnx_reference_logits.f32", "positions": positions}, f)
    return ref


def manifest(cfg, *, name: str, description: str, training: dict, evaluation: dict) -> dict:
    return {
        "name": name,
        "family": "mdlm",
        "version": "1",
        "maxLength": cfg.max_length,
        "vocabSize": cfg.vocab_size,
        "tokens": {"mask": MASK_ID, "pad": PAD_ID, "eos": EOS_ID, "unk": UNK_ID},
        "shiftedLogits": False,
        "license": "MIT (weights and code); training text is public domain or freely redistributed corpora, see CARD.md",
        "description": description,
        "architecture": {
            "type": "bidirectional transformer (RMSNorm, SwiGLU, rotary positions, tied embeddings)",
            "dModel": cfg.d_model, "layers": cfg.n_layers, "heads": cfg.n_heads,
            "ffnHidden": cfg.ffn_hidden,
        },
        "training": training,
        "eval": evaluation,
    }


def write_model_dir(model: Denoiser, tok_dir: str, out_dir: str, manifest_obj: dict) -> None:
    os.makedirs(out_dir, exist_ok=True)
    export_onnx(model, os.path.join(out_dir, "model.onnx"))
    manifest_obj = {**manifest_obj, "graphs": graphs.export_graphs(model, out_dir)}
    for fn in ("tokenizer.json", "tokenizer_config.json"):
        with open(os.path.join(tok_dir, fn), "rb") as src, open(os.path.join(out_dir, fn), "wb") as dst:
            dst.write(src.read())
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest_obj, f, indent=2)
        f.write("\n")
