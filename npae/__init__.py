"""npae: autoencoders written by hand on NumPy.

Public API::

    from npae import Autoencoder, PCA, gradcheck, load
"""

from . import datasets, errors
from .gradcheck import gradcheck, rel_error
from .io import load
from .models import PCA, Autoencoder

__version__ = "0.1.0"

__all__ = ["Autoencoder", "PCA", "gradcheck", "rel_error", "load", "datasets", "errors", "__version__"]
