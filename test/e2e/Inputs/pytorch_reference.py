#!/usr/bin/python3
"""A ConvNet built, trained and exported by PyTorch, and its PyTorch logits
on a corpus, for the compiled-vs-PyTorch end-to-end test.

Usage: pytorch_reference.py --ids REFERENCE --vocab V --onnx OUT.onnx -o OUT

REFERENCE is a kdc-e2e-reference file (test/e2e/Inputs/reference.cpp): per
utterance its text, the token ids of kdc's BPE encoder and a kdc model's
logits. This script

  1. builds the Kim CNN of bench/models/kim_cnn.py at a small size
     (vocab V, dim 32, widths 2..6 x 16 filters, the reference's classes)
     with PyTorch's own modules and a fixed seed;
  2. trains it for a few epochs, in PyTorch, to reproduce the arg-max of
     the kdc model's logits on those utterances: a trained network has
     top-2 margins far wider than float rounding, so an arg-max that
     differs between PyTorch and the compiled code is a bug, not a tie
     (training on the test texts is harmless here: what is tested is that
     the compiled network computes what PyTorch computes, not accuracy);
  3. writes it with torch.onnx.export (opset 13, the input `ids` int64
     [1, 32], no `length`: the model pools over all 32 positions, padding
     included, as PyTorch code usually does);
  4. writes OUT, a kdc-e2e-reference file with the same texts and ids and
     PyTorch's logits for the ids padded with id 0 to 32 tokens, which is
     what the generated NAME_predict_ids computes for such a model.

Needs Debian's python3-torch; run it with /usr/bin/python3. One thread and a
fixed seed: the same files on every run of the same torch build.
"""

import argparse
import sys
import warnings

import torch
import torch.nn as nn

SEED = 20261122
TOKENS = 32
DIM = 32
FILTERS = 16
WIDTHS = (2, 3, 4, 5, 6)
EPOCHS = 4
BATCH = 32


class KimCNN(nn.Module):
    def __init__(self, vocab, classes):
        super().__init__()
        self.embedding = nn.Embedding(vocab, DIM, padding_idx=0)
        self.convs = nn.ModuleList(nn.Conv1d(DIM, FILTERS, k) for k in WIDTHS)
        self.fc = nn.Linear(FILTERS * len(WIDTHS), classes)

    def forward(self, ids):
        x = self.embedding(ids).transpose(1, 2)  # [B, D, T]
        pooled = [torch.amax(torch.relu(conv(x)), dim=2) for conv in self.convs]
        return self.fc(torch.cat(pooled, dim=1))


def read_reference(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        header = f.readline().split()
        if len(header) != 4 or header[:2] != ["kdc-e2e-reference", "1"]:
            sys.exit(f"{path}:1: expected 'kdc-e2e-reference 1 N C' (a CNN "
                     f"reference of kdc-e2e-reference), got {' '.join(header)!r}")
        n, classes = int(header[2]), int(header[3])
        records = []
        for i in range(n):
            text = f.readline().rstrip("\n")
            ids_line = f.readline().split()
            logits = [float(v) for v in f.readline().split()]
            if not ids_line or len(logits) != classes:
                sys.exit(f"{path}: malformed record {i}")
            ids = [int(v) for v in ids_line[1:]]
            if len(ids) != int(ids_line[0]) or len(ids) > TOKENS:
                sys.exit(f"{path}: record {i}: expected at most {TOKENS} ids")
            records.append((text, ids, logits))
    return classes, records


def padded(records, vocab):
    out = torch.zeros(len(records), TOKENS, dtype=torch.int64)
    for i, (_, ids, _) in enumerate(records):
        if ids and max(ids) >= vocab:
            sys.exit(f"record {i}: id {max(ids)} is outside the vocabulary "
                     f"of {vocab}")
        out[i, :len(ids)] = torch.tensor(ids, dtype=torch.int64)
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--ids", required=True)
    p.add_argument("--vocab", type=int, required=True)
    p.add_argument("--onnx", required=True)
    p.add_argument("-o", "--out", required=True)
    args = p.parse_args()

    torch.manual_seed(SEED)
    torch.set_num_threads(1)
    classes, records = read_reference(args.ids)
    ids = padded(records, args.vocab)
    target = torch.tensor([max(range(classes), key=lambda k: r[2][k])
                           for r in records])

    model = KimCNN(args.vocab, classes)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(EPOCHS):
        model.train()
        order = torch.randperm(len(records))
        total = 0.0
        for start in range(0, len(records), BATCH):
            batch = order[start:start + BATCH]
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(ids[batch]), target[batch])
            loss.backward()
            opt.step()
            total += float(loss) * len(batch)
        print(f"epoch {epoch + 1}: loss {total / len(records):.4f}",
              file=sys.stderr)

    model.eval()
    with torch.no_grad():
        logits = model(ids)
        agree = int((logits.argmax(1) == target).sum())
    print(f"pytorch_reference: {len(records)} utterances, {classes} classes, "
          f"arg-max as the kdc model on {agree}", file=sys.stderr)

    example = torch.zeros(1, TOKENS, dtype=torch.int64)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, (example,), args.onnx, opset_version=13,
                          input_names=["ids"], output_names=["logits"])

    with open(args.out, "w", encoding="utf-8", newline="\n") as f:
        f.write(f"kdc-e2e-reference 1 {len(records)} {classes}\n")
        for (text, tok, _), row in zip(records, logits.tolist()):
            f.write(text + "\n")
            f.write(" ".join(str(v) for v in [len(tok)] + tok) + "\n")
            f.write(" ".join(f"{v:.9g}" for v in row) + "\n")


if __name__ == "__main__":
    main()
