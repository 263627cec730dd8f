"""Greedy layer-wise stacking, then fine-tuning: the classic recipe, on digits
============================================================================

1. Pretrain a 64-48-24-8 stack one layer at a time (each a small denoising
   autoencoder on the previous layer's codes), unroll it into a deep autoencoder,
   and fine-tune the whole on reconstruction.
2. Put a softmax classifier on the pretrained encoder and fine-tune it on labels;
   compare with the same classifier on raw pixels, and with a linear probe on the
   frozen codes.

Run it as ``python examples/stacking_finetune.py [--quick] [--out DIR]``.
"""

import argparse
import os

import numpy as np

from npae import Classifier, StackedAutoencoder
from npae.datasets import load_digits

parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
parser.add_argument("--out", default=None, help="folder to save the pictures in (PNG)")
args = parser.parse_args()


def out(name):
    """Where to save a picture: DIR/name with --out DIR, else nowhere."""
    return None if args.out is None else os.path.join(args.out, name)


X, y = load_digits()
order = np.random.default_rng(0).permutation(len(X))
train, test = order[:1400], order[1400:]
epochs = 2 if args.quick else 20

# %%
# Pretraining, unrolling, fine-tuning
# -----------------------------------
stack = StackedAutoencoder(hidden=(48, 24, 8), activation="sigmoid", code_activation="linear",
                           layer_params={"corruption": "masking", "noise": [0.2, 0.1, 0.0]},
                           pretrain_epochs=epochs, epochs=epochs, batch_size=32, learning_rate=3e-3,
                           random_state=0, verbose=0).fit(X[train])
for k, history in enumerate(stack.pretraining_history_):
    print(f"layer {k + 1}: its own reconstruction loss {history['loss'][0]:.4f} -> {history['loss'][-1]:.4f}")
print(f"deep reconstruction loss: unrolled stack {stack.unrolled_loss_:.4f}, "
      f"after fine-tuning {stack.history_['loss'][-1]:.4f}")

# %%
# Each layer's own training curve (``pretraining_history_``, one history per layer),
# then the deep model's fine-tuning, which starts from the unrolled stack's loss.
from matplotlib.figure import Figure

from npae.plot import plot_codes, plot_history

fig = Figure(figsize=(10, 3.2), layout="constrained")
for k, (ax, history) in enumerate(zip(fig.subplots(1, len(stack.pretraining_history_)),
                                      stack.pretraining_history_)):
    ax.plot(np.arange(1, len(history["loss"]) + 1), history["loss"], "o-", ms=3)
    ax.set_title(f"layer {k + 1}: {stack.hidden[k]} units")
    ax.set_xlabel("epoch")
    ax.grid(alpha=0.3)
fig.axes[0].set_ylabel("its own reconstruction loss")
fig.suptitle("greedy layer-wise pretraining")
if args.out is not None:
    fig.savefig(out("stacking_pretraining.png"), dpi=100)
finetuning = plot_history(stack, title="fine-tuning the unrolled 64-48-24-8-24-48-64 autoencoder",
                          path=out("stacking_finetuning.png"))

# %%
# Supervised heads on the pretrained encoder
# ------------------------------------------
results = {
    "softmax on raw pixels": Classifier(epochs=epochs, random_state=0),
    "linear probe on frozen codes": Classifier(encoder=stack, freeze_encoder=True, epochs=epochs, random_state=0),
    "pretrained encoder, fine-tuned": Classifier(encoder=stack, epochs=epochs, random_state=0),
}
for name, clf in results.items():
    clf.fit(X[train], y[train])
    print(f"{name:<32} held-out accuracy {clf.score(X[test], y[test]):.3f}")

# %%
# The stack's 8-unit codes of held-out digits, coloured by their label: the labels
# were not used in pretraining, yet the classes already fall apart, which is what the
# linear probe measures.
codes = plot_codes(stack.transform(X[test]), y[test], title="stacked codes of held-out digits",
                   color_label="digit", path=out("stacking_codes.png"))
