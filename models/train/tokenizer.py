"""Tokenizer stage: train a sentencepiece Unigram model on the train split and convert it to
a Hugging Face tokenizer.json (a format conversion: same pieces, same scores).

Ids: 0 <pad>, 1 <unk>, 2 </s>, 3 <mask> (control), 4 "\n" (user-defined piece).
sentencepiece reads text line by line, so documents are encoded line by line and the
lines joined with the newline id (see `encode_document`).
"""
from __future__ import annotations

import json
import os
import re

import sentencepiece as spm

PAD_ID, UNK_ID, EOS_ID, MASK_ID, NEWLINE_ID = 0, 1, 2, 3, 4
SPECIAL_PIECES = {PAD_ID: "<pad>", UNK_ID: "<unk>", EOS_ID: "</s>", MASK_ID: "<mask>"}

# sentencepiece skips training lines longer than max_sentence_length bytes; long paragraphs
# (a State of the Union speech is one line) are cut at sentence ends for tokenizer training only.
_MAX_TRAIN_LINE = 2000


def _training_lines(train_txt: str, out_path: str) -> int:
    n = 0
    with open(train_txt, encoding="utf-8") as src, open(out_path, "w", encoding="utf-8") as dst:
        for line in src:
            line = line.rstrip("\n")
            if not line:
                continue
            while len(line.encode()) > _MAX_TRAIN_LINE:
                cut = line.rfind(". ", 0, _MAX_TRAIN_LINE // 2)
                cut = cut + 1 if cut > 0 else _MAX_TRAIN_LINE // 2
                dst.write(line[:cut] + "\n")
                line = line[cut:]
                n += 1
            dst.write(line + "\n")
            n += 1
    return n


def train_sentencepiece(train_txt: str, out_dir: str, vocab_size: int = 8192,
                        input_sentence_size: int = 2_000_000) -> str:
    """Train the Unigram model; returns the path of the .model file."""
    os.makedirs(out_dir, exist_ok=True)
    lines_path = os.path.join(out_dir, "spm_train_lines.txt")
    _training_lines(train_txt, lines_path)
    prefix = os.path.join(out_dir, "spm")
    spm.SentencePieceTrainer.train(
        input=lines_path,
        model_prefix=prefix,
        vocab_size=vocab_size,
        model_type="unigram",
        normalization_rule_name="identity",
        remove_extra_whitespaces=False,
        add_dummy_prefix=False,
        split_by_whitespace=True,
        split_digits=False,
        byte_fallback=False,
        character_coverage=0.9995,
        # every printable ASCII character gets a piece, however rare in the corpus
        required_chars="".join(chr(c) for c in range(33, 127)) + "\u2014\u2013\u2026",
        pad_id=PAD_ID,
        unk_id=UNK_ID,
        eos_id=EOS_ID,
        bos_id=-1,
        control_symbols=["<mask>"],
        user_defined_symbols=["\n"],
        input_sentence_size=input_sentence_size,
        shuffle_input_sentence=True,
        max_sentence_length=_MAX_TRAIN_LINE * 2,
        num_threads=2,
        minloglevel=2,
    )
    return prefix + ".model"


def load(model_path: str) -> spm.SentencePieceProcessor:
    sp = spm.SentencePieceProcessor()
    sp.load(model_path)
    if sp.piece_to_id("<mask>") != MASK_ID or sp.piece_to_id("\n") != NEWLINE_ID:
        raise RuntimeError(f"{model_path}: unexpected special ids (mask {sp.piece_to_id('<mask>')}, newline {sp.piece_to_id(chr(10))})")
    return sp


def encode_document(sp: spm.SentencePieceProcessor, text: str) -> list[int]:
    """Encode text that may contain newlines: lines encoded separately, joined by the newline id."""
    ids: list[int] = []
    for i, line in enumerate(text.split("\n")):
        if i:
            ids.append(NEWLINE_ID)
        if line:
            ids.extend(sp.encode(line))
    return ids


def to_hf_tokenizer_json(sp: spm.SentencePieceProcessor) -> dict:
    """Build the Hugging Face tokenizer.json for the same Unigram model."""
    vocab = [[sp.id_to_piece(i), float(sp.get_score(i))] for i in range(sp.get_piece_size())]
    vocab[NEWLINE_ID] = ["\n", 0.0]
    added = [
        {"id": i, "content": p, "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i, p in SPECIAL_PIECES.items()
    ]
    added.append({"id": NEWLINE_ID, "content": "\n", "single_word": False, "lstrip": False,
                  "rstrip": False, "normalized": False, "special": False})
    metaspace = {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "never", "split": False}
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": metaspace,
        "post_processor": None,
        # Replace + Fuse keeps a leading space (" the cat" decodes to " the cat"), which a
        # Metaspace decoder would strip from the first token.
        "decoder": {"type": "Sequence", "decoders": [
            {"type": "Replace", "pattern": {"String": "\u2581"}, "content": " "},
            {"type": "Fuse"},
        ]},
        "model": {"type": "Unigram", "unk_id": UNK_ID, "vocab": vocab, "byte_fallback": False},
    }


def tokenizer_config() -> dict:
    """tokenizer_config.json: names the special tokens; no space clean-up on decode."""
    return {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "clean_up_tokenization_spaces": False,
        "pad_token": "<pad>",
        "unk_token": "<unk>",
        "eos_token": "</s>",
        "mask_token": "<mask>",
        "model_max_length": 256,
    }


REFERENCE_TEXTS = [
    "hello world",
    "The cat sat on the mat.",
    " the cat",
    "Call me Ishmael. Some years ago\u2014never mind how long precisely.",
    "First line.\nSecond line, with \"quotes\" and (parentheses)!",
    "In 1861, the war began; 42% agreed.",
]


def write_hf_files(sp: spm.SentencePieceProcessor, out_dir: str, fixture_path: str | None = None) -> None:
    """Write tokenizer.json and tokenizer_config.json (and optionally reference encodings)."""
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(to_hf_tokenizer_json(sp), f, ensure_ascii=False)
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_config(), f, indent=2)
    if fixture_path:
        refs = [{"text": t, "ids": encode_document(sp, t)} for t in REFERENCE_TEXTS]
        with open(fixture_path, "w", encoding="utf-8") as f:
            json.dump(refs, f, ensure_ascii=False, indent=1)


def split_words_ok(sp: spm.SentencePieceProcessor) -> bool:
    """Sanity check: no piece other than the newline contains an inner word boundary."""
    return not any(re.search(".\u2581", sp.id_to_piece(i)) for i in range(5, sp.get_piece_size()))
