"""npae: autoencoders written by hand on NumPy.

Public API::

    from npae import (Autoencoder, DenoisingAutoencoder, ContractiveAutoencoder,
                      SparseAutoencoder, StackedAutoencoder, VariationalAutoencoder, Classifier,
                      PCA, gradcheck, load)
"""

from . import datasets, errors
from .backend import warmup
from .gradcheck import gradcheck, rel_error
from .io import load
from .models import (PCA, Autoencoder, Classifier, ContractiveAutoencoder, DenoisingAutoencoder,
                     SparseAutoencoder, StackedAutoencoder, VariationalAutoencoder)

__version__ = "0.1.0"

__all__ = ["Autoencoder", "DenoisingAutoencoder", "ContractiveAutoencoder", "SparseAutoencoder", "StackedAutoencoder", "VariationalAutoencoder", "Classifier", "PCA", "gradcheck", "rel_error", "warmup", "load", "datasets", "errors", "__version__"]
