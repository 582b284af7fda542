#!/usr/bin/python3
"""Training and sampling throughput of charnn and PyTorch, measured in the same
run on the same machine, written as a markdown table to docs/benchmarks.md.

Both engines train the same model (one-hot input -> L stacked LSTM layers of H
units -> linear -> softmax cross-entropy; RMSprop lr 1e-3, gradient norm
clipped at 5, no dropout) on random tokens, and sample one stream one
character at a time (step, softmax, draw). Each engine runs at 1 and 2
threads; the table keeps each engine's best thread count. The runs are
interleaved (torch, charnn, torch, charnn, ...) and repeated, and each cell is
the median over repeats, so a neighbour's load on a shared machine hits both.

charnn also runs with bf16 products (`charnn bench --precision bf16`,
interleaved like the others, training and sampling), and the table gains rows
for it against PyTorch and oneDNN, naming the kernel its bf16 products run on
(AMX tiles, AVX-512, AVX512-BF16 or AVX2, as a short probe run reports).
Where that is the portable correctness loop (no AVX2; or
CHARNN_BF16_KERNEL=portable), not a speed path, every charnn bf16 row, column
and line is left out, with a line on standard error saying so.

PyTorch runs on the OpenBLAS kernels charnn runs on (`charnn --version` names
them): where OpenBLAS falls back to SSE3 kernels on a CPU model it does not
know, charnn corrects that, and so does this script for PyTorch.

With --baseline OTHER_CHARNN a second charnn binary (say, the build before a
change) runs interleaved with the others, and the table gains its column, so a
before/after comparison shares the machine's load with both engines.

When the oneDNN peer is built (build/bench/onednn_peer, from bench/onednn_peer*.cpp
where libdnnl-dev is installed) it runs the same workload with oneDNN's LSTM
primitive, in f32 and in bf16, interleaved like the others, and the table
gains their columns. --onednn '' leaves it out. Each dtype is first probed
with a short run (config A, one thread); a dtype the peer cannot run is left
out, quoting the peer's error on standard error (on an AVX2-only CPU oneDNN
2.6 has no bf16 LSTM: "could not create a primitive descriptor iterator
(status 3)", unimplemented), and when f32 fails the peer is left out
altogether.

Usage: /usr/bin/python3 bench/compare_pytorch.py [--charnn build/charnn]
           [--baseline old/charnn] [--onednn build/bench/onednn_peer]
           [--repeats 3] [--seconds 2] [--out docs/benchmarks.md]
"""
import argparse
import datetime
import functools
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import time

import torch

CONFIGS = {  # name: (V, L, H, T, B)
    "A": (68, 1, 250, 25, 32),
    "B": (75, 3, 700, 50, 32),
}
THREADS = (1, 2)
ONEDNN_DTYPES = ("f32", "bf16")
HAND_WRITTEN_MARKER = "<!-- Sections below are written by hand; bench/compare_pytorch.py keeps them. -->"
ENGINE_NAMES = {"torch": "PyTorch", "charnn": "charnn", "charnn-bf16": "charnn bf16", "baseline": "baseline charnn",
                "onednn-f32": "oneDNN f32", "onednn-bf16": "oneDNN bf16"}


class Net(torch.nn.Module):
    def __init__(self, V, L, H):
        super().__init__()
        self.V = V
        self.lstm = torch.nn.LSTM(V, H, L)
        self.fc = torch.nn.Linear(H, V)

    def forward(self, x, state=None):
        out, state = self.lstm(torch.nn.functional.one_hot(x, self.V).float(), state)
        return self.fc(out), state


def timed_median(run_chunk, chars_per_chunk, seconds, min_chunks):
    """Median chars/s over chunks timed for about `seconds`, after one warm-up chunk."""
    run_chunk()
    rates, start = [], time.perf_counter()
    while len(rates) < min_chunks or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        run_chunk()
        rates.append(chars_per_chunk / (time.perf_counter() - t0))
    return statistics.median(rates)


def torch_rates(config, threads, seconds):
    V, L, H, T, B = CONFIGS[config]
    torch.set_num_threads(threads)
    torch.manual_seed(1)
    net = Net(V, L, H)
    opt = torch.optim.RMSprop(net.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    x = torch.randint(0, V, (T, B))
    y = torch.randint(0, V, (T, B))
    loss_fn = torch.nn.CrossEntropyLoss()

    def train_step():
        opt.zero_grad()
        logits, _ = net(x)
        loss = loss_fn(logits.reshape(-1, V), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()

    # Config B takes about a second a step: a few steps are enough.
    train = timed_median(train_step, T * B, seconds if config == "A" else 0.0, 3)
    steps = 200 if config == "A" else 10
    token = torch.zeros((1, 1), dtype=torch.long)
    state = [None]

    def sample_chunk():
        nonlocal token
        with torch.no_grad():
            for _ in range(steps):
                logits, state[0] = net(token, state[0])
                probs = torch.softmax(logits[0, 0], dim=-1)
                token = torch.multinomial(probs, 1).view(1, 1)

    sample = timed_median(sample_chunk, steps, seconds, 3)
    return {"train": train, "sample": sample}


def charnn_rates(binary, config, threads, seconds, precision="f32"):
    # f32 passes no --precision, so a --baseline built before the flag still runs.
    precision_flag = ["--precision", precision] if precision != "f32" else []
    out = subprocess.run([binary, "bench", "--config", config, "--threads", str(threads), "--seconds", str(seconds),
                          *precision_flag, "--json"], check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return {"train": j["train"]["chars_per_second"], "sample": j["sample"]["chars_per_second"],
            "batched": j["batched_sample"]["chars_per_second"], "streams": j["streams"], "amx": j.get("amx")}


def share_charnns_blas_kernels(charnn_binary):
    """PyTorch calls the same OpenBLAS as charnn (Debian's libblas.so.3). OpenBLAS
    picks its kernels from the CPU's model number when it loads, and falls back to
    SSE3 kernels on a model newer than its table; charnn then re-executes itself
    with OPENBLAS_CORETYPE set (src/charnn/nn/blas_kernels.h). So that PyTorch is
    not measured on that fallback, this script re-executes itself the same way,
    with the kernels charnn names in --version. A user's OPENBLAS_CORETYPE stays."""
    if "OPENBLAS_CORETYPE" in os.environ:
        return
    version = subprocess.run([charnn_binary, "--version"], capture_output=True, text=True).stdout
    found = re.search(r"OpenBLAS kernels: (\w+)", version)
    if found:
        os.environ["OPENBLAS_CORETYPE"] = found.group(1)
        os.execv(sys.executable, [sys.executable] + sys.argv)


def onednn_rates(binary, config, threads, seconds, dtype):
    out = subprocess.run([binary, "--config", config, "--dtype", dtype, "--threads", str(threads),
                          "--seconds", str(seconds), "--json"], check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return {"train": j["train"]["chars_per_second"], "sample": j["sample"]["chars_per_second"],
            "batched": j["batched_sample"]["chars_per_second"], "streams": j["streams"],
            "version": j["onednn_version"], "isa": j["cpu_isa"], "implementations": j["implementations"]}


def charnn_bf16_kernel(binary):
    """The kernel charnn's bf16 products run on here (amx, avx512_bf16, avx512,
    avx2 or portable), from a short probe run."""
    out = subprocess.run([binary, "bench", "--config", "A", "--threads", "1", "--seconds", "0.01",
                          "--precision", "bf16", "--json"], check=True, capture_output=True, text=True).stdout
    j = json.loads(out)
    return j.get("bf16_products", "amx" if j.get("amx") else "portable")


def onednn_dtypes_that_run(binary):
    """The dtypes of ONEDNN_DTYPES that the oneDNN peer runs, from one short probe
    run each; none at all when f32 fails."""
    dtypes = []
    for dtype in ONEDNN_DTYPES:
        probe = subprocess.run([binary, "--config", "A", "--dtype", dtype, "--threads", "1", "--seconds", "0.2",
                                "--json"], capture_output=True, text=True)
        if probe.returncode == 0:
            dtypes.append(dtype)
        else:
            print(f"oneDNN {dtype} fails a probe run, leaving it out: {probe.stderr.strip()}", file=sys.stderr)
    if "f32" not in dtypes:
        print("oneDNN f32 does not run: leaving oneDNN out", file=sys.stderr)
        return []
    return dtypes


def onednn_description(results, dtypes):
    """One line per dtype: which oneDNN implementation ran the LSTM (from the first repeat)."""
    lines = []
    for dtype in dtypes:
        impls = results[(f"onednn-{dtype}", "A", THREADS[0])][0]["implementations"]
        lines.append(f"{dtype}: LSTM training `{', '.join(impls['train'])}`, sampling `{', '.join(impls['sample'])}`")
    return "; ".join(lines)


def machine_description():
    model = "unknown CPU"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    flags = open("/proc/cpuinfo").read()
    isa = [f for f in ("avx2", "avx512f", "avx512_bf16", "amx_tile") if f in flags]
    mem = int(open("/proc/meminfo").readline().split()[1]) / 2**20
    return f"{model}, {os.cpu_count()} cores ({', '.join(isa)}), {mem:.0f} GiB, {platform.platform()}"


def package_version(name):
    try:
        return subprocess.run(["dpkg-query", "-W", "-f=${Version}", name], capture_output=True, text=True).stdout
    except OSError:
        return "?"


def fmt(x):
    return f"{x:,.0f}"


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--charnn", default=os.path.join(root, "build", "charnn"))
    ap.add_argument("--baseline", help="a second charnn binary to run interleaved, shown as 'baseline'")
    ap.add_argument("--onednn", default=os.path.join(root, "build", "bench", "onednn_peer"),
                    help="the oneDNN peer binary; its columns are left out when it does not exist or is ''")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=2.0)
    ap.add_argument("--out", default=os.path.join(root, "docs", "benchmarks.md"))
    args = ap.parse_args()
    share_charnns_blas_kernels(args.charnn)
    with_onednn = bool(args.onednn) and os.access(args.onednn, os.X_OK)
    if not with_onednn:
        print("no oneDNN peer (build it with libdnnl-dev installed): leaving oneDNN out", file=sys.stderr)
    onednn_dtypes = onednn_dtypes_that_run(args.onednn) if with_onednn else []
    bf16_kernel = charnn_bf16_kernel(args.charnn)
    with_bf16 = bf16_kernel != "portable"
    if not with_bf16:
        print("charnn's bf16 products run on the portable loop here: leaving charnn bf16 out "
              "(its portable loop is not a speed path)", file=sys.stderr)

    # Every engine that runs, in the order each repeat runs them; the rows,
    # columns and lines below all derive from this list.
    runners = {"torch": functools.partial(torch_rates, seconds=args.seconds),
               "charnn": functools.partial(charnn_rates, args.charnn, seconds=args.seconds)}
    if with_bf16:
        runners["charnn-bf16"] = functools.partial(charnn_rates, args.charnn, seconds=args.seconds, precision="bf16")
    if args.baseline:
        runners["baseline"] = functools.partial(charnn_rates, args.baseline, seconds=args.seconds)
    for dtype in onednn_dtypes:
        runners[f"onednn-{dtype}"] = functools.partial(onednn_rates, args.onednn, seconds=args.seconds, dtype=dtype)
    engines = tuple(runners)
    charnn_engines = tuple(e for e in engines if e in ("charnn", "charnn-bf16"))  # each gets rows of its own
    onednn_engines = tuple(f"onednn-{d}" for d in onednn_dtypes)

    results = {}  # (engine, config, threads) -> list of dicts
    started = time.time()
    for rep in range(args.repeats):
        for config in CONFIGS:
            for threads in THREADS:
                print(f"repeat {rep + 1}/{args.repeats}: config {config}, {threads} thread(s)", file=sys.stderr)
                for engine in engines:
                    results.setdefault((engine, config, threads), []).append(runners[engine](config, threads))

    def median(engine, config, threads, key):
        return statistics.median(r[key] for r in results[(engine, config, threads)])

    def best(engine, config, key):
        return max((median(engine, config, t, key), t) for t in THREADS)

    def cell(rate_threads):
        return f"{fmt(rate_threads[0])} ({rate_threads[1]}t)"

    def table_line(cells):
        return "| " + " | ".join(cells) + " |"

    columns = ["measure", "PyTorch", "charnn", "charnn / PyTorch"]
    if args.baseline:
        columns += ["baseline charnn", "charnn / baseline"]
    columns += [ENGINE_NAMES[e] for e in onednn_engines] + [f"charnn / {ENGINE_NAMES[e]}" for e in onednn_engines]
    header, rule = table_line(columns), "|" + "---|" * len(columns)

    rows = []
    for config in CONFIGS:
        V, L, H, T, B = CONFIGS[config]
        shape = f"{L}x{H}, V {V}, T {T}, B {B}"
        # A charnn bf16 row puts charnn's bf16 rate in the charnn column, against
        # the same PyTorch (f32) and oneDNN cells; the baseline ran only in f32.
        for key, measure in (("train", "training"), ("sample", "sampling, one stream")):
            for engine in charnn_engines:
                label = measure if engine == "charnn" else f"{measure}, {ENGINE_NAMES[engine]}"
                torch_best, charnn_best = best("torch", config, key), best(engine, config, key)
                cr = charnn_best[0]
                cells = [f"{label}, config {config} ({shape})", cell(torch_best), cell(charnn_best),
                         f"{cr / torch_best[0]:.2f}x"]
                if args.baseline and engine == "charnn":
                    baseline_best = best("baseline", config, key)
                    cells += [cell(baseline_best), f"{cr / baseline_best[0]:.2f}x"]
                elif args.baseline:
                    cells += ["-", "-"]
                peers = [best(e, config, key) for e in onednn_engines]
                cells += [cell(p) for p in peers] + [f"{cr / p[0]:.2f}x" for p in peers]
                rows.append(table_line(cells))
    extra = []
    for engine in charnn_engines:
        for config in CONFIGS:
            streams = results[(engine, config, 1)][0]["streams"]
            (br, bt), (sr, _) = best(engine, config, "batched"), best(engine, config, "sample")
            extra.append(f"| {ENGINE_NAMES[engine]} sampling, {streams} streams batched, config {config} | "
                         f"{fmt(br)} ({bt}t) | {br / sr:.1f}x the one-stream rate |")
    for config in CONFIGS if with_bf16 else ():
        (hr, ht), (fr, ft) = best("charnn-bf16", config, "train"), best("charnn", config, "train")
        extra.append(f"| charnn training in bf16 vs f32, config {config} | {fmt(hr)} ({ht}t) vs {fmt(fr)} ({ft}t) | "
                     f"{hr / fr:.2f}x |")
    for engine in engines:
        one, two = median(engine, "B", 1, "train"), median(engine, "B", 2, "train")
        name = ENGINE_NAMES[engine]
        extra.append(f"| {name} training config B, 2 threads vs 1 | {fmt(two)} vs {fmt(one)} | {two / one:.2f}x |")

    by_threads = []
    for config in CONFIGS:
        for threads in THREADS:
            cells = " | ".join(fmt(median(e, config, threads, "train")) for e in engines)
            by_threads.append(f"| {config} | {threads} | {cells} |")
    by_threads_header = "| config | threads | " + " | ".join(ENGINE_NAMES[e] for e in engines) + " |"
    by_threads_rule = "|---|---|" + "---|" * len(engines)

    charnn_version = subprocess.run([args.charnn, "--version"], capture_output=True, text=True).stdout.strip()
    compiler = subprocess.run(["c++", "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    per_run = []
    for (engine, config, threads), runs in sorted(results.items()):
        for key in ("train", "sample"):
            per_run.append(f"| {engine} | {config} | {threads} | {key} | "
                           f"{', '.join(fmt(r[key]) for r in runs)} |")
    baseline_flag = f" --baseline {args.baseline}" if args.baseline else ""
    charnn_lines = f"(charnn side: `charnn bench --config A|B --threads 1|2 --json --seconds {args.seconds}`)"
    if with_bf16:
        bf16_products = {"amx": "AMX tiles", "avx512_bf16": "AVX512-BF16 (no AMX)",
                         "avx512": "AVX-512, widened to f32 (no AMX)", "avx2": "AVX2, widened to f32 (no AMX)"}[bf16_kernel]
        charnn_lines = (f"(charnn side: `charnn bench --config A|B --threads 1|2 [--precision bf16] --json "
                        f"--seconds {args.seconds}`;\n  charnn bf16: products of bf16-rounded operands summed in "
                        f"f32, on {bf16_products}, f32 weights; in training\n  and in sampling)")
    left_out = [] if with_bf16 else ["charnn bf16 (its portable loop is not a speed path)"]
    left_out += [f"oneDNN {d} (the peer does not run it here)" for d in ONEDNN_DTYPES
                 if with_onednn and d not in onednn_dtypes]
    left_out_line = f"\n- Left out: {'; '.join(left_out)}" if left_out else ""
    onednn_lines = ""
    if onednn_dtypes:
        first = results[("onednn-f32", "A", THREADS[0])][0]
        bf16_note = "; bf16 weights and activations, f32 master weights" if "bf16" in onednn_dtypes else ""
        onednn_lines = (f"\n- oneDNN {first['version']} (Debian libdnnl2 {package_version('libdnnl2')}, OpenMP, "
                        f"ISA {first['isa']}), "
                        f"its LSTM primitive: {onednn_description(results, onednn_dtypes)}\n"
                        f"  (oneDNN side: `bench/onednn_peer --config A|B --dtype {'|'.join(onednn_dtypes)} "
                        f"--threads 1|2 --json --seconds {args.seconds}`{bf16_note}, "
                        f"weights reordered every training step)")
    title = "charnn against PyTorch and oneDNN" if onednn_dtypes else "charnn against PyTorch"
    text = f"""# Benchmarks: {title}

Written by `bench/compare_pytorch.py` on {datetime.date.today().isoformat()}, in
{time.time() - started:.0f} s. Characters per second (higher is better); each
cell is the median over {args.repeats} interleaved repeats of each engine's
median over timed chunks, at the engine's best thread count (`(1t)`, `(2t)`).

- Machine: {machine_description()}
- PyTorch {torch.__version__} (Debian python3-torch), {torch.get_num_interop_threads()} inter-op threads
- {charnn_version}, {compiler}, OpenBLAS {package_version("libopenblas0-pthread")} (pthread)
- OpenBLAS kernels: {os.environ.get("OPENBLAS_CORETYPE", "its own choice")}, for charnn and PyTorch alike
- Command: `/usr/bin/python3 bench/compare_pytorch.py --repeats {args.repeats} --seconds {args.seconds}{baseline_flag}`
  {charnn_lines}{onednn_lines}{left_out_line}
- Workload: one-hot input, L x LSTM(H), linear to V, softmax cross-entropy,
  RMSprop with gradient-norm clipping at 5, random tokens, no dropout. Sampling
  is one stream, one character per step including the softmax and the draw.
  The machine is shared with other work; read ratios, not absolute numbers.

{header}
{rule}
{chr(10).join(rows)}

| measure | value | ratio |
|---|---|---|
{chr(10).join(extra)}

## Training by thread count (medians, chars/s)

{by_threads_header}
{by_threads_rule}
{chr(10).join(by_threads)}

## Every run

| engine | config | threads | measure | chars/s per repeat |
|---|---|---|---|---|
{chr(10).join(per_run)}
"""
    # Sections written by hand (profiles, memory, notes on the run) follow the
    # marker; a rerun replaces the measured part above it and keeps them.
    kept = HAND_WRITTEN_MARKER + "\n"
    if os.path.exists(args.out):
        previous = open(args.out).read()
        if HAND_WRITTEN_MARKER in previous:
            kept = previous[previous.index(HAND_WRITTEN_MARKER):]
    os.makedirs(os.path.dirname(args.out), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(text + "\n" + kept)
    print(text)


if __name__ == "__main__":
    main()
