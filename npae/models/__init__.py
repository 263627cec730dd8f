"""The estimators. Each module holds one model kind."""

from .autoencoder import Autoencoder
from .pca import PCA
from .variants import ContractiveAutoencoder, DenoisingAutoencoder, SparseAutoencoder

#: Classes that ``npae.load`` may rebuild from a file (and no others).
SAVEABLE = (Autoencoder, DenoisingAutoencoder, ContractiveAutoencoder, SparseAutoencoder, PCA)

__all__ = ["Autoencoder", "DenoisingAutoencoder", "ContractiveAutoencoder", "SparseAutoencoder",
           "PCA", "SAVEABLE"]
