"""The estimators. Each module holds one model kind."""

from .autoencoder import Autoencoder
from .pca import PCA

#: Classes that ``npae.load`` may rebuild from a file (and no others).
SAVEABLE = (Autoencoder, PCA)

__all__ = ["Autoencoder", "PCA", "SAVEABLE"]
