"""The forgetting guard a model ships: `guard.npz` in its directory, read by models/train/tune.py.

    /usr/bin/python3 models/train/guard.py --model models/default \
        --valid-ids models/train/work/valid_ids.npy --windows 64 --every 3 --seed 1234

Held-out windows of the training pipeline's validation stream (documents the model never
trained on): every `--every`-th validation document (0, 3, 6, ...: the documents are in
source order, so every source gives a third of its documents) joined into one stream, and
`--windows` windows of the model's maxLength tokens spread over it, each with exactly 15% of
its positions masked (train.py's fixed_eval_set, the pipeline's eval). Stored as token ids
(int16) with the fixed masks, the tokenizer's sha256 (tune.py refuses a guard made with
another tokenizer) and the indices of the guard's validation documents (bench:tune keeps the
writer's passages out of them, and has the other documents of every source). A tune measures the model's masked-token accuracy on these windows
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
    p.add_argument("--every", type=int, default=3, help="the guard reads validation documents 0, N, 2N, ... (default 3)")
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
    doc_of = np.concatenate([[0], np.cumsum(stream == eos)[:-1]])  # document index of every position
    n_docs = int(doc_of[-1]) + 1
    docs = list(range(0, n_docs, a.every))
    chosen = np.isin(doc_of, docs)
    guard = fixed_eval_set(stream[chosen], a.windows, seq_len, 0.15, a.seed)
    n = guard[0].shape[0]
    out = os.path.join(a.model, GUARD_FILE)
    write_guard_file(out, guard, tok_model, f"{os.path.basename(a.valid_ids)}: documents 0, {a.every}, {2 * a.every}, ...: "
                     f"{n} windows of {seq_len} tokens, 15% masked, seed {a.seed}", docs)
    print(f"guard: wrote {out} ({os.path.getsize(out)} bytes): {n} windows, {int(guard[2].sum())} masked tokens, "
          f"from {len(docs)} of {n_docs} validation documents")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
