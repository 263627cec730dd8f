"""``StackedAutoencoder``: greedy layer-wise pretraining, then end-to-end fine-tuning.

For hidden = (h1, ..., hK): train a one-layer autoencoder x -> h1 -> x on the data,
then one h1 -> h2 -> h1 on its codes, and so on (each code computed once, after its
layer is trained). Stack the K encoders and the K mirrored decoders into one deep
autoencoder x -> h1 -> ... -> hK -> ... -> h1 -> x and fine-tune it end to end on
reconstruction (Hinton & Salakhutdinov 2006; Bengio et al. 2007; Vincent et al. 2010).

Each layer may be plain, denoising, contractive or sparse: ``layer_params`` gives
options for the one-layer autoencoders, either one dict for every layer whose values
may be lists with one entry per layer (``{"corruption": "masking", "noise": [0.1,
0.2, 0.3]}``), a list of dicts, one per layer, or a template estimator (e.g.
``DenoisingAutoencoder(noise=0.2)``) whose regularisation and optimiser options every
layer copies. Layers pretrained tied (``{"tied": True}``) may unroll into an untied deep
model: each decoder then starts as its encoder transposed. After ``fit`` the model is a deep
``Autoencoder`` with its whole contract (transform, inverse_transform, score_samples,
get_weights, save/load, gradcheck of the unrolled stack).
"""

import numpy as np

from ..errors import DataError, ParameterError
from ..validation import check_number, history_from_file
from .autoencoder import Autoencoder
from .variants import init_with

#: Options of the deep model that each one-layer autoencoder inherits.
_SHARED = ("tied", "optimizer", "momentum", "nesterov", "batch_size", "weight_decay", "dtype", "backend",
           "n_threads", "on_divergence")
_LAYER_OPTIONS = ("corruption", "noise", "contractive", "contractive_mode", "contractive_noise", "sparsity",
                  "sparsity_target", "sparsity_mode", "weight_decay", "learning_rate", "batch_size", "optimizer",
                  "tied")


class StackedAutoencoder(Autoencoder):
    """A deep autoencoder initialised by greedy layer-wise pretraining, then fine-tuned.

    Parameters: those of ``Autoencoder`` (they describe the deep model and its fine-
    tuning: ``epochs`` is the fine-tuning budget), plus ``pretrain_epochs`` (each
    layer's budget; 0 skips pretraining) and ``layer_params`` (per-layer options, see
    the module docstring). Fitted attributes besides Autoencoder's:
    ``pretraining_history_`` (one history per layer), ``layer_models_`` (the one-layer
    autoencoders), ``unrolled_loss_`` (the deep reconstruction loss on the training
    data right after unrolling, before fine-tuning). ``save`` keeps the first and the
    last; ``layer_models_`` (whole models) are not saved."""

    __init__ = init_with(Autoencoder, extra={"pretrain_epochs": 10, "layer_params": None},
                         name="StackedAutoencoder")

    def _validate_params(self):
        hidden, dtype = super()._validate_params()
        check_number("pretrain_epochs", self.pretrain_epochs, low=0, integer=True)
        if self.layer_params is not None and not isinstance(self.layer_params, (dict, list, tuple, Autoencoder)):
            raise ParameterError(f"layer_params must be None, a dict, a list of dicts or a template Autoencoder; "
                                 f"got {self.layer_params!r}")
        return hidden, dtype

    def _check_parallel(self, parallel):
        """As Autoencoder's, for the deep model and for each layer's pretraining options."""
        super()._check_parallel(parallel)
        hidden, _ = self._validate_params()
        for options in self._layer_options(len(hidden)):
            Autoencoder(**options)._check_parallel(parallel)

    def _file_params(self):
        params = super()._file_params()
        if isinstance(self.layer_params, Autoencoder):  # files hold data: the template's options, not it
            template = self.layer_params.get_params(deep=False)
            params["layer_params"] = {key: template[key] for key in _LAYER_OPTIONS}
        return params

    def _layer_options(self, depth):
        """One dict of one-layer autoencoder options per layer, from ``layer_params``."""
        spec = self.layer_params
        if spec is None:
            return [{} for _ in range(depth)]
        if isinstance(spec, Autoencoder):  # a template: its regularisation options for every layer
            template = spec.get_params(deep=False)
            return [{key: template[key] for key in _LAYER_OPTIONS} for _ in range(depth)]
        if isinstance(spec, dict):
            per_layer = []
            for k in range(depth):
                options = {}
                for key, value in spec.items():
                    if isinstance(value, (list, tuple)) and key != "hidden":
                        if len(value) != depth:
                            raise ParameterError(f"layer_params[{key!r}] has {len(value)} entries; "
                                                 f"give one per layer ({depth})")
                        value = value[k]
                    options[key] = value
                per_layer.append(options)
        else:
            per_layer = [dict(options) for options in spec]
            if len(per_layer) != depth:
                raise ParameterError(f"layer_params has {len(per_layer)} dicts; give one per layer ({depth})")
        for options in per_layer:
            unknown = set(options) - set(_LAYER_OPTIONS)
            if unknown:
                raise ParameterError(f"layer_params: {sorted(unknown)} cannot be set per layer; "
                                     f"valid: {sorted(_LAYER_OPTIONS)}")
        return per_layer

    def _pretrain(self, X, train_idx):
        """Train each layer as a one-layer autoencoder on the previous layer's codes, then
        copy its encoder and decoder into the deep network (the mirrored position)."""
        net = self.network_
        depth = len(net.specs) // 2
        options = self._layer_options(depth)
        self.pretraining_history_, self.layer_models_ = [], []
        if self.pretrain_epochs == 0:
            self.unrolled_loss_ = None
            return
        codes = np.asarray(X[np.sort(train_idx)], dtype=net.dtype)
        shared = {name: getattr(self, name) for name in _SHARED}
        parallel = self.__dict__.get("_parallel")
        for k in range(depth):
            encoder, decoder = net.specs[k], net.specs[2 * depth - 1 - k]
            # the decoder's output sits where the previous layer's activation (or the data) is
            if k == 0:
                loss, out = self.loss_, self.output_activation_
            else:
                out = decoder.activation
                loss = "bce" if out == "sigmoid" else "mse"
            params = dict(shared, hidden=(encoder.n_out,), activation=encoder.activation, loss=loss,
                          output_activation=out, epochs=self.pretrain_epochs, learning_rate=self.learning_rate,
                          random_state=int(self._rng.integers(2 ** 31)), verbose=self.verbose)
            params.update(options[k])
            layer = Autoencoder(**params)
            if self.verbose and (parallel is None or parallel.is_root):
                print(f"pretraining layer {k + 1}/{depth}: {encoder.n_in} -> {encoder.n_out} "
                      f"({', '.join(f'{key}={value}' for key, value in options[k].items()) or 'plain'})", flush=True)
            layer.fit(codes, comm=None if parallel is None else parallel.comm)  # every rank holds every code
            self.layer_models_.append(layer)
            self.pretraining_history_.append(layer.history_)
            weights = layer.network_
            net.param(f"encoder.{k}.W")[...] = weights.param("encoder.0.W")
            net.param(f"encoder.{k}.b")[...] = weights.param("encoder.0.b")
            if decoder.tied_to is None:  # a tied layer's decoder is its encoder transposed (as an RBM's)
                net.param(f"{decoder.name}.W")[...] = (weights.param("decoder.0.W") if "decoder.0.W" in
                                                       weights.param_names else weights.param("encoder.0.W").T)
            net.param(f"{decoder.name}.b")[...] = weights.param("decoder.0.b")
            if k < depth - 1:
                codes = layer.transform(codes)  # once per layer, not per epoch
                if parallel is not None:  # bit for bit rank 0's, whatever each node's BLAS rounds
                    codes = parallel.broadcast(np.ascontiguousarray(codes))
        self.unrolled_loss_ = float(np.mean(self._reconstruction_losses(np.asarray(X[np.sort(train_idx)]))))

    # ------------------------------------------------------------ io
    #: saved beside Autoencoder's metadata (files written before 2026-12-02 lack them: a model
    #: loaded from one has neither attribute); ``layer_models_`` are whole models, not saved
    _STACK_META = ("pretraining_history_", "unrolled_loss_")

    def _file_meta(self):
        meta = super()._file_meta()
        meta.update({name: getattr(self, name) for name in self._STACK_META if hasattr(self, name)})
        return meta

    def _from_file_meta(self, meta, max_params):
        meta = dict(meta)
        stack = {name: meta.pop(name) for name in self._STACK_META if name in meta}
        super()._from_file_meta(meta, max_params)
        histories = stack.get("pretraining_history_", [])
        if not isinstance(histories, list):
            raise DataError("pretraining_history_ must be a list of dicts of lists")
        histories = [history_from_file(f"pretraining_history_[{k}]", h) for k, h in enumerate(histories)]
        unrolled = stack.get("unrolled_loss_")
        if unrolled is not None and (isinstance(unrolled, bool) or not isinstance(unrolled, (int, float))
                                     or not np.isfinite(unrolled)):
            raise DataError(f"unrolled_loss_ must be a finite number or null; got {unrolled!r}")
        if "pretraining_history_" in stack:
            self.pretraining_history_ = histories
        if "unrolled_loss_" in stack:
            self.unrolled_loss_ = None if unrolled is None else float(unrolled)
