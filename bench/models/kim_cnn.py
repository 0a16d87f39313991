#!/usr/bin/python3
"""The fixed-shape ConvNets of the benchmark, S-server and S-edge, exported
with torch.onnx.export from a PyTorch Kim CNN with fixed-seed weights.

Usage: kim_cnn.py {s-server|s-edge} OUT.onnx

  S-server: vocab 32000, dim 300, widths 2..6 x 500 filters, 60 classes
  S-edge:   vocab 8000,  dim 64,  widths 2..6 x 128 filters, 60 classes

Both take T = 32 token ids (int64 [batch, 32], padded with id 0; the batch
axis is dynamic so ONNX Runtime can run batch 32 on the same file) and pool
over all 32 positions: a fixed shape, 85.7 M multiply-adds for S-server and
4.8 M for S-edge per utterance. The weights are PyTorch's default
initialisation after torch.manual_seed(SEED): the same file on every run of
the same torch build. LibTorch eager (bench's kdc-bench-torch) reads the
weights back from this file, so every engine runs the same numbers.

Writes OUT.onnx and prints one JSON line (shape, parameters, seed, torch
version). Needs Debian's python3-torch; run it with /usr/bin/python3.
"""

import json
import sys
import warnings

import torch
import torch.nn as nn

SEED = 20240611
TOKENS = 32
CLASSES = 60
WIDTHS = (2, 3, 4, 5, 6)
SHAPES = {
    "s-server": {"vocab": 32000, "dim": 300, "filters": 500},
    "s-edge": {"vocab": 8000, "dim": 64, "filters": 128},
}


class KimCNN(nn.Module):
    """embedding -> transpose -> Conv1d per width -> ReLU -> max over time
    -> concat -> Linear; the CNN-KD student without length masking."""

    def __init__(self, vocab, dim, filters):
        super().__init__()
        self.embedding = nn.Embedding(vocab, dim, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(dim, filters, k) for k in WIDTHS)
        self.fc = nn.Linear(filters * len(WIDTHS), CLASSES)

    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)  # [B, D, T]
        pooled = [torch.amax(torch.relu(conv(x)), dim=2) for conv in self.convs]
        return self.fc(torch.cat(pooled, dim=1))


def macs(shape):
    conv = sum((TOKENS - k + 1) * k * shape["dim"] * shape["filters"]
               for k in WIDTHS)
    return conv + shape["filters"] * len(WIDTHS) * CLASSES


def main(argv):
    if len(argv) != 2 or argv[0] not in SHAPES:
        sys.exit("usage: kim_cnn.py {s-server|s-edge} OUT.onnx")
    name, out = argv
    shape = SHAPES[name]
    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    model = KimCNN(shape["vocab"], shape["dim"], shape["filters"]).eval()
    example = torch.zeros(1, TOKENS, dtype=torch.int64)
    example[0, :5] = torch.tensor([5, 6, 7, 8, 9])
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), out, opset_version=13,
                          input_names=["ids"], output_names=["logits"],
                          dynamic_axes={"ids": {0: "batch"},
                                        "logits": {0: "batch"}})
    params = sum(p.numel() for p in model.parameters())
    print(json.dumps({"model": name, "onnx": out, "seed": SEED,
                      "torch_version": torch.__version__,
                      "max_tokens": TOKENS, "classes": CLASSES,
                      "widths": list(WIDTHS), **shape,
                      "parameters": params, "macs": macs(shape)}))


if __name__ == "__main__":
    main(sys.argv[1:])
