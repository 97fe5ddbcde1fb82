"""BERT's uncased WordPiece tokenizer in pure Python, for the real sentence
inputs of `agn.testing.minilm` without Hugging Face's `tokenizers`.

It follows `BertTokenizer` (do_lower_case): control characters dropped,
whitespace normalised, CJK ideographs split apart, text lowercased and
accents stripped (NFD, combining marks removed), words split at
punctuation, then greedy longest-match-first WordPiece with "##"
continuations ([UNK] for a word with no match or longer than 100
characters), framed as [CLS] ... [SEP] and padded with [PAD]. On the
sentences of `agn.testing.minilm` and a set of harder strings (accents,
CJK, emoji, full-width letters) it gives the ids of the model's own
`tokenizer.json` through `tokenizers`.
"""

from __future__ import annotations

import unicodedata
from typing import List, Tuple

import numpy as np

#: The longest word WordPiece splits; longer ones are [UNK].
MAX_WORD_CHARS = 100


def _is_control(c: str) -> bool:
    return c not in "\t\n\r" and unicodedata.category(c).startswith("C")


def _is_whitespace(c: str) -> bool:
    return c in " \t\n\r" or unicodedata.category(c) == "Zs"


def _is_punctuation(c: str) -> bool:
    """ASCII non-alphanumerics count as punctuation, as in BERT."""
    cp = ord(c)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(c).startswith("P")


def _is_cjk(cp: int) -> bool:
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F
            or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


class WordPiece:
    """The tokenizer of one `vocab.txt` (one token per line, id = line)."""

    def __init__(self, vocab_text: str) -> None:
        self.vocab = {token: i for i, token in enumerate(vocab_text.split("\n")) if token}
        self.unk = self.vocab["[UNK]"]

    def words(self, text: str) -> List[str]:
        """The normalised words and punctuation marks of `text`."""
        chars = []
        for c in text:
            cp = ord(c)
            if cp == 0 or cp == 0xFFFD or _is_control(c):
                continue
            if _is_whitespace(c):
                chars.append(" ")
            elif _is_cjk(cp):
                chars.append(f" {c} ")
            else:
                chars.append(c)
        text = unicodedata.normalize("NFD", "".join(chars).lower())
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
        words = []
        for chunk in text.split():
            current = ""
            for c in chunk:
                if _is_punctuation(c):
                    if current:
                        words.append(current)
                    words.append(c)
                    current = ""
                else:
                    current += c
            if current:
                words.append(current)
        return words

    def pieces(self, word: str) -> List[int]:
        """The ids of `word`, longest match first."""
        if len(word) > MAX_WORD_CHARS:
            return [self.unk]
        ids, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in self.vocab:
                    ids.append(self.vocab[piece])
                    start = end
                    break
            else:
                return [self.unk]
        return ids

    def encode(self, text: str, seq_len: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """input_ids, attention_mask and token_type_ids (int64 [seq_len]):
        [CLS] text [SEP], padded with [PAD] or truncated before [SEP]."""
        ids = [i for w in self.words(text) for i in self.pieces(w)][:seq_len - 2]
        ids = [self.vocab["[CLS]"]] + ids + [self.vocab["[SEP]"]]
        pad = seq_len - len(ids)
        return (np.array(ids + [self.vocab["[PAD]"]] * pad, np.int64),
                np.array([1] * len(ids) + [0] * pad, np.int64),
                np.zeros(seq_len, np.int64))
