"""Manifold learning on an S-curve and a swiss roll: codes against PCA
====================================================================

Points ``x_i = f(tau_i) + eps_i`` lie near a 2-D sheet curved in 3-D and embedded in
10 dimensions. A 2-unit code is a coordinate system on the sheet: we measure how well
it keeps neighbours (trustworthiness, continuity) and how well a linear map of it
predicts the true coordinates tau (R^2), against PCA with 2 components. The S-curve
unrolls; the swiss roll, with its turns closer together, is only partly unrolled by a
plain autoencoder (it keeps neighbours better than PCA but folds the sheet: see the
picture).

Run it as ``python examples/manifold_swiss_roll.py [--quick] [--out DIR]`` (with
``--out``, it writes ``s_curve.png`` and ``swiss_roll.png`` there).
"""

import argparse
import os

from npae import PCA, Autoencoder
from npae.datasets import make_manifold
from npae.metrics import continuity, coordinate_r2, trustworthiness

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
parser.add_argument("--out", default=None, help="folder to save the pictures in (PNG; they need matplotlib)")
args = parser.parse_args()

n = 300 if args.quick else 1000
figures = []
for kind in ("s_curve", "swiss_roll"):
    X, tau = make_manifold(kind, n, noise=0.01, ambient_dim=10, random_state=0)
    X = (X - X.mean(axis=0)) / X.std()
    ae = Autoencoder(hidden=(64, 2), activation="tanh", code_activation="linear", loss="mse",
                     epochs=10 if args.quick else 150, batch_size=32, learning_rate=3e-3, random_state=0).fit(X)
    codes = {"autoencoder": ae.transform(X), "PCA(2)": PCA(2).fit_transform(X)}
    print(f"\n{kind} in 10-D: {'trustworthiness':>16} {'continuity':>11} {'R^2 to tau':>11}   (k = 10)")
    for name, Z in codes.items():
        print(f"{name:<19} {trustworthiness(X, Z, 10):>16.4f} {continuity(X, Z, 10):>11.4f} "
              f"{coordinate_r2(Z, tau):>11.4f}")
    try:
        from npae.plot import plot_manifold

        path = None if args.out is None else os.path.join(args.out, f"{kind}.png")
        figures.append(plot_manifold(PCA(3).fit_transform(X), codes["autoencoder"], tau[:, 0], path=path,
                                     title=f"{kind}: data and its learned 2-D code",
                                     data_label="data (first 3 principal components)"))
        if path is not None:
            print(f"wrote {path}")
    except ImportError:
        print("matplotlib is not installed: no picture")
