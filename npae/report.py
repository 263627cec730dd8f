"""``npae train``'s report: pictures as PNG files and one self-contained report.html
(images embedded as base64, numbers in tables)."""

import base64
import html
import os

import numpy as np

from .io import write_atomic


def _is_image(n_features):
    side = int(round(np.sqrt(n_features)))
    return side * side == n_features


def write_report(out_dir, model, X_test, y_test=None, numbers=None, title="npae report"):
    """Write the relevant pictures of a fitted autoencoder and report.html into ``out_dir``.

    ``numbers``: ``{label: value}`` rows for the summary table. Returns the list of
    PNG file names written (each named in report.html)."""
    from . import plot
    from .metrics import knn_accuracy, trustworthiness

    os.makedirs(out_dir, exist_ok=True)
    X_test = np.asarray(X_test, dtype=np.float64)
    figures = [("history.png", "Loss per epoch", lambda p: plot.plot_history(model, path=p))]
    image = _is_image(X_test.shape[1])
    variational = hasattr(model, "elbo")
    if image and variational:
        figures.append(("samples.png", "Samples from the prior N(0, I), decoded",
                        lambda p: plot.plot_samples(model, n=64, path=p)))
        if model.latent_dim_ != 2:
            figures.append(("traversals.png", "Each latent coordinate of a held-out row's posterior mean "
                            "varied from -2.5 to 2.5, decoded", lambda p: plot.plot_traversals(
                                model, X_test[0], dims=range(min(model.latent_dim_, 10)), path=p)))
    if image:
        figures.append(("reconstructions.png", "Held-out originals (top) and reconstructions (bottom)",
                        lambda p: plot.plot_reconstructions(model, X_test, n=10, path=p)))
        corrupted = X_test[:10] * (np.random.default_rng(0).random(X_test[:10].shape) >= 0.3)
        if not variational:
            figures.append(("denoising.png", "30% of pixels zeroed: clean, noisy input, output",
                            lambda p: plot.plot_reconstructions(model, X_test, n=10, corrupted=corrupted, path=p)))
        figures.append(("filters.png", "First-layer filters",
                        lambda p: plot.plot_filters(model, path=p)))
    codes = model.transform(X_test)
    figures.append(("codes.png", "Held-out codes" + (" coloured by label" if y_test is not None else ""),
                    lambda p: plot.plot_codes(codes, None if y_test is None else np.asarray(y_test), path=p,
                                              color_label="label")))
    if image and codes.shape[1] == 2:
        figures.append(("latent_grid.png", "Decoded grid over the 2-D latent space (the prior's quantiles)"
                        if variational else "Decoded grid over the 2-D code",
                        lambda p: plot.plot_latent_grid(model, path=p)))
    written = []
    for name, caption, draw in figures:
        draw(os.path.join(out_dir, name))
        written.append((name, caption))

    rows = dict(numbers or {})
    n = min(len(X_test), 1000)
    if n > 22:
        rows["trustworthiness of the held-out codes (k=10)"] = f"{trustworthiness(X_test[:n], codes[:n], 10):.4f}"
    if y_test is not None and len(X_test) > 10:
        rows["kNN accuracy of labels in code space (k=5, leave-one-out)"] = \
            f"{knn_accuracy(codes, np.asarray(y_test), n_neighbors=5):.4f}"
    history = model.history_
    epochs = "".join(f"<tr><td>{i + 1}</td><td>{history['loss'][i]:.6f}</td><td>"
                     f"{history['val_loss'][i]:.6f}</td></tr>" if "val_loss" in history else
                     f"<tr><td>{i + 1}</td><td>{history['loss'][i]:.6f}</td><td></td></tr>"
                     for i in range(len(history.get("loss", []))))
    table = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(str(v))}</td></tr>" for k, v in rows.items())
    images = []
    for name, caption in written:
        with open(os.path.join(out_dir, name), "rb") as f:
            data = base64.b64encode(f.read()).decode("ascii")
        images.append(f'<figure><img alt="{name}" src="data:image/png;base64,{data}">'
                      f"<figcaption>{html.escape(caption)} ({name})</figcaption></figure>")
    page = f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1000px;margin:2em auto}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left}}img{{max-width:100%}}
figure{{margin:1.5em 0}}</style></head>
<body><h1>{html.escape(title)}</h1>
<p><code>{html.escape(repr(model))}</code></p>
<h2>Summary</h2><table>{table}</table>
<h2>Pictures</h2>{''.join(images)}
<h2>Per epoch</h2><table><tr><th>epoch</th><th>loss</th><th>val_loss</th></tr>{epochs}</table>
</body></html>
"""
    write_atomic(os.path.join(out_dir, "report.html"), lambda f: f.write(page), mode="w")
    return [name for name, _ in written]
