"""Word neighbours for "Other words" (issue 21): a distributional thesaurus of the training text.

    /usr/bin/python3 models/train/thesaurus.py [--text models/train/work/train.txt]
        [--model models/default] [--words 30000] [--dims 128] [--min-count 5]

Each of the training text's most frequent words (read as main/engine/experts/words.ts reads
words, compared lower-cased, stored in the case it mostly has: "Pequod", "said") gets a vector
from the words around it: the words one and two places to its left and to its right (four
separate features), and, at half weight, the words three to six places either side (one more),
each over the 10,000 most frequent words, as positive pointwise mutual information (context
counts raised to 0.75), reduced to `--dims` dimensions by a randomized SVD (U * sqrt(S)) and
scaled to unit length. The near places keep a word's kind, the far ones its topic. Two words are
alike when they keep the same company: "wind" -> sun, heat, rain, sea, waves; "slowly" ->
suddenly, swiftly, quickly; "lamp" -> candle. A neighbour says nothing about whether it fits a
sentence: the engine ranks Other words by the fused score at the slot and uses this to keep to
words like the original.

Writes <model>/experts.thesaurus.bin (THESAURUS_FORMAT below; read by
main/engine/experts/thesaurus.ts) and names it in <model>/experts.json (`thesaurus`). Depends on
the training text only, not on the model's weights or tokenizer.
"""
import argparse
import collections
import json
import os
import re
import struct
import sys
import time

import numpy as np
import torch

# magic, then u32 words, u32 dims, u32 byte length of the words (UTF-8, one a line), the words,
# u32 times each word was seen, then words x dims int8 (unit vectors x 127), all little-endian.
# Words are distinct lower-cased, most frequent first.
MAGIC = b"INFTHS01"
WORD = re.compile(r"[^\W\d_]+(?:['\u2019-][^\W\d_]+)*")
CONTEXT_WORDS = 10000
# Feature blocks: the places around a word each block counts, and the block's weight.
BLOCKS = (((-2,), 1.0), ((-1,), 1.0), ((1,), 1.0), ((2,), 1.0), ((-6, -5, -4, -3, 3, 4, 5, 6), 0.5))


def words_of(text: str) -> list[str]:
    return WORD.findall(text)


def build(words: list[str], n_words: int, dims: int, min_count: int, seed: int):
    tokens = [w.lower() for w in words]
    counts = collections.Counter(tokens)
    vocab = [w for w, c in counts.most_common() if c >= min_count][:n_words]
    # Each word in the case it mostly has (a name keeps its capital).
    cased = collections.Counter(words)
    shown = {}
    for form, c in cased.most_common():
        shown.setdefault(form.lower(), form)
    contexts = [w for w, _ in counts.most_common(CONTEXT_WORDS)]
    vi = {w: i for i, w in enumerate(vocab)}
    ci = {w: i for i, w in enumerate(contexts)}
    ids = np.array([vi.get(w, -1) for w in tokens], dtype=np.int64)
    cids = np.array([ci.get(w, -1) for w in tokens], dtype=np.int64)
    C = len(contexts)
    width = len(BLOCKS) * C
    keys = []
    for k, (offsets, _) in enumerate(BLOCKS):
        for off in offsets:
            a, b = (ids[: len(ids) - off], cids[off:]) if off > 0 else (ids[-off:], cids[: len(ids) + off])
            m = (a >= 0) & (b >= 0)
            keys.append(a[m] * width + b[m] + k * C)
    uniq, n = np.unique(np.concatenate(keys), return_counts=True)
    rows, cols = uniq // width, uniq % width
    n = n.astype(np.float64)
    total = n.sum()
    row_sum = np.bincount(rows, weights=n, minlength=len(vocab))
    col_sum = np.bincount(cols, weights=n, minlength=width) ** 0.75
    col_sum = col_sum / col_sum.sum() * total
    pmi = np.log(n * total / (row_sum[rows] * col_sum[cols]))
    keep = pmi > 0
    weight = np.array([w for _, w in BLOCKS])[cols[keep] // C]
    ppmi = torch.sparse_coo_tensor(
        torch.from_numpy(np.stack([rows[keep], cols[keep]])),
        torch.from_numpy((pmi[keep] * weight).astype(np.float32)),
        (len(vocab), width),
    ).coalesce()
    torch.manual_seed(seed)
    U, S, _ = torch.svd_lowrank(ppmi, q=dims, niter=4)
    E = (U * S.sqrt()).numpy()
    E /= np.linalg.norm(E, axis=1, keepdims=True) + 1e-9
    return [shown[w] for w in vocab], [counts[w] for w in vocab], E, int(keep.sum())


def write(path: str, vocab: list[str], seen: list[int], E: np.ndarray) -> int:
    blob = "\n".join(vocab).encode("utf-8")
    q = np.clip(np.rint(E * 127), -127, 127).astype(np.int8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(MAGIC)
        f.write(struct.pack("<III", len(vocab), E.shape[1], len(blob)))
        f.write(blob)
        f.write(np.asarray(seen, dtype="<u4").tobytes())
        f.write(q.tobytes())
    os.replace(tmp, path)
    return os.path.getsize(path)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--text", default="models/train/work/train.txt", help="the training text (the pipeline's train.txt)")
    p.add_argument("--model", default="models/default", help="the model folder to write into (its experts.json must exist)")
    p.add_argument("--file", default="experts.thesaurus.bin", help="the file written in the model folder")
    p.add_argument("--words", type=int, default=30000, help="most frequent words given a vector")
    p.add_argument("--dims", type=int, default=128)
    p.add_argument("--min-count", type=int, default=5, help="a word seen fewer times gets no vector")
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    if not re.fullmatch(r"[\w.-]+", a.file):
        sys.exit(f"thesaurus: --file {a.file}: a plain file name")
    experts_path = os.path.join(a.model, "experts.json")
    if not os.path.isfile(experts_path):
        sys.exit(f"thesaurus: {experts_path} does not exist: build the count experts first (npx tsx models/train/count-experts.ts)")
    if not os.path.isfile(a.text):
        sys.exit(f"thesaurus: {a.text} does not exist: run the training pipeline's corpus step first (npm run model:train)")
    t = time.time()
    with open(a.text, encoding="utf-8") as f:
        tokens = words_of(f.read())
    vocab, seen, E, nnz = build(tokens, a.words, a.dims, a.min_count, a.seed)
    size = write(os.path.join(a.model, a.file), vocab, seen, E)
    with open(experts_path, encoding="utf-8") as f:
        experts = json.load(f)
    experts["thesaurus"] = a.file
    experts.setdefault("fitted", {})["thesaurus"] = {
        "script": "models/train/thesaurus.py",
        "text": a.text,
        "textWords": len(tokens),
        "words": len(vocab),
        "dims": a.dims,
        "minCount": a.min_count,
        "contexts": f"places {[list(o) for o, _ in BLOCKS]} weighted {[w for _, w in BLOCKS]}, each over the {CONTEXT_WORDS} most frequent words; PPMI (context counts ^0.75), {nnz} nonzero",
        "reduction": f"torch.svd_lowrank q={a.dims} niter=4 seed={a.seed}, U*sqrt(S), unit length, int8",
    }
    with open(experts_path + ".tmp", "w", encoding="utf-8") as f:
        json.dump(experts, f, indent=2)
        f.write("\n")
    os.replace(experts_path + ".tmp", experts_path)
    print(f"thesaurus: {len(tokens)} words of text, {len(vocab)} with vectors of {a.dims}, {size / 1e6:.1f} MB "
          f"-> {a.model}/{a.file} ({time.time() - t:.0f} s)")


if __name__ == "__main__":
    main()
