"""One one-layer model of Rifai et al.'s table (784-1000 sigmoid, tied), pretrained and fine-tuned.

A CAE, or with --contractive 0 a DAE (--masking, --gaussian) or a plain AE, trained with the
settings given on the standard split: the runs behind RESULTS.md's "searched and not kept" rows.

    python benchmarks/rifai_search.py [--quick] [--optimizer adam|sgd] [--lr LR] [--momentum M]
        [--batch B] [--contractive LAM] [--epochs N] [--gaussian SIGMA | --masking P] [--seed S]
        [--ft-optimizer adam|sgd] [--ft-lr LR] [--ft-momentum M] [--ft-batch B] [--ft-epochs N]
        [--ft-patience N] [--ft-decay-patience N (0: constant rate)]

Fine-tuning is reproduce_literature's (``fine_tuned``: early stopping on the validation error,
the best epoch's weights kept). One line per run is appended to results/rifai-search.jsonl.
SGD's rate is on npae's losses, means over the 784 pixels: 7.84 there is the Theano tutorial's
0.01 on the summed cross-entropy, and a contractive weight of 1.28e-3 is its 1.0.
"""

import argparse
import json
import os
import time

from common import HERE
from reproduce_literature import DEFAULTS, QUICK, cae_params, fine_tuned, finetune_params, split

from npae import ContractiveAutoencoder


def corruption(a):
    if a.gaussian and a.masking:
        raise SystemExit("give --gaussian or --masking, not both")
    if a.gaussian:
        return dict(corruption="gaussian", noise=a.gaussian)
    return dict(corruption="masking", noise=a.masking) if a.masking else {}


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data", "mnist"))
    p.add_argument("--optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--momentum", type=float, default=0.0, help="with --optimizer sgd")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--contractive", type=float, default=1e-3)
    p.add_argument("--epochs", type=int, default=30, help="pretraining epochs")
    p.add_argument("--gaussian", type=float, default=0.0, help="Gaussian input noise (a DAE-g with "
                   "--contractive 0)")
    p.add_argument("--masking", type=float, default=0.0, help="masking noise, the fraction of pixels set "
                   "to 0 (a DAE-b with --contractive 0)")
    p.add_argument("--seed", type=int, default=0, help="pretraining's and fine-tuning's random_state")
    p.add_argument("--ft-optimizer", choices=["adam", "sgd"], default="adam")
    p.add_argument("--ft-lr", type=float, default=1e-3)
    p.add_argument("--ft-momentum", type=float, default=0.9)
    p.add_argument("--ft-batch", type=int, default=128)
    p.add_argument("--ft-epochs", type=int, default=60)
    p.add_argument("--ft-patience", type=int, default=8)
    p.add_argument("--ft-decay-patience", type=int, default=3, help="0: a constant rate")
    a = p.parse_args()
    data = split(a.data_dir, a.quick)
    settings = dict(DEFAULTS["rifai"], pretrain=QUICK["pretrain"] if a.quick else a.epochs, tied=True,
                    finetune=QUICK["finetune"] if a.quick else a.ft_epochs,
                    patience=a.ft_patience, lr_decay_patience=a.ft_decay_patience or None,
                    finetune_lr=a.ft_lr, finetune_batch_size=a.ft_batch, finetune_optimizer=a.ft_optimizer,
                    finetune_momentum=a.ft_momentum, threads=1, seed=a.seed)
    noise = corruption(a)
    name = f"CAE-1 (contractive {a.contractive:g})" if a.contractive else "AE-1" if not noise else "DAE-1"
    if noise:
        name += f", {noise['corruption']} {noise['noise']:g}"
    params = cae_params(a.contractive, settings, batch_size=a.batch, learning_rate=a.lr, optimizer=a.optimizer,
                        momentum=a.momentum, verbose=1, **noise)
    t0 = time.perf_counter()
    cae = ContractiveAutoencoder(**params).fit(data[0])
    row = fine_tuned(name, cae, finetune_params(settings), data, t0, {"cae": params})
    os.makedirs(os.path.join(HERE, "results"), exist_ok=True)
    # appended, not rewritten atomically: runs side by side each add their line in one small
    # write to the O_APPEND file, where a read-and-replace by two processes could drop one
    with open(os.path.join(HERE, "results", "rifai-search.jsonl"), "a") as f:
        f.write(json.dumps(dict(args=vars(a), validation=row["validation"], test=row["test"],
                                best_epoch=row["best_epoch"], seconds=row["seconds"],
                                date=time.strftime("%Y-%m-%d"))) + "\n")


if __name__ == "__main__":
    main()
