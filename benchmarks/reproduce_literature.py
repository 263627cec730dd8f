"""Reproduce the classic MNIST autoencoder results with npae on the CPU.

    python benchmarks/reproduce_literature.py [--quick] [--only hs vincent rifai] [--data-dir DIR]

1. Hinton & Salakhutdinov 2006: deep autoencoder 784-1000-500-250-30 (linear code);
   average squared reconstruction error per test image, summed over the 784 pixels.
   Paper: autoencoder 3.00, logistic PCA 8.01, PCA 13.87.
2. Vincent et al. 2010: SDAE-3 (three hidden layers of 1000, masking noise), supervised
   fine-tuning; test error. Paper: SDAE-3 1.28%, SAE-3 1.40%.
3. Rifai et al. 2011: contractive autoencoder, one hidden layer of 1000 sigmoid units,
   pretrained then fine-tuned; test error. Paper: CAE 1.14% (DAE 1.18%, AE 1.78%).

The standard split: the first 50,000 training images train, the last 10,000 validate
(reported, for model selection), the 10,000 test images are the score. Every
hyper-parameter and seed is printed and written with the table into
benchmarks/RESULTS.md (between the literature markers) and results/literature.json.
--quick runs the same code on 5,000 / 1,000 / 2,000 images with 2 epochs.
"""

import argparse
import os
import re
import sys
import time

import numpy as np

from common import HERE, machine, markdown_table, write_json

from npae import PCA, Classifier, ContractiveAutoencoder, StackedAutoencoder
from npae.datasets import load_mnist


def split(data_dir, quick):
    X, y = load_mnist(data_dir, kind="train")
    X_test, y_test = load_mnist(data_dir, kind="test")
    sizes = (5000, 1000, 2000) if quick else (50000, 10000, 10000)
    return (X[:sizes[0]], y[:sizes[0]], X[50000:50000 + sizes[1]], y[50000:50000 + sizes[1]],
            X_test[:sizes[2]], y_test[:sizes[2]])


def squared_error_per_image(model, X):
    """mean over images of sum over pixels of (x - x_hat)^2 (Hinton & Salakhutdinov's measure)."""
    return float(np.mean(np.sum((model.reconstruct(X).astype(np.float64) - X) ** 2, axis=1)))


def hinton_salakhutdinov(data, epochs):
    Xtr, _, Xval, _, Xte, _ = data
    rows = []
    base = dict(hidden=(1000, 500, 250, 30), activation="sigmoid", code_activation="linear", loss="bce",
                batch_size=128, learning_rate=1e-3, random_state=0)
    for name, pretrain in (("deep autoencoder, layer-wise pretrained", epochs["pretrain"]),
                           ("deep autoencoder, random initialisation", 0)):
        params = dict(base, pretrain_epochs=pretrain, epochs=epochs["finetune"])
        t0 = time.perf_counter()
        model = StackedAutoencoder(**params).fit(Xtr)
        seconds = time.perf_counter() - t0
        rows.append(dict(model=name, validation=squared_error_per_image(model, Xval),
                         test=squared_error_per_image(model, Xte), seconds=seconds, params=params))
        print(rows[-1], flush=True)
    t0 = time.perf_counter()
    pca = PCA(30).fit(Xtr)
    rows.append(dict(model="PCA(30)", validation=squared_error_per_image(pca, Xval),
                     test=squared_error_per_image(pca, Xte), seconds=time.perf_counter() - t0,
                     params={"n_components": 30}))
    return rows


def test_error(clf, X, y):
    return 100.0 * (1.0 - clf.score(X, y))


def vincent(data, epochs):
    Xtr, ytr, Xval, yval, Xte, yte = data
    rows = []
    finetune = dict(epochs=epochs["finetune"], learning_rate=1e-3, batch_size=128, random_state=0)
    for name, noise in (("SDAE-3 (masking 0.25)", 0.25), ("SAE-3", 0.0)):
        stack_params = dict(hidden=(1000, 1000, 1000), activation="sigmoid", code_activation="sigmoid",
                            pretrain_epochs=epochs["pretrain"], epochs=0, batch_size=128, learning_rate=1e-3,
                            layer_params={"corruption": "masking", "noise": noise} if noise else None,
                            random_state=0)
        t0 = time.perf_counter()
        stack = StackedAutoencoder(**stack_params).fit(Xtr)
        clf = Classifier(encoder=stack, **finetune).fit(Xtr, ytr)
        rows.append(dict(model=name, validation=test_error(clf, Xval, yval), test=test_error(clf, Xte, yte),
                         seconds=time.perf_counter() - t0, params={"stack": stack_params, "finetune": finetune}))
        print(rows[-1], flush=True)
    params = dict(hidden=(1000, 1000, 1000), activation="sigmoid", **finetune)
    t0 = time.perf_counter()
    clf = Classifier(**params).fit(Xtr, ytr)
    rows.append(dict(model="same network, random initialisation", validation=test_error(clf, Xval, yval),
                     test=test_error(clf, Xte, yte), seconds=time.perf_counter() - t0, params=params))
    print(rows[-1], flush=True)
    return rows


def rifai(data, epochs):
    Xtr, ytr, Xval, yval, Xte, yte = data
    finetune = dict(epochs=epochs["finetune"], learning_rate=1e-3, batch_size=128, random_state=0)
    cae_params = dict(hidden=(1000,), activation="sigmoid", contractive=0.001, epochs=epochs["pretrain"],
                      batch_size=128, learning_rate=1e-3, random_state=0)
    t0 = time.perf_counter()
    cae = ContractiveAutoencoder(**cae_params).fit(Xtr)
    clf = Classifier(encoder=cae, **finetune).fit(Xtr, ytr)
    row = dict(model="CAE-1 (1000 sigmoid units), fine-tuned", validation=test_error(clf, Xval, yval),
               test=test_error(clf, Xte, yte), seconds=time.perf_counter() - t0,
               params={"cae": cae_params, "finetune": finetune})
    print(row, flush=True)
    return [row]


EXPERIMENTS = {
    "hs": ("Hinton & Salakhutdinov 2006: squared error per test image (paper: AE 3.00, logistic PCA 8.01, "
           "PCA 13.87)", hinton_salakhutdinov, "error per image"),
    "vincent": ("Vincent et al. 2010: test error % (paper: SDAE-3 1.28, SAE-3 1.40)", vincent, "error %"),
    "rifai": ("Rifai et al. 2011: test error % (paper: CAE 1.14, DAE 1.18, AE 1.78)", rifai, "error %"),
}


def write_results(sections, info, quick, command):
    path = os.path.join(HERE, "RESULTS.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    body = [f"## The classic MNIST results (`{command}`)", "",
            f"Machine: {info['cpu']}, {info['cores']} cores; numpy {info['numpy']}, numba {info['numba']}; "
            f"load average {info.get('load', 0):.1f} at the start. Adam (betas 0.9, 0.999), seeds 0; "
            "train on the first 50,000 training images, validate on the last 10,000, test on the 10,000 "
            "test images." + (" QUICK MODE: 5,000 / 1,000 / 2,000 images, 2 epochs." if quick else ""), ""]
    for title, unit, rows in sections:
        body += [f"**{title}**", "", markdown_table(
            ["model", f"validation {unit}", f"test {unit}", "wall time"],
            [[r["model"], f"{r['validation']:.3f}", f"{r['test']:.3f}", f"{r['seconds'] / 60:.1f} min"]
             for r in rows]), ""]
        for r in rows:
            body.append(f"- {r['model']}: `{r['params']}`")
        body.append("")
    block = "<!-- literature:start -->\n" + "\n".join(body) + "<!-- literature:end -->"
    if "<!-- literature:start -->" in text:
        text = re.sub(r"<!-- literature:start -->.*<!-- literature:end -->", lambda m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    with open(path, "w") as f:
        f.write(text)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", choices=sorted(EXPERIMENTS), default=sorted(EXPERIMENTS))
    parser.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data", "mnist"))
    parser.add_argument("--pretrain-epochs", type=int, default=None)
    parser.add_argument("--finetune-epochs", type=int, default=None)
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    data = split(args.data_dir, args.quick)
    epochs = {"pretrain": args.pretrain_epochs or (2 if args.quick else 10),
              "finetune": args.finetune_epochs or (2 if args.quick else 30)}
    info = machine()
    sections, payload = [], {"machine": info, "quick": args.quick, "epochs": epochs}
    for key in ["hs", "rifai", "vincent"]:
        if key not in args.only:
            continue
        title, run, unit = EXPERIMENTS[key]
        print(f"== {title}", flush=True)
        rows = run(data, epochs)
        sections.append((title, unit, rows))
        payload[key] = rows
        write_json("literature", payload)
        if not args.no_write:
            write_results(sections, info, args.quick, "python benchmarks/reproduce_literature.py " +
                          " ".join(sys.argv[1:]))
    print(f"done; tables in {os.path.join(HERE, 'RESULTS.md')}")


if __name__ == "__main__":
    main()
