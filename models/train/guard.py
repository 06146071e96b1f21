"""The forgetting guard a model ships: `guard.npz` in its directory, read by models/train/tune.py.

    /usr/bin/python3 models/train/guard.py --model models/default \
        --valid-ids models/train/work/valid_ids.npy --windows 64 --seed 1234

Held-out windows of the training pipeline's validation stream (documents the model never
trained on), each of the model's maxLength tokens with exactly 15% of its positions masked
(train.py's fixed_eval_set, the pipeline's eval), stored as token ids (int16) with the fixed
masks, the tokenizer's sha256 (tune.py refuses a guard made with another tokenizer) and the
indices of the validation documents the windows touch (bench:tune keeps the writer's
passages out of them). A tune measures the model's masked-token accuracy on these windows
before tuning and at every evaluation, and never keeps weights more than --max-valid-drop
points below the base.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402

from train import fixed_eval_set  # noqa: E402
from tune import GUARD_FILE, write_guard_file  # noqa: E402


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--model", required=True, help="the model directory (guard.npz is written there)")
    p.add_argument("--valid-ids", required=True, help="validation token stream (valid_ids.npy of the training pipeline)")
    p.add_argument("--windows", type=int, default=64)
    p.add_argument("--seed", type=int, default=1234)
    a = p.parse_args(argv)
    with open(os.path.join(a.model, "manifest.json")) as f:
        manifest = json.load(f)
    seq_len = int(manifest["maxLength"])
    eos = int(manifest["tokens"].get("eos", 2))
    stream = np.load(a.valid_ids).astype(np.int64)
    tok_here = os.path.join(os.path.dirname(a.valid_ids), "tok", "tokenizer.json")
    tok_model = os.path.join(a.model, "tokenizer.json")
    if os.path.exists(tok_here) and open(tok_here, "rb").read() != open(tok_model, "rb").read():
        print(f"guard: {a.valid_ids} was tokenized with another tokenizer than {a.model}'s", file=sys.stderr)
        return 1
    guard = fixed_eval_set(stream, a.windows, seq_len, 0.15, a.seed)
    # the documents the windows touch (as fixed_eval_set places them)
    n = guard[0].shape[0]
    starts = np.linspace(0, len(stream) - seq_len - 1, n).astype(np.int64)
    doc_of = np.concatenate([[0], np.cumsum(stream == eos)[:-1]])  # document index of every position
    docs = sorted({int(d) for s in starts for d in np.unique(doc_of[s:s + seq_len])})
    out = os.path.join(a.model, GUARD_FILE)
    write_guard_file(out, guard, tok_model, f"{os.path.basename(a.valid_ids)}: {n} windows of {seq_len} tokens, 15% masked, seed {a.seed}", docs)
    print(f"guard: wrote {out} ({os.path.getsize(out)} bytes): {n} windows, {int(guard[2].sum())} masked tokens, "
          f"{len(docs)} of {int((stream == eos).sum())} validation documents touched")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
