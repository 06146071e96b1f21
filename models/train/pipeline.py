"""The model pipeline end to end: corpus -> tokenizer -> training -> ONNX export -> check.

Run through `npm run model:train -- [options]` (models/train/run.mjs finds a Python with
torch). Every stage reuses its output in the work directory when present, so an interrupted
run resumes; `--fresh` starts over.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

import corpus  # noqa: E402
import export  # noqa: E402
import tokenizer as tok  # noqa: E402
from model import ModelConfig, count_parameters  # noqa: E402
import weights  # noqa: E402
from train import encode_split, evaluate, evaluate_span, fixed_eval_set, fixed_span_eval_set, pick_device, train, unigram_baseline  # noqa: E402


# the app's case (issue 22): see Batcher in train.py
APP_RECIPE = {"infill_frac": 0.6, "full_span_share": 0.6, "max_extra_ratio": 2.0, "short_span_share": 0.5}


def parse_deadline(text: str) -> float:
    """'HH:MM' (UTC, today) or an ISO timestamp -> epoch seconds."""
    now = dt.datetime.now(dt.timezone.utc)
    try:
        if len(text) <= 5 and ":" in text:
            h, m = (int(x) for x in text.split(":"))
            when = now.replace(hour=h, minute=m, second=0, microsecond=0)
        else:
            when = dt.datetime.fromisoformat(text)
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.timezone.utc)
    except ValueError as e:
        raise SystemExit(f"--deadline {text!r}: expected HH:MM (UTC) or an ISO timestamp ({e})")
    return when.timestamp()


def args_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smoke", action="store_true", help="tiny slice, tiny model, a few steps, into models/smoke/")
    p.add_argument("--out", help="model directory to write (default models/dev, or models/smoke with --smoke)")
    p.add_argument("--work", help="work directory (default models/train/work, or models/smoke/work)")
    p.add_argument("--name", default="infill-default-mdlm")
    p.add_argument("--deadline", help="stop training at this UTC time (HH:MM or ISO); the LR decays to it")
    p.add_argument("--minutes", type=float, help="training budget in minutes (instead of --deadline)")
    p.add_argument("--cpu-minutes", type=float,
                   help="training budget in CPU minutes of the training process, all threads (fair "
                        "between runs on a shared machine; the LR schedule follows the same clock)")
    p.add_argument("--schedule", default="cosine", choices=["cosine", "wsd"],
                   help="cosine: decay to 10%% of peak at the budget; wsd: warmup-stable-decay, the "
                        "peak held until the last --decay-frac of the budget, then linear to 1%%")
    p.add_argument("--decay-frac", type=float, default=0.25, help="wsd: share of the budget spent decaying")
    p.add_argument("--low-mask-max", type=float, default=0.5,
                   help="upper end of the low masking-ratio range: --low-mask-share of sequences draw t "
                        "from U(0, this), the rest from U(this, 1) (default 0.5)")
    p.add_argument("--app-recipe", action="store_true",
                   help="the app's case (issue 22): 60%% of sequences are padded-span infill, 60%% of "
                        "those with every slot masked (as the app starts a fill), budgets from the true "
                        "length to 3 times it, half the spans 1-12 tokens")
    p.add_argument("--steps", type=int, help="stop after this many optimizer steps")
    p.add_argument("--vocab", type=int, default=8192)
    p.add_argument("--d-model", type=int, default=256)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=688)
    p.add_argument("--batch", type=int, default=16)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--low-mask-share", type=float, default=0.75,
                   help="share of sequences whose masking ratio t is drawn from U(0, 0.5) instead of "
                        "U(0.5, 1); 0.5 is MDLM's plain t ~ U(0,1) (default 0.75: the app infills "
                        "inside mostly visible text)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--no-bf16", action="store_true", help="train in fp32 (bf16 autocast is the default)")
    p.add_argument("--no-kjv", action="store_true", help="leave out the King James Bible")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--log-every", type=float, default=180, help="seconds between validation logs")
    p.add_argument("--ckpt-every", type=float, default=300, help="seconds between checkpoints")
    p.add_argument("--fresh", action="store_true", help="delete the work directory's checkpoint first")
    p.add_argument("--export-only", action="store_true", help="export the last checkpoint without training")
    p.add_argument("--device", default="cpu", choices=["cpu", "cuda", "auto"],
                   help="where to train (auto: CUDA when torch sees a GPU)")
    p.add_argument("--init-from", metavar="DIR",
                   help="with no checkpoint in the work directory, start from these weights: an exported "
                        "model directory (model.onnx + manifest.json) or a --weights-out directory; the "
                        "architecture comes from it")
    p.add_argument("--weights-out", metavar="DIR",
                   help="also write the trained weights as weights.json + weights.bin.NN parts of at most "
                        "15 MB (to carry a GPU run's model back; export it here with --init-from DIR --export-only)")
    p.add_argument("--corpus-only", action="store_true",
                   help="only the corpus stage: write the train/valid split to the work directory and stop "
                        "(the bench draws its tasks from valid.txt)")
    p.add_argument("--no-export", action="store_true",
                   help="skip the ONNX export and its check (a machine without node); see --weights-out")
    return p


def check_weight_round_trips(model, cfg: ModelConfig, model_dir: str, parts_dir: str) -> None:
    """The exported ONNX initializers and the --weights-out parts hold exactly the model's weights."""
    own = {k: v.detach().float().numpy() for k, v in model.state_dict().items()}
    # small parts, so that even the smoke model is split into several
    weights.write_parts(model.state_dict(), cfg.to_dict(), {"note": "smoke check"}, parts_dir, part_bytes=100_000)
    for source in (model_dir, parts_dir):
        config, read, _, _ = weights.load_init(source)
        if config["d_model"] != cfg.d_model or config["n_layers"] != cfg.n_layers:
            raise SystemExit(f"{source}: architecture read back as {config}, expected {cfg.to_dict()}")
        for k, v in own.items():
            if k not in read or read[k].shape != v.shape or not np.array_equal(read[k], v):
                raise SystemExit(f"{source}: weight {k} does not read back equal")


def main(argv: list[str]) -> int:
    a = args_parser().parse_args(argv)
    if a.smoke:
        out = a.out or os.path.join(ROOT, "models", "smoke", "model")
        work = a.work or os.path.join(ROOT, "models", "smoke", "work")
        a.vocab, a.d_model, a.layers, a.heads, a.ffn = 1000, 64, 2, 2, 128
        a.batch, a.warmup = 8, 5
        steps = a.steps or 30
        budget = 60.0 * (a.minutes or 2)
        a.log_every, a.ckpt_every = 20, 60
        deadline = None
    else:
        out = a.out or os.path.join(ROOT, "models", "dev")
        work = a.work or os.path.join(HERE, "work")
        steps = a.steps
        deadline = None
        if a.deadline:
            deadline = parse_deadline(a.deadline)
            budget = parse_deadline(a.deadline) - time.time()
        elif a.cpu_minutes is not None:
            budget = 60.0 * a.cpu_minutes
        elif a.minutes is not None:
            budget = 60.0 * a.minutes
        else:
            budget = 60.0
        if budget <= 0 and not a.export_only:
            raise SystemExit(f"--deadline {a.deadline} is already past")
    corpus_dir = os.path.join(HERE, "corpus")
    os.makedirs(work, exist_ok=True)
    log_path = os.path.join(work, "train.log")

    def log(msg: str) -> None:
        line = f"{dt.datetime.now(dt.timezone.utc).strftime('%H:%M:%S')} {msg}"
        print(line, flush=True)
        with open(log_path, "a") as f:
            f.write(line + "\n")

    t0 = time.time()
    # 1. corpus
    if a.smoke or not os.path.exists(os.path.join(work, "valid.txt")):
        summary = corpus.prepare(corpus_dir, work, seed=a.seed, smoke=a.smoke, use_kjv=not a.no_kjv)
        log(f"corpus: train {summary['train']}, valid {summary['valid']}")
    with open(os.path.join(work, "corpus.json")) as f:
        corpus_summary = json.load(f)
    if a.corpus_only:
        log(f"corpus only: {os.path.join(work, 'valid.txt')} written")
        return 0

    # 2. tokenizer
    tok_dir = os.path.join(work, "tok")
    spm_model = os.path.join(tok_dir, "spm.model")
    if a.smoke or not os.path.exists(spm_model):
        tok.train_sentencepiece(os.path.join(work, "train.txt"), tok_dir, a.vocab)
        log(f"tokenizer: sentencepiece unigram, vocab {a.vocab}")
    sp = tok.load(spm_model)
    if sp.get_piece_size() != a.vocab:
        raise SystemExit(f"{spm_model} has {sp.get_piece_size()} pieces, --vocab is {a.vocab}: use --fresh or a new --work")
    tok.write_hf_files(sp, tok_dir, os.path.join(work, "tokenizer_reference.json"))

    # 3. token streams
    ids_path = {s: os.path.join(work, f"{s}_ids.npy") for s in ("train", "valid")}
    for split, path in ids_path.items():
        if a.smoke or not os.path.exists(path):
            stream = encode_split(sp, corpus.read_split(os.path.join(work, f"{split}.txt")))
            np.save(path, stream)
            log(f"{split}: {len(stream)} tokens")
    train_stream = np.load(ids_path["train"])
    valid_stream = np.load(ids_path["valid"])

    init_state, init_meta = None, {}
    if a.init_from and (a.fresh or a.smoke or not os.path.exists(os.path.join(work, "ckpt.pt"))):
        init_cfg, init_state, what, init_meta = weights.load_init(a.init_from)
        a.d_model, a.layers, a.heads, a.ffn = init_cfg["d_model"], init_cfg["n_layers"], init_cfg["n_heads"], init_cfg["ffn_hidden"]
        if init_cfg["vocab_size"] != a.vocab:
            raise SystemExit(f"--init-from {a.init_from}: vocabulary {init_cfg['vocab_size']}, the tokenizer has {a.vocab}")
        log(f"initial weights: {what}")
    cfg = ModelConfig(vocab_size=a.vocab, d_model=a.d_model, n_layers=a.layers, n_heads=a.heads,
                      ffn_hidden=a.ffn, max_length=256)
    device = pick_device(a.device)
    eval_set = fixed_eval_set(valid_stream, 8 if a.smoke else 96, cfg.max_length, 0.15, a.seed)
    span_set = fixed_span_eval_set(valid_stream, 8 if a.smoke else 96, cfg.max_length, a.seed)
    baseline = unigram_baseline(train_stream, eval_set)
    log(f"unigram baseline on the eval set: {baseline}")

    # 4. training
    ckpt = os.path.join(work, "ckpt.pt")
    if (a.fresh or a.smoke) and os.path.exists(ckpt):
        os.remove(ckpt)
    if a.export_only:
        if not os.path.exists(ckpt) and init_state is None:
            raise SystemExit(f"--export-only: no checkpoint at {ckpt} (and no --init-from)")
        steps = 0
    log(f"training: budget {budget:.0f}s, steps {steps}, batch {a.batch}, lr {a.lr}, bf16 {not a.no_bf16}, low-mask share {a.low_mask_share} below {a.low_mask_max}, schedule {a.schedule}, clock {'cpu' if a.cpu_minutes is not None else 'wall'}")
    model = train(cfg, train_stream, eval_set, work, budget_s=budget if not a.export_only else 0,
                  deadline=deadline if not a.export_only else None,
                  max_steps=steps, batch_size=a.batch, peak_lr=a.lr, warmup=a.warmup, seed=a.seed,
                  log_every_s=a.log_every, ckpt_every_s=a.ckpt_every, bf16=not a.no_bf16,
                  threads=a.threads, log=log, low_t_share=a.low_mask_share, device=device,
                  init_state=init_state, low_t_max=a.low_mask_max, schedule=a.schedule,
                  decay_frac=a.decay_frac, clock="cpu" if a.cpu_minutes is not None else "wall",
                  recipe=APP_RECIPE if a.app_recipe else None, span_set=span_set)
    if os.path.exists(ckpt):
        state = torch.load(ckpt, map_location="cpu", weights_only=False)["state"]
    else:  # exporting weights trained elsewhere (--init-from a --weights-out directory)
        state = init_meta.get("state", {"step": 0, "tokens": 0, "elapsed": 0.0})
    hardware = init_meta.get("hardware") if init_state is not None and not os.path.exists(ckpt) else None
    if hardware is None:
        hardware = (f"CUDA, {torch.cuda.get_device_name(device)}" if device.type == "cuda" else f"CPU, {a.threads} threads") + f" (torch {torch.__version__})"
    final = evaluate(model, eval_set)
    final.update(evaluate_span(model, span_set))
    log(f"final validation (15% masking, {final['masked_tokens']} tokens): {final}")
    if a.weights_out:
        files = weights.write_parts(model.state_dict(), cfg.to_dict(), {
            "note": f"trained to step {state['step']} on {hardware}",
            "state": {k: state[k] for k in ("step", "tokens", "elapsed")},
            "hardware": hardware, "history": state.get("history", []), "final": final,
        }, a.weights_out)
        log(f"weights written to {a.weights_out}: {', '.join(files)}")
    if a.no_export:
        log(f"done in {time.time() - t0:.0f}s (no export: --no-export)")
        return 0

    # 5. export + check
    training = {
        "corpus": corpus_summary,
        "trainTokens": int(len(train_stream)), "validTokens": int(len(valid_stream)),
        "parameters": count_parameters(model), "steps": state["step"],
        "schedule": a.schedule if a.schedule == "cosine" else f"wsd (last {a.decay_frac:.0%} decaying)",
        "budgetClock": "cpu" if a.cpu_minutes is not None else "wall",
        "tokensSeen": state["tokens"], "trainSeconds": round(state["elapsed"]),
        "batch": a.batch, "sequenceLength": cfg.max_length, "peakLr": a.lr,
        "objective": ("MDLM/LLaDA: p=(1-1e-3)t+1e-3, CE on masked positions weighted 1/p; "
                      + ("t~U(0,1)" if a.low_mask_share == 0.5 and a.low_mask_max == 0.5 else
                         f"t from U(0,{a.low_mask_max:g}) for {a.low_mask_share:.0%} of sequences, U({a.low_mask_max:g},1) for the rest")
                      + ("; 60% of sequences are padded-span infill, 60% of those fully masked, budgets L..3L"
                         if a.app_recipe else "; 30% of sequences are padded-span infill")),
        "precision": "bf16 autocast, fp32 master weights" if not a.no_bf16 else "fp32",
        "hardware": hardware,
    }
    evaluation = {
        "source": "models/train (Python, fixed eval set of the validation split)",
        "maskedTokenAccuracy15": round(final["accuracy"], 4),
        "maskedTokenNll15": round(final["nll"], 4),
        "maskedTokens": final["masked_tokens"],
        "unigramBaselineAccuracy15": round(baseline["accuracy"], 4),
    }
    desc = ("Small masked diffusion language model (MDLM objective) trained from scratch on "
            "public-domain English for span infilling with variable-length (pad-terminated) fills.")
    export.write_model_dir(model, tok_dir, out, export.manifest(cfg, name=a.name, description=desc,
                                                                 training=training, evaluation=evaluation))
    ref = export.write_reference(model, work)
    size = os.path.getsize(os.path.join(out, "model.onnx"))
    log(f"exported {out} (model.onnx {size / 1e6:.1f} MB)")
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on PATH: cannot run verify-onnx.mjs")
    subprocess.run([node, os.path.join(HERE, "verify-onnx.mjs"), out, ref], check=True, cwd=ROOT)
    if a.smoke:  # the weight readers that --init-from relies on, checked on this model
        check_weight_round_trips(model, cfg, out, os.path.join(work, "weights"))
        log("weights: model.onnx initializers and --weights-out parts read back equal to the trained weights")
    if os.path.basename(os.path.normpath(out)) != "default":  # the shipped model has no marker
        with open(os.path.join(out, "READY"), "w") as f:
            f.write(dt.datetime.now(dt.timezone.utc).isoformat() + "\n")
    log(f"done in {time.time() - t0:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
