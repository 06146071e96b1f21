"""Training stage: the MDLM / LLaDA objective with variable-length infilling.

Per sequence a masking ratio t, mask probability p = (1 - eps) t + eps; loss = cross-entropy
on masked positions weighted 1/p, summed and divided by the number of positions. MDLM draws
t ~ U(0,1); here a share of the batch (`low_t_share`, 0.5 is plain uniform) draws t from
U(0, 0.5) instead, because the app always infills inside mostly visible text. That is a
reweighted ELBO (each t is still trained with the 1/t weight), not the ELBO itself; the
evaluation's ELBO bound is computed with uniform t as before.
A fraction of sequences are infill sequences: 1-3 spans of true length L get a slot budget
L + extra, the extra slots hold the pad token, and masking applies only inside the slots,
so the model learns to end a fill early by predicting pad.

The learning-rate schedule is keyed to a wall-clock deadline (warmup, then cosine decay to
10% at the deadline); checkpoints are written every few minutes and training resumes from
the last one.
"""
from __future__ import annotations

import json
import math
import os
import queue
import threading
import time

import numpy as np
import torch
import torch.nn.functional as F

from model import Denoiser, ModelConfig, count_parameters
from tokenizer import EOS_ID, MASK_ID, PAD_ID, encode_document

EPS = 1e-3


def encode_split(sp, docs: list[str]) -> np.ndarray:
    """One token stream for a split: documents joined by the eos id."""
    out: list[int] = []
    for d in docs:
        out.extend(encode_document(sp, d))
        out.append(EOS_ID)
    return np.asarray(out, dtype=np.int16)


def mask_ratio_from_uniform(u: np.ndarray, low_t_share: float, low_t_max: float = 0.5) -> np.ndarray:
    """Inverse CDF of the masking-ratio density: `low_t_share` of the mass on (0, low_t_max),
    the rest on [low_t_max, 1), uniform within each part. low_t_share 0.5 with low_t_max 0.5
    gives t = u (MDLM's U(0,1))."""
    lo, m = low_t_share, low_t_max
    return np.where(u < lo, m * u / lo, m + (1 - m) * (u - lo) / (1 - lo))


class Batcher:
    """Samples training sequences from a token stream (random windows, many epochs)."""

    def __init__(self, stream: np.ndarray, seq_len: int, seed: int, infill_frac: float = 0.3,
                 short_frac: float = 0.15, max_span: int = 48, low_t_share: float = 0.5,
                 low_t_max: float = 0.5, full_span_share: float = 0.0, max_extra_ratio: float = 1.0,
                 short_span_share: float = 0.0):
        if not 0.5 <= low_t_share < 1.0:
            raise ValueError(f"low_t_share {low_t_share}: expected 0.5 (uniform t) up to below 1")
        if not 0.05 <= low_t_max <= 0.95:
            raise ValueError(f"low_t_max {low_t_max}: expected 0.05 to 0.95")
        if not 0.0 <= full_span_share <= 1.0:
            raise ValueError(f"full_span_share {full_span_share}: expected 0 to 1")
        if not 0.0 <= max_extra_ratio <= 4.0:
            raise ValueError(f"max_extra_ratio {max_extra_ratio}: expected 0 to 4")
        self.low_t_max = low_t_max
        self.stream = stream
        self.seq_len = seq_len
        self.rng = np.random.default_rng(seed)
        self.infill_frac = infill_frac
        self.short_frac = short_frac
        self.max_span = max_span
        self.low_t_share = low_t_share
        # the app's case (issue 22): a share of infill sequences has every slot masked, as the
        # app starts a fill; budgets run from the true length to (1 + max_extra_ratio) times it;
        # short_span_share of spans are 1-12 tokens long (a phrase), the rest 1-max_span
        self.full_span_share = full_span_share
        self.max_extra_ratio = max_extra_ratio
        self.short_span_share = short_span_share

    def _window(self, n: int) -> np.ndarray:
        start = int(self.rng.integers(0, len(self.stream) - n))
        return self.stream[start:start + n].astype(np.int64)

    def _span_length(self, n: int) -> int:
        cap = min(self.max_span, n // 4)
        if self.rng.random() < self.short_span_share:
            cap = min(cap, 12)
        return int(self.rng.integers(1, max(1, cap) + 1))

    def _extra_slots(self, L: int) -> int:
        """Pad slots after a span of true length L: none in 30% of cases (20% in the app's
        recipe), else uniform on 1..max_extra_ratio*L (0..L in the original recipe)."""
        rng = self.rng
        if self.max_extra_ratio == 1.0 and self.full_span_share == 0.0:  # the original recipe
            return 0 if rng.random() < 0.3 else int(rng.integers(0, L + 1))
        if rng.random() < 0.2:
            return 0
        return int(rng.integers(1, max(1, int(round(self.max_extra_ratio * L))) + 1))

    def _infill(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Sequence with 1-3 padded span slots; returns (tokens, slot mask)."""
        rng = self.rng
        raw = self._window(n)
        n_spans = int(rng.integers(1, 4))
        lengths = [self._span_length(n) for _ in range(n_spans)]
        extras = [self._extra_slots(L) for L in lengths]
        # span starts inside raw, sorted and non-overlapping
        starts = sorted(int(s) for s in rng.choice(n, size=n_spans, replace=False))
        toks: list[int] = []
        slot: list[bool] = []
        pos = 0
        for s, L, e in zip(starts, lengths, extras):
            if s < pos:
                continue
            toks.extend(raw[pos:s].tolist())
            slot.extend([False] * (s - pos))
            span = raw[s:s + L].tolist()
            toks.extend(span + [PAD_ID] * e)
            slot.extend([True] * (len(span) + e))
            pos = s + len(span)
        toks.extend(raw[pos:].tolist())
        slot.extend([False] * (n - pos))
        return np.asarray(toks[:n], dtype=np.int64), np.asarray(slot[:n], dtype=bool)

    def batch(self, batch_size: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """Returns (noisy input, clean target, masked positions, per-position 1/p weights)."""
        rng = self.rng
        n = self.seq_len
        if rng.random() < self.short_frac:
            n = int(rng.integers(16, self.seq_len))
        target = np.empty((batch_size, n), dtype=np.int64)
        allowed = np.ones((batch_size, n), dtype=bool)
        full = np.zeros(batch_size, dtype=bool)
        for i in range(batch_size):
            if rng.random() < self.infill_frac:
                target[i], allowed[i] = self._infill(n)
                full[i] = rng.random() < self.full_span_share
            else:
                target[i] = self._window(n)
        # low-discrepancy t (MDLM): one uniform offset, evenly spread over the batch;
        # unbiased like i.i.d. t, with a lower-variance loss at small batch sizes
        u = (np.arange(batch_size) + rng.random()) / batch_size
        t = mask_ratio_from_uniform(u, self.low_t_share, self.low_t_max)
        p = (1 - EPS) * t + EPS
        p = np.where(full, 1.0, p)  # every slot masked: the app's start of a fill (weight 1)
        masked = (rng.random((batch_size, n)) < p[:, None]) & allowed
        for i in range(batch_size):  # at least one masked position per sequence
            if not masked[i].any():
                cand = np.flatnonzero(allowed[i])
                masked[i, cand[int(rng.integers(0, len(cand)))]] = True
        noisy = np.where(masked, MASK_ID, target)
        weight = np.broadcast_to((1.0 / p)[:, None], (batch_size, n))
        return (torch.from_numpy(noisy), torch.from_numpy(target), torch.from_numpy(masked),
                torch.from_numpy(np.ascontiguousarray(weight)).float())


def fixed_eval_set(stream: np.ndarray, n_seq: int, seq_len: int, ratio: float, seed: int):
    """Deterministic windows with exactly `ratio` of positions masked (eval at 15%)."""
    rng = np.random.default_rng(seed)
    n_seq = min(n_seq, max(1, len(stream) // seq_len))
    starts = np.linspace(0, len(stream) - seq_len - 1, n_seq).astype(np.int64)
    target = np.stack([stream[s:s + seq_len] for s in starts]).astype(np.int64)
    masked = np.zeros_like(target, dtype=bool)
    k = max(1, int(round(ratio * seq_len)))
    for i in range(n_seq):
        masked[i, rng.choice(seq_len, size=k, replace=False)] = True
    noisy = np.where(masked, MASK_ID, target)
    return torch.from_numpy(noisy), torch.from_numpy(target), torch.from_numpy(masked)


def fixed_span_eval_set(stream: np.ndarray, n_seq: int, seq_len: int, seed: int, span: int = 8, extra: int = 4):
    """The app's case: one 8-token span in the middle of each window, every slot masked, with
    `extra` pad slots after it (a budget of span + extra). Scored in one pass (no reveals)."""
    rng = np.random.default_rng(seed + 7)
    n_seq = min(n_seq, max(1, len(stream) // seq_len))
    starts = np.linspace(0, len(stream) - seq_len - 1, n_seq).astype(np.int64)
    rows, masks = [], []
    for s in starts:
        raw = stream[s:s + seq_len].astype(np.int64).tolist()
        at = int(rng.integers(seq_len // 4, seq_len // 2))
        toks = raw[:at + span] + [PAD_ID] * extra + raw[at + span:]
        toks = toks[:seq_len]
        m = [False] * seq_len
        for j in range(at, at + span + extra):
            m[j] = True
        rows.append(toks)
        masks.append(m)
    target = torch.tensor(rows, dtype=torch.int64)
    masked = torch.tensor(masks, dtype=torch.bool)
    return torch.where(masked, torch.full_like(target, MASK_ID), target), target, masked


@torch.no_grad()
def evaluate_span(model: Denoiser, span_set, batch_size: int = 16) -> dict:
    """One-pass top-1 on the masked words of a fully masked span, and on its pad slots."""
    model.eval()
    device = next(model.parameters()).device
    noisy, target, masked = (t.to(device) for t in span_set)
    word_ok = word_n = pad_ok = pad_n = 0
    for i in range(0, len(noisy), batch_size):
        pred = model(noisy[i:i + batch_size]).argmax(-1)
        m = masked[i:i + batch_size]
        tg = target[i:i + batch_size]
        is_pad = tg == PAD_ID
        word_ok += int(((pred == tg) & m & ~is_pad).sum())
        word_n += int((m & ~is_pad).sum())
        pad_ok += int(((pred == tg) & m & is_pad).sum())
        pad_n += int((m & is_pad).sum())
    model.train()
    return {"span_word_acc": word_ok / max(1, word_n), "span_pad_acc": pad_ok / max(1, pad_n)}


@torch.no_grad()
def evaluate(model: Denoiser, eval_set, batch_size: int = 16) -> dict:
    """Masked-token top-1 accuracy and mean NLL on the fixed eval set (fp32, on the model's device)."""
    model.eval()
    device = next(model.parameters()).device
    noisy, target, masked = (t.to(device) for t in eval_set)
    correct = total = 0
    nll = 0.0
    for i in range(0, len(noisy), batch_size):
        logits = model(noisy[i:i + batch_size])
        m = masked[i:i + batch_size]
        lg = logits[m].float()
        tg = target[i:i + batch_size][m]
        correct += int((lg.argmax(-1) == tg).sum())
        total += int(m.sum())
        nll += float(F.cross_entropy(lg, tg, reduction="sum"))
    model.train()
    return {"accuracy": correct / max(1, total), "nll": nll / max(1, total), "masked_tokens": total}


def unigram_baseline(train_stream: np.ndarray, eval_set) -> dict:
    """Accuracy of always predicting the most frequent training token (not eos/pad)."""
    counts = np.bincount(train_stream.astype(np.int64), minlength=8)
    counts[[PAD_ID, EOS_ID, MASK_ID]] = 0
    top = int(counts.argmax())
    _, target, masked = eval_set
    acc = float((target[masked] == top).float().mean())
    return {"token_id": top, "accuracy": acc}


def lr_at(elapsed: float, budget: float, step: int, peak: float, warmup: int,
          schedule: str = "cosine", decay_frac: float = 0.25) -> float:
    """Learning rate at `elapsed` of `budget` seconds: linear warmup over `warmup` steps, then
    either cosine decay to 10% of peak at the budget ("cosine"), or warmup-stable-decay ("wsd"):
    the peak held until the last `decay_frac` of the budget, then a linear decay to 1% of peak."""
    warm = min(1.0, (step + 1) / warmup)
    frac = min(1.0, elapsed / max(1.0, budget))
    if schedule == "wsd":
        start = 1.0 - decay_frac
        level = 1.0 if frac <= start else 1.0 - 0.99 * (frac - start) / max(1e-9, decay_frac)
        return peak * warm * level
    return peak * warm * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))


def cpu_clock() -> float:
    """CPU seconds used by this process, all threads (a budget in it is fair on a shared machine)."""
    return time.process_time()


class Prefetcher:
    """Makes batches on a background thread (a GPU would otherwise wait on the numpy work)."""

    def __init__(self, batcher: Batcher, batch_size: int, depth: int = 6):
        self.q: queue.Queue = queue.Queue(maxsize=depth)
        self.stop = threading.Event()

        def work():
            while not self.stop.is_set():
                b = batcher.batch(batch_size)
                while not self.stop.is_set():
                    try:
                        self.q.put(b, timeout=0.5)
                        break
                    except queue.Full:
                        pass

        self.thread = threading.Thread(target=work, daemon=True)
        self.thread.start()

    def batch(self, _batch_size: int):
        return self.q.get()

    def close(self) -> None:
        self.stop.set()


def pick_device(name: str) -> torch.device:
    """'auto' is CUDA when torch sees a GPU, else the CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: torch sees no CUDA device (torch.cuda.is_available() is False)")
    return torch.device(name)


def train(cfg: ModelConfig, train_stream: np.ndarray, eval_set, out_dir: str, *,
          budget_s: float, deadline: float | None = None, max_steps: int | None, batch_size: int, peak_lr: float,
          warmup: int, seed: int, log_every_s: float, ckpt_every_s: float,
          bf16: bool, threads: int, log, low_t_share: float = 0.5, device: torch.device | None = None,
          init_state: dict | None = None, low_t_max: float = 0.5, schedule: str = "cosine",
          decay_frac: float = 0.25, clock: str = "wall", recipe: dict | None = None,
          span_set=None) -> Denoiser:
    """Train until the wall-clock budget (or max_steps) is used up; resumes from out_dir/ckpt.pt,
    else starts from `init_state` (weights by name) when given, else from scratch.
    With `deadline` (epoch seconds) the budget is the time already trained plus the time left.
    `clock` "cpu" counts the budget (and the schedule) in CPU seconds of this process instead of
    wall seconds, so arms compared on a shared machine get the same compute."""
    now_s = cpu_clock if clock == "cpu" else time.time
    device = device or torch.device("cpu")
    torch.set_num_threads(threads)
    torch.set_flush_denormal(True)
    torch.manual_seed(seed)
    model = Denoiser(cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2]
    no_decay = [p for n, p in model.named_parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1},
                             {"params": no_decay, "weight_decay": 0.0}],
                            lr=peak_lr, betas=(0.9, 0.98), eps=1e-8)
    ckpt_path = os.path.join(out_dir, "ckpt.pt")
    state = {"step": 0, "elapsed": 0.0, "tokens": 0, "history": []}
    if os.path.exists(ckpt_path):
        ck = torch.load(ckpt_path, map_location="cpu", weights_only=False)  # our own file
        if ck["config"] != cfg.to_dict():
            raise RuntimeError(f"{ckpt_path} was trained with another config; move it away to start afresh")
        model.load_state_dict(ck["model"])
        model.to(device)
        opt.load_state_dict(ck["opt"])  # after .to(): the optimizer state follows its parameters
        state = ck["state"]
        log(f"resumed from {ckpt_path} at step {state['step']} ({state['elapsed']:.0f}s trained)")
    elif init_state is not None:
        own = model.state_dict()
        missing = [k for k in own if k not in init_state]
        if missing:
            raise RuntimeError(f"the initial weights lack {missing[:5]}{'...' if len(missing) > 5 else ''}: not this architecture")
        model.load_state_dict({k: torch.as_tensor(init_state[k]) for k in own})
        log(f"starting from the given weights ({len(own)} tensors)")
    model.to(device)
    if deadline is not None:  # a resumed run keeps its schedule: trained time + time left
        budget_s = state["elapsed"] + max(0.0, deadline - time.time())
    log(f"model: {count_parameters(model)} parameters, config {cfg.to_dict()}, budget {budget_s:.0f}s")
    batcher = Batcher(train_stream, cfg.max_length, seed + state["step"], low_t_share=low_t_share,
                      low_t_max=low_t_max, **(recipe or {}))
    source = Prefetcher(batcher, batch_size) if device.type == "cuda" else batcher
    start_step = state["step"]

    def save():
        tmp = ckpt_path + ".tmp"
        torch.save({"config": cfg.to_dict(), "model": model.state_dict(), "opt": opt.state_dict(),
                    "state": state}, tmp)
        os.replace(tmp, ckpt_path)

    last_log = last_ckpt = time.time()
    run_start = now_s()
    base_elapsed = state["elapsed"]
    loss_acc, n_acc, tok_acc, t_acc = 0.0, 0, 0, time.time()
    while True:
        elapsed = base_elapsed + (now_s() - run_start)
        if elapsed >= budget_s or (max_steps is not None and state["step"] >= max_steps):
            break
        lr = lr_at(elapsed, budget_s, state["step"], peak_lr, warmup, schedule, decay_frac)
        for g in opt.param_groups:
            g["lr"] = lr
        noisy, target, masked, weight = (t.to(device, non_blocking=True) for t in source.batch(batch_size))
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            h = model.hidden(noisy)[masked]
            logits = model.project(h)
        ce = F.cross_entropy(logits.float(), target[masked], reduction="none")
        loss = (ce * weight[masked]).sum() / noisy.numel()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        state["step"] += 1
        state["tokens"] += noisy.numel()
        loss_acc += float(loss)
        n_acc += 1
        tok_acc += noisy.numel()
        now = time.time()
        state["elapsed"] = base_elapsed + (now_s() - run_start)
        if now - last_log >= log_every_s:
            ev = evaluate(model, eval_set)
            if span_set is not None:
                ev.update(evaluate_span(model, span_set))
            rec = {"step": state["step"], "elapsed_s": round(state["elapsed"]), "clock": clock, "lr": lr,
                   "loss": loss_acc / n_acc, "tokens": state["tokens"],
                   "tok_per_s": tok_acc / (now - t_acc), "valid_acc15": ev["accuracy"],
                   "valid_nll15": ev["nll"],
                   **({k: ev[k] for k in ("span_word_acc", "span_pad_acc")} if span_set is not None else {})}
            state["history"].append(rec)
            log(json.dumps(rec))
            loss_acc, n_acc, tok_acc, t_acc = 0.0, 0, 0, time.time()
            last_log = time.time()
        if now - last_ckpt >= ckpt_every_s:
            save()
            last_ckpt = time.time()
    if isinstance(source, Prefetcher):
        source.close()
    if state["step"] > start_step:  # never rewrite an untouched checkpoint
        save()
    return model.cpu()
