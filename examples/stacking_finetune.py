"""Greedy layer-wise stacking, then fine-tuning: the classic recipe, on digits.

1. Pretrain a 64-48-24-8 stack one layer at a time (each a small denoising
   autoencoder on the previous layer's codes), unroll it into a deep autoencoder,
   and fine-tune the whole on reconstruction.
2. Put a softmax classifier on the pretrained encoder and fine-tune it on labels;
   compare with the same classifier on raw pixels, and with a linear probe on the
   frozen codes.

    python examples/stacking_finetune.py [--quick]
"""

import argparse

import numpy as np

from npae import Classifier, StackedAutoencoder
from npae.datasets import load_digits

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--quick", action="store_true", help="a tiny run (used by the tests)")
args = parser.parse_args()

X, y = load_digits()
order = np.random.default_rng(0).permutation(len(X))
train, test = order[:1400], order[1400:]
epochs = 2 if args.quick else 20

stack = StackedAutoencoder(hidden=(48, 24, 8), activation="sigmoid", code_activation="linear",
                           layer_params={"corruption": "masking", "noise": [0.2, 0.1, 0.0]},
                           pretrain_epochs=epochs, epochs=epochs, batch_size=32, learning_rate=3e-3,
                           random_state=0, verbose=0).fit(X[train])
for k, history in enumerate(stack.pretraining_history_):
    print(f"layer {k + 1}: its own reconstruction loss {history['loss'][0]:.4f} -> {history['loss'][-1]:.4f}")
print(f"deep reconstruction loss: unrolled stack {stack.unrolled_loss_:.4f}, "
      f"after fine-tuning {stack.history_['loss'][-1]:.4f}")

results = {
    "softmax on raw pixels": Classifier(epochs=epochs, random_state=0),
    "linear probe on frozen codes": Classifier(encoder=stack, freeze_encoder=True, epochs=epochs, random_state=0),
    "pretrained encoder, fine-tuned": Classifier(encoder=stack, epochs=epochs, random_state=0),
}
for name, clf in results.items():
    clf.fit(X[train], y[train])
    print(f"{name:<32} held-out accuracy {clf.score(X[test], y[test]):.3f}")
