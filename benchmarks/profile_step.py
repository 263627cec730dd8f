"""Where a fused training step spends its time: every matrix product and kernel timed.

    python benchmarks/profile_step.py [--workload W2] [--steps 300] [--threads 2]

Builds bench_train.py's model for the workload, then runs ``FusedStep`` with each BLAS
product and each numba kernel wrapped in a timer (a wrapper costs well under a
microsecond per call; the step is otherwise unchanged). Prints the mean time per step
of every phase and, beside each product, the best time of the same product called alone
on the same layout (the matrix-product limit's measure): how much of a step is products,
how much they lose inside a step, and what the rest costs. Times are means over the
steps after the first fifth (means, so that the phases add up to the step). Writes
results/profile-W?.json.
"""

import argparse
import statistics
import time
import types
from collections import defaultdict

import numpy as np

from bench_train import WORKLOADS, data, npae_model
from common import best_time, fmt, machine, markdown_table, write_json


CORRUPTION_KERNELS = {"masking": "masking_apply", "gaussian": "gaussian_apply", "salt_pepper": "salt_pepper_apply"}


def layout(a):
    return f"{a.shape[1]}x{a.shape[0]}ᵀ" if not a.flags.c_contiguous else f"{a.shape[0]}x{a.shape[1]}"


def timed(fn, log, label):
    def wrapper(*args, **kwargs):
        t0 = time.perf_counter()
        result = fn(*args, **kwargs)
        log[label(*args) if callable(label) else label].append(time.perf_counter() - t0)
        return result
    return wrapper


class TimedKernels:
    """The kernel namespace with every kernel timed under its own name."""

    def __init__(self, kernels, log):
        self._kernels, self._log = kernels, log

    def __getattr__(self, name):
        value = getattr(self._kernels, name)
        return timed(value, self._log, name) if callable(value) else value


def profile(name, steps, threads):
    import npae.fused_step as fs
    from npae.backend import load_kernels, thread_limit
    from npae.training import gather_rows

    w = WORKLOADS[name]
    X = data(w)
    model = npae_model(w, "numba", 1, threads).fit(X)  # initialised, kernels compiled
    log = defaultdict(list)
    numpy_timed = types.SimpleNamespace(**{k: getattr(np, k) for k in dir(np) if not k.startswith("__")})
    numpy_timed.matmul = timed(np.matmul, log, lambda a, b, *rest: f"matmul {layout(a)} @ {layout(b)}")
    numpy_timed.multiply = timed(np.multiply, log, "np.multiply")
    step = fs.FusedStep(model.network_, model._objective(), model._optimizer, model.corruption, model.noise,
                        model.data_range_, np.random.default_rng(1), TimedKernels(load_kernels(), log))
    rng, batch, totals = np.random.default_rng(2), w["batch"], []
    real_np, fs.np = fs.np, numpy_timed
    try:
        with thread_limit(threads):
            for _ in range(steps):
                rows = rng.choice(X.shape[0], batch, replace=False)
                t0 = time.perf_counter()
                ws = step.workspace(batch)
                gather_rows(X, rows, out=ws.X)
                t1 = time.perf_counter()
                if step.corruption is not None:
                    step._corrupt(ws)
                t2 = time.perf_counter()
                step.loss_and_grad(ws)
                step.optimizer_step()
                totals.append(time.perf_counter() - t0)
                log["gather rows"].append(t1 - t0)
                if step.corruption is not None:  # the draw alone: the kernel is timed by its own name
                    log["corruption noise, rng"].append(t2 - t1 - log[CORRUPTION_KERNELS[step.corruption]][-1])
    finally:
        fs.np = real_np
    skip = steps // 5  # the first steps warm the caches
    phases = {}
    for label, times in log.items():
        calls = len(times) // steps
        phases[label] = dict(calls=calls, seconds=statistics.fmean(times[skip * calls:]) * calls)
    with thread_limit(threads):
        for label, phase in phases.items():
            if label.startswith("matmul"):
                phase["alone"] = phase["calls"] * product_alone(label, model.network_.dtype)
    return phases, statistics.fmean(totals[skip:])


def operand(text, rng, dtype):
    transposed = text.endswith("ᵀ")
    rows, cols = (int(v) for v in text.rstrip("ᵀ").split("x"))
    a = rng.random((rows, cols), dtype=dtype)
    return a.T if transposed else a


def product_alone(label, dtype):
    """The best time of ``label``'s product alone, operands laid out as in the step."""
    left, right = label.split(" ", 1)[1].split(" @ ")
    rng = np.random.default_rng(0)
    a, b = operand(left, rng, dtype), operand(right, rng, dtype)
    out = np.empty((a.shape[0], b.shape[1]), dtype)
    return best_time(lambda: np.matmul(a, b, out=out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workload", default="W2", help="W1, W2, W3 or W5")
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    name = next(k for k in WORKLOADS if k.split()[0] == args.workload)
    phases, total = profile(name, args.steps, args.threads)
    products = sum(p["seconds"] for k, p in phases.items() if k.startswith("matmul"))
    alone = sum(p.get("alone", 0.0) for p in phases.values())
    rows = [[label, str(p["calls"]), fmt(p["seconds"] * 1e6, 1),
             fmt(p["alone"] * 1e6, 1) if "alone" in p else "", f"{p['seconds'] / total:.0%}"]
            for label, p in sorted(phases.items(), key=lambda kv: -kv[1]["seconds"])]
    rest = total - sum(p["seconds"] for p in phases.values())
    rows.append(["Python between the calls", "", fmt(rest * 1e6, 1), "", f"{rest / total:.0%}"])
    print(f"{name}, batch {WORKLOADS[name]['batch']}, {args.threads} threads, mean of {args.steps} steps")
    print(markdown_table(["phase", "calls", "µs per step", "alone, best µs", "share"], rows))
    print(f"\nstep {total * 1e6:.0f} µs; products {products * 1e6:.0f} µs in the step, "
          f"{alone * 1e6:.0f} µs alone at their best ({alone / total:.0%} of the step)")
    write_json(f"profile-{args.workload}", dict(machine=machine(), workload=name, threads=args.threads,
                                              step_seconds=total, phases=phases))


if __name__ == "__main__":
    main()
