"""Rows of data read through frozen layers as they are read: what lets a layer above frozen
ones (a stacked autoencoder's next layer, a classifier's head) train on the codes of a file
a minibatch at a time, never holding the codes of every row."""

import numpy as np

from ..training import gather_rows
from ..validation import chunk_rows


class EncodedRows:
    """Rows of X passed through frozen layers when they are read, never all at once.

    A row-indexable view of shape (n, width) and dtype ``dtype``: ``view[key]`` (a slice, or
    increasing row indices as h5py's) reads rows ``rows[key]`` of X (``key`` itself when
    ``rows`` is None), converts them to ``dtype`` and returns ``encode`` of them (the rows
    themselves when ``encode`` is None). It is an array-like as ``npae.validation.is_array_like``
    sees one, so the training loop, which reads a file a minibatch at a time, trains the
    layers above frozen ones (a stacked autoencoder's next layer, a classifier's head) on the
    codes of a file with memory of the order of a minibatch, where codes held in memory would
    take n x width. The price: the codes are computed again at every read, so in memory
    precomputing them once stays the faster path. X is read ``chunk_rows(X)`` rows at a time,
    so a large read (a check's chunk of rows) holds at most one read's worth of X.

    Parameters
    ----------
    X : ndarray or array-like of shape (N, n_features)
        The data: a memmap, an h5py dataset, a zarr array (anything ``gather_rows`` reads).
    encode : callable or None
        ``encode(block) -> codes``: (m, n_features) of ``dtype`` -> (m, width); None: identity.
    width : int
        The number of columns ``encode`` returns (n_features when it is None).
    dtype : numpy dtype
        The dtype the rows are converted to before ``encode``, and of the codes.
    rows : ndarray of int or None, default None
        The rows of X the view holds, in order (e.g. the training rows); None: all of them.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.models.encoded_rows import EncodedRows
    >>> X = np.arange(12.0).reshape(6, 2)
    >>> view = EncodedRows(X, lambda B: B.sum(axis=1, keepdims=True), 1, np.float32, rows=np.array([1, 3, 5]))
    >>> view.shape, view.dtype
    ((3, 1), dtype('float32'))
    >>> view[1:3].ravel().tolist(), view[np.array([0, 2])].ravel().tolist()
    ([13.0, 21.0], [5.0, 21.0])
    """

    def __init__(self, X, encode, width, dtype, rows=None):
        self._X, self._encode, self._rows = X, encode, rows
        self.shape = (X.shape[0] if rows is None else len(rows), int(width))
        self.dtype = np.dtype(dtype)

    def __len__(self):
        return self.shape[0]

    def __getitem__(self, key):
        if isinstance(key, slice):
            index = np.arange(*key.indices(self.shape[0]))
        else:
            index = np.asarray(key)
            if isinstance(key, tuple) or index.ndim != 1 or (index.size and index.dtype.kind not in "iu"):
                raise TypeError(f"{type(self).__name__} is indexed by rows: a slice or a 1-D array of row "
                                f"indices; got {key!r}")
        if self._rows is not None:
            index = self._rows[index]
        out = np.empty((len(index), self.shape[1]), self.dtype)
        step = chunk_rows(self._X)
        for i in range(0, len(index), step):
            part = index[i:i + step]
            if len(part) > 1 and np.all(np.diff(part) == 1):  # a run of rows: one slice read
                block = self._X[int(part[0]):int(part[-1]) + 1]
            else:
                block = gather_rows(self._X, part)
            block = np.asarray(block, dtype=self.dtype)
            out[i:i + len(part)] = block if self._encode is None else self._encode(block)
        return out
