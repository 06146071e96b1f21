"""The preference exports read the way TRL's trainers read them, and one step of this project's loss.

    /usr/bin/python3 models/train/trl_forms.py read --trainer dpo|kto FILE.jsonl
        prints the rows as TRL's DPOTrainer / KTOTrainer see them after its dataset preparation
        (JSON: a list of {prompt, chosen, rejected} or {prompt, completion, label} strings), or
        exits 1 with what TRL would refuse;
    /usr/bin/python3 models/train/trl_forms.py step --encoded FILE.json --from MODEL_DIR --loss vrpo|kto
        runs ONE optimizer step of tune.py's own loss (VRPO, or ELBO-KTO with KTO's reference
        point) on those decisions (encoded by the engine's canvas) and prints the loss and
        whether the trained weights moved.

TRL is not installed here; its reading is reimplemented from its documented dataset formats
(docs: dataset_formats, "Preference data (TRL)" in the design's references) and its data
utilities: `is_conversational` (a prompt/chosen/rejected/completion/messages field holding a
list of {role, content} messages), `maybe_extract_prompt` (an implicit prompt is the common
start of chosen and rejected), `maybe_apply_chat_template` (the prompt rendered with the
generation prompt, each completion rendered after it and cut at the prompt's end), the DPO
trainer's columns (prompt, chosen, rejected: strings once templated) and the KTO trainer's
(prompt, completion, label: a bool). The datasets library loads JSON Lines into Arrow, which
needs one type per field across lines: checked too (`arrow_types`).
"""
from __future__ import annotations

import argparse
import copy
import json
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

# A chat template as TRL would apply through the tokenizer (the shape of ChatML).
END = "<|end|>\n"


def render(messages: list[dict], add_generation_prompt: bool = False) -> str:
    out = "".join(f"<|{m['role']}|>\n{m['content']}{END}" for m in messages)
    return out + ("<|assistant|>\n" if add_generation_prompt else "")


def is_conversational(example: dict) -> bool:
    """TRL's is_conversational."""
    keys = [k for k in ("prompt", "chosen", "rejected", "completion", "messages") if k in example]
    if not keys:
        return False
    value = example[keys[0]]
    return isinstance(value, list) and len(value) > 0 and isinstance(value[0], dict) and "role" in value[0] and "content" in value[0]


def maybe_extract_prompt(example: dict) -> dict:
    """TRL's maybe_extract_prompt: an implicit prompt is the longest common start of chosen and rejected."""
    if "chosen" not in example or "rejected" not in example or "prompt" in example:
        return example
    c, r = example["chosen"], example["rejected"]
    i = 0
    while i < min(len(c), len(r)) and c[i] == r[i]:
        i += 1
    return {**example, "prompt": c[:i], "chosen": c[i:], "rejected": r[i:]}


def maybe_apply_chat_template(example: dict) -> dict:
    """TRL's maybe_apply_chat_template for preference and unpaired rows."""
    if not is_conversational(example):
        return example
    prompt = render(example["prompt"], add_generation_prompt=True)
    out = {"prompt": prompt}
    for key in ("chosen", "rejected", "completion"):
        if key in example:
            whole = render(example["prompt"] + example[key])  # TRL: the completion cut at the prompt's end
            if not whole.startswith(prompt):
                raise ValueError(f"the {key} messages do not start with an assistant turn after the prompt")
            out[key] = whole[len(prompt):]
    if "label" in example:
        out["label"] = example["label"]
    return out


def arrow_types(rows: list[dict]) -> None:
    """One JSON type per field path across lines (null aside), as the datasets library's Arrow schema needs."""
    seen: dict[str, str] = {}

    def kind(v) -> str:
        if isinstance(v, bool):
            return "bool"
        if isinstance(v, (int, float)):
            return "number"
        if isinstance(v, str):
            return "string"
        if isinstance(v, list):
            return "list"
        if isinstance(v, dict):
            return "struct"
        return "null"

    def walk(path: str, v) -> None:
        k = kind(v)
        if k == "null":
            return
        if seen.setdefault(path, k) != k:
            raise ValueError(f"field {path} holds a {seen[path]} on one line and a {k} on another (Arrow needs one type)")
        if k == "struct":
            for kk, vv in v.items():
                walk(f"{path}.{kk}", vv)
        elif k == "list":
            for vv in v:
                walk(f"{path}[]", vv)

    for row in rows:
        walk("", row)


def read(trainer: str, path: str) -> list[dict]:
    with open(path) as f:
        rows = [json.loads(line) for line in f if line.strip()]
    if not rows:
        raise ValueError("no rows")
    arrow_types(rows)
    out = []
    for i, raw in enumerate(rows):
        ex = maybe_apply_chat_template(maybe_extract_prompt(raw))
        need = ("prompt", "chosen", "rejected") if trainer == "dpo" else ("prompt", "completion", "label")
        missing = [k for k in need if k not in ex]
        if missing:
            raise ValueError(f"line {i + 1}: the {trainer.upper()} trainer needs {', '.join(need)}; missing {', '.join(missing)}")
        for k in need[:-1] if trainer == "kto" else need:
            if not isinstance(ex[k], str):
                raise ValueError(f"line {i + 1}: {k} is not text once templated")
        if trainer == "kto" and not isinstance(ex["label"], bool):
            raise ValueError(f"line {i + 1}: label must be true or false")
        out.append({k: ex[k] for k in need})
    if trainer == "kto" and not ({True, False} <= {r["label"] for r in out}):
        raise ValueError("the KTO trainer needs desirable and undesirable examples")
    return out


def step(encoded: str, base: str, loss_kind: str, seed: int = 1) -> dict:
    import numpy as np
    import torch
    import tune

    torch.manual_seed(seed)
    torch.set_num_threads(1)
    with open(encoded) as f:
        enc = json.load(f)
    model, _ = tune.load_base(base)
    reference = copy.deepcopy(model).eval()
    for p in reference.parameters():
        p.requires_grad_(False)
    trained = tune.freeze(model, 2)
    reference.frozen_blocks = model.frozen_blocks
    ds = [tune.Decision(raw, i) for i, raw in enumerate(enc["decisions"])]
    before = [p.detach().clone() for p in trained]
    opt = torch.optim.AdamW(trained, lr=1e-4)
    opt.zero_grad()
    pad = int(enc["tokens"]["pad"])
    if loss_kind == "vrpo":
        total, n = torch.zeros(()), 0
        for d in ds:
            m, w = tune.draw_masks(d.budget, 2, seed, d.index, 0)
            pol, ref = tune.elbos(model, d.texts, m, w, model.cfg.mask_id, reference)
            loss, k = tune.vrpo_loss(pol, ref, d.pairs, d.budget, 0.1, 0.1)
            total, n = total + loss, n + k
        loss = total / max(1, n)
    else:
        rewards, labels, mism = [], [], []
        for j, d in enumerate(ds):
            m, w = tune.draw_masks(d.budget, 2, seed, d.index, 0)
            other = ds[(j + 1) % len(ds)]
            extra = [tune.Text.placed(d.texts[0], t.tokens, pad) for t in other.texts] if len(ds) > 1 else []
            pol, ref = tune.elbos(model, d.texts + extra, m, w, model.cfg.mask_id, reference)
            r = pol - ref
            rewards.append(r[:len(d.texts)])
            labels.append([t.label for t in d.texts])
            mism.append(r[len(d.texts):])
        total, n, _ = tune.kto_loss(rewards, labels, torch.cat(mism), 0.1)
        loss = total / max(1, n)
    loss.backward()
    opt.step()
    moved = any(not torch.equal(a, p.detach()) for a, p in zip(before, trained))
    return {"loss": float(loss), "finite": math.isfinite(float(loss)), "moved": moved, "decisions": len(ds),
            "pairs": sum(len(d.pairs) for d in ds), "texts": sum(len(d.texts) for d in ds), "numpy": np.__version__}


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("read")
    r.add_argument("--trainer", choices=["dpo", "kto"], required=True)
    r.add_argument("file")
    s = sub.add_parser("step")
    s.add_argument("--encoded", required=True)
    s.add_argument("--from", dest="base", required=True)
    s.add_argument("--loss", choices=["vrpo", "kto"], required=True)
    a = p.parse_args(argv)
    try:
        out = read(a.trainer, a.file) if a.cmd == "read" else step(a.encoded, a.base, a.loss)
    except ValueError as e:
        print(f"trl_forms: {e}", file=sys.stderr)
        return 1
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
