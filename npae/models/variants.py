"""The classic variants: an ``Autoencoder`` with other defaults, nothing more.

* ``DenoisingAutoencoder``:  corruption="masking", noise=0.3
* ``ContractiveAutoencoder``: contractive=0.1 (the exact Jacobian penalty; one hidden layer)
* ``SparseAutoencoder``:     sparsity=0.5, sparsity_target=0.05, sigmoid code

Each class's constructor has exactly ``Autoencoder``'s parameters with those
defaults replaced, so ``get_params``, ``set_params`` and ``sklearn.clone`` see an
ordinary signature.
"""

import inspect

from .autoencoder import Autoencoder


def init_with(base, defaults=None, extra=None, name="Autoencoder"):
    """An ``__init__`` with ``base.__init__``'s parameters (``defaults`` replaced) plus the
    keyword parameters ``extra`` ({name: default}); it stores every argument unchanged.
    Its ``__signature__`` is the full, explicit parameter list, so ``get_params`` and
    ``sklearn.clone`` see an ordinary constructor."""
    defaults, extra = defaults or {}, extra or {}
    signature = inspect.signature(base.__init__)
    unknown = set(defaults) - set(signature.parameters)
    if unknown:
        raise TypeError(f"{name}: unknown parameters {sorted(unknown)}")
    parameters = [p.replace(default=defaults.get(p.name, p.default)) for p in signature.parameters.values()]
    parameters += [inspect.Parameter(k, inspect.Parameter.KEYWORD_ONLY, default=v) for k, v in extra.items()]
    signature = signature.replace(parameters=parameters)

    def __init__(self, *args, **kwargs):
        bound = signature.bind(self, *args, **kwargs)
        bound.apply_defaults()
        arguments = dict(bound.arguments)
        for key in extra:
            setattr(self, key, arguments.pop(key))
        base.__init__(**arguments)

    __init__.__signature__ = signature
    __init__.__doc__ = f"{base.__name__}'s parameters, with the defaults {defaults} and the parameters {extra}."
    __init__.__qualname__ = f"{name}.__init__"
    return __init__


def _with_defaults(name, doc, defaults):
    """A subclass of Autoencoder whose __init__ signature has ``defaults`` replaced."""
    return type(name, (Autoencoder,), {"__init__": init_with(Autoencoder, defaults, name=name), "__doc__": doc,
                                       "__module__": __name__})


DenoisingAutoencoder = _with_defaults(
    "DenoisingAutoencoder",
    """Autoencoder trained to reconstruct the clean x from a corrupted x~ ~ q(x~ | x).

    Defaults: ``corruption="masking", noise=0.3`` (30% of the inputs zeroed, a fresh
    draw for every minibatch). No corruption at transform/reconstruct/score time.""",
    {"corruption": "masking", "noise": 0.3})

ContractiveAutoencoder = _with_defaults(
    "ContractiveAutoencoder",
    """Autoencoder with the contractive penalty lam * mean ||J_h(x)||_F^2.

    Defaults: ``contractive=0.1``, ``contractive_mode="analytic"`` (exact, for a
    one-layer encoder: ``hidden=(256,)``); use ``contractive_mode="stochastic"`` for
    deeper encoders.""",
    {"contractive": 0.1, "hidden": (256,)})

SparseAutoencoder = _with_defaults(
    "SparseAutoencoder",
    """Autoencoder whose code units are pushed to a small mean activation.

    Defaults: ``sparsity=0.5`` (beta), ``sparsity_target=0.05`` (rho), KL penalty
    beta * sum_j KL(rho || rho_hat_j) on a sigmoid code of ``hidden=(256,)``.""",
    {"sparsity": 0.5, "sparsity_target": 0.05, "hidden": (256,), "activation": "sigmoid"})
