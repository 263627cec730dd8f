"""Reproduce the classic MNIST autoencoder results with npae on the CPU.

    python benchmarks/reproduce_literature.py [--quick] [--only hs vincent rifai] [--data-dir DIR]
        [--pretrain-epochs N] [--finetune-epochs N] [--finetune-optimizer adam|sgd]
        [--finetune-momentum M] [--finetune-lr LR] [--finetune-batch-size B] [--patience N]
        [--lr-decay-patience N] [--lr-decay-factor F] [--contractive LAM ...] [--untied]
        [--hs-models pretrained random pca] [--refit | --refit-only] [--threads N]

1. Hinton & Salakhutdinov 2006: deep autoencoder 784-1000-500-250-30 (linear code);
   average squared reconstruction error per test image, summed over the 784 pixels.
   Paper: autoencoder 3.00, logistic PCA 8.01, PCA 13.87.
2. Vincent et al. 2010: SDAE-3 (three hidden layers of 1000, masking noise), supervised
   fine-tuning; test error. Paper: SDAE-3 1.28%, SAE-3 1.40%.
3. Rifai et al. 2011: contractive autoencoder, one hidden layer of 1000 sigmoid units,
   pretrained then fine-tuned; test error. Paper: CAE 1.14% (DAE 1.18%, AE 1.78%).

The standard split: the first 50,000 training images train, the last 10,000 validate
(model selection: fine-tuning lowers Adam's rate by ``--lr-decay-factor`` after
``--lr-decay-patience`` epochs without a better validation number, stops after
``--patience`` epochs without one and keeps the best epoch's weights; the number is the
validation error for the classifiers, the validation loss for the autoencoders), the
10,000 test images are the score. Every hyper-parameter and seed is printed and written into
results/literature-KEY.json per experiment; the table in benchmarks/RESULTS.md (between
the literature markers) is rebuilt from those files, so experiments may run as separate
processes side by side (``--only hs --threads 1`` beside ``--only vincent --threads 1``:
on two cores that is faster than one after the other on two threads, because BLAS
scales poorly from one thread to two at these shapes).
Every layer is pretrained with tied weights (decoder = encoder^T), as in the three papers
(H&S's RBMs are tied by construction; ``--untied`` for separate decoder weights); H&S's
deep autoencoder is then unrolled untied, each decoder starting as its encoder transposed,
and fine-tuned with decoder weights of its own, as in the paper.
``--refit`` then trains each experiment's chosen model (``CHOSEN``) again, pretraining included,
on all the training images (60,000, as Hinton & Salakhutdinov trained; 6,000 with --quick) for
the epochs validation kept, with the rate lowered after the epochs where it was lowered then
(``lr_decay_epochs`` replaying the recorded schedule); ``--refit-only`` refits the chosen row
of the last results file.
With no flags every experiment runs with its ``DEFAULTS``, the settings of the rows in
RESULTS.md; a flag overrides it for every experiment run.
--quick runs the same code on 5,000 / 1,000 / 2,000 images with 2 epochs.
"""

import argparse
import json
import os
import re
import sys
import time

import numpy as np

from common import HERE, machine, markdown_table, write_atomic, write_json

from npae import PCA, Classifier, ContractiveAutoencoder, StackedAutoencoder
from npae.datasets import load_mnist
from npae.training import decay_epochs


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
                batch_size=128, learning_rate=1e-3, early_stopping=True, patience=epochs["patience"],
                lr_decay_patience=epochs["lr_decay_patience"], lr_decay_factor=epochs["lr_decay_factor"],
                n_threads=epochs["threads"], random_state=epochs["seed"], verbose=1)
    for kind, name, pretrain in (("pretrained", "deep autoencoder, layer-wise pretrained", epochs["pretrain"]),
                                 ("random", "deep autoencoder, random initialisation", 0)):
        if kind not in epochs["hs_models"]:
            continue
        params = dict(base, pretrain_epochs=pretrain, epochs=epochs["finetune"],
                      layer_params={"learning_rate": 1e-3, "tied": epochs["tied"]} if pretrain else None)
        t0 = time.perf_counter()
        model = StackedAutoencoder(**params).fit(Xtr, validation_data=Xval)
        seconds = time.perf_counter() - t0
        rows.append(dict(model=name, validation=squared_error_per_image(model, Xval),
                         test=squared_error_per_image(model, Xte), seconds=seconds, params=params,
                         **schedule_run(model)))
        print(rows[-1], flush=True)
    if "pca" not in epochs["hs_models"]:
        return rows
    t0 = time.perf_counter()
    pca = PCA(30).fit(Xtr)
    rows.append(dict(model="PCA(30)", validation=squared_error_per_image(pca, Xval),
                     test=squared_error_per_image(pca, Xte), seconds=time.perf_counter() - t0,
                     params={"n_components": 30}))
    return rows


def test_error(clf, X, y):
    return 100.0 * (1.0 - clf.score(X, y))


def error_interval(error_percent, n, z=1.96):
    """The 95% Wilson interval (in %) of an error rate measured on n test images: at 1.3%
    on 10,000 images it is 1.10-1.54, so two models (or a model and a paper)
    closer than that are not told apart by the test set."""
    p = error_percent / 100.0
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100.0 * (centre - half), 100.0 * (centre + half)


def best_epoch(model):
    """The epoch whose weights early stopping kept: the first with the lowest validation
    error for a classifier, the lowest validation loss for an autoencoder."""
    history = model.history_
    if not history.get("loss"):
        return None  # no fine-tuning epoch ran
    return int(np.argmin(history["val_error"] if "val_error" in history else history["val_loss"])) + 1


def schedule_run(model):
    """What a row records of a validated fine-tuning, and what ``refit`` replays: epochs run,
    the epoch whose weights were kept, and the epochs after which the rate was lowered."""
    return dict(epochs_run=model.n_iter_, best_epoch=best_epoch(model),
                decay_epochs=decay_epochs(model.history_.get("learning_rate", [])))


def finetune_params(epochs):
    return dict(epochs=epochs["finetune"], optimizer=epochs["finetune_optimizer"],
                momentum=epochs["finetune_momentum"], learning_rate=epochs["finetune_lr"],
                batch_size=epochs["finetune_batch_size"],
                early_stopping=True, patience=epochs["patience"], lr_decay_patience=epochs["lr_decay_patience"],
                lr_decay_factor=epochs["lr_decay_factor"], n_threads=epochs["threads"], random_state=epochs["seed"],
                verbose=1)


def fine_tuned(name, encoder, params, data, t0, extra):
    Xtr, ytr, Xval, yval, Xte, yte = data
    clf = Classifier(encoder=encoder, **params).fit(Xtr, ytr, validation_data=(Xval, yval))
    row = dict(model=name, validation=test_error(clf, Xval, yval), test=test_error(clf, Xte, yte), n_test=len(Xte),
               seconds=time.perf_counter() - t0, params=dict(extra, finetune=params), **schedule_run(clf))
    print(row, flush=True)
    return row


def random_start(hidden, data, epochs):
    """The row of the same sigmoid network trained from random weights, as fine-tuning is."""
    params = dict(hidden=hidden, activation="sigmoid", **finetune_params(epochs))
    return fine_tuned("same network, random initialisation", None, params, data, time.perf_counter(), {})


def vincent(data, epochs):
    Xtr = data[0]
    rows = []
    finetune = finetune_params(epochs)
    for name, noise in (("SDAE-3 (masking 0.25)", 0.25), ("SAE-3", 0.0)):
        stack_params = dict(hidden=(1000, 1000, 1000), activation="sigmoid", code_activation="sigmoid",
                            pretrain_epochs=epochs["pretrain"], epochs=0, batch_size=128, learning_rate=1e-3,
                            layer_params={"corruption": "masking", "noise": noise} if noise else None,
                            tied=epochs["tied"], n_threads=epochs["threads"], random_state=epochs["seed"])
        t0 = time.perf_counter()
        stack = StackedAutoencoder(**stack_params).fit(Xtr)
        rows.append(fine_tuned(name, stack, finetune, data, t0, {"stack": stack_params}))
    rows.append(random_start((1000, 1000, 1000), data, epochs))
    return rows


def cae_params(contractive, epochs, **overrides):
    """Rifai's CAE-1: 784-1000 sigmoid, pretrained by Adam at 1e-3 on batches of 128 for
    ``epochs["pretrain"]`` epochs; ``overrides`` change any of it (``rifai_search.py``)."""
    return dict(dict(hidden=(1000,), activation="sigmoid", contractive=contractive, epochs=epochs["pretrain"],
                     batch_size=128, learning_rate=1e-3, tied=epochs["tied"], n_threads=epochs["threads"],
                     random_state=epochs["seed"]), **overrides)


def rifai(data, epochs):
    """One CAE per contractive weight in ``epochs["contractive"]``, each fine-tuned; the
    table marks the one with the lowest validation error (Rifai et al. chose so too). Then
    the same 784-1000-10 network trained from random weights, to show what pretraining adds."""
    rows = []
    for lam in epochs["contractive"]:
        params = cae_params(lam, epochs)
        t0 = time.perf_counter()
        cae = ContractiveAutoencoder(**params).fit(data[0])
        rows.append(fine_tuned(f"CAE-1 (1000 sigmoid units, contractive {lam:g}), fine-tuned", cae,
                               finetune_params(epochs), data, t0, {"cae": params}))
    min(rows, key=lambda r: r["validation"])["model"] += " — chosen on validation"
    rows.append(random_start((1000,), data, epochs))
    return rows


#: Each experiment's model that is refit on all the training images (a substring of its row's name).
CHOSEN = {"hs": "deep autoencoder, layer-wise pretrained", "vincent": "SDAE-3", "rifai": "chosen on validation"}
REFIT_TAG = " — refit on all training images"


def chosen_row(key, rows):
    for row in rows:
        if CHOSEN[key] in row["model"] and REFIT_TAG not in row["model"]:
            return row
    raise SystemExit(f"no {CHOSEN[key]!r} row in the {key} results to refit; run the experiment first")


def refit_params(params, row, threads):
    """The chosen run's settings for a refit: as many epochs as validation kept, with the rate
    lowered after the epochs where the chosen run lowered it, and no validation data. An epoch
    is a pass over all the images, so the refit takes 20% more steps than the chosen run."""
    if row.get("decay_epochs") is None or not row.get("best_epoch"):
        raise SystemExit(f"the row {row['model']!r} does not record its rate schedule (decay_epochs) "
                         "or its best epoch; rerun its experiment")
    best = row["best_epoch"]
    return dict(params, epochs=best, early_stopping=False, lr_decay_patience=None, verbose=1,
                n_threads=threads, lr_decay_epochs=tuple(e for e in row["decay_epochs"] if e < best))


def refit(key, row, data, threads):
    """The chosen model trained again, pretraining included, on the training and validation images
    together (all 60,000 training images, as Hinton & Salakhutdinov trained) with the epochs and
    rates validation chose; its validation column is empty (those images are now training data)."""
    Xtr, ytr, Xval, yval, Xte, yte = data
    X_all, y_all = np.concatenate([Xtr, Xval]), np.concatenate([ytr, yval])
    t0 = time.perf_counter()
    if key == "hs":
        params = refit_params(row["params"], row, threads)
        model = StackedAutoencoder(**params).fit(X_all)
        test = squared_error_per_image(model, Xte)
    else:
        params = refit_params(row["params"]["finetune"], row, threads)
        encoder = None
        for name, estimator in (("stack", StackedAutoencoder), ("cae", ContractiveAutoencoder)):
            if name in row["params"]:
                encoder = estimator(**dict(row["params"][name], n_threads=threads)).fit(X_all)
        model = Classifier(encoder=encoder, **params).fit(X_all, y_all)
        test = test_error(model, Xte, yte)
    name = row["model"].replace(" — chosen on validation", "")
    settings = dict(params if key == "hs" else dict(row["params"], finetune=params), refit_of=row["model"])
    refitted = dict(model=f"{name}{REFIT_TAG} ({len(X_all):,})", validation=None, test=test, n_test=len(Xte),
                    seconds=time.perf_counter() - t0, params=settings,
                    epochs_run=model.n_iter_, best_epoch=model.n_iter_, decay_epochs=list(params["lr_decay_epochs"]))
    print(refitted, flush=True)
    return refitted


EXPERIMENTS = {
    "hs": ("Hinton & Salakhutdinov 2006: squared error per test image (paper: AE 3.00, logistic PCA 8.01, "
           "PCA 13.87)", hinton_salakhutdinov, "error per image"),
    "vincent": ("Vincent et al. 2010: test error % (paper: SDAE-3 1.28, SAE-3 1.40)", vincent, "error %"),
    "rifai": ("Rifai et al. 2011: test error % (paper: CAE 1.14, DAE 1.18, AE 1.78)", rifai, "error %"),
}


HS_MODELS = ("pretrained", "random", "pca")

#: Each experiment's settings when no flag overrides them: those of the rows in RESULTS.md.
FINETUNE_ON_PLATEAUS = {"patience": 8, "lr_decay_patience": 3, "lr_decay_factor": 0.2}
DEFAULTS = {
    "hs": {"pretrain": 50, "finetune": 200, "patience": 20, "lr_decay_patience": 8, "lr_decay_factor": 0.5,
           "contractive": None},
    "vincent": dict(FINETUNE_ON_PLATEAUS, pretrain=10, finetune=60, contractive=None),
    "rifai": dict(FINETUNE_ON_PLATEAUS, pretrain=30, finetune=60, contractive=[0.0003, 0.001, 0.003, 0.01]),
}
QUICK = {"pretrain": 2, "finetune": 2}


def kept_rows(key, rows, quick):
    """``rows`` merged into the rows of the last run of experiment ``key`` (same mode): a row
    of the same model is replaced, the others are kept with their own command and date."""
    path = os.path.join(HERE, "results", f"literature-{key}.json")
    if not os.path.exists(path):
        print(f"no {path} (results/ is not in git): the {key} table is rebuilt from this run's rows alone; "
              "`git checkout benchmarks/RESULTS.md` brings back the committed one")
        return rows
    with open(path) as f:
        previous = json.load(f)
    if previous["quick"] != quick or previous["machine"].get("cpu") != machine().get("cpu"):
        print(f"the last {key} run was in another mode or on another machine: its rows are dropped")
        return rows
    new = {r["model"]: r for r in rows}
    old = [dict(r, command=r.get("command", previous["command"]), date=r.get("date", previous["date"]),
                threads=r.get("threads", previous["threads"]), load=r.get("load", previous["machine"].get("load")))
           for r in previous["rows"]]
    merged = [new.pop(r["model"], r) for r in old]
    return merged + list(new.values())


def written_sections(text):
    """Each experiment's section of the literature block in ``text`` (RESULTS.md), by key."""
    block = re.search(r"<!-- literature:start -->(.*)<!-- literature:end -->", text, flags=re.S)
    heads = [(block.group(1).find(f"**{title}**"), key) for key, (title, _, _) in EXPERIMENTS.items()] if block else []
    heads = sorted((start, key) for start, key in heads if start >= 0)
    ends = [start for start, _ in heads[1:]] + [len(block.group(1)) if block else 0]
    return {key: block.group(1)[start:end].rstrip("\n").split("\n") + [""] for (start, key), end in zip(heads, ends)}


def write_results(info_note):
    """Rebuild the literature block of RESULTS.md from every results/literature-KEY.json; an
    experiment with no such file (results/ is not in git: a fresh clone has none) keeps its
    section as RESULTS.md has it."""
    path = os.path.join(HERE, "RESULTS.md")
    text = open(path).read() if os.path.exists(path) else "# Benchmark results\n"
    kept = written_sections(text)
    body = []
    for key, (title, _, unit) in EXPERIMENTS.items():
        result_path = os.path.join(HERE, "results", f"literature-{key}.json")
        if not os.path.exists(result_path):
            body += kept.get(key, [])
            continue
        with open(result_path) as f:
            run = json.load(f)
        info = run["machine"]
        interval = unit == "error %"  # a proportion of test images: its sampling interval is known
        n_test = 2000 if run["quick"] else 10000  # rows written before n_test was recorded
        runs = dict.fromkeys((r.get("command", run["command"]), r.get("date", run["date"]),
                              r.get("threads", run["threads"]), r.get("load", info.get("load")) or 0.0)
                             for r in run["rows"])
        runs = "; ".join(f"`{command}`, {date}, {threads} thread(s) per model, load average {load:.1f} "
                         "at the start" for command, date, threads, load in runs)
        body += [f"**{title}**", "", f"{runs}; {info['cpu']}, {info['cores']} cores; numpy {info['numpy']}, "
                 f"numba {info['numba']}." + (" QUICK MODE." if run["quick"] else ""), "",
                 markdown_table(["model", f"validation {unit}", f"test {unit}"] + ["test 95% interval"] * interval
                                + ["epochs (best)", "wall time"],
                                [[r["model"], "—" if r["validation"] is None else f"{r['validation']:.3f}",
                                  f"{r['test']:.3f}"]
                                 + ["%.2f-%.2f" % error_interval(r["test"], r.get("n_test", n_test))] * interval
                                 + [f"{r.get('epochs_run', '?')} ({r.get('best_epoch', '?')})",
                                    f"{r['seconds'] / 60:.1f} min"] for r in run["rows"]]), ""]
        body += [f"- {r['model']}: `{r['params']}`" for r in run["rows"]] + [""]
    block = ("<!-- literature:start -->\n## The classic MNIST results (`python benchmarks/reproduce_literature.py`)\n\n"
             + info_note + "\n\n" + "\n".join(body) + "<!-- literature:end -->")
    if "<!-- literature:start -->" in text:
        text = re.sub(r"<!-- literature:start -->.*<!-- literature:end -->", lambda m: block, text, flags=re.S)
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    write_atomic(path, lambda f: f.write(text), mode="w")


NOTE = ("Adam (betas 0.9, 0.999), seeds 0 (a command's --seed S: S); train on the first 50,000 training "
        "images, validate on the last 10,000, test on the 10,000 test images. Fine-tuning lowers the rate "
        "on plateaus of the validation number (error for the classifiers, loss for the autoencoders), stops early and keeps "
        "the best epoch's weights. \"epochs (best)\": epochs run, and the one whose weights were kept (for the "
        "classifier rows run up to 2026-12-02 the column gives the epoch of lowest validation cross-entropy "
        "instead; their weights are still those of the lowest validation error). \"test 95% interval\": the "
        "Wilson interval of a test error measured on the test images (10,000; 2,000 in quick mode): at 1.3% on "
        "10,000 it reaches about 0.2 points either way (1.10-1.54); the papers' numbers carry the same "
        "uncertainty (1.28% on 10,000 images: 1.08-1.52). A row \"refit on all training images\" is the "
        "chosen model trained again, pretraining included, on the 50,000 and the 10,000 validation images "
        "together (`--refit`), for as many epochs as validation kept and with the rate lowered after the same "
        "epochs; with no held-out data its validation column is empty, and it keeps its last epoch.")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="*", choices=sorted(EXPERIMENTS), default=sorted(EXPERIMENTS))
    parser.add_argument("--data-dir", default=os.path.join(HERE, "..", "..", "shared", "data", "mnist"))
    parser.add_argument("--pretrain-epochs", type=int, default=None, help="per layer (default: DEFAULTS)")
    parser.add_argument("--finetune-epochs", type=int, default=None, help="at most (default: DEFAULTS)")
    parser.add_argument("--finetune-optimizer", choices=["adam", "sgd"], default="adam",
                        help="the classifiers' optimizer for fine-tuning")
    parser.add_argument("--finetune-momentum", type=float, default=0.9, help="with --finetune-optimizer sgd")
    parser.add_argument("--finetune-lr", type=float, default=1e-3,
                        help="the rate for fine-tuning the classifiers (the H&S autoencoder: Adam at 1e-3)")
    parser.add_argument("--finetune-batch-size", type=int, default=128, help="the classifiers' batch size "
                        "for fine-tuning")
    parser.add_argument("--patience", type=int, default=None, help="early stopping: epochs without a better "
                        "validation number (default: DEFAULTS)")
    parser.add_argument("--lr-decay-patience", type=int, default=None, help="epochs without a better validation "
                        "number before the rate is lowered (default: DEFAULTS)")
    parser.add_argument("--lr-decay-factor", type=float, default=None, help="what the rate is multiplied by "
                        "(default: DEFAULTS)")
    parser.add_argument("--contractive", type=float, nargs="+", default=None,
                        help="Rifai: the CAE's contractive weights to try (the papers' weights times about "
                        "1/784: npae's losses are means over pixels)")
    parser.add_argument("--hs-models", nargs="+", choices=HS_MODELS, default=list(HS_MODELS),
                        help="H&S: which models to run; the others' rows are kept from the last run")
    parser.add_argument("--untied", action="store_true", help="pretrain the layers with separate decoder "
                        "weights (the papers tie them)")
    parser.add_argument("--threads", type=int, default=None, help="threads per model (default: all cores)")
    refit_mode = parser.add_mutually_exclusive_group()
    refit_mode.add_argument("--refit", action="store_true", help="then train each experiment's chosen model "
                            "again on all the training images (60,000; 6,000 with --quick), for the epochs and "
                            "with the rates validation chose")
    refit_mode.add_argument("--refit-only", action="store_true", help="only that refit, of the chosen row of "
                            "the last run's results; its other rows are kept")
    parser.add_argument("--seed", type=int, default=0, help="every model's random_state (initialisation, "
                        "shuffling, noise)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args()
    data = split(args.data_dir, args.quick)
    given = {"pretrain": args.pretrain_epochs, "finetune": args.finetune_epochs, "patience": args.patience,
             "lr_decay_patience": args.lr_decay_patience, "lr_decay_factor": args.lr_decay_factor,
             "contractive": args.contractive}
    common = {"finetune_lr": args.finetune_lr, "finetune_batch_size": args.finetune_batch_size,
              "threads": args.threads, "finetune_optimizer": args.finetune_optimizer,
              "finetune_momentum": args.finetune_momentum, "tied": not args.untied, "hs_models": args.hs_models,
              "seed": args.seed}
    info = machine()
    command = "python benchmarks/reproduce_literature.py " + " ".join(sys.argv[1:])
    for key in ["hs", "rifai", "vincent"]:
        if key not in args.only:
            continue
        title, run, unit = EXPERIMENTS[key]
        print(f"== {title}", flush=True)
        epochs = {**DEFAULTS[key], **(QUICK if args.quick else {}),
                  **{k: v for k, v in given.items() if v is not None}, **common}
        stamp = dict(command=command, date=time.strftime("%Y-%m-%d"), threads=args.threads or os.cpu_count(),
                     load=info.get("load"))

        def written(rows):
            if not args.no_write:
                write_json(f"literature-{key}", {"machine": info, "quick": args.quick,
                                                 "threads": args.threads or os.cpu_count(), "command": command,
                                                 "date": time.strftime("%Y-%m-%d"), "rows": rows})
                write_results(NOTE)
            return rows

        if args.refit_only:
            rows = kept_rows(key, [], args.quick)
        else:
            rows = run(data, epochs)
            for row in rows:
                row.update(stamp, settings=epochs)
            if key == "hs" and set(args.hs_models) != set(HS_MODELS):
                rows = kept_rows(key, rows, args.quick)
            rows = written(rows)  # before the refit, which may fail or be interrupted
        if args.refit or args.refit_only:
            chosen = chosen_row(key, rows)
            refitted = refit(key, chosen, data, args.threads)
            refitted.update(stamp, settings=chosen.get("settings"))
            written([r for r in rows if r["model"] != refitted["model"]] + [refitted])
    print(f"done; tables in {os.path.join(HERE, 'RESULTS.md')}")


if __name__ == "__main__":
    main()
