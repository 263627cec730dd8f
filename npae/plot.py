"""Pictures of what a model learned (matplotlib, imported only when a function is called).

Every function returns a ``matplotlib.figure.Figure`` and, given ``path``, also saves
it as a PNG. Figures are built without pyplot, so they work headless and leave
matplotlib's global state alone.
"""

import os

import numpy as np

from .io import write_atomic


def _figure(width, height):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=100, layout="constrained")


def _finish(fig, path):
    if isinstance(path, (str, os.PathLike)):  # atomically: a crash leaves the old picture or none
        fmt = os.path.splitext(os.fspath(path))[1][1:].lower() or None
        write_atomic(path, lambda f: fig.savefig(f, dpi=100, format=fmt))
    elif path is not None:  # a file object of the caller's
        fig.savefig(path, dpi=100)
    return fig


def _image_shape(n_features, image_shape):
    if image_shape is not None:
        return image_shape
    side = int(round(np.sqrt(n_features)))
    if side * side != n_features:
        raise ValueError(f"{n_features} features are not a square image; pass image_shape=(rows, cols)")
    return side, side


def _codes_2d(Z):
    """Z itself if 2-D, else its projection on its first two principal components."""
    Z = np.asarray(Z, dtype=np.float64)
    if Z.shape[1] <= 2:
        return Z if Z.shape[1] == 2 else np.column_stack([Z[:, 0], np.zeros(len(Z))]), False
    from .models import PCA

    k = min(2, len(Z))  # one row has one principal direction at most
    P = PCA(k).fit_transform(Z)
    return (P if k == 2 else np.column_stack([P[:, 0], np.zeros(len(Z))])), True


def plot_history(history, path=None, title="training"):
    """Loss curves per epoch: training loss, validation loss, and each penalty term.

    For a variational autoencoder, the negative bound with its reconstruction and KL parts,
    in nats. The y axis is logarithmic when the loss falls by more than a factor of 20.

    Parameters
    ----------
    history : dict of lists, or estimator
        A model's ``history_`` (keys ``loss``, ``val_loss``, ``reconstruction``, ``kl``,
        ``contractive``, ``sparsity``, ``weight_decay``; any may be missing), or the model.
    path : str, path-like or file object, optional
        Where to save the figure too (PNG unless the name says otherwise).
    title : str, default "training"
        The axes' title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (one axes).

    Examples
    --------
    >>> from npae.plot import plot_history
    >>> fig = plot_history({"loss": [0.9, 0.5, 0.4], "val_loss": [1.0, 0.6, 0.5]})
    >>> len(fig.axes), fig.axes[0].get_xlabel()
    (1, 'epoch')
    """
    history = getattr(history, "history_", history)
    fig = _figure(7, 4)
    ax = fig.add_subplot()
    epochs = np.arange(1, len(history.get("loss", [])) + 1)
    styles = {"loss": dict(lw=2, label="training loss"), "val_loss": dict(lw=2, ls="--", label="validation loss")}
    variational = "kl" in history  # a VAE: the negative bound, its reconstruction and KL parts, in nats
    for key in ("loss", "val_loss", "reconstruction", "kl", "contractive", "sparsity", "weight_decay"):
        values = history.get(key)
        if not values or (key == "reconstruction" and len(history) and not variational and
                          not any(k in history for k in ("contractive", "sparsity", "weight_decay"))):
            continue  # the reconstruction term equals the loss when there is no penalty
        ax.plot(epochs[:len(values)], values, **styles.get(key, dict(lw=1, label=key)))
    ax.set_xlabel("epoch")
    ax.set_ylabel("nats per sample (negative bound, its parts)" if variational else "loss (mean per element)")
    ax.set_title(title)
    losses = np.asarray(history.get("loss", []), dtype=float)
    if len(losses) and losses.min() > 0 and losses.max() / losses.min() > 20:
        ax.set_yscale("log")  # only when the loss falls by more than an order of magnitude
    ax.grid(alpha=0.3)
    ax.legend()
    return _finish(fig, path)


def plot_reconstructions(model, X, n=10, image_shape=None, corrupted=None, path=None):
    """Originals (top row) next to their reconstructions (bottom row); with ``corrupted``
    (noisy versions of X), three rows: clean, noisy input, denoised output.

    Parameters
    ----------
    model : estimator
        A fitted model with ``reconstruct`` (any autoencoder, or ``PCA``).
    X : array-like of shape (n_samples, n_features)
        Images, one per row; the first ``n`` are shown.
    n : int, default 10
        The number of columns (images).
    image_shape : tuple of int, optional
        ``(rows, cols)`` of an image; default: square.
    corrupted : array-like of shape (n_samples, n_features), optional
        Noisy versions of X, reconstructed in place of X.
    path : str, path-like or file object, optional
        Where to save the figure too.

    Returns
    -------
    matplotlib.figure.Figure
        The figure: one axes per image, 2 (or 3) rows of ``n``.

    Raises
    ------
    ValueError
        If the images are not square and no ``image_shape`` is given.

    Examples
    --------
    >>> from npae import PCA
    >>> from npae.datasets import load_digits
    >>> from npae.plot import plot_reconstructions
    >>> X, _ = load_digits()
    >>> pca = PCA(n_components=10).fit(X)
    >>> fig = plot_reconstructions(pca, X, n=4)
    >>> len(fig.axes)
    8
    """
    X = np.asarray(X)[:n]
    shape = _image_shape(X.shape[1], image_shape)
    rows = [("original", X)]
    if corrupted is not None:
        noisy = np.asarray(corrupted)[:n]
        rows += [("noisy input", noisy), ("denoised", model.reconstruct(noisy))]
    else:
        rows.append(("reconstruction", model.reconstruct(X)))
    fig = _figure(1.1 * len(X), 1.2 * len(rows))
    axes = fig.subplots(len(rows), len(X), squeeze=False)
    for r, (label, images) in enumerate(rows):
        for c in range(len(X)):
            ax = axes[r, c]
            ax.imshow(np.asarray(images[c]).reshape(shape), cmap="gray_r", vmin=0, vmax=max(1.0, float(X.max())))
            ax.set_xticks([])
            ax.set_yticks([])
        axes[r, 0].set_ylabel(label, fontsize=8)
    return _finish(fig, path)


def plot_codes(Z, color=None, path=None, title="codes", color_label=None):
    """Scatter of 2-D codes (wider codes: their first two principal components),
    coloured by a label (integers: a legend) or a continuous coordinate (a colour bar).

    Parameters
    ----------
    Z : array-like of shape (n_samples, n_components)
        The codes (``model.transform(X)``).
    color : array-like of shape (n_samples,), optional
        Integer labels (one colour each, with a legend) or a continuous value (a colour bar).
    path : str, path-like or file object, optional
        Where to save the figure too.
    title : str, default "codes"
        The axes' title.
    color_label : str, optional
        The legend's or colour bar's title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (one axes, and a colour bar's for a continuous ``color``).

    Examples
    --------
    >>> import numpy as np
    >>> from npae.plot import plot_codes
    >>> Z = np.random.default_rng(0).normal(size=(30, 3))
    >>> fig = plot_codes(Z, color=np.arange(30) % 3, color_label="digit")
    >>> len(fig.axes), fig.axes[0].get_xlabel()
    (1, 'PC 1 of the codes')
    >>> len(plot_codes(Z[:, :2], color=Z[:, 2]).axes)   # with a colour bar
    2
    """
    Z2, projected = _codes_2d(Z)
    fig = _figure(6, 5)
    ax = fig.add_subplot()
    if color is None:
        ax.scatter(Z2[:, 0], Z2[:, 1], s=6, alpha=0.7)
    elif np.issubdtype(np.asarray(color).dtype, np.integer):
        color = np.asarray(color)
        for label in np.unique(color):
            mask = color == label
            ax.scatter(Z2[mask, 0], Z2[mask, 1], s=6, alpha=0.7, label=str(label))
        ax.legend(markerscale=3, fontsize=8, title=color_label, ncols=2)
    else:
        points = ax.scatter(Z2[:, 0], Z2[:, 1], s=6, c=color, cmap="viridis")
        fig.colorbar(points, ax=ax, label=color_label)
    ax.set_xlabel("PC 1 of the codes" if projected else "code 1")
    ax.set_ylabel("PC 2 of the codes" if projected else "code 2")
    ax.set_title(title)
    return _finish(fig, path)


def plot_latent_grid(model, n=12, image_shape=None, path=None):
    """The decoded n x n grid over the region a 2-D code occupies (``model.latent_grid``).

    For a variational autoencoder, the grid is of the prior's quantiles.

    Parameters
    ----------
    model : estimator
        A fitted autoencoder with a 2-D code.
    n : int, default 12
        Grid points per side.
    image_shape : tuple of int, optional
        ``(rows, cols)`` of an image; default: square.
    path : str, path-like or file object, optional
        Where to save the figure too.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (one axes).

    Examples
    --------
    >>> from npae import Autoencoder
    >>> from npae.datasets import load_digits
    >>> from npae.plot import plot_latent_grid
    >>> X, _ = load_digits()
    >>> ae = Autoencoder(hidden=(2,), epochs=1, random_state=0).fit(X[:100])
    >>> fig = plot_latent_grid(ae, n=3)
    >>> len(fig.axes)
    1
    """
    codes, images = model.latent_grid(n)
    shape = _image_shape(images.shape[1], image_shape)
    canvas = np.ones((n * (shape[0] + 1), n * (shape[1] + 1)))
    for k, image in enumerate(images):
        r, c = divmod(k, n)
        canvas[r * (shape[0] + 1):r * (shape[0] + 1) + shape[0],
               c * (shape[1] + 1):c * (shape[1] + 1) + shape[1]] = image.reshape(shape)
    fig = _figure(6, 6)
    ax = fig.add_subplot()
    ax.imshow(canvas, cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("the prior's quantiles, decoded" if hasattr(model, "elbo") else "decoded grid over the 2-D code")
    ax.set_xticks([])
    ax.set_yticks([])
    return _finish(fig, path)


def _image_rows(rows, image_shape=None):
    """Images (n_rows, n_cols, n_features) drawn as one canvas with 1-pixel gaps."""
    n_rows, n_cols, n_features = rows.shape
    shape = _image_shape(n_features, image_shape)
    canvas = np.zeros((n_rows * (shape[0] + 1), n_cols * (shape[1] + 1)))  # white gaps (gray_r)
    for r in range(n_rows):
        for c in range(n_cols):
            canvas[r * (shape[0] + 1):r * (shape[0] + 1) + shape[0],
                   c * (shape[1] + 1):c * (shape[1] + 1) + shape[1]] = rows[r, c].reshape(shape)
    return canvas


def plot_samples(model, n=64, image_shape=None, path=None, random_state=0):
    """Images decoded from ``model.sample(n)`` (for a VAE: draws from the prior N(0, I)).

    Parameters
    ----------
    model : estimator
        A fitted model with ``sample`` (an autoencoder, or a variational autoencoder).
    n : int, default 64
        The number of images, drawn in a square grid.
    image_shape : tuple of int, optional
        ``(rows, cols)`` of an image; default: square.
    path : str, path-like or file object, optional
        Where to save the figure too.
    random_state : int, Generator or None, default 0
        Seeds the draws.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (one axes).

    Examples
    --------
    >>> from npae import Autoencoder
    >>> from npae.datasets import load_digits
    >>> from npae.plot import plot_samples
    >>> X, _ = load_digits()
    >>> ae = Autoencoder(hidden=(4,), epochs=1, random_state=0).fit(X[:100])
    >>> fig = plot_samples(ae, n=4)
    >>> len(fig.axes)
    1
    """
    images = np.asarray(model.sample(n, random_state=random_state), dtype=np.float64)
    cols = int(np.ceil(np.sqrt(n)))
    padded = np.ones((cols * cols, images.shape[1]))
    padded[:n] = images
    fig = _figure(6, 6)
    ax = fig.add_subplot()
    ax.imshow(_image_rows(padded.reshape(cols, cols, -1), image_shape), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title("samples from the prior, decoded")
    ax.set_xticks([])
    ax.set_yticks([])
    return _finish(fig, path)


def plot_traversals(model, x, values=None, dims=None, image_shape=None, path=None, title="latent traversals"):
    """One row per latent coordinate: the row ``x``'s posterior mean with that coordinate set to
    each of ``values`` (default -2.5 .. 2.5), decoded (``model.traverse``).

    Parameters
    ----------
    model : VariationalAutoencoder
        A fitted model with ``traverse`` and ``latent_dim_``.
    x : array-like of shape (n_features,)
        The image whose code is traversed.
    values : array-like of shape (n_values,), optional
        The values each coordinate is set to; default nine from -2.5 to 2.5.
    dims : sequence of int, optional
        The coordinates, one row each; default all.
    image_shape : tuple of int, optional
        ``(rows, cols)`` of an image; default: square.
    path : str, path-like or file object, optional
        Where to save the figure too.
    title : str, default "latent traversals"
        The axes' title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure (one axes).

    Examples
    --------
    >>> from npae import VariationalAutoencoder
    >>> from npae.datasets import load_digits
    >>> from npae.plot import plot_traversals
    >>> X, _ = load_digits()
    >>> vae = VariationalAutoencoder(hidden=(8, 2), epochs=1, random_state=0).fit(X[:100])
    >>> fig = plot_traversals(vae, X[0], values=[-1.0, 0.0, 1.0])
    >>> len(fig.axes)
    1
    """
    values = np.linspace(-2.5, 2.5, 9) if values is None else np.asarray(values, dtype=np.float64)
    dims = range(model.latent_dim_) if dims is None else dims
    rows = np.stack([model.traverse(x, d, values) for d in dims]).astype(np.float64)
    fig = _figure(0.6 * len(values) + 1, 0.6 * len(rows) + 0.8)
    ax = fig.add_subplot()
    ax.imshow(_image_rows(rows, image_shape), cmap="gray_r", vmin=0, vmax=1)
    ax.set_title(title)
    ax.set_xticks([])
    ax.set_yticks([])
    return _finish(fig, path)


def plot_filters(model, n=36, image_shape=None, path=None):
    """The first layer's weights, one image per hidden unit (what each unit looks for).

    Red is positive, blue negative, each image on its own symmetric scale.

    Parameters
    ----------
    model : estimator
        A fitted model with ``get_weights`` (the first array is the first layer's
        (n_features, n_units) weights).
    n : int, default 36
        The most units shown.
    image_shape : tuple of int, optional
        ``(rows, cols)`` of an image; default: square.
    path : str, path-like or file object, optional
        Where to save the figure too.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, one axes per cell of a near-square grid.

    Examples
    --------
    >>> from npae import Autoencoder
    >>> from npae.datasets import load_digits
    >>> from npae.plot import plot_filters
    >>> X, _ = load_digits()
    >>> ae = Autoencoder(hidden=(4,), epochs=1, random_state=0).fit(X[:100])
    >>> fig = plot_filters(ae)
    >>> len(fig.axes)
    4
    """
    W = model.get_weights()[0]
    shape = _image_shape(W.shape[0], image_shape)
    n = min(n, W.shape[1])
    cols = int(np.ceil(np.sqrt(n)))
    rows = int(np.ceil(n / cols))
    fig = _figure(1.0 * cols, 1.0 * rows)
    axes = fig.subplots(rows, cols, squeeze=False)
    for k, ax in enumerate(axes.ravel()):
        ax.set_xticks([])
        ax.set_yticks([])
        if k < n:
            w = W[:, k]
            bound = np.abs(w).max() or 1.0
            ax.imshow(w.reshape(shape), cmap="RdBu_r", vmin=-bound, vmax=bound)
        else:
            ax.axis("off")
    fig.suptitle("first-layer filters (red +, blue -)", fontsize=9)
    return _finish(fig, path)


def plot_manifold(X3, Z, color, path=None, title="manifold and its learned codes", data_label="data"):
    """A synthetic manifold in 3-D (left) next to its 2-D codes (right), both coloured by
    an intrinsic coordinate: a good code unrolls the manifold, keeping the colours ordered.

    Parameters
    ----------
    X3 : array-like of shape (n_samples, 3)
        The data in 3-D (e.g. the data's first three principal components).
    Z : array-like of shape (n_samples, n_components)
        The codes (wider than 2: their first two principal components are drawn).
    color : array-like of shape (n_samples,)
        The intrinsic coordinate the points are coloured by.
    path : str, path-like or file object, optional
        Where to save the figure too.
    title : str, default "manifold and its learned codes"
        The figure's title.
    data_label : str, default "data"
        The 3-D axes' title.

    Returns
    -------
    matplotlib.figure.Figure
        The figure: the 3-D axes, the codes' axes and a colour bar.

    See Also
    --------
    npae.datasets.make_manifold

    Examples
    --------
    >>> from npae.datasets import make_manifold
    >>> from npae.plot import plot_manifold
    >>> X, tau = make_manifold("swiss_roll", n_samples=50, random_state=0)
    >>> fig = plot_manifold(X, X[:, [0, 2]], tau[:, 0])
    >>> len(fig.axes)
    3
    """
    X3 = np.asarray(X3)
    fig = _figure(11, 5)
    ax3 = fig.add_subplot(1, 2, 1, projection="3d")
    ax3.scatter(X3[:, 0], X3[:, 1], X3[:, 2], c=color, cmap="viridis", s=5)
    ax3.set_title(data_label)
    ax = fig.add_subplot(1, 2, 2)
    Z2, projected = _codes_2d(Z)
    points = ax.scatter(Z2[:, 0], Z2[:, 1], c=color, cmap="viridis", s=5)
    fig.colorbar(points, ax=ax, label="intrinsic coordinate")
    ax.set_title("learned 2-D code" + (" (PCA of the codes)" if projected else ""))
    fig.suptitle(title)
    return _finish(fig, path)
