"""The estimators. Each module holds one model kind."""

from .autoencoder import Autoencoder
from .classifier import Classifier
from .pca import PCA
from .stacked import StackedAutoencoder
from .variants import ContractiveAutoencoder, DenoisingAutoencoder, SparseAutoencoder

#: Classes that ``npae.load`` may rebuild from a file (and no others).
SAVEABLE = (Autoencoder, DenoisingAutoencoder, ContractiveAutoencoder, SparseAutoencoder, StackedAutoencoder,
            PCA, Classifier)

__all__ = ["Autoencoder", "Classifier", "StackedAutoencoder", "DenoisingAutoencoder", "ContractiveAutoencoder", "SparseAutoencoder",
           "PCA", "SAVEABLE"]
