"""Preference tuning of an exported model on the writer's decisions: VRPO (LLaDA 1.5) or
ELBO-KTO, on the infilled span.

Run through `npm run model:tune -- --prefs FILE.jsonl --from MODEL_DIR --out DIR` (main/tune/
tune-cli.ts reads the export, tokenizes every text exactly as the engine's canvas does, and
hands this script the encoded decisions with `--encoded`).

The estimator. The context is visible; a decision's texts (chosen and rejected fills) are
the sequences whose ELBO is estimated. Every text of a decision gets the same slot budget L
(the longest text's token count); shorter texts end in pad tokens, as the model was trained
(pad-as-suffix). For sample k a count l_k of the L slots is drawn (stratified over the n
samples: l_k = 1 + floor(L (k + r) / n)), l_k slots are masked and

    B(y) = 1/n sum_k (L / l_k) sum_{j masked in k} log p(y_j | context, unmasked slots)

(LLaDA's low-variance form of the MDLM bound). As LLaDA 1.5 publishes VRPO, the masks are
drawn FRESH at every optimizer step and SHARED by all texts of the decision (chosen and
rejected) and by the policy and the frozen reference model, whose ELBOs are computed on the
same masks in the same step (--masks fixed draws one set per decision for the whole run).
The window is the engine's: main/engine/canvas.ts cuts the document's tokens into windows of at
most --context tokens (default the model's maxLength: 256 for models/default) and pads nothing, so a
decision whose document is shorter sits in a window only as long as it (a 64-word passage of
bench:tune: about 90 tokens), as the engine fills it.
Held-out figures use one fixed mask set per decision, so evaluations compare.

VRPO loss per pair: -log sigmoid(beta [(B_pol(w) - B_ref(w)) - (B_pol(l) - B_ref(l))]),
plus --nll-weight times the chosen text's per-slot negative ELBO (keeps its likelihood from
collapsing). Pairs come from the export: a kept text against the texts the writer passed
over (bench:tune drops pairs whose two texts the simulated writer treated alike).

ELBO-KTO per labelled text x_i -> y_i: r_i = B_pol(y_i | x_i) - B_ref(y_i | x_i); KTO's
reference point z0 is its estimate of KL(policy || reference): the mean of r over MISMATCHED
pairs of the batch (decision i's context with decision i+1's text, fitted to i's slots),
detached and clamped at 0; desirable 1 - sigmoid(beta (r - z0)), undesirable
1 - sigmoid(beta (z0 - r)).

Decisions are split into train and held-out by a hash of their id; training stops early when
the held-out pair accuracy (B_pol(chosen) > B_pol(rejected)) has not improved for
--patience evaluations, and the best weights are kept. A forgetting guard checks the
masked-token accuracy on a fixed guard set at every evaluation whose weights would be kept
(a better held-out figure): weights more than
--max-valid-drop points (default 1) below the base model are never kept, and training stops
there (tuned on 1,000 decisions without it, the default model lost 4.2 points: bench:tune,
2026-11-30). The guard set is the model's own guard.npz (held-out windows with fixed 15%
masks, shipped with models/default; `--guard FILE` names another, `--valid-ids` builds one
from a validation stream); a model without one is tuned unguarded and the run says so
before it starts. The output is a model directory the engine loads (guard.npz copied); its
manifest.json records the lineage and the figures.
"""
from __future__ import annotations

import argparse
import copy
import datetime as dt
import hashlib
import json
import math
import os
import re
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

# OpenMP threads that wait by sleeping, not spinning: on this shared 2-core CPU a second busy process
# made a spinning 2-thread step 5x slower (13.7 s against 2.8 s sleeping, 2.2 s on 1 thread; bench/TUNE.md,
# "Tune cost"). Read when torch loads, so set before the import; an explicit setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import export  # noqa: E402
import weights  # noqa: E402
from model import Denoiser, ModelConfig, count_parameters  # noqa: E402
from train import evaluate, fixed_eval_set  # noqa: E402

ENCODED_FORMAT = "infill-tune-set/1"
GUARD_FILE = "guard.npz"
GUARD_FORMAT = "infill-guard/1"


class TuneError(Exception):
    """A problem with the input: the message says what is wrong and what to do."""


def args_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="npm run model:tune --", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prefs", required=True, help="the exported preference log (JSON Lines, any format of prefs:export)")
    p.add_argument("--from", dest="base", required=True, metavar="MODEL_DIR", help="the model to tune (a directory this project exported)")
    p.add_argument("--out", required=True, help="the model directory to write")
    p.add_argument("--encoded", required=True, help="the decisions as tokens (written by main/tune/tune-cli.ts)")
    p.add_argument("--method", choices=["vrpo", "kto"], default="vrpo")
    p.add_argument("--beta", type=float, default=0.1, help="strength of the preference (DPO/KTO beta, default 0.1)")
    p.add_argument("--samples", type=int, default=4,
                   help="Monte-Carlo samples per ELBO estimate (default 4: LLaDA 1.5's budget n, one mask per stratified "
                        "count; 8 before 2026-12-07. At a fixed CPU budget 4 samples on twice the decisions give the "
                        "lower-variance gradient: bench/TUNE.md, 'Tune cost')")
    p.add_argument("--epochs", type=int, default=2, help="passes over the training decisions (default 2; 3 before 2026-12-07)")
    p.add_argument("--desirable-weight", type=float, default=1.0, help="KTO's lambda_D: weight of the kept texts (--method kto)")
    p.add_argument("--undesirable-weight", type=float, default=1.0, help="KTO's lambda_U: weight of the texts passed over (--method kto)")
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--train-layers", type=int, default=2,
                   help="tune only the top N transformer blocks and the final norm (embeddings and lower blocks frozen: "
                        "cheaper and less forgetting); 0 tunes every weight (default 2)")
    p.add_argument("--batch", type=int, default=4, help="decisions per optimizer step")
    p.add_argument("--heldout-share", type=float, default=0.2,
                   help="share of the documents whose decisions are held out to select the weights (early stopping) and for the figures")
    p.add_argument("--heldout-by", choices=["document", "decision"], default="document",
                   help="hold out whole documents (default: no passage is both trained on and used to select) or single decisions")
    p.add_argument("--nll-weight", type=float, default=0.1, help="weight of the chosen text's NLL term (VRPO; 0 turns it off)")
    p.add_argument("--patience", type=int, default=2, help="evaluations without a better held-out accuracy before stopping")
    p.add_argument("--evals-per-epoch", type=int, default=2,
                   help="held-out evaluations (and guard checks where weights would be kept) per epoch (default 2; 4 before 2026-12-07)")
    p.add_argument("--max-valid-drop", type=float, default=1.0,
                   help="forgetting guard: weights whose masked-token accuracy on the validation guard is more than this "
                        "many points below the base model's are never kept, and training stops there (default 1; "
                        "a negative value turns the guard off)")
    p.add_argument("--context", type=int,
                   help="most tokens per training window, span included (read by main/tune/tune-cli.ts, which cuts the windows "
                        "with the engine's canvas: a shorter document gets a window only as long as it, unpadded, as in a fill; "
                        "default the model's maxLength, the engine's window: 256 for models/default; recorded)")
    p.add_argument("--masks", choices=["fresh", "fixed"], default="fresh",
                   help="fresh: new masks every optimizer step, shared by chosen/rejected and policy/reference (VRPO as "
                        "published); fixed: one mask set per decision for the whole run")
    p.add_argument("--guard", default="auto",
                   help="the forgetting guard's set: a guard.npz file (" + GUARD_FORMAT + "); 'auto' (default) uses the "
                        "model's own MODEL_DIR/guard.npz, else --valid-ids; 'none' tunes without a guard")
    p.add_argument("--valid-ids",
                   help="a validation token stream (valid_ids.npy of the training pipeline) to build the guard from when "
                        "the model has no guard.npz; 'none' skips it")
    p.add_argument("--guard-docs", type=int, help="with --valid-ids: use only the first K documents of the stream for the guard")
    p.add_argument("--guard-windows", type=int, default=96,
                   help="windows of the guard (15%% masked, as the pipeline's eval); a guard.npz is cut to its first N")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--name", help="name of the tuned model (default: base name + '-tuned')")
    p.add_argument("--json-progress", action="store_true", help="print progress as JSON lines (for the app)")
    return p


# ---------------------------------------------------------------------------------------
# data

class Text:
    """One text of a decision: its window (slots hold the mask id), where the slots start, its tokens (pad-filled to L)."""

    def __init__(self, raw: dict, budget: int, where: str):
        self.ids = np.asarray(raw["ids"], dtype=np.int64)
        self.offset = int(raw["offset"])
        self.tokens = np.asarray(raw["tokens"], dtype=np.int64)
        self.label = bool(raw["label"])
        if len(self.tokens) != budget or self.offset + budget > len(self.ids):
            raise TuneError(f"{where}: {len(self.tokens)} tokens for a budget of {budget} at offset {self.offset} "
                            f"in a window of {len(self.ids)}; re-run through npm run model:tune")

    @classmethod
    def placed(cls, window: "Text", tokens: np.ndarray, pad_id: int, label: bool = False) -> "Text":
        """`tokens` (another decision's text) in `window`'s context and slots: cut or pad-filled to its budget."""
        t = cls.__new__(cls)
        budget = len(window.tokens)
        body = [int(x) for x in tokens if int(x) != pad_id][:budget]
        t.ids, t.offset, t.label = window.ids, window.offset, label
        t.tokens = np.asarray(body + [pad_id] * (budget - len(body)), dtype=np.int64)
        return t


class Decision:
    def __init__(self, raw: dict, index: int):
        self.group = str(raw["group"])
        self.document = str(raw.get("document") or raw["group"])
        self.budget = int(raw["budget"])
        self.texts = [Text(t, self.budget, f"decision {self.group} text {i}") for i, t in enumerate(raw["texts"])]
        self.pairs = [(int(a), int(b)) for a, b in raw["pairs"]]
        self.index = index
        self.masks: np.ndarray | None = None  # [n, L] bool: the fixed set (held-out figures; --masks fixed)
        self.weights: np.ndarray | None = None  # [n]
        self.ref: np.ndarray | None = None  # reference ELBO per text on the fixed set
        self.lower: dict | None = None  # frozen-block activations on the fixed set (when blocks are frozen)


def heldout(group: str, share: float, seed: int) -> bool:
    h = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2 ** 64 < share


def draw_masks(budget: int, n: int, seed: int, index: int, step: int = -1) -> tuple[np.ndarray, np.ndarray]:
    """n masks over `budget` slots, stratified mask counts; returns (masks [n, L], weights L/l).
    step -1: the decision's fixed set; step >= 0: that optimizer step's fresh set."""
    rng = np.random.default_rng([seed, index] if step < 0 else [seed, index, step + 1])
    u = (np.arange(n) + rng.random()) / n
    counts = np.minimum(budget, 1 + np.floor(u * budget)).astype(np.int64)
    masks = np.zeros((n, budget), dtype=bool)
    for k, c in enumerate(counts):
        masks[k, rng.choice(budget, size=int(c), replace=False)] = True
    return masks, budget / counts.astype(np.float64)


def lower(model: Denoiser, ids: torch.Tensor) -> torch.Tensor:
    """Activations after the embedding and the frozen lower blocks (no autograd)."""
    t = ids.shape[1]
    cos, sin = model.rope_cos[:t], model.rope_sin[:t]
    with torch.no_grad():
        x = model.embed(ids)
        for blk in model.blocks[:getattr(model, "frozen_blocks", 0)]:
            x = blk(x, cos, sin)
    return x


def upper(model: Denoiser, x: torch.Tensor, frozen: int | None = None) -> torch.Tensor:
    """The trained top blocks and the final norm on lower() activations."""
    t = x.shape[1]
    cos, sin = model.rope_cos[:t], model.rope_sin[:t]
    k = getattr(model, "frozen_blocks", 0) if frozen is None else frozen
    for blk in model.blocks[k:]:
        x = blk(x, cos, sin)
    return model.norm(x)


def freeze(model: Denoiser, train_layers: int) -> list[torch.nn.Parameter]:
    """Trains only the top `train_layers` blocks and the final norm (0: every weight); returns the trained parameters."""
    n = len(model.blocks)
    k = n - train_layers if 0 < train_layers < n else 0
    model.frozen_blocks = k
    if k > 0:
        for p in model.embed.parameters():
            p.requires_grad_(False)
        for blk in model.blocks[:k]:
            for p in blk.parameters():
                p.requires_grad_(False)
    return [p for p in model.parameters() if p.requires_grad]


def _span_elbo(model: Denoiser, h: torch.Tensor, off: int, target: torch.Tensor, masks: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    n, L = masks.shape
    hs = h[:, off:off + L]  # [n, L, d]
    logp = F.log_softmax(model.project(hs[masks]).float(), dim=-1)
    tl = logp.gather(1, target[masks].unsqueeze(1)).squeeze(1)
    row = torch.arange(n).unsqueeze(1).expand(n, L)[masks]
    return (torch.zeros(n).index_add(0, row, tl) * w).mean()


def elbos(model: Denoiser, texts: list[Text], masks_np: np.ndarray, weights_np: np.ndarray, mask_id: int,
          reference: Denoiser | None = None, cache: dict | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
    """ELBO estimates of `texts` (one decision's slots), all on the same masks, as tensors [texts]: the
    policy's and, with `reference`, the reference model's on the very same masked inputs (no autograd).
    The frozen lower blocks are the same in both, so their activations are computed once (and kept in
    `cache` when the masks are the decision's fixed set)."""
    n, L = masks_np.shape
    masks = torch.from_numpy(masks_np)
    w = torch.from_numpy(weights_np).float()
    by_len: dict[int, list[int]] = {}
    for i, t in enumerate(texts):
        by_len.setdefault(len(t.ids), []).append(i)
    pol: dict[int, torch.Tensor] = {}
    ref: dict[int, torch.Tensor] = {}
    for idx in by_len.values():
        rows, targets = [], []
        for i in idx:
            t = texts[i]
            ids = torch.from_numpy(t.ids).unsqueeze(0).repeat(n, 1)
            tok = torch.from_numpy(t.tokens).unsqueeze(0).expand(n, L)
            ids[:, t.offset:t.offset + L] = torch.where(masks, torch.full_like(tok, mask_id), tok)
            rows.append(ids)
            targets.append(tok)
        key = tuple(idx)
        x = cache.get(key) if cache is not None else None
        if x is None:
            x = lower(model, torch.cat(rows))
            if cache is not None:
                cache[key] = x
        h = upper(model, x)
        href = None
        if reference is not None:
            with torch.no_grad():
                href = upper(reference, x, getattr(model, "frozen_blocks", 0))
        for j, i in enumerate(idx):
            off = texts[i].offset
            pol[i] = _span_elbo(model, h[j * n:(j + 1) * n], off, targets[j], masks, w)
            if href is not None:
                with torch.no_grad():
                    ref[i] = _span_elbo(reference, href[j * n:(j + 1) * n], off, targets[j], masks, w)
    p = torch.stack([pol[i] for i in range(len(texts))])
    return p, (torch.stack([ref[i] for i in range(len(texts))]) if reference is not None else None)


def fixed_elbos(model: Denoiser, d: Decision, mask_id: int) -> torch.Tensor:
    """The policy's ELBOs of a decision's texts on its fixed mask set."""
    return elbos(model, d.texts, d.masks, d.weights, mask_id, cache=d.lower)[0]


# ---------------------------------------------------------------------------------------
# losses and figures

def vrpo_loss(pol: torch.Tensor, ref: torch.Tensor, pairs: list[tuple[int, int]], budget: int, beta: float,
              nll_weight: float) -> tuple[torch.Tensor, int]:
    """Sum over pairs of -log sigmoid(beta (r_chosen - r_rejected)), r = pol - ref (ref detached), plus the NLL term."""
    r = pol - ref.detach()
    total = torch.zeros(())
    for c, l in pairs:
        total = total - F.logsigmoid(beta * (r[c] - r[l]))
        if nll_weight > 0:
            total = total + nll_weight * (-pol[c] / budget)
    return total, len(pairs)


def kto_loss(rewards: list[torch.Tensor], labels: list[list[bool]], mismatched: torch.Tensor, beta: float,
             desirable_weight: float = 1.0, undesirable_weight: float = 1.0) -> tuple[torch.Tensor, int, float]:
    """KTO on ELBO rewards. `rewards[i][k]`: r of decision i's text k (pol - ref); `mismatched`: r of texts
    placed in another decision's context (KTO's KL estimate). z0 = max(0, mean(mismatched)), detached.
    Desirable texts weigh `desirable_weight` (KTO's lambda_D), undesirable ones `undesirable_weight` (lambda_U).
    Returns (sum of the per-text losses, texts, z0)."""
    z0 = torch.clamp(mismatched.detach().mean(), min=0.0) if mismatched.numel() else torch.zeros(())
    total = torch.zeros(())
    count = 0
    for r, lab in zip(rewards, labels):
        for k, good in enumerate(lab):
            if good:
                total = total + desirable_weight * (1 - torch.sigmoid(beta * (r[k] - z0)))
            else:
                total = total + undesirable_weight * (1 - torch.sigmoid(beta * (z0 - r[k])))
            count += 1
    return total, count, float(z0)


@torch.no_grad()
def pair_figures(model: Denoiser, ds: list[Decision], mask_id: int) -> dict:
    """Held-out pair accuracy (ELBO of chosen above rejected), mean margin, and the DPO reward accuracy (fixed masks)."""
    model.eval()
    hits = reward_hits = pairs = 0
    margin = 0.0
    for d in ds:
        b = fixed_elbos(model, d, mask_id).numpy()
        r = b - d.ref
        for c, l in d.pairs:
            pairs += 1
            hits += int(b[c] > b[l])
            reward_hits += int(r[c] > r[l])
            margin += float(b[c] - b[l])
    model.train()
    if pairs == 0:
        return {"pairs": 0, "accuracy": None, "meanMargin": None, "rewardAccuracy": None}
    return {"pairs": pairs, "accuracy": hits / pairs, "meanMargin": margin / pairs, "rewardAccuracy": reward_hits / pairs}


# ---------------------------------------------------------------------------------------
# model in and out

def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_base(base: str) -> tuple[Denoiser, dict]:
    manifest_path = os.path.join(base, "manifest.json")
    onnx_path = os.path.join(base, "model.onnx")
    for p in (onnx_path, manifest_path):
        if not os.path.exists(p):
            raise TuneError(f"--from {base}: {os.path.basename(p)} is missing; give a model directory (model.onnx, tokenizer.json, manifest.json)")
    with open(manifest_path) as f:
        manifest = json.load(f)
    foreign = (f"--from {base}: tuning needs the model's source weights, and this model.onnx was not exported by "
               "Infill's training pipeline ({why}). Tune it with its own training code from its original weights "
               "(and export it again), or tune a model this project trained (models/default, or one from npm run model:train).")
    try:
        cfg_dict = weights.config_from_manifest(manifest)
    except (ValueError, KeyError) as e:
        raise TuneError(foreign.format(why=f"manifest.json has no architecture of this pipeline: {e}"))
    cfg = ModelConfig(**cfg_dict, mask_id=int(manifest["tokens"]["mask"]))
    if manifest.get("shiftedLogits"):
        raise TuneError(foreign.format(why="its logits are shifted (an autoregressive adaptation)"))
    try:
        init = weights.read_onnx_initializers(onnx_path)
    except (ValueError, IndexError) as e:
        raise TuneError(f"--from {base}: model.onnx cannot be read ({e}); export or copy it again")
    model = Denoiser(cfg)
    own = model.state_dict()
    missing = [k for k in own if k not in init or tuple(init[k].shape) != tuple(own[k].shape)]
    if missing:
        raise TuneError(foreign.format(why=f"its graph lacks the weights {missing[:3]}{'...' if len(missing) > 3 else ''} by name"))
    model.load_state_dict({k: torch.as_tensor(init[k]) for k in own})
    return model, manifest


def check_out(out: str, base: str) -> None:
    """--out must be new, empty, or an earlier tuned model (never the base or another folder)."""
    if os.path.realpath(out) == os.path.realpath(base):
        raise TuneError(f"--out {out} is the base model's directory; write the tuned model to a new directory")
    if not os.path.exists(out) or (os.path.isdir(out) and not os.listdir(out)):
        return
    manifest = os.path.join(out, "manifest.json")
    try:
        with open(manifest) as f:
            tuned = "tuning" in json.load(f)
    except (OSError, ValueError):
        tuned = False
    if not tuned:
        raise TuneError(f"--out {out} exists and is not an earlier tuned model; choose a new directory (nothing was changed)")


EXPERT_FILE_KEYS = ("trainingCounts", "trainingStream", "trainingWords", "thesaurus")
MAX_EXPERT_FILE_BYTES = 256 * 1024 * 1024


def copy_experts(base: str, out_dir: str, manifest: dict) -> list[str]:
    """The base model's count experts (manifest `experts`: experts.json and the files it names)
    copied into the tuned model, which has the same tokenizer they depend on; without them a tuned
    model would lose the training-text expert and the thesaurus. Only plain file names, regular
    files (no links) within MAX_EXPERT_FILE_BYTES; returns the files copied ([] when the base has
    none, or they are not all there)."""
    name = manifest.get("experts")
    plain = lambda n: isinstance(n, str) and re.fullmatch(r"[\w.-]+", n) is not None  # noqa: E731
    if not plain(name):
        return []

    def regular(fn: str) -> bool:
        path = os.path.join(base, fn)
        return not os.path.islink(path) and os.path.isfile(path) and os.path.getsize(path) <= MAX_EXPERT_FILE_BYTES

    if not regular(name):
        return []
    try:
        with open(os.path.join(base, name), encoding="utf-8") as f:
            experts = json.load(f)
    except (OSError, ValueError):
        return []
    files = [name] + [experts[k] for k in EXPERT_FILE_KEYS if isinstance(experts, dict) and plain(experts.get(k))]
    if not all(regular(fn) for fn in files):
        return []
    os.makedirs(out_dir, exist_ok=True)
    for fn in files:
        shutil.copyfile(os.path.join(base, fn), os.path.join(out_dir, fn))
    return files


def read_guard_file(path: str, cfg: ModelConfig, base: str, windows: int | None = None):
    """A guard.npz (GUARD_FORMAT): fixed masked windows of held-out text, as (noisy, target, masked) tensors.
    Refused (TuneError) when it is not one, or was made with another tokenizer or vocabulary than the model's."""
    try:
        with np.load(path, allow_pickle=False) as z:
            fmt = str(z["format"]) if "format" in z.files else None
            if fmt != GUARD_FORMAT:
                raise TuneError(f"{path}: not a guard set ({GUARD_FORMAT}); rebuild it with models/train/guard.py")
            noisy, target, masked = (np.asarray(z[k]) for k in ("noisy", "target", "masked"))
            tok = str(z["tokenizer_sha256"])
    except (OSError, ValueError, KeyError) as e:
        raise TuneError(f"{path}: cannot be read as a guard set ({e}); rebuild it with models/train/guard.py")
    if noisy.ndim != 2 or noisy.shape != target.shape or masked.shape != target.shape or masked.dtype != bool:
        raise TuneError(f"{path}: noisy, target and masked must be arrays of the same [windows, length] shape")
    if noisy.shape[1] > cfg.max_length or target.min() < 0 or target.max() >= cfg.vocab_size or noisy.max() >= cfg.vocab_size:
        raise TuneError(f"{path}: windows longer than the model's {cfg.max_length} tokens or ids beyond its vocabulary")
    if tok != sha256_file(os.path.join(base, "tokenizer.json")):
        raise TuneError(f"{path}: made with another tokenizer than {base}'s; rebuild it with models/train/guard.py")
    if not masked.any():
        raise TuneError(f"{path}: no masked token")
    if windows is not None:
        noisy, target, masked = noisy[:windows], target[:windows], masked[:windows]
    return tuple(torch.from_numpy(x.astype(np.int64) if x.dtype != bool else x) for x in (noisy, target, masked))


def write_guard_file(path: str, guard, tokenizer_json: str, source: str, documents: list[int]) -> None:
    noisy, target, masked = (t.numpy() for t in guard)
    tmp = path + ".tmp.npz"
    np.savez_compressed(tmp, format=np.array(GUARD_FORMAT), noisy=noisy.astype(np.int16), target=target.astype(np.int16),
                        masked=masked.astype(bool), tokenizer_sha256=np.array(sha256_file(tokenizer_json)),
                        source=np.array(source), documents=np.asarray(documents, dtype=np.int32))
    os.replace(tmp, path)


def guard_from_stream(path: str, guard_docs: int | None, windows: int, cfg: ModelConfig, base: str, seed: int, eos_id: int):
    """The forgetting guard's fixed eval set built from a validation stream (15% masked windows), or (None, why not)."""
    if not os.path.exists(path):
        return None, f"{path} does not exist (the training pipeline's validation split)"
    tok_here = os.path.join(os.path.dirname(path), "tok", "tokenizer.json")
    tok_base = os.path.join(base, "tokenizer.json")
    if os.path.exists(tok_here) and sha256_file(tok_here) != sha256_file(tok_base):
        return None, f"{path} was tokenized with another tokenizer than {base}"
    stream = np.load(path).astype(np.int64)
    if stream.max() >= cfg.vocab_size:
        return None, f"{path} holds ids beyond the model's vocabulary"
    if guard_docs is not None:
        ends = np.flatnonzero(stream == eos_id)
        if guard_docs < 1 or guard_docs > len(ends):
            raise TuneError(f"--guard-docs {guard_docs}: the validation stream has {len(ends)} documents")
        stream = stream[:ends[guard_docs - 1] + 1]
    return fixed_eval_set(stream, windows, cfg.max_length, 0.15, seed), None


def resolve_guard(a, cfg: ModelConfig, base: str, eos_id: int):
    """(guard set or None, where it comes from or why there is none, the guard file to copy into the output or None)."""
    if a.guard == "none":
        return None, "none (--guard none)", None
    if a.guard != "auto":
        return read_guard_file(a.guard, cfg, base, a.guard_windows), os.path.abspath(a.guard), a.guard
    own = os.path.join(base, GUARD_FILE)
    if os.path.exists(own):
        return read_guard_file(own, cfg, base, a.guard_windows), f"the model's {GUARD_FILE}", own
    if a.valid_ids and a.valid_ids != "none":
        guard, why = guard_from_stream(a.valid_ids, a.guard_docs, a.guard_windows, cfg, base, a.seed, eos_id)
        if guard is not None:
            where = os.path.relpath(os.path.abspath(a.valid_ids), ROOT)
            return guard, (f"first {a.guard_docs} documents of {where}" if a.guard_docs else where), None
        return None, f"none: {why}", None
    return None, (f"none: {base} has no {GUARD_FILE} (held-out windows the tune checks the model against); "
                  "this tune runs without the forgetting guard"), None


# ---------------------------------------------------------------------------------------

def main(argv: list[str]) -> int:
    a = args_parser().parse_args(argv)
    try:
        return run(a)
    except TuneError as e:
        print(f"model:tune: {e}", file=sys.stderr)
        return 1


def run(a) -> int:
    t_start = time.time()
    cpu_start = time.process_time()
    torch.set_num_threads(a.threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(a.seed)

    def emit(event: str, **fields) -> None:
        if a.json_progress:
            print(json.dumps({"event": event, **fields}), flush=True)
        else:
            extra = " ".join(f"{k}={round(v, 4) if isinstance(v, float) else v}" for k, v in fields.items())
            print(f"{dt.datetime.now(dt.timezone.utc).strftime('%H:%M:%S')} {event} {extra}", flush=True)

    for name, v, lo in (("--samples", a.samples, 1), ("--epochs", a.epochs, 1), ("--batch", a.batch, 1)):
        if v < lo:
            raise TuneError(f"{name} {v}: expected at least {lo}")
    if not 0 <= a.heldout_share < 1:
        raise TuneError(f"--heldout-share {a.heldout_share}: expected a share from 0 up to below 1")

    check_out(a.out, a.base)
    with open(a.encoded) as f:
        enc = json.load(f)
    if enc.get("format") != ENCODED_FORMAT:
        raise TuneError(f"--encoded {a.encoded}: not an {ENCODED_FORMAT} file; run through npm run model:tune")
    model, base_manifest = load_base(a.base)
    cfg = model.cfg
    mask_id = cfg.mask_id
    decisions = [Decision(raw, i) for i, raw in enumerate(enc["decisions"])]
    if a.method == "vrpo":
        decisions = [d for d in decisions if d.pairs]
        if not decisions:
            raise TuneError(f"{a.prefs}: no preference pairs in the export (only decisions without a preferred text); "
                            "use --method kto, or log more decisions first")
    if not decisions:
        raise TuneError(f"{a.prefs}: no decisions to tune on")
    for d in decisions:
        d.masks, d.weights = draw_masks(d.budget, a.samples, a.seed, d.index)
    key = (lambda d: d.document) if a.heldout_by == "document" else (lambda d: d.group)
    train_set = [d for d in decisions if not heldout(key(d), a.heldout_share, a.seed)]
    held_set = [d for d in decisions if heldout(key(d), a.heldout_share, a.seed)]
    if not train_set:
        raise TuneError(f"all {len(decisions)} decisions fell in the held-out share {a.heldout_share}; lower --heldout-share or log more decisions")
    n_pairs = sum(len(d.pairs) for d in decisions)
    n_texts = sum(len(d.texts) for d in decisions)
    emit("data", decisions=len(decisions), train=len(train_set), heldout=len(held_set), pairs=n_pairs, texts=n_texts)

    # the guard first: a model without one says so before anything is tuned
    guard, guard_note, guard_file = resolve_guard(a, cfg, a.base, int(base_manifest["tokens"].get("eos") or 2))
    if guard is None:
        emit("guard", guarded=False, note=guard_note)
        if a.json_progress:
            print(f"model:tune: warning: no forgetting guard: {guard_note}", file=sys.stderr, flush=True)
    else:
        emit("guard", guarded=True, note=guard_note, windows=int(guard[0].shape[0]), maskedTokens=int(guard[2].sum()))

    reference = copy.deepcopy(model).eval()  # frozen: the reference of every fresh-mask step
    for p in reference.parameters():
        p.requires_grad_(False)
    trained = freeze(model, a.train_layers)
    reference.frozen_blocks = model.frozen_blocks
    # The decisions read on their fixed mask set: the held-out ones (their figures at every evaluation)
    # and, with --masks fixed, every one. With fresh masks a training decision's reference ELBOs are
    # computed in its step, on that step's masks, so a fixed-set pass over it would never be read.
    fixed_set = decisions if a.masks == "fixed" else held_set
    if model.frozen_blocks > 0:
        for d in fixed_set:
            d.lower = {}
    emit("model", parameters=count_parameters(model), trained=sum(p.numel() for p in trained),
         frozenBlocks=model.frozen_blocks)

    # reference ELBOs on each of those decisions' fixed masks
    seconds = {"reference": 0.0, "steps": 0.0, "heldout": 0.0, "guard": 0.0}
    clock = time.time()
    model.eval()
    with torch.no_grad():
        for i, d in enumerate(fixed_set):
            d.ref = fixed_elbos(model, d, mask_id).numpy().astype(np.float64)
            if (i + 1) % 50 == 0 or i + 1 == len(fixed_set):
                emit("reference", done=i + 1, total=len(fixed_set))
    seconds["reference"] += time.time() - clock
    pad_id = int(enc.get("tokens", {}).get("pad", base_manifest["tokens"].get("pad", 0)))

    def timed(what: str, f, *args):
        t = time.time()
        try:
            return f(*args)
        finally:
            seconds[what] += time.time() - t

    before_valid = timed("guard", evaluate, model, guard) if guard is not None else None
    before_pairs = timed("heldout", pair_figures, model, held_set, mask_id)
    emit("before", heldout=before_pairs, valid=before_valid)

    model.train()
    opt = torch.optim.AdamW(trained, lr=a.lr, betas=(0.9, 0.98), eps=1e-8, weight_decay=0.0)
    rng = np.random.default_rng(a.seed)
    steps_per_epoch = math.ceil(len(train_set) / a.batch)
    total_steps = steps_per_epoch * a.epochs
    eval_at = {max(1, round(steps_per_epoch * (k + 1) / a.evals_per_epoch)) for k in range(a.evals_per_epoch)}

    def score(fig: dict) -> tuple:
        return (fig["accuracy"] if fig["accuracy"] is not None else 0.0, fig["meanMargin"] or 0.0)

    def guard_ok(valid: dict | None) -> bool:
        """Within the forgetting guard (see --max-valid-drop)."""
        if valid is None or before_valid is None or a.max_valid_drop < 0:
            return True
        return 100 * (before_valid["accuracy"] - valid["accuracy"]) <= a.max_valid_drop

    best_state = copy.deepcopy(model.state_dict())
    best_fig = before_pairs
    best_valid = before_valid
    best_at = {"epoch": 0, "step": 0}
    stale = 0
    step = 0
    history = []
    stopped = "epochs done"
    loss_acc, n_acc = 0.0, 0
    z0 = 0.0
    for epoch in range(1, a.epochs + 1):
        order = rng.permutation(len(train_set))
        for s in range(steps_per_epoch):
            batch = [train_set[i] for i in order[s * a.batch:(s + 1) * a.batch]]
            step_clock = time.time()
            opt.zero_grad(set_to_none=True)

            def step_masks(d: Decision):
                if a.masks == "fixed":
                    return d.masks, d.weights
                return draw_masks(d.budget, a.samples, a.seed, d.index, step)

            if a.method == "vrpo":
                count = sum(len(d.pairs) for d in batch)
                for d in batch:  # gradient accumulation, one decision at a time
                    m, w = step_masks(d)
                    if a.masks == "fixed":
                        pol, ref = fixed_elbos(model, d, mask_id), torch.from_numpy(d.ref).float()
                    else:  # fresh masks, the same for every text and for policy and reference
                        pol, ref = elbos(model, d.texts, m, w, mask_id, reference)
                    loss, _ = vrpo_loss(pol, ref, d.pairs, d.budget, a.beta, a.nll_weight)
                    (loss / count).backward()
                    loss_acc += float(loss)
                n_acc += count
            else:
                rewards, labels, mism = [], [], []
                for j, d in enumerate(batch):
                    m, w = step_masks(d)
                    # KTO's reference point: texts of the next decision of the batch in this one's context
                    other = batch[(j + 1) % len(batch)]
                    extra = [Text.placed(d.texts[0], t.tokens, pad_id) for t in other.texts] if len(batch) > 1 else []
                    pol, ref = elbos(model, d.texts + extra, m, w, mask_id, reference)
                    r = pol - ref
                    rewards.append(r[:len(d.texts)])
                    labels.append([t.label for t in d.texts])
                    mism.append(r[len(d.texts):])
                loss, count, z0_step = kto_loss(rewards, labels, torch.cat(mism), a.beta, a.desirable_weight, a.undesirable_weight)
                z0 = z0_step
                (loss / count).backward()
                loss_acc += float(loss)
                n_acc += count
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            step += 1
            step_seconds = time.time() - step_clock
            seconds["steps"] += step_seconds
            emit("step", epoch=epoch, step=step, total=total_steps, loss=loss_acc / max(1, n_acc), seconds=step_seconds,
                 **({"z0": z0} if a.method == "kto" else {}))
            if (s + 1) in eval_at:
                fig = timed("heldout", pair_figures, model, held_set, mask_id) if held_set else None
                # the guard is measured where these weights would be kept (the held-out figure is
                # better, or nothing is held out): weights below it are never kept
                candidate = fig is None or score(fig) > score(best_fig)
                with torch.no_grad():
                    valid = timed("guard", evaluate, model, guard) if candidate and guard is not None and a.max_valid_drop >= 0 else None
                model.train()
                rec = {"epoch": epoch, "step": step, "trainLoss": loss_acc / max(1, n_acc), "heldout": fig, "valid": valid}
                history.append(rec)
                loss_acc, n_acc = 0.0, 0
                emit("eval", **rec)
                if not guard_ok(valid):
                    # forgetting: these weights (and any later ones) lose more than the guard allows
                    stopped = (f"forgetting guard: validation accuracy {100 * valid['accuracy']:.1f}% is more than "
                               f"{a.max_valid_drop:g} points below the base model's {100 * before_valid['accuracy']:.1f}%")
                    break
                if fig is None:  # nothing held out: the last weights are the result
                    best_state, best_at, best_valid = copy.deepcopy(model.state_dict()), {"epoch": epoch, "step": step}, valid
                elif candidate:
                    best_state, best_fig, best_at, stale = copy.deepcopy(model.state_dict()), fig, {"epoch": epoch, "step": step}, 0
                    best_valid = valid
                else:
                    stale += 1
                    if stale >= a.patience:
                        stopped = f"early stop: held-out accuracy not better for {a.patience} evaluations"
                        break
        if stopped.startswith(("early", "forgetting")):
            break
    model.load_state_dict(best_state)
    model.eval()
    after_pairs = timed("heldout", pair_figures, model, held_set, mask_id)
    # the kept weights' guard figure was measured when they were kept (the same weights, the same fixed set)
    after_valid = best_valid if best_valid is not None else (evaluate(model, guard) if guard is not None else None)
    wall = time.time() - t_start
    cpu = time.process_time() - cpu_start
    emit("after", heldout=after_pairs, valid=after_valid, kept=best_at, stopped=stopped)

    figures = {
        "heldoutPairs": after_pairs["pairs"],
        "heldoutPairAccuracyBefore": before_pairs["accuracy"], "heldoutPairAccuracyAfter": after_pairs["accuracy"],
        "heldoutMeanMarginBefore": before_pairs["meanMargin"], "heldoutMeanMarginAfter": after_pairs["meanMargin"],
        "heldoutRewardAccuracyAfter": after_pairs["rewardAccuracy"],
        "validMaskedTokenAccuracy15Before": before_valid["accuracy"] if before_valid else None,
        "validMaskedTokenAccuracy15After": after_valid["accuracy"] if after_valid else None,
        "validMaskedTokens": before_valid["masked_tokens"] if before_valid else None,
        "validGuard": guard_note,
        "wallSeconds": round(wall, 1), "cpuSeconds": round(cpu, 1),
        # where the wall time went: the fixed-set reference pass, the optimizer steps (their count and
        # mean), the held-out figures and the guard evaluations
        "seconds": {**{k: round(v, 1) for k, v in seconds.items()}, "stepsRun": step,
                    "meanStep": round(seconds["steps"] / step, 2) if step else None},
    }
    with open(a.prefs, "rb") as f:
        data_hash = hashlib.sha256(f.read()).hexdigest()
    tuning = {
        "method": a.method,
        "base": {"name": base_manifest.get("name"), "dir": os.path.abspath(a.base),
                 "hash": sha256_file(os.path.join(a.base, "model.onnx"))},
        "data": {"file": os.path.abspath(a.prefs), "sha256": data_hash, "lines": enc["source"]["lines"],
                 "forms": enc["source"]["forms"], "decisions": len(decisions), "pairs": n_pairs, "texts": n_texts,
                 "trainDecisions": len(train_set), "heldoutDecisions": len(held_set)},
        "hyperParameters": {"beta": a.beta, "samples": a.samples, "epochs": a.epochs, "lr": a.lr, "batch": a.batch,
                            "trainLayers": a.train_layers, "heldoutShare": a.heldout_share, "heldoutBy": a.heldout_by,
                            "masks": a.masks, "nllWeight": a.nll_weight, "patience": a.patience,
                            "evalsPerEpoch": a.evals_per_epoch,
                            "desirableWeight": a.desirable_weight, "undesirableWeight": a.undesirable_weight, "maxValidDrop": a.max_valid_drop,
                            "context": enc.get("contextLength"), "seed": a.seed, "threads": a.threads},
        "estimator": "ELBO over the span's slots (pad-as-suffix budget), stratified mask counts, masks shared by "
                     "chosen/rejected and policy/reference; "
                     + ("fresh masks every step, reference ELBOs on the same masks" if a.masks == "fresh"
                        else "one mask set per decision, reference ELBOs computed once")
                     + ("; KTO reference point z0 = max(0, mean reward of mismatched context/text pairs of the batch), detached"
                        if a.method == "kto" else ""),
        "kept": best_at, "stopped": stopped, "history": history, "figures": figures,
        "tunedAt": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "hardware": f"CPU, {a.threads} threads (torch {torch.__version__})",
    }
    out_manifest = dict(base_manifest)
    out_manifest["name"] = a.name or f"{base_manifest.get('name', 'model')}-tuned"
    out_manifest["description"] = (f"{base_manifest.get('name', 'The base model')} tuned with "
                                   f"{'VRPO' if a.method == 'vrpo' else 'ELBO-KTO'} on {len(decisions)} of the writer's decisions.")
    out_manifest["tuning"] = tuning
    # the lineage in figures the model list shows (numbers first), then where they come from
    out_manifest["eval"] = {k: v for k, v in {
        "tunedOnDecisions": len(decisions),
        "heldoutPairAccuracy": round(after_pairs["accuracy"], 4) if after_pairs["accuracy"] is not None else None,
        "maskedTokenAccuracy15": round(after_valid["accuracy"], 4) if after_valid else None,
        "maskedTokenNll15": round(after_valid["nll"], 4) if after_valid else None,
        "source": f"models/train/tune.py ({a.method} on {len(decisions)} decisions; validation guard: {figures['validGuard']})",
    }.items() if v is not None}
    model_tmp = a.out.rstrip("/") + ".partial"
    if os.path.exists(model_tmp):
        shutil.rmtree(model_tmp)
    experts = copy_experts(a.base, model_tmp, base_manifest)
    if not experts:
        out_manifest.pop("experts", None)  # names no file of the tuned model
    export.write_model_dir(model, a.base, model_tmp, out_manifest)
    if guard_file is not None:  # the tuned model keeps its guard: a later tune is guarded too
        shutil.copyfile(guard_file, os.path.join(model_tmp, GUARD_FILE))
    if os.path.exists(a.out):
        shutil.rmtree(a.out)  # a tuned model directory (checked before training)
    os.replace(model_tmp, a.out)
    emit("done", out=a.out, parameters=count_parameters(model), **{k: v for k, v in figures.items() if v is not None})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
