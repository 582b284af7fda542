#!/usr/bin/env python3
"""charnn <-> PyTorch, checked by PyTorch itself.

export: train a small charnn model, load its checkpoint into torch.nn.LSTM +
        torch.nn.Linear (the loader of docs/checkpoint.md, checksum included)
        and compare next-character probabilities after several primes with
        `charnn probe --json`.
import: build a random PyTorch model over a shuffled vocabulary, save its
        state dict as .safetensors (with the small writer below) and as .npz
        (np.savez), turn both into checkpoints with `charnn import`, then compare
        `charnn probe` with PyTorch, check the stored weights, and sample.

Usage: torch_interop.py {export|import} --charnn PATH/TO/charnn
Exit 0 pass, 1 fail, 77 skipped (no torch or numpy).

Tolerance: both sides compute in float32; only the summation order of the
matrix products differs (charnn's BLAS and kernels vs PyTorch's), which moves
logits by about 1e-6 relative. 1e-5 on each probability is the issue's bar and
leaves a margin of one to two orders of magnitude.
"""
import argparse
import hashlib
import json
import os
import random
import struct
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import torch
except ImportError as error:  # the test is skipped, not failed, without them
    print(f"skipped: {error}")
    sys.exit(77)

TOLERANCE = 1e-5

CORPUS = (
    "the quick brown fox jumps over the lazy dog\n"
    "el pingüino ñandú comió kiwi en el café\n"
    "a stitch in time saves nine\n"
    "über straße, grüße und ähnliches\n"
    "the early bird catches the worm\n"
    "all that glitters is not gold\n"
) * 3


def read_checkpoint(path):
    """The loader of docs/checkpoint.md: metadata and tensors, checksum verified."""
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__")
    digest = meta["checksum"].removeprefix("sha256:")
    key = b'"checksum":"sha256:'
    at = raw.index(key + digest.encode() + b'"', 8, 8 + n) + len(key)
    zeroed = raw[:at] + b"0" * 64 + raw[at + 64:]
    if hashlib.sha256(zeroed).hexdigest() != digest:
        raise ValueError(f"{path}: checksum mismatch")
    data = raw[8 + n:]
    tensors = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        tensors[name] = torch.tensor(np.frombuffer(data[begin:end], dtype="<f4").reshape(info["shape"]))
    return meta, tensors


def write_safetensors(path, tensors):
    """A minimal safetensors writer (the safetensors package is not in Debian): F32 only."""
    header, blobs, offset = {}, [], 0
    for name, tensor in tensors.items():
        array = np.ascontiguousarray(tensor.detach().cpu().numpy(), dtype="<f4")
        blob = array.tobytes()
        header[name] = {"dtype": "F32", "shape": list(array.shape), "data_offsets": [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def torch_probabilities(lstm, fc, index, prime):
    """Softmax of the next-character logits after the prime; '' means a line start."""
    prime = prime or "\n"
    x = torch.zeros(len(prime), 1, lstm.input_size)  # (T, B=1, V), one-hot
    for t, ch in enumerate(prime):
        x[t, 0, index[ch]] = 1.0
    with torch.no_grad():
        if lstm.batch_first:  # (B, T, V) in and out; the weights are the same either way
            out, _ = lstm(x.transpose(0, 1))
            out = out.transpose(0, 1)
        else:
            out, _ = lstm(x)
        logits = fc(out[-1, 0])
    return torch.softmax(logits.double(), dim=0).numpy()


def run(charnn, *args):
    result = subprocess.run([charnn, *args], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"charnn {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def charnn_probabilities(charnn, model, prime):
    probe = json.loads(run(charnn, "probe", "--model", model, "--prime", prime, "--json"))
    return probe["characters"], np.array(probe["probabilities"], dtype=np.float64)


def compare(charnn, model, lstm, fc, vocabulary, primes):
    """Largest |p_charnn - p_torch| over every prime and character; vocabulary in torch's index order."""
    index = {ch: i for i, ch in enumerate(vocabulary)}
    worst, count = 0.0, 0
    for prime in primes:
        characters, ours = charnn_probabilities(charnn, model, prime)
        theirs = torch_probabilities(lstm, fc, index, prime)
        theirs = np.array([theirs[index[ch]] for ch in characters])  # into charnn's code-point order
        difference = float(np.max(np.abs(ours - theirs)))
        worst = max(worst, difference)
        count += len(characters)
        if difference > TOLERANCE:
            top = int(np.argmax(np.abs(ours - theirs)))
            raise AssertionError(f"prime {prime!r}: p({characters[top]!r}) is {ours[top]:.9f} in charnn but "
                                 f"{theirs[top]:.9f} in PyTorch (difference {difference:.3g} > {TOLERANCE})")
    return worst, count


def test_export(charnn, work):
    corpus = os.path.join(work, "corpus.txt")
    with open(corpus, "w", encoding="utf-8") as f:
        f.write(CORPUS)
    run_dir = os.path.join(work, "run")
    run(charnn, "train", "--text", corpus, "--out", run_dir, "--layers", "2", "--hidden", "24", "--seq", "16",
        "--batch", "4", "--epochs", "4", "--threads", "1", "--quiet")
    checkpoint = os.path.join(run_dir, "best.safetensors")
    meta, tensors = read_checkpoint(checkpoint)
    config = json.loads(meta["model"])
    V, H, L = config["vocab_size"], config["hidden"], config["layers"]
    vocabulary = [chr(c) for c in json.loads(meta["vocabulary"])]
    lstm = torch.nn.LSTM(V, H, L)
    fc = torch.nn.Linear(H, V)
    lstm.load_state_dict({k.removeprefix("lstm."): v for k, v in tensors.items() if k.startswith("lstm.")})
    fc.load_state_dict({"weight": tensors["fc.weight"], "bias": tensors["fc.bias"]})
    lstm.eval()
    primes = ["", "t", "the quick ", "el pingüino ñandú", "über straße\n", "a stitch in time saves nine\nthe"]
    worst, count = compare(charnn, run_dir, lstm, fc, vocabulary, primes)
    print(f"export: {L} x LSTM {H}, V = {V}, {len(primes)} primes, {count} probabilities: "
          f"max |p_charnn - p_torch| = {worst:.3g} (tolerance {TOLERANCE})")


class CharRNN(torch.nn.Module):
    def __init__(self, V, H, L):
        super().__init__()
        self.lstm = torch.nn.LSTM(V, H, L, batch_first=True)
        self.fc = torch.nn.Linear(H, V)


def test_import(charnn, work):
    torch.manual_seed(7)
    rng = random.Random(7)
    vocabulary = list("\n .,abcdeghilmnorstuéñß€") + ["\U0001F600"]
    rng.shuffle(vocabulary)  # not code-point order: charnn must permute
    V, H, L = len(vocabulary), 20, 2
    net = CharRNN(V, H, L)
    with torch.no_grad():
        for p in net.parameters():
            p.uniform_(-0.8, 0.8)  # larger than the default init, so the distributions are far from uniform
    net.eval()
    state = net.state_dict()

    # .safetensors with PyTorch's own names, the vocabulary as a list of characters.
    write_safetensors(os.path.join(work, "state.safetensors"), state)
    with open(os.path.join(work, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocabulary, f, ensure_ascii=False)
    # .npz (np.savez, stored) under other module names, the vocabulary as character -> index.
    np.savez(os.path.join(work, "state.npz"),
             **{k.replace("lstm.", "rnn.").replace("fc.", "decoder."): v.numpy() for k, v in state.items()})
    with open(os.path.join(work, "vocab-index.json"), "w", encoding="utf-8") as f:
        json.dump({ch: i for i, ch in enumerate(vocabulary)}, f)

    imported = {
        "safetensors": (os.path.join(work, "from-safetensors.safetensors"), "state.safetensors", "vocab.json"),
        "npz": (os.path.join(work, "from-npz.safetensors"), "state.npz", "vocab-index.json"),
    }
    primes = ["", "sé", "the end.", "ñ€\U0001F600 ß", "ab\ncd, é"]
    for kind, (out, state_file, vocab_file) in imported.items():
        print(run(charnn, "import", "--state-dict", os.path.join(work, state_file), "--vocab",
                  os.path.join(work, vocab_file), "--out", out).strip())
        worst, count = compare(charnn, out, net.lstm, net.fc, vocabulary, primes)
        print(f"import from {kind}: {L} x LSTM {H}, V = {V}, {len(primes)} primes, {count} probabilities: "
              f"max |p_charnn - p_torch| = {worst:.3g} (tolerance {TOLERANCE})")

        # The stored weights are PyTorch's, exactly, with the vocabulary axis in code-point order.
        meta, tensors = read_checkpoint(out)
        stored = [chr(c) for c in json.loads(meta["vocabulary"])]
        assert stored == sorted(vocabulary), "the checkpoint's vocabulary is sorted by code point"
        order = [vocabulary.index(ch) for ch in stored]
        assert torch.equal(tensors["lstm.weight_ih_l0"], state["lstm.weight_ih_l0"][:, order])
        assert torch.equal(tensors["lstm.weight_hh_l1"], state["lstm.weight_hh_l1"])
        assert torch.equal(tensors["fc.weight"], state["fc.weight"][order])
        assert torch.equal(tensors["fc.bias"], state["fc.bias"][order])

        # And charnn samples from it: every character drawn is in the vocabulary.
        text = run(charnn, "sample", "--model", out, "-n", "200", "--seed", "3", "--prime", "the ")
        assert text.startswith("the "), text
        strays = set(text) - set(vocabulary)
        assert not strays, f"sampled characters outside the vocabulary: {strays}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("direction", choices=["export", "import"])
    parser.add_argument("--charnn", required=True)
    args = parser.parse_args()
    torch.set_num_threads(1)  # small models; leave the other cores to parallel tests
    with tempfile.TemporaryDirectory(prefix="charnn-interop-") as work:
        try:
            (test_export if args.direction == "export" else test_import)(args.charnn, work)
        except (AssertionError, RuntimeError, ValueError) as error:
            print(f"FAIL: {error}")
            return 1
    print("PASS")
    return 0


if __name__ == "__main__":
    sys.exit(main())
