"""The estimators. Each module holds one model kind."""

from .autoencoder import Autoencoder
from .classifier import Classifier
from .pca import PCA
from .stacked import StackedAutoencoder
from .variants import ContractiveAutoencoder, DenoisingAutoencoder, SparseAutoencoder
from .vae import VariationalAutoencoder

#: Classes that ``npae.load`` may rebuild from a file (and no others).
SAVEABLE = (Autoencoder, DenoisingAutoencoder, ContractiveAutoencoder, SparseAutoencoder, StackedAutoencoder,
            PCA, Classifier, VariationalAutoencoder)

__all__ = ["Autoencoder", "Classifier", "StackedAutoencoder", "DenoisingAutoencoder", "ContractiveAutoencoder", "SparseAutoencoder",
           "VariationalAutoencoder", "PCA", "SAVEABLE"]
