"""Saving and loading models as plain ``.npz`` files: data, never code.

A file holds one JSON document (the array ``__npae__``: format name and version,
the class, every hyper-parameter, the fitted metadata) and one array per
parameter (``encoder.0.W``, ...) and per fitted statistic of that size (an
autoencoder's ``code_cov_``, ...). Loading:

* reads with ``allow_pickle=False``, so nothing in the file is ever executed;
* accepts only uncompressed entries whose sizes fit the file, and checks every
  array's header (shape and dtype) against the structure rebuilt from the
  hyper-parameters BEFORE reading it: a file can never make npae allocate more
  than its own size;
* checks each array against the SHA-256 the metadata records for it, so swapped
  or altered arrays are refused even where the zip's own CRCs were rewritten;
* refuses anything unexpected (unknown keys, class, version, option, a NaN
  weight) with ``ModelFileError``, never loading a model partially.

Saving writes a temporary file in the target folder, flushes and fsyncs it, then
renames it over the target: a crash never leaves a half-written model.
"""

import hashlib
import json
import os
import secrets
import zipfile

import numpy as np

from .errors import ModelFileError

FORMAT = "npae"
#: The version written; 2 keeps an autoencoder's code statistics as arrays, not JSON.
FORMAT_VERSION = 2
#: The versions read.
READABLE_VERSIONS = (1, 2)
#: Fitted arrays that format 1 kept in the JSON metadata (an autoencoder's code statistics).
FORMAT_1_META_ARRAYS = ("code_mean_", "code_cov_", "code_min_", "code_max_")
META_KEY = "__npae__"
#: Largest JSON document accepted (bytes).
MAX_META_BYTES = 16 * 1024 * 1024


def _model_classes():
    from . import models
    return {cls.__name__: cls for cls in models.SAVEABLE}


def _jsonable(value, name):
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (np.integer, np.floating, np.bool_)):
        return value.item()
    if isinstance(value, (list, tuple)) or (isinstance(value, np.ndarray) and value.ndim == 1):
        return [_jsonable(v, name) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, name) for k, v in value.items()}
    if isinstance(value, np.random.Generator):
        return None
    if isinstance(value, (type, np.dtype)):
        return np.dtype(value).name
    raise ModelFileError(f"cannot save {name}={value!r}: only numbers, strings, lists and None "
                         "can be stored in a model file (a callable option cannot be saved)")


def _tuples(value):
    """JSON lists back to the tuples the constructors expect."""
    if isinstance(value, list):
        return tuple(_tuples(v) for v in value)
    return value


def _digest(array):
    """SHA-256 of an array's bytes (C order): ties each array to its name in the metadata."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def save(model, path):
    """Write a fitted ``model`` to ``path`` (.npz) atomically.

    The file holds one JSON document (the class, every hyper-parameter, the fitted
    metadata and each array's SHA-256) and one uncompressed array per parameter and
    fitted statistic: data, never code. It is written to a temporary file in the same
    folder, flushed, fsynced and renamed over ``path``, so a crash never leaves half a
    model. Every estimator's ``save(path)`` method calls this.

    Parameters
    ----------
    model : estimator
        A fitted npae estimator (one of ``npae.models.SAVEABLE``).
    path : str or path-like
        The file to write (replaced if it exists; its permissions are kept).

    Returns
    -------
    None

    Raises
    ------
    NotFittedError
        If ``model`` is not fitted.
    ModelFileError
        If a hyper-parameter cannot be stored (a callable, say).

    See Also
    --------
    load : Reads the file back.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from npae import PCA, load
    >>> from npae.datasets import load_digits
    >>> from npae.io import save
    >>> X, _ = load_digits()
    >>> pca = PCA(n_components=2).fit(X)
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "pca.npz")
    >>> save(pca, path)
    >>> np.array_equal(load(path).transform(X[:5]), pca.transform(X[:5]))
    True
    >>> folder.cleanup()
    """
    meta, arrays = model._file_meta(), model._file_arrays()
    document = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "class": type(model).__name__,
        "params": _jsonable(model._file_params(), "params"),
        "meta": _jsonable(meta, "meta"),
        "arrays": {name: {"shape": list(a.shape), "dtype": a.dtype.name, "sha256": _digest(a)}
                   for name, a in arrays.items()},
    }
    payload = {META_KEY: np.array(json.dumps(document))}
    payload.update({name: np.ascontiguousarray(a) for name, a in arrays.items()})
    write_atomic(path, lambda f: np.savez(f, **payload))


def temporary_file(path, prefix=".npae-"):
    """``(fd, name)`` of a new file beside ``path`` for writing it atomically: created with
    mode 0666, which the system narrows by the umask as open() does (mkstemp's 0600 made
    every saved file private), then given the permissions of the file it will replace.

    Parameters
    ----------
    path : str or path-like
        The file that will be replaced; the new file is created in its folder.
    prefix : str, default ".npae-"
        The start of the new file's name (then 16 random hexadecimal digits and ``.tmp``).

    Returns
    -------
    fd : int
        An open file descriptor, for writing.
    name : str
        The new file's absolute path.

    See Also
    --------
    write_atomic : Writes through it and renames the result over ``path``.

    Examples
    --------
    >>> import os, tempfile
    >>> from npae.io import temporary_file
    >>> folder = tempfile.TemporaryDirectory()
    >>> fd, name = temporary_file(os.path.join(folder.name, "model.npz"))
    >>> os.close(fd)
    >>> os.path.basename(name).startswith(".npae-"), name.endswith(".tmp")
    (True, True)
    >>> folder.cleanup()
    """
    name = os.path.join(os.path.dirname(os.path.abspath(path)), f"{prefix}{secrets.token_hex(8)}.tmp")
    # O_EXCL: a 64-bit random name that exists already is refused, never reused
    fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        os.chmod(name, os.stat(path).st_mode & 0o777)
    except OSError:  # no file to replace yet, or a file system without permissions
        pass
    return fd, name


def write_atomic(path, write, mode="wb"):
    """``write(f)`` into a temporary file in ``path``'s folder, flushed and fsynced, then
    renamed over ``path``: a crash or a reader never sees half a file.

    If ``write`` raises, the temporary file is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or path-like
        The file to write.
    write : callable
        ``write(f)``, given the open temporary file; its return value is ignored.
    mode : str, default "wb"
        The mode the temporary file is opened in ("w" for text).

    Returns
    -------
    None

    See Also
    --------
    temporary_file, save

    Examples
    --------
    >>> import os, tempfile
    >>> from npae.io import write_atomic
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "notes.txt")
    >>> write_atomic(path, lambda f: f.write("hello"), mode="w")
    >>> open(path).read(), os.listdir(folder.name)
    ('hello', ['notes.txt'])
    >>> folder.cleanup()
    """
    path = os.fspath(path)
    fd, tmp = temporary_file(path)
    try:
        with os.fdopen(fd, mode) as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def _read_header(zf, info):
    """(shape, dtype) of one stored .npy entry, checked to fit inside the entry."""
    member = info.filename
    if info.compress_type != zipfile.ZIP_STORED or info.file_size != info.compress_size:
        raise ModelFileError(f"entry {member} is compressed; npae writes uncompressed entries")
    with zf.open(info) as f:
        version = np.lib.format.read_magic(f)
        if version == (1, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
        elif version == (2, 0):
            shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
        else:
            raise ModelFileError(f"array {member} has unsupported .npy version {version}")
        header_bytes = f.tell()
    if dtype.hasobject:
        raise ModelFileError(f"array {member} holds Python objects; npae model files hold numbers only")
    if any(not isinstance(d, int) or d < 0 for d in shape):
        raise ModelFileError(f"array {member} has an invalid shape {shape}")
    if header_bytes + int(np.prod(shape, dtype=object)) * dtype.itemsize != info.file_size:
        raise ModelFileError(f"array {member} declares shape {shape} {dtype}, which does not "
                             "match the size of its entry")
    return tuple(shape), dtype


def load(path):
    """Load a model saved by ``save``; raises ``ModelFileError`` if the file is not
    a valid npae model. Nothing in the file is executed.

    The file is read with ``allow_pickle=False``; every array's header (shape and dtype)
    is checked against the model rebuilt from the hyper-parameters before the array is
    read, and its bytes against the SHA-256 recorded for it. A file is loaded whole or
    not at all.

    Parameters
    ----------
    path : str or path-like
        A file written by ``save`` (or an estimator's ``save`` method), format version 1 or 2.

    Returns
    -------
    estimator
        The fitted model, of the class that was saved.

    Raises
    ------
    ModelFileError
        If the file is not a valid npae model file (unknown class, version or option,
        altered or missing arrays, a NaN weight, ...).
    FileNotFoundError, IsADirectoryError, PermissionError
        If ``path`` cannot be opened.

    See Also
    --------
    save

    Examples
    --------
    >>> import os, tempfile
    >>> import npae
    >>> from npae import PCA
    >>> from npae.datasets import load_digits
    >>> X, _ = load_digits()
    >>> folder = tempfile.TemporaryDirectory()
    >>> path = os.path.join(folder.name, "pca.npz")
    >>> PCA(n_components=3).fit(X).save(path)
    >>> model = npae.load(path)
    >>> type(model).__name__, model.transform(X[:4]).shape
    ('PCA', (4, 3))
    >>> folder.cleanup()
    """
    path = os.fspath(path)
    try:
        return _load(path)
    except (ModelFileError, FileNotFoundError, IsADirectoryError, PermissionError):
        raise
    except Exception as exc:
        raise ModelFileError(f"{path} is not a valid npae model file: {exc}") from None


def _format_1_arrays(document):
    """Turn a format-1 document into format 2 in place: the code statistics it kept in the
    metadata leave it, and are returned as float64 arrays ({} where it had none)."""
    meta = document.get("meta")
    if not isinstance(meta, dict) or not all(name in meta for name in FORMAT_1_META_ARRAYS):
        return {}
    if "code_statistics" in meta:
        raise ModelFileError("a format 1 file has no 'code_statistics' entry")
    values = {name: meta.pop(name) for name in FORMAT_1_META_ARRAYS}
    arrays = {name: np.asarray(v, dtype=np.float64) for name, v in values.items() if v is not None}
    meta["code_statistics"] = bool(arrays)
    return arrays


def _load(path):
    with open(path, "rb"):  # a missing file, a folder or no permission: the OSError says which
        pass
    if not zipfile.is_zipfile(path):
        raise ModelFileError(f"{path} is not an .npz (zip) file")
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        names = [info.filename for info in infos]
        if len(names) != len(set(names)):
            raise ModelFileError("duplicate entries")
        if sum(info.file_size for info in infos) > os.path.getsize(path):
            raise ModelFileError("entries declare more bytes than the file holds")
        if f"{META_KEY}.npy" not in names:
            raise ModelFileError("no npae metadata (not saved by npae.save?)")
        headers = {}
        for info in infos:
            if not info.filename.endswith(".npy"):
                raise ModelFileError(f"unexpected entry {info.filename!r}")
            headers[info.filename[:-4]] = _read_header(zf, info)
    shape, dtype = headers.pop(META_KEY)
    if shape != () or dtype.kind != "U" or dtype.itemsize > MAX_META_BYTES:
        raise ModelFileError("malformed metadata entry")
    declared = sum(int(np.prod(shape)) for shape, _ in headers.values())
    with np.load(path, allow_pickle=False) as npz:
        document = json.loads(str(npz[META_KEY][()]))
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            raise ModelFileError("not an npae model file")
        version = document.get("version")
        if type(version) is not int or version not in READABLE_VERSIONS:
            raise ModelFileError(f"format version {version!r} is not supported "
                                 f"(this npae reads versions {', '.join(map(str, READABLE_VERSIONS))})")
        from_metadata = _format_1_arrays(document) if version == 1 else {}
        if set(from_metadata) & set(headers):
            raise ModelFileError(f"format 1 keeps {sorted(from_metadata)} in the metadata, not as arrays")
        declared += sum(a.size for a in from_metadata.values())
        classes = _model_classes()
        cls = classes.get(document.get("class"))
        if cls is None:
            raise ModelFileError(f"unknown model class {document.get('class')!r}; "
                                 f"known: {sorted(classes)}")
        params = document.get("params")
        meta = document.get("meta")
        if not isinstance(params, dict) or not isinstance(meta, dict):
            raise ModelFileError("malformed metadata")
        model = cls()
        model.set_params(**{k: _tuples(v) for k, v in params.items()})
        model._from_file_meta(meta, max_params=declared)
        destinations = model._file_arrays()
        headers.update({name: (a.shape, a.dtype) for name, a in from_metadata.items()})
        if set(destinations) != set(headers):
            raise ModelFileError(f"arrays {sorted(headers)} do not match the model's "
                                 f"{sorted(destinations)}")
        for name, dest in destinations.items():
            shape, dtype = headers[name]
            if tuple(shape) != dest.shape or dtype != dest.dtype:
                raise ModelFileError(f"array {name!r} has shape {shape} and dtype {dtype}; "
                                     f"the model needs {dest.shape} {dest.dtype}")
        declared_arrays = document.get("arrays")
        if not isinstance(declared_arrays, dict) or set(declared_arrays) != set(destinations) - set(from_metadata):
            raise ModelFileError("the metadata's array list does not match the file")
        arrays = {}
        for name in destinations:
            if name in from_metadata:
                array = from_metadata[name]
            else:
                array = npz[name]
                entry = declared_arrays[name]
                if not isinstance(entry, dict) or entry.get("sha256") != _digest(array):
                    raise ModelFileError(f"array {name!r} does not match its checksum (swapped or altered)")
            if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
                raise ModelFileError(f"array {name!r} contains NaN or infinite values")
            arrays[name] = array
        for name, dest in destinations.items():
            dest[...] = arrays[name]
    return model
