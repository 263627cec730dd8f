"""Nothing lost, nothing trusted blindly: input errors, recovery from divergence and
Ctrl-C, atomic checkpoints, model files as data (fuzzed), properties, memmaps."""

import io
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import tracemalloc
import warnings
import zipfile

import numpy as np
import pytest

import npae
from npae import PCA, Autoencoder
from npae.errors import (DataError, DataTypeError, DivergenceError, ModelFileError, NotFittedError,
                         NpaeError, ParameterError)

FAST = dict(hidden=(6, 3), epochs=2, batch_size=16, random_state=0)


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("X,error,match", [
    (np.zeros(5), DataError, r"must be 2-D.*X.reshape\(-1, 1\)"),
    (np.zeros((2, 3, 4)), DataError, "3-D"),
    (np.zeros((0, 4)), DataError, "empty"),
    (np.zeros((4, 0)), DataError, "empty"),
    (np.array([["a", "b"], ["c", "d"]], dtype=object), DataTypeError, "not all numbers"),
    (np.ones((3, 2)) * 1j, DataError, "Complex data not supported"),
])
def test_bad_arrays_are_named(X, error, match):
    with pytest.raises(error, match=match):
        Autoencoder(**FAST).fit(X)
    assert issubclass(error, NpaeError)


def test_nan_and_inf_are_counted_and_located():
    X = np.random.default_rng(0).random((20, 5))
    X[7, 3] = np.nan
    X[12, 1] = np.inf
    with pytest.raises(DataError, match=r"2 NaN or infinite value\(s\); the first is nan at row 7, column 3"):
        Autoencoder(**FAST).fit(X)


@pytest.mark.parametrize("unit_interval", [False, True])
@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_each_non_finite_value_is_found_in_any_chunk(bad, unit_interval):
    """Each chunk of rows is checked by one dot product (or, when the range is checked too, by
    its minimum and maximum): each kind of non-finite value alone, in a later chunk, is found
    and located."""
    from npae.validation import CHECK_CHUNK_ROWS, check_array

    X = np.random.default_rng(0).random((CHECK_CHUNK_ROWS + 100, 3))
    X[CHECK_CHUNK_ROWS + 7, 2] = bad
    with pytest.raises(DataError, match=rf"1 NaN or infinite value\(s\); the first is {bad} at row "
                                        rf"{CHECK_CHUNK_ROWS + 7}, column 2"):
        check_array(X, unit_interval=unit_interval)
    X[CHECK_CHUNK_ROWS + 7, 2] = 1.25  # finite: the range the chunks found is the bce check's
    with pytest.raises(DataError, match=r"range over \[.*, 1.25\]"):
        check_array(X, unit_interval=True)


def test_finite_values_beyond_float32_are_not_called_nan():
    X = np.random.default_rng(0).random((20, 5))
    X[4, 2] = 1e39
    with pytest.raises(DataError, match=r"1 value\(s\) beyond float32's range .* 1e\+39 at row 4, column 2. "
                                        "Scale the data, or use dtype='float64'"):
        Autoencoder(**FAST).fit(X)
    from npae.validation import check_array

    assert check_array(X, dtype=np.float64)[4, 2] == 1e39  # float64 holds them
    X[1, 1] = X[9, 0] = np.nan  # NaN and overflow counted apart, the NaN first
    with pytest.raises(DataError, match=r"X contains 2 NaN or infinite value\(s\); the first is nan at row 1"):
        check_array(X, dtype=np.float32)


def test_wrong_feature_count_uses_scikit_learn_wording(rng):
    ae = Autoencoder(**FAST).fit(rng.random((20, 4)))
    with pytest.raises(DataError, match="X has 3 features, but Autoencoder is expecting 4 features as input"):
        ae.transform(rng.random((2, 3)))
    with pytest.raises(ValueError):  # scikit-learn users catch ValueError
        ae.score_samples(rng.random((2, 5)))


def test_bce_range_error_says_range_and_fix(rng):
    with pytest.raises(DataError, match=r"range over \[0, 2\].*divide by the maximum.*loss='mse'"):
        Autoencoder(loss="bce", **FAST).fit(np.vstack([np.zeros(4), np.full(4, 2.0), rng.random((10, 4))]))


@pytest.mark.parametrize("params,match", [
    (dict(batch_size=0), "batch_size must be >= 1"), (dict(learning_rate=0.0), "learning_rate must be > 0"),
    (dict(learning_rate=-1.0), "learning_rate"), (dict(optimizer="adamw"), r"\['adam', 'sgd'\]"),
    (dict(activation="swish"), "choose one of"), (dict(epochs=1.5), "integer"),
])
def test_bad_options_list_the_valid_ones(params, match, rng):
    with pytest.raises(ParameterError, match=match):
        Autoencoder(**{**FAST, **params}).fit(rng.random((8, 3)))


def test_unknown_parameter_name():
    with pytest.raises(ParameterError, match="valid parameters"):
        Autoencoder().set_params(hiden=(3,))


def test_not_fitted_is_value_and_attribute_error(rng):
    for method in ("transform", "reconstruct", "score_samples", "get_weights"):
        with pytest.raises(NotFittedError):
            getattr(Autoencoder(), method)(*([rng.random((2, 3))] if method != "get_weights" else []))


# ------------------------------------------------------------------ training that goes wrong
def test_divergence_with_early_stopping_restores_the_best_epoch(rng, monkeypatch):
    X, X_val = rng.random((64, 5)), rng.random((16, 5))
    ae = Autoencoder(hidden=(4,), epochs=6, batch_size=32, early_stopping=True, patience=10,
                     dtype="float64", backend="numpy", random_state=0)
    import npae.models.autoencoder as module

    original = module.autoencoder_objective
    calls = {"n": 0}

    def objective(*args, **kwargs):  # 2 batches an epoch: epoch 4, batch 1 goes NaN
        calls["n"] += 1
        loss, parts, dX = original(*args, **kwargs)
        return (np.nan if calls["n"] == 7 else loss), parts, dX

    monkeypatch.setattr(module, "autoencoder_objective", objective)
    with pytest.raises(DivergenceError, match=r"epoch 4, batch 1.*Lower learning_rate"):
        ae.fit(X, validation_data=X_val)
    assert ae.history_["diverged_at"] == [(4, 1)]
    assert len(ae.history_["val_loss"]) == 3
    # the restored weights are the best epoch's: scoring the validation rows gives its val_loss
    assert -ae.score(X_val) == pytest.approx(min(ae.history_["val_loss"]), rel=1e-12)


INTERRUPT_SCRIPT = textwrap.dedent("""
    import signal, sys, time, numpy as np, npae
    # Ctrl-C as in a terminal, even when this test runs in a background job (whose children
    # start with SIGINT ignored, and Python then installs no KeyboardInterrupt handler)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    X = np.random.default_rng(0).random((4000, 64))
    class Slow(npae.Autoencoder):
        pass
    ae = npae.Autoencoder(hidden=(32, 8), epochs=10000, batch_size=50, random_state=0, verbose=1)
    try:
        ae.fit(X, checkpoint=sys.argv[1])
    except KeyboardInterrupt:
        ae.save(sys.argv[2])
        print("INTERRUPTED", ae.n_iter_, len(ae.history_["loss"]), flush=True)
""")


def test_sigint_mid_fit_leaves_a_usable_model_and_checkpoint(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(INTERRUPT_SCRIPT)
    checkpoint, after = tmp_path / "best.npz", tmp_path / "after.npz"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen([sys.executable, str(script), str(checkpoint), str(after)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    lines = []
    for line in proc.stdout:  # wait until a few epochs have finished
        lines.append(line)
        if sum(l.startswith("epoch") for l in lines) >= 3:
            break
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    lines += out.splitlines()
    done = [l for l in lines if l.startswith("INTERRUPTED")]
    assert done, err
    n_iter, n_hist = map(int, done[0].split()[1:])
    assert n_iter == n_hist >= 3
    model, best = npae.load(after), npae.load(checkpoint)
    X = np.random.default_rng(1).random((5, 64))
    assert np.all(np.isfinite(model.transform(X))) and np.all(np.isfinite(best.transform(X)))
    assert best.n_iter_ <= model.n_iter_
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def test_a_failed_save_leaves_no_partial_file(tmp_path, rng, monkeypatch):
    ae = Autoencoder(**FAST).fit(rng.random((20, 4)))
    path = tmp_path / "m.npz"
    ae.save(path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError, match="disk full"):
        ae.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["m.npz"]


# ------------------------------------------------------------------ model files are data
def saved(tmp_path, model=None):
    model = model or Autoencoder(hidden=(5, 2), tied=True, epochs=1, random_state=0).fit(
        np.random.default_rng(0).random((20, 6)))
    path = tmp_path / "model.npz"
    model.save(path)
    return model, path


@pytest.mark.parametrize("tied", [False, True])
def test_a_pickled_or_deep_copied_model_trains_on_as_the_original(tied, rng):
    """Its layers' W and b must stay views into theta: copied one by one they were separate
    arrays, so partial_fit on a copy moved a theta no layer read (and set_weights left a
    tied decoder stale)."""
    import copy
    import pickle

    X = rng.random((64, 6))
    model = Autoencoder(hidden=(4, 2), tied=tied, epochs=2, random_state=0).fit(X)
    copies = [pickle.loads(pickle.dumps(model)), copy.deepcopy(model)]
    before = [w.copy() for w in model.get_weights()]
    model.partial_fit(X)
    assert any(not np.array_equal(a, b) for a, b in zip(before, model.get_weights()))
    for twin in copies:
        twin.partial_fit(X)
        assert twin.history_["loss"] == model.history_["loss"]
        for a, b in zip(twin.get_weights(), model.get_weights()):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(twin.reconstruct(X), model.reconstruct(X))


def test_pickled_object_in_npz_is_refused(tmp_path):
    _, path = saved(tmp_path)
    payload = dict(np.load(path))
    payload["encoder.0.W"] = np.array([object()], dtype=object)
    evil = tmp_path / "evil.npz"
    with open(evil, "wb") as f:
        np.savez(f, **payload)
    with pytest.raises(ModelFileError, match="Python objects"):
        npae.load(evil)


def test_edited_json_is_refused(tmp_path):
    _, path = saved(tmp_path)
    payload = dict(np.load(path))
    doc = json.loads(str(payload["__npae__"]))
    for edit, match in [(("class", "os.system"), "unknown model class"), (("version", 99), "version"),
                        (("params", {"activation": "gelu"}), "gelu"),
                        (("params", {"hidden": [5, 3]}), "shape|parameters|code_mean_")]:
        bad = json.loads(json.dumps(doc))
        key, value = edit
        bad[key] = {**bad[key], **value} if isinstance(value, dict) else value
        payload["__npae__"] = np.array(json.dumps(bad))
        target = tmp_path / "edited.npz"
        with open(target, "wb") as f:
            np.savez(f, **payload)
        with pytest.raises(ModelFileError, match=match):
            npae.load(target)


@pytest.mark.parametrize("kind", ["classifier", "pca"])
def test_edited_metadata_of_a_classifier_or_pca_is_refused(tmp_path, kind):
    """Unknown and missing metadata keys are named; a classifier's numbers are checked as
    an autoencoder's are (they were read with int() or not at all)."""
    X = np.random.default_rng(0).random((40, 6))
    model = (npae.Classifier(hidden=(3,), epochs=1, random_state=0).fit(X, (X[:, 0] > 0.5).astype(int))
             if kind == "classifier" else PCA(2).fit(X))
    model.save(tmp_path / "m.npz")
    payload = dict(np.load(tmp_path / "m.npz"))
    doc = json.loads(str(payload["__npae__"]))
    first = next(iter(doc["meta"]))
    edits = [(lambda m: m.update(evil=1), r"unknown \['evil'\]"), (lambda m: m.pop(first), f"missing \\['{first}'\\]")]
    if kind == "classifier":
        edits += [(lambda m: m.update(n_features_in_=6.9), "n_features_in_ must be an integer"),
                  (lambda m: m.update(classes_=[1, 0]), "sorted list"),
                  (lambda m: m.update(history_=5), "history_ must be a dict of lists"),
                  (lambda m: m.update(network=[]), "no layers")]
    for edit, match in edits:
        bad = json.loads(json.dumps(doc))
        edit(bad["meta"])
        payload["__npae__"] = np.array(json.dumps(bad))
        with open(tmp_path / "edited.npz", "wb") as f:
            np.savez(f, **payload)
        with pytest.raises(ModelFileError, match=match):
            npae.load(tmp_path / "edited.npz")


def test_a_missing_model_file_is_file_not_found_and_saved_files_are_not_private(tmp_path, rng):
    with pytest.raises(FileNotFoundError):
        npae.load(tmp_path / "missing.npz")
    with pytest.raises(IsADirectoryError):
        npae.load(tmp_path)
    model = Autoencoder(**FAST).fit(rng.random((32, 5)))
    old = os.umask(0o022)
    try:
        model.save(tmp_path / "m.npz")  # a new file: 0666 less the umask, as open() gives
        assert os.stat(tmp_path / "m.npz").st_mode & 0o777 == 0o644
        os.chmod(tmp_path / "m.npz", 0o640)
        model.save(tmp_path / "m.npz")  # a replaced file keeps its permissions
        assert os.stat(tmp_path / "m.npz").st_mode & 0o777 == 0o640
    finally:
        os.umask(old)


def test_huge_declared_shape_is_refused_without_allocating(tmp_path):
    _, path = saved(tmp_path)
    payload = dict(np.load(path))
    doc = json.loads(str(payload["__npae__"]))
    doc["params"]["hidden"] = [10 ** 9, 2]
    payload["__npae__"] = np.array(json.dumps(doc))
    target = tmp_path / "huge.npz"
    with open(target, "wb") as f:
        np.savez(f, **payload)
    tracemalloc.start()
    with pytest.raises(ModelFileError):
        npae.load(target)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 50 * 2 ** 20


def mutate(data, rng):
    """One seeded mutation of a file's bytes (or of its zip members)."""
    kind = rng.integers(6)
    data = bytearray(data)
    if kind == 0:  # flip bytes
        for _ in range(rng.integers(1, 8)):
            data[rng.integers(len(data))] ^= 1 << int(rng.integers(8))
    elif kind == 1:  # truncate
        del data[rng.integers(len(data)):]
    elif kind == 2:  # overwrite a run with random bytes
        start = rng.integers(len(data))
        data[start:start + 16] = rng.integers(0, 256, size=len(data[start:start + 16]), dtype=np.uint8).tobytes()
    elif kind == 3:  # a header's declared shape made huge
        at = data.find(b"'shape': (")
        if at >= 0:
            data[at + 10:at + 11] = b"9999999"
    elif kind == 4:  # duplicate a chunk in the middle
        a = rng.integers(len(data))
        data[a:a] = data[a:a + 64]
    else:  # swap two arrays' contents (zip level)
        with zipfile.ZipFile(io.BytesIO(bytes(data))) as zf:
            members = {n: zf.read(n) for n in zf.namelist()}
        names = [n for n in members if n != "__npae__.npy"]
        a, b = rng.choice(len(names), 2, replace=False)
        members[names[a]], members[names[b]] = members[names[b]], members[names[a]]
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w") as zf:
            for n, content in members.items():
                zf.writestr(n, content)
        data = bytearray(out.getvalue())
    return bytes(data)


def test_fuzzed_model_files_load_identically_or_raise(tmp_path):
    model, path = saved(tmp_path)
    original = path.read_bytes()
    X = np.random.default_rng(1).random((4, 6))
    reference = model.transform(X)
    rng = np.random.default_rng(2024)
    n = int(os.environ.get("NPAE_FUZZ_CASES", "1500"))
    target = tmp_path / "fuzzed.npz"
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(n):
        target.write_bytes(mutate(original, rng))
        t0 = time.perf_counter()
        try:
            loaded = npae.load(target)
        except ModelFileError:
            outcomes["refused"] += 1
        else:
            outcomes["loaded"] += 1
            # a mutation may land in zip padding or metadata npae does not read: then it must be the same model
            assert type(loaded) is type(model) and loaded.get_params() == model.get_params()
            np.testing.assert_array_equal(loaded.transform(X), reference)
        assert time.perf_counter() - t0 < 2.0
    assert outcomes["refused"] > n // 2, outcomes


def test_transform_from_threads_equals_serial(digits):
    X = digits[0]
    ae = Autoencoder(hidden=(32, 8), epochs=1, random_state=0).fit(X)
    serial = [ae.transform(X[i::8]) for i in range(8)]
    results = [None] * 8

    def work(i):
        results[i] = ae.transform(X[i::8])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for a, b in zip(results, serial):
        np.testing.assert_array_equal(a, b)


# ------------------------------------------------------------------ memory
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_fit_streams_a_memmap(tmp_path, backend):
    """A float64 memmap of 16,000 x 256 (33 MB) trains a float32 model without ever being
    copied whole: peak extra memory stays far below the data's size."""
    if backend == "numba":
        pytest.importorskip("numba")
    path = tmp_path / "big.dat"
    n = 16000
    X = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(n, 256))
    rng = np.random.default_rng(0)
    for i in range(0, n, 1000):
        X[i:i + 1000] = rng.random((1000, 256))
    X.flush()
    del X
    X = np.load(path, mmap_mode="r")
    ae = Autoencoder(hidden=(32, 8), epochs=1, batch_size=64, backend=backend, random_state=0)
    ae.partial_fit(X[:64])  # compile kernels and build the network outside the measurement
    data_bytes = n * 256 * 8
    tracemalloc.start()
    ae.fit(X)
    fit_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.reset_peak()
    Z = ae.transform(X)
    transform_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert Z.shape == (n, 8)
    print(f"peak extra memory: fit {fit_peak / 2**20:.1f} MiB, transform {transform_peak / 2**20:.1f} MiB, "
          f"data {data_bytes / 2**20:.1f} MiB")
    assert fit_peak < data_bytes / 8, fit_peak  # a checking chunk, batches, the weights: O(batch + params)
    assert transform_peak < data_bytes / 4, transform_peak  # one float32 chunk of rows, and the codes


def test_not_fitted_error_pickles_as_both_npae_and_sklearn_errors():
    """joblib and multiprocessing pickle exceptions: the class that is both npae's and
    scikit-learn's NotFittedError is made at run time and must survive the round trip."""
    import pickle

    sklearn_exceptions = pytest.importorskip("sklearn.exceptions")
    from npae.errors import NotFittedError, not_fitted_error

    error = not_fitted_error("fit me first")
    again = pickle.loads(pickle.dumps(error))
    assert type(again) is type(error) is type(not_fitted_error("another"))
    assert isinstance(again, NotFittedError) and isinstance(again, sklearn_exceptions.NotFittedError)
    assert again.args == ("fit me first",)
