"""numba kernels: each the twin of a NumPy reference function, tested equal to it.

Importing this package imports numba; ``npae`` imports it only through
``npae.backend.load_kernels`` when the numba backend is used. Kernels work on
plain arrays (no closures, no globals that change) and compile lazily on first
use, with an on-disk cache.
"""

from .activations import (ACTIVATION_CODES, activation_backward, bias_activation, bias_sigmoid_float32,
                          bias_tanh_float32)
from .dropout import dropout_mask
from .losses import output_bce, output_bce_float32, output_mse, output_softmax_ce
from .optim import adam_step, sgd_momentum_step, sgd_step
from .vae import (bernoulli_log_prob, bernoulli_log_prob_float32, bernoulli_rows, bernoulli_rows_float32, binarize,
                  gaussian_rows, importance_weights, reparameterize_backward, reparameterize_forward, scale_rows)
from .penalties import (add_scaled, column_sum_squares, contractive_delta, gaussian_apply,
                        masking_apply, salt_pepper_apply, weight_decay_grad)

__all__ = ["ACTIVATION_CODES", "activation_backward", "bias_activation", "bias_sigmoid_float32", "bias_tanh_float32", "dropout_mask", "output_bce", "output_bce_float32", "output_mse",
           "output_softmax_ce",
           "adam_step", "sgd_momentum_step", "sgd_step", "add_scaled", "column_sum_squares",
           "contractive_delta", "gaussian_apply", "masking_apply", "salt_pepper_apply",
           "weight_decay_grad", "bernoulli_log_prob", "bernoulli_log_prob_float32", "bernoulli_rows",
           "bernoulli_rows_float32", "binarize", "gaussian_rows", "importance_weights", "reparameterize_backward", "reparameterize_forward", "scale_rows"]
