"""The contractive penalty's cost: npae against PyTorch computing the same penalty in
closed form, and against PyTorch computing the Jacobian with torch.func (vmap(jacrev)),
as most users write it.

    python benchmarks/bench_contractive.py [--quick] [--threads N]

784-512-784, sigmoid encoder and decoder, BCE + 0.1 * mean_n ||J_h(x_n)||_F^2, batch 128,
Adam lr 1e-3, synthetic uniform [0, 1] float32 data; samples/s as the median of the timed
epochs after a warm-up (the autograd-Jacobian version: of a few timed batches).
Writes results/contractive.json.
"""

import argparse
import os
import statistics
import time

import numpy as np

from common import every_framework_threads, fmt, machine, markdown_table, matmul_limit, write_json

N_IN, N_HIDDEN, BATCH, LAM = 784, 512, 128, 0.1


def npae_rate(X, backend, epochs, threads):
    from npae import ContractiveAutoencoder

    model = ContractiveAutoencoder(hidden=(N_HIDDEN,), activation="sigmoid", contractive=LAM, loss="bce",
                                   batch_size=BATCH, epochs=epochs, learning_rate=1e-3, random_state=0,
                                   backend=backend, n_threads=threads).fit(X)
    assert model.backend_ == backend
    return len(X) / statistics.median(model.history_["seconds"][1:])


def torch_setup(threads):
    import torch

    torch.manual_seed(0)
    torch.set_num_threads(threads)
    enc, dec = torch.nn.Linear(N_IN, N_HIDDEN), torch.nn.Linear(N_HIDDEN, N_IN)
    opt = torch.optim.Adam(list(enc.parameters()) + list(dec.parameters()), lr=1e-3)
    return torch, enc, dec, opt


def torch_closed_form_rate(X, epochs, threads):
    torch, enc, dec, opt = torch_setup(threads)
    F = torch.nn.functional
    Xt = torch.from_numpy(X)
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        perm = torch.randperm(len(X))
        for i in range(0, len(X), BATCH):
            xb = Xt[perm[i:i + BATCH]]
            h = torch.sigmoid(enc(xb))
            loss = F.binary_cross_entropy_with_logits(dec(h), xb)
            d = h * (1 - h)  # sigma'(z); enc.weight is (hidden, in)
            loss = loss + LAM * ((d * d) @ (enc.weight ** 2).sum(dim=1)).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
        times.append(time.perf_counter() - t0)
    return len(X) / statistics.median(times[1:])


def torch_jacobian_rate(X, batches, threads):
    torch, enc, dec, opt = torch_setup(threads)
    from torch.func import jacrev, vmap

    F = torch.nn.functional
    Xt = torch.from_numpy(X)
    times = []
    for i in range(batches + 1):
        xb = Xt[i * BATCH:(i + 1) * BATCH]
        t0 = time.perf_counter()
        J = vmap(jacrev(lambda x: torch.sigmoid(enc(x))))(xb)  # (batch, hidden, in)
        loss = F.binary_cross_entropy_with_logits(dec(torch.sigmoid(enc(xb))), xb)
        loss = loss + LAM * (J ** 2).sum(dim=(1, 2)).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        times.append(time.perf_counter() - t0)
    return BATCH / statistics.median(times[1:])


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    with every_framework_threads(args.threads):
        run(args)


def run(args):
    n, epochs, batches = (2048, 3, 2) if args.quick else (8192, 6, 5)
    X = np.random.default_rng(0).random((n, N_IN), dtype=np.float32)
    r = {"limit": matmul_limit([N_IN, N_HIDDEN, N_IN], BATCH),
         "npae_numba": npae_rate(X, "numba", epochs, args.threads),
         "npae_numpy": npae_rate(X, "numpy", epochs, args.threads)}
    try:
        import torch  # noqa: F401
        r["torch_closed_form"] = torch_closed_form_rate(X, epochs, args.threads)
        r["torch_vmap_jacrev"] = torch_jacobian_rate(X, batches, args.threads)
    except ImportError:
        r["torch_closed_form"] = r["torch_vmap_jacrev"] = None
    ratio = lambda a, b: None if a is None or b is None else a / b  # noqa: E731
    print(markdown_table(
        ["npae numba", "npae numpy", "PyTorch closed form", "PyTorch vmap(jacrev)", "matmul limit",
         "npae/closed form", "npae/vmap(jacrev)", "npae/limit", "closed form/limit"],
        [[fmt(r["npae_numba"]), fmt(r["npae_numpy"]), fmt(r["torch_closed_form"]), fmt(r["torch_vmap_jacrev"], 1),
          fmt(r["limit"]), fmt(ratio(r["npae_numba"], r["torch_closed_form"]), 2),
          fmt(ratio(r["npae_numba"], r["torch_vmap_jacrev"]), 0),
          f"{100 * r['npae_numba'] / r['limit']:.0f}%",
          "—" if r["torch_closed_form"] is None else f"{100 * r['torch_closed_form'] / r['limit']:.0f}%"]]))
    print(f"wrote {write_json('contractive', {'machine': machine(), 'threads': args.threads, **r})}")


if __name__ == "__main__":
    main()
