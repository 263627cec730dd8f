"""Data-parallel training on MPI: the all-reduce's cost, and training speed on 1 and 2
processes against PyTorch's DistributedDataParallel, then what a cluster would cost.

    python benchmarks/bench_mpi.py [--quick] [--rounds N] [--workload W3]

Needs ``pip install ".[mpi]"`` (mpi4py, MPICH's mpiexec) and PyTorch for its side.
Every process runs one thread (BLAS, numba, PyTorch). Jobs, each a fresh process group:

* ``allreduce``: ``mpiexec -n 2``; ``comm.Allreduce`` in place on float32 vectors of 1e3
  to 1e7 elements (median of repeats, a barrier before each), and what npae's sharded
  update sends instead, ``Reduce_scatter`` of the halves then ``Allgather`` in place,
  beside ``torch.distributed.all_reduce`` on the gloo backend on the same 2 processes;
* training, the deep workload (W3: 784-1000-500-250-30-250-500-1000-784, sigmoid, BCE,
  Adam 1e-3, global batch 256, 4,096 synthetic rows): npae in one process
  (``comm=None``) and on ``mpiexec -n 2`` (``comm=MPI.COMM_WORLD``, 128 rows a rank; the
  update sharded: each rank applies Adam to its half of the parameters),
  PyTorch in one process and in 2 under DistributedDataParallel (gloo, 128 rows a rank:
  the same global batch). Samples/s is the median epoch after a warm-up epoch; npae and
  PyTorch alternate for ``--rounds`` rounds and the table gives each one's median round.
  Scaling efficiency = samples/s on 2 processes / (2 x samples/s on 1);
* the on-paper model: per workload, one process's step (measured here, one thread) and
  Adam's share of it, both divided among the ranks (the sharded update: each rank
  applies Adam to its 1/P of the parameters), and the reduce-scatter of the gradient and
  all-gather of the parameters, which on a ring cost what a ring all-reduce of the
  parameter vector costs, T(P) = 2 (P-1) alpha + 2 (P-1)/P x bytes / B, on a stated
  network, at 8, 64 and 512 ranks with the global batch fixed (what npae's promise -- the
  one-process model -- keeps).

Prints markdown tables and writes results/mpi.json.
"""

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time

import numpy as np

from common import fmt, machine, markdown_table, write_json
from bench_train import WORKLOADS, data, npae_model, torch_modules

HERE = os.path.dirname(os.path.abspath(__file__))
ONE_THREAD = {name: "1" for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                                     "NUMBA_NUM_THREADS")}
SIZES = sorted([10 ** k for k in range(3, 8)] + [2_837_314])  # and W3's parameter count
#: The cluster networks of the on-paper model: (name, bandwidth bytes/s, latency s).
NETWORKS = [("100 Gb/s InfiniBand (HDR100)", 12.5e9, 2e-6), ("25 Gb/s Ethernet (TCP)", 3.1e9, 20e-6)]
RANKS = [8, 64, 512]


def mpiexec():
    beside = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    return beside if os.access(beside, os.X_OK) else shutil.which("mpiexec")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(job, procs, *extra, mpi4py_runner=True):
    """Run this file as ``--job job`` on ``procs`` processes; the JSON line rank 0 prints."""
    command = [sys.executable] + (["-m", "mpi4py"] if mpi4py_runner and procs > 1 else []) + \
        [os.path.abspath(__file__), "--job", job, *map(str, extra)]
    if procs > 1:
        command = [mpiexec(), "-n", str(procs)] + command
    env = {**os.environ, **ONE_THREAD, "MASTER_PORT": str(free_port())}
    out = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800)
    if out.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{out.stderr[-3000:]}")
    return json.loads([line for line in out.stdout.splitlines() if line.startswith("{")][-1])


def rank_and_size():
    return int(os.environ.get("PMI_RANK", 0)), int(os.environ.get("PMI_SIZE", 1))


def torch_group(torch):
    """gloo process group over the mpiexec ranks (rank and size from the launcher's PMI_*)."""
    rank, size = rank_and_size()
    if size > 1:
        torch.distributed.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{os.environ['MASTER_PORT']}",
                                             rank=rank, world_size=size)
    return rank, size


# ---------------------------------------------------------------------------- jobs (in the ranks)
def job_allreduce(args):
    from mpi4py import MPI

    from npae.parallel import Parallel, partition

    comm, rows, sharded = MPI.COMM_WORLD, {}, {}
    parallel = Parallel(comm)
    for n in SIZES:
        buf = np.ones(n, np.float32)
        counts = partition(n, comm.size)[0]
        mine = np.empty(counts[comm.rank], np.float32)
        repeats = max(10, min(300, int(3e8 // max(n, 1) // 100)))
        times, pairs = [], []
        for _ in range(repeats + 3):
            comm.Barrier()
            t0 = time.perf_counter()
            comm.Allreduce(MPI.IN_PLACE, buf, op=MPI.SUM)
            times.append(time.perf_counter() - t0)
            comm.Barrier()
            t0 = time.perf_counter()  # the sharded update's traffic: the gradient's blocks, theta whole
            comm.Reduce_scatter(buf, mine, recvcounts=counts, op=MPI.SUM)
            parallel.gather_blocks(buf)
            pairs.append(time.perf_counter() - t0)
        rows[n], sharded[n] = statistics.median(times[3:]), statistics.median(pairs[3:])
    if comm.rank == 0:
        print(json.dumps({"npae_mpi": rows, "npae_sharded": sharded}))


def job_allreduce_torch(args):
    import torch

    torch.set_num_threads(1)
    rank, size = torch_group(torch)
    rows = {}
    for n in SIZES:
        t = torch.ones(n, dtype=torch.float32)
        repeats = max(10, min(300, int(3e8 // max(n, 1) // 100)))
        times = []
        for _ in range(repeats + 3):
            torch.distributed.barrier()
            t0 = time.perf_counter()
            torch.distributed.all_reduce(t)
            times.append(time.perf_counter() - t0)
        rows[n] = statistics.median(times[3:])
    if rank == 0:
        print(json.dumps({"torch_gloo": rows}))
    torch.distributed.destroy_process_group()


class TimedComm:
    """A communicator whose ``Reduce_scatter`` and ``Allgather`` add their seconds to ``phases``
    (everything else is the communicator's own; W3's parameters split in equal halves, so the
    gather has no remainder to broadcast)."""

    def __init__(self, comm, phases):
        self._comm, self._phases = comm, phases

    def __getattr__(self, name):
        method = getattr(self._comm, name)
        if name not in ("Reduce_scatter", "Allgather"):
            return method

        def timed(*args, **kwargs):
            t0 = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                key = "reduce-scatter" if name == "Reduce_scatter" else "all-gather"
                self._phases[key] = self._phases.get(key, 0.0) + time.perf_counter() - t0
        return timed


def timed_training_step(phases):
    """npae.parallel's own step (``Parallel.training_step``, wrapped) with its phases timed into
    ``phases`` (seconds, summed): the local gradient, the reduce-scatter of the gradient, the
    update (Adam on this rank's block), the all-gather of theta, and the rest ("other": the
    weighting of the gradient into the send buffer, the small all-reduce of the loss)."""
    import npae.parallel

    original = npae.parallel.Parallel.training_step

    def add(key, seconds):
        phases[key] = phases.get(key, 0.0) + seconds

    def training_step(self, gradient, update, grad, generator, theta, optimizer):
        if not isinstance(self.comm, TimedComm):
            self.comm = TimedComm(self.comm, phases)

        def timed_gradient(rows):
            t0 = time.perf_counter()
            try:
                return gradient(rows)
            finally:
                add("gradient", time.perf_counter() - t0)

        def timed_update(summed, block=None):
            t0 = time.perf_counter()
            try:
                return update(summed, block)
            finally:
                add("update", time.perf_counter() - t0)

        step = original(self, timed_gradient, timed_update, grad, generator, theta, optimizer)

        def timed_step(rows, guard=False):
            t0 = time.perf_counter()
            result = step(rows, guard)
            add("step", time.perf_counter() - t0)
            phases["steps"] = phases.get("steps", 0) + 1
            return result

        return timed_step
    return training_step


def job_npae(args):
    w = WORKLOADS[args.workload]
    X = data(w)
    comm, rank, phases = None, 0, {}
    if rank_and_size()[1] > 1:
        from mpi4py import MPI
        import npae.parallel

        comm, rank = MPI.COMM_WORLD, MPI.COMM_WORLD.rank
        npae.parallel.Parallel.training_step = timed_training_step(phases)
    model = npae_model(w, "numba", 1 + args.epochs, 1)
    model.fit(X, comm=comm)
    seconds = model.history_["seconds"][1:]
    steps = phases.pop("steps", 1)
    if phases:
        phases["other"] = phases.pop("step") - sum(phases.values())
    if rank == 0:
        print(json.dumps({"rate": w["n"] / statistics.median(seconds), "epochs": seconds,
                          "loss": model.history_["loss"][-1],
                          "phases_ms": {k: 1e3 * v / steps for k, v in phases.items()}}))


def job_torch(args):
    import torch

    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    rank, size = torch_group(torch)
    w = WORKLOADS[args.workload]
    X = data(w)
    torch.manual_seed(0)
    encoder, decoder = torch_modules(w, torch)
    model = torch.nn.Sequential(encoder, decoder)
    if size > 1:
        model = torch.nn.parallel.DistributedDataParallel(model)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    Xt = torch.from_numpy(X)
    generator = torch.Generator().manual_seed(0)  # the same permutation on every rank
    n, batch, times = w["n"], w["batch"], []
    for _ in range(1 + args.epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(n, generator=generator)
        for i in range(0, n, batch):
            xb = Xt[perm[i:i + batch][rank::size]]  # this rank's rows of the global batch, as npae's
            opt.zero_grad()
            loss = loss_fn(model(xb), xb)
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    if rank == 0:
        print(json.dumps({"rate": n / statistics.median(times[1:]), "epochs": times[1:], "loss": float(loss)}))
    if size > 1:
        torch.distributed.destroy_process_group()


def job_step(args):
    """One process, one thread: each workload's step and its Adam update, timed apart."""
    from npae.backend import load_kernels, thread_limit
    from npae.fused_step import optimizer_kernel_step
    from npae.optim import Adam

    K, rows = load_kernels(), {}
    with thread_limit(1):
        for name, w in WORKLOADS.items():
            model = npae_model(w, "numba", 1 + args.epochs, 1).fit(data(w))
            # the best epoch: on a shared machine the least disturbed one
            step = min(model.history_["seconds"][1:]) / -(-w["n"] // w["batch"])
            n_params = model.network_.n_params
            theta, grad = np.zeros(n_params, np.float32), np.full(n_params, 1e-3, np.float32)
            opt = Adam(n_params, np.float32, 1e-3)
            optimizer_kernel_step(K, opt, theta, grad)
            times = []
            for _ in range(30):
                t0 = time.perf_counter()
                optimizer_kernel_step(K, opt, theta, grad)
                times.append(time.perf_counter() - t0)
            rows[name] = {"params": n_params, "batch": w["batch"], "step": step, "adam": min(times)}
    print(json.dumps(rows))


JOBS = {"allreduce": job_allreduce, "allreduce_torch": job_allreduce_torch, "npae": job_npae, "torch": job_torch,
        "step": job_step}


# ---------------------------------------------------------------------------- the model on paper
def ring_allreduce(n_bytes, ranks, bandwidth, latency):
    """Ring all-reduce (reduce-scatter then all-gather): 2 (P-1) messages of n/P bytes."""
    return 2 * (ranks - 1) * latency + 2 * (ranks - 1) / ranks * n_bytes / bandwidth


def on_paper(steps):
    """Per workload and network: the step on P ranks = step / P + T(P) with the global batch
    fixed -- the compute and Adam both divided among the ranks (the sharded update: each
    applies Adam to its 1/P of the parameters), and the reduce-scatter of the gradient and
    all-gather of the parameters costing a ring all-reduce's T(P); its speed-up over one
    process and the best P. (Before the sharded update every rank applied Adam whole:
    (step - adam) / P + adam + T(P).)"""
    tables = {}
    for net_name, bandwidth, latency in NETWORKS:
        rows = []
        for name, s in steps.items():
            n_bytes = 4 * s["params"]

            def speedup(p):
                return s["step"] / (s["step"] / p + ring_allreduce(n_bytes, p, bandwidth, latency))

            cells = [name.split()[0], f"{s['params']:,}", f"{s['step'] * 1e3:.2f}", f"{s['adam'] * 1e3:.2f}"]
            for p in RANKS:
                t_ar = ring_allreduce(n_bytes, p, bandwidth, latency)
                if p > s["batch"]:
                    cells.append(f"{t_ar * 1e3:.2f} ms; < 1 row a rank")
                    continue
                cells.append(f"{t_ar * 1e3:.2f} ms; {speedup(p):.1f}× ({100 * speedup(p) / p:.0f}%)")
            best = max(range(1, s["batch"] + 1), key=speedup)
            half = [p for p in range(2, s["batch"] + 1) if speedup(p) / p >= 0.5]
            cells.append(f"{best} ({speedup(best):.1f}×); {max(half) if half else 1}")
            rows.append(cells)
        tables[net_name] = rows
    return tables


# ---------------------------------------------------------------------------- driver
def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--job", choices=sorted(JOBS), help=argparse.SUPPRESS)
    parser.add_argument("--workload", default="W3 deep", help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs per fit (after one warm-up)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds of npae and PyTorch")
    parser.add_argument("--quick", action="store_true", help="one round of 2 epochs (a smoke run)")
    args = parser.parse_args()
    if args.job:
        return JOBS[args.job](args)
    if args.quick:
        args.rounds, args.epochs = 1, 2
    if mpiexec() is None:
        sys.exit("no mpiexec: pip install \".[mpi]\"")
    info = machine()
    print(f"machine: {info.get('cpu')}, {info.get('cores')} cores, load {info.get('load', 0):.2f}; one thread a "
          "process", flush=True)

    # the all-reduce
    reduced = launch("allreduce", 2)
    sizes, sharded = reduced["npae_mpi"], reduced["npae_sharded"]
    try:
        gloo = launch("allreduce_torch", 2, mpi4py_runner=False)["torch_gloo"]
    except RuntimeError as exc:
        print(f"(torch.distributed gloo: {exc})")
        gloo = {}
    rows = []
    for n in SIZES:
        t, n_bytes = sizes[str(n)], 4 * n
        g = gloo.get(str(n))
        label = f"{n:.0e}".replace("e+0", "e") if n % 10 ** int(np.log10(n)) == 0 else f"{n:,} (W3)"
        rows.append([label, f"{n_bytes / 1e6:,.3f}", f"{t * 1e6:,.1f}",
                     f"{n_bytes / t / 1e9:.2f}", f"{sharded[str(n)] * 1e6:,.1f}", fmt(g * 1e6 if g else None, 1),
                     f"{g / t:.1f}" if g else "—"])
    print("\nAll-reduce of a float32 vector on 2 processes (median):\n")
    print(markdown_table(["floats", "MB", "npae (MPICH) µs", "GB/s (bytes / time)",
                          "reduce-scatter + all-gather µs", "PyTorch gloo µs", "gloo / MPICH"], rows))

    # training, W3, 1 and 2 processes, npae and PyTorch alternating
    rates, phases = {"npae 1": [], "npae 2": [], "torch 1": [], "torch 2": []}, []
    extra = ["--workload", args.workload, "--epochs", args.epochs]
    for r in range(args.rounds):
        for key, (job, procs) in {"npae 1": ("npae", 1), "torch 1": ("torch", 1), "npae 2": ("npae", 2),
                                  "torch 2": ("torch", 2)}.items():
            result = launch(job, procs, *extra, mpi4py_runner=job == "npae")
            rates[key].append(result["rate"])
            if result.get("phases_ms"):
                phases.append(result["phases_ms"])
            detail = ", ".join(f"{k} {v:.1f} ms" for k, v in result.get("phases_ms", {}).items())
            print(f"round {r + 1}: {key} process(es): {result['rate']:,.0f} samples/s"
                  f"{' (a step, rank 0: ' + detail + ')' if detail else ''}", flush=True)
    med = {key: statistics.median(v) for key, v in rates.items()}
    eff = {fw: med[f"{fw} 2"] / (2 * med[f"{fw} 1"]) for fw in ("npae", "torch")}
    print(f"\nTraining {args.workload} (global batch 256), samples/s, median of {args.rounds} rounds:\n")
    print(markdown_table(["", "1 process", "2 processes", "scaling efficiency"],
                         [["npae (MPI, sharded update)", fmt(med["npae 1"]), fmt(med["npae 2"]), f"{100 * eff['npae']:.0f}%"],
                          ["PyTorch (DDP, gloo)", fmt(med["torch 1"]), fmt(med["torch 2"]),
                           f"{100 * eff['torch']:.0f}%"],
                          ["npae / PyTorch", f"{med['npae 1'] / med['torch 1']:.2f}",
                           f"{med['npae 2'] / med['torch 2']:.2f}", ""]]))
    print("rounds: " + "; ".join(f"{k} {', '.join(f'{v:,.0f}' for v in vs)}" for k, vs in rates.items()))
    # each round's 1- and 2-process fits ran minutes apart at most: their ratio is less exposed to a
    # shared machine's drift than the ratio of medians taken over different rounds
    paired = {fw: [two / (2 * one) for one, two in zip(rates[f"{fw} 1"], rates[f"{fw} 2"])] for fw in ("npae", "torch")}
    print("scaling efficiency round by round: " + "; ".join(
        f"{fw} {', '.join(f'{100 * e:.0f}%' for e in es)} (median {100 * statistics.median(es):.0f}%)"
        for fw, es in paired.items()))

    # on paper
    steps = launch("step", 1, "--epochs", max(2, args.epochs - 2))
    print("\nOne process, one thread: step and Adam per workload:\n")
    print(markdown_table(["workload", "parameters", "batch", "step ms (best epoch)", "Adam ms"],
                         [[k.split()[0], f"{s['params']:,}", str(s["batch"]), f"{s['step'] * 1e3:.2f}",
                           f"{s['adam'] * 1e3:.2f}"] for k, s in steps.items()]))
    paper = on_paper(steps)
    for net_name, rows in paper.items():
        bandwidth, latency = next((b, a) for n, b, a in NETWORKS if n == net_name)
        print(f"\nOn paper, {net_name} ({bandwidth / 1e9:g} GB/s, {latency * 1e6:g} µs a message), global batch "
              "fixed: ring reduce-scatter + all-gather (a ring all-reduce's cost), Adam divided among the ranks; "
              "speed-up over one process (efficiency)\n")
        print(markdown_table(["workload", "parameters", "step ms (1 process)", "Adam ms"] +
                             [f"P = {p}" for p in RANKS] + ["best P (speed-up); last P at ≥ 50%"], rows))
    path = write_json("mpi", {"machine": info, "allreduce": {"npae_mpi": sizes, "npae_sharded": sharded,
                                                           "torch_gloo": gloo},
                              "training": {"workload": args.workload, "rounds": rates, "median": med,
                                           "efficiency": eff, "paired_efficiency": paired,
                                           "npae_2_phases_ms": phases},
                              "steps": steps, "networks": NETWORKS, "on_paper": paper})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
