#!/usr/bin/python3
"""Kim-style CNNs built in PyTorch and exported with torch.onnx.export.

Usage: gen_kim_cnn.py OUTDIR

Writes, for every variant below, OUTDIR/NAME.onnx (torch.onnx.export's own
output: no kdc metadata, no `length` input) and OUTDIR/NAME.json with the
PyTorch logits for a few fixed id sequences, for numerical checks of the
compiled model. The ConvNet is the CNN-KD student of ARCHITECTURE.md at toy
size: embedding [V, D] -> transpose -> Conv1d for widths 2..6 -> ReLU -> max
over time -> concat -> Linear. The variants write the max over time the ways
PyTorch code does, add dropout or a GELU/Tanh hidden layer, use Kim's
original Conv2d(1, F, (K, D)) over the unsqueezed embeddings, and vary the
export options (opsets 13-17, dynamic axes, constant folding off,
initializers listed as inputs). eval_student.py checks an imported module
against NAME.json.

Needs Debian's python3-torch (1.13); run it with /usr/bin/python3. Seeds are
fixed, so a run is reproducible on the same torch build.
"""

import json
import os
import sys
import warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 50  # V
DIM = 8  # D
FILTERS = 4  # filters per width
TOKENS = 12  # T
CLASSES = 5  # C
WIDTHS = (2, 3, 4, 5, 6)
HIDDEN = 16  # the hidden layer of the `hidden` variants
OPSETS = range(13, 18)


def max_values(x):
    return torch.max(x, dim=2).values


def max_getitem(x):
    return x.max(dim=2)[0]


def max_pool1d(x):
    # Under torch.onnx.export's tracer x.size(2) is a traced tensor, which
    # max_pool1d rejects as a kernel size; int() makes it the constant the
    # exported MaxPool has anyway (with a TracerWarning).
    return F.max_pool1d(x, int(x.size(2))).squeeze(2)


def amax(x):
    return torch.amax(x, dim=2)


def adaptive(x):
    return F.adaptive_max_pool1d(x, 1).squeeze(-1)


def view(x):
    # The flatten most Kim CNN code uses after a pooling that keeps the axis.
    return F.max_pool1d(x, int(x.size(2))).view(x.size(0), -1)


def max_pool2d(x):
    # On Conv2d's [B, F, T', 1] output, before squeezing the unit axis.
    return F.max_pool2d(x, (int(x.size(2)), 1)).squeeze(3).squeeze(2)


POOLS = {
    "maxvalues": max_values,
    "maxgetitem": max_getitem,
    "maxpool1d": max_pool1d,
    "amax": amax,
    "adaptive": adaptive,
    "view": view,
    "maxpool2d": max_pool2d,
}


class KimCNN(nn.Module):
    def __init__(self, pool, dropout=0.0, hidden_act=None, conv2d=False):
        super().__init__()
        self.pool = POOLS[pool]
        self.embedding = nn.Embedding(VOCAB, DIM, padding_idx=0)
        # conv2d: Kim's original formulation as most PyTorch ports write it,
        # a Conv2d(1, F, (K, D)) over the [1, T, D] "image" of embeddings.
        self.conv2d = conv2d
        if conv2d:
            self.convs = nn.ModuleList(
                nn.Conv2d(1, FILTERS, (k, DIM)) for k in WIDTHS)
        else:
            self.convs = nn.ModuleList(
                nn.Conv1d(DIM, FILTERS, k) for k in WIDTHS)
        self.dropout = nn.Dropout(dropout) if dropout > 0 else None
        features = FILTERS * len(WIDTHS)
        if hidden_act is None:
            self.hidden = None
            self.act = None
            self.fc = nn.Linear(features, CLASSES)
        else:
            self.hidden = nn.Linear(features, HIDDEN)
            self.act = {"gelu": nn.GELU(), "tanh": nn.Tanh()}[hidden_act]
            self.fc = nn.Linear(HIDDEN, CLASSES)

    def forward(self, ids):
        x = self.embedding(ids)  # [B, T, D]
        if self.dropout is not None:
            x = self.dropout(x)
        if self.conv2d:
            x = x.unsqueeze(1)  # [B, 1, T, D]
            if self.pool is max_pool2d:
                pooled = [self.pool(F.relu(conv(x))) for conv in self.convs]
            else:
                pooled = [self.pool(F.relu(conv(x)).squeeze(3))
                          for conv in self.convs]
        else:
            x = x.transpose(1, 2)  # [B, D, T]
            pooled = [self.pool(F.relu(conv(x))) for conv in self.convs]
        h = torch.cat(pooled, dim=1)  # [B, 5F]
        if self.dropout is not None:
            h = self.dropout(h)
        if self.hidden is not None:
            h = self.act(self.hidden(h))
        return self.fc(h)


DYNAMIC_T = {"ids": {1: "T"}}
DYNAMIC_BATCH_T = {"ids": {0: "batch", 1: "T"}, "logits": {0: "batch"}}
DYNAMIC_BATCH = {"ids": {0: "batch"}, "logits": {0: "batch"}}


def variants():
    """(name, constructor kwargs, opset, extra torch.onnx.export arguments)."""
    for pool in ("maxvalues", "maxgetitem", "maxpool1d", "amax"):
        for opset in OPSETS:
            yield f"kim_{pool}_opset{opset}", {"pool": pool}, opset, {}
    yield "kim_adaptive_opset14", {"pool": "adaptive"}, 14, {}
    yield "kim_view_opset16", {"pool": "view"}, 16, {}
    yield "kim_dropout_opset13", {"pool": "maxvalues", "dropout": 0.1}, 13, {}
    yield "kim_dropout_opset17", {"pool": "maxpool1d", "dropout": 0.1}, 17, {}
    yield "kim_gelu_opset14", {"pool": "maxvalues", "hidden_act": "gelu"}, 14, {}
    yield "kim_tanh_opset15", {"pool": "amax", "hidden_act": "tanh"}, 15, {}
    yield "kim_conv2d_opset13", {"pool": "maxpool1d", "conv2d": True}, 13, {}
    yield "kim_conv2d_opset15", {"pool": "maxpool2d", "conv2d": True}, 15, {}
    yield "kim_conv2d_opset17", {"pool": "maxvalues", "conv2d": True}, 17, {}
    # Sequence length (and batch) left dynamic: kdc needs --max-tokens.
    yield "kim_dynamic_opset13", {"pool": "maxvalues"}, 13, {
        "dynamic_axes": DYNAMIC_T}
    yield "kim_dynamic_opset17", {"pool": "amax"}, 17, {
        "dynamic_axes": DYNAMIC_T}
    yield "kim_dynbatch_opset15", {"pool": "maxgetitem"}, 15, {
        "dynamic_axes": DYNAMIC_BATCH_T}
    yield "kim_viewbatch_opset17", {"pool": "view"}, 17, {
        "dynamic_axes": DYNAMIC_BATCH}
    # Other export options older scripts pass.
    yield "kim_nofold_opset13", {"pool": "view"}, 13, {
        "do_constant_folding": False}
    yield "kim_initinputs_opset13", {"pool": "maxvalues"}, 13, {
        "keep_initializers_as_inputs": True}


def sample_ids():
    g = torch.Generator().manual_seed(1234)
    ids = torch.randint(1, VOCAB, (3, TOKENS), generator=g, dtype=torch.int64)
    ids[1, 7:] = 0  # a short utterance padded with id 0
    ids[2, :] = torch.arange(TOKENS) % VOCAB
    return ids


def export(outdir, name, kwargs, opset, extra):
    torch.manual_seed(opset * 100 + sum(map(ord, name)))
    model = KimCNN(**kwargs).eval()
    ids = sample_ids()
    example = ids[:1]
    path = os.path.join(outdir, name + ".onnx")
    with torch.no_grad():
        torch.onnx.export(model, (example,), path, opset_version=opset,
                          input_names=["ids"], output_names=["logits"],
                          **extra)
        logits = [model(ids[i:i + 1])[0].tolist() for i in range(len(ids))]
    ref = {
        "model": name + ".onnx",
        "torch_version": torch.__version__,
        "opset": opset,
        "pool": kwargs["pool"],
        "dynamic_axes": extra.get("dynamic_axes", {}),
        "conv2d": kwargs.get("conv2d", False),
        "max_tokens": TOKENS,
        "vocab": VOCAB,
        "classes": CLASSES,
        # Every sequence is run at the full length T (padding included), as
        # the exported graph has no length input.
        "ids": ids.tolist(),
        "logits": logits,
    }
    with open(os.path.join(outdir, name + ".json"), "w") as f:
        json.dump(ref, f, indent=1)
        f.write("\n")


def main(argv):
    if len(argv) != 2:
        sys.stderr.write(__doc__)
        return 2
    outdir = argv[1]
    os.makedirs(outdir, exist_ok=True)
    torch.set_num_threads(1)
    # int(x.size(2)) in max_pool1d: expected, and the exported graph is right.
    warnings.filterwarnings("ignore", category=torch.jit.TracerWarning)
    for name, kwargs, opset, extra in variants():
        export(outdir, name, kwargs, opset, extra)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
