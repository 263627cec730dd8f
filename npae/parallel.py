"""Data-parallel training on MPI: what ``fit(..., comm=...)`` does with a communicator.

Every rank runs the same program on the same data (an array or a memmap of the same
file) and holds the whole model. The ranks draw the same permutation from the same
generator; of each global minibatch ``rows``, rank r of P takes ``rows[r::P]``,
computes the mean loss and gradient over its rows and weights them by its share
``n_r / n``: summed over the ranks, that is the gradient of the mean over the whole
minibatch (a short last batch, or a rank left with no row, included). The update is
sharded (``ShardedStep``; ZeRO stage 1, the optimizer-state sharding of DeepSpeed; on one
rank the block is all of theta and the step the one-process step, bit for bit): theta is cut
into P contiguous blocks of n // P entries, the last with the remainder (``partition``); a
``Reduce_scatter`` gives each rank the summed gradient of its block, one small ``Allreduce``
sums the loss, the loss terms and the row counts, each rank applies the optimizer to its
block only (the same elementwise arithmetic: ``step(theta, grad, block)``), and an
``Allgather`` of theta gives every rank the whole updated vector (``gather_blocks``). The
optimizer's cost is divided among the ranks; the traffic is an all-reduce's (which is a
reduce-scatter and an all-gather). The optimizer's state (Adam's moments, SGD's velocity)
is then current only in each rank's block: it is gathered at the end of every training
call (``run_parallel``), so the model a ``fit`` or ``partial_fit`` leaves is the one the
unsharded update leaves (checkpoints hold no optimizer state). So the model equals the
one-process fit with the same settings, up to the order of the floating-point sums.

What this module keeps true, and how:

* the same start: ``theta`` and the generator's state are broadcast from rank 0;
* the same random draws: a corruption or noise draw of this rank's rows draws the
  whole minibatch's from the shared generator and keeps this rank's rows
  (``ShardedGenerator``), as the one-process fit draws them, and every generator
  advances alike;
* the same decisions: the loss a step returns and the validation numbers
  (``mean_of``) are all-reduced, so divergence, early stopping, the learning-rate
  schedule and the end of training are decided from numbers every rank holds;
* the same steps: a guarded step (``npae.training.apply_update``'s rule) checks the squared
  norm of the whole summed gradient, which no rank holds under the sharded update: each rank
  adds its block's and the small all-reduce sums them, so every rank skips the update alike;
* one voice: only rank 0 prints and writes checkpoints (``is_root``);
* no hang: an exception on one rank inside ``guard()`` prints its traceback and
  calls ``comm.Abort``, ending every rank, instead of leaving the others waiting in a
  collective call forever. Errors decided from all-reduced numbers (a divergence,
  ranks given different data) are raised on every rank together and propagate.

Run it as ``mpiexec -n P python -m mpi4py script.py``: mpi4py's runner also aborts the
job on an exception outside ``fit``. mpi4py is imported only when a communicator is
given; ``import npae`` never needs it.
"""

import contextlib
import sys
import traceback
import zlib

import numpy as np

from .errors import DataError, DivergenceError, ParameterError
from .training import held_back_loss, step_is_finite


class RanksDisagree(DataError):
    """The ranks were given different data (or settings): raised on every rank together.

    Examples
    --------
    >>> from npae.errors import DataError
    >>> from npae.parallel import RanksDisagree
    >>> issubclass(RanksDisagree, DataError)
    True
    """


def _mpi():
    from mpi4py import MPI  # only here: import npae never needs mpi4py

    return MPI


class Parallel:
    """One training's view of an mpi4py communicator ``comm``: ``rank`` and ``size``, the
    split of a minibatch, the all-reductions and broadcasts training needs, and the guard
    that aborts every rank when one fails.

    Parameters
    ----------
    comm : mpi4py.MPI.Comm
        The communicator (e.g. ``mpi4py.MPI.COMM_WORLD``).

    Attributes
    ----------
    comm : mpi4py.MPI.Comm
        The communicator.
    rank, size : int
        This process's rank and the number of ranks.
    MPI : module
        ``mpi4py.MPI``.

    Examples
    --------
    >>> from npae.parallel import Parallel
    >>> from mpi4py import MPI  # doctest: +SKIP
    >>> Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
    Parallel(rank 0 of 1)
    """

    def __init__(self, comm):
        for method in ("Get_rank", "Get_size", "Allreduce", "Reduce_scatter", "Allgather", "Bcast", "bcast",
                       "allgather", "Abort"):
            if not callable(getattr(comm, method, None)):
                raise ParameterError(f"comm must be an mpi4py communicator (e.g. mpi4py.MPI.COMM_WORLD) or None; "
                                     f"got {type(comm).__name__}, which has no {method}")
        self.comm = comm
        self.rank, self.size = int(comm.Get_rank()), int(comm.Get_size())
        self.MPI = _mpi()
        self._sharded = {}  # id -> optimizer whose state is current only in this rank's block

    @property
    def is_root(self):
        """Whether this is rank 0, the one that prints and writes checkpoints.

        Examples
        --------
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> Parallel(MPI.COMM_WORLD).is_root  # doctest: +SKIP
        True
        """
        return self.rank == 0

    def __repr__(self):
        return f"Parallel(rank {self.rank} of {self.size})"

    # ------------------------------------------------------------ splitting rows
    def local(self, rows):
        """This rank's rows of a global minibatch: ``rows[rank::size]``.

        Parameters
        ----------
        rows : ndarray of shape (n,)
            The global minibatch's row indices.

        Returns
        -------
        ndarray of shape (n_local,)
            Every ``size``-th row from this rank's.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> parallel.local(np.arange(5))  # doctest: +SKIP
        array([0, 1, 2, 3, 4])
        """
        return rows[self.rank::self.size]

    def block(self, n):
        """This rank's contiguous block ``slice(lo, hi)`` of ``n`` rows (for validation and
        other passes over a fixed set of rows, read in order).

        Parameters
        ----------
        n : int
            The number of rows.

        Returns
        -------
        slice
            ``slice(n * rank // size, n * (rank + 1) // size)``.

        Examples
        --------
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> parallel.block(10)  # doctest: +SKIP
        slice(0, 10, None)
        """
        return slice(n * self.rank // self.size, n * (self.rank + 1) // self.size)

    def gather_blocks(self, array):
        """``array`` (contiguous, 1-D) made whole on every rank from each rank's block of it
        (``partition``): one ``Allgather`` in place of the equal blocks, and a ``Bcast`` from the
        last rank of the remainder its block has beyond them (when the ranks do not divide n).

        Parameters
        ----------
        array : ndarray of shape (n,)
            A contiguous vector, of the same shape and dtype on every rank, whose block
            (``partition(n, size)``) is current on this rank.

        Returns
        -------
        ndarray of shape (n,)
            ``array`` itself, every rank's block in place.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> parallel.gather_blocks(np.arange(5.0))  # doctest: +SKIP
        array([0., 1., 2., 3., 4.])
        """
        equal = array.size // self.size * self.size  # the equal blocks; beyond: the last rank's remainder
        if equal:
            self.comm.Allgather(self.MPI.IN_PLACE, array[:equal])
        if equal < array.size:
            self.comm.Bcast(array[equal:], root=self.size - 1)
        return array

    # ------------------------------------------------------------ the same start
    def broadcast(self, array):
        """``array`` (contiguous) overwritten in place by rank 0's.

        Parameters
        ----------
        array : ndarray
            A contiguous array, of the same shape and dtype on every rank.

        Returns
        -------
        ndarray
            ``array`` itself, now holding rank 0's values.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> parallel.broadcast(np.zeros(3))  # doctest: +SKIP
        array([0., 0., 0.])
        """
        self.comm.Bcast(array, root=0)
        return array

    def sync_generator(self, rng):
        """Give ``rng`` (a numpy Generator) rank 0's state, so every rank draws the same.

        Parameters
        ----------
        rng : numpy.random.Generator
            The generator, set in place.

        Returns
        -------
        numpy.random.Generator
            ``rng`` itself.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> rng = parallel.sync_generator(np.random.default_rng())  # doctest: +SKIP
        """
        state = self.comm.bcast(rng.bit_generator.state if self.is_root else None, root=0)
        rng.bit_generator.state = state
        return rng

    def sync_optimizer(self, optimizer):
        """Rank 0's optimizer state (step count, learning rate, moment arrays) on every rank.

        Parameters
        ----------
        optimizer : npae.optim.SGD or npae.optim.Adam
            The optimizer, set in place.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.optim import Adam
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> parallel.sync_optimizer(Adam(4, np.float64, 0.001))  # doctest: +SKIP
        """
        self.gather_optimizer(optimizer)  # rank 0's whole state, if a sharded step left it in blocks
        scalars = self.comm.bcast((optimizer.t, optimizer.learning_rate) if self.is_root else None, root=0)
        optimizer.t, optimizer.learning_rate = scalars
        for state in optimizer_state(optimizer):
            self.broadcast(state)

    def gather_optimizer(self, optimizer=None):
        """The whole state (Adam's moments, SGD's velocity) of ``optimizer`` -- default: of
        every optimizer a ``ShardedStep`` of this ``Parallel`` updated -- on every rank, from
        each rank's block of it (``gather_blocks``); an optimizer whose state is whole
        already is left alone. Every rank must call it alike (it is collective).

        Parameters
        ----------
        optimizer : npae.optim.SGD or npae.optim.Adam or None, default=None
            The optimizer to gather; None: every sharded one.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.optim import Adam
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> parallel.gather_optimizer()  # doctest: +SKIP
        """
        keys = list(self._sharded) if optimizer is None else [id(optimizer)]
        for key in keys:
            for state in optimizer_state(self._sharded.pop(key, None)):
                self.gather_blocks(state)

    def check_same_data(self, X, name="X"):
        """Raise ``RanksDisagree`` on every rank unless every rank holds data of the same shape
        and dtype with the same first, middle and last row (a fingerprint of 3 rows: it
        catches a rank that loaded another file, shuffled, or sliced differently).

        Parameters
        ----------
        X : ndarray of shape (n, ...)
            This rank's data (an array or a memmap).
        name : str, default="X"
            The data's name in the error message.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> parallel.check_same_data(np.arange(6.0).reshape(3, 2))  # doctest: +SKIP
        """
        n = X.shape[0]
        picks = sorted({0, n // 2, n - 1}) if n else []
        crc = 0
        for i in picks:
            crc = zlib.crc32(np.ascontiguousarray(X[i]).tobytes(), crc)
        mine = (tuple(X.shape), str(X.dtype), crc)
        everyone = self.comm.allgather(mine)
        if any(other != everyone[0] for other in everyone):
            described = "; ".join(f"rank {r}: shape {s}, dtype {d}, rows checksum {c:08x}"
                                  for r, (s, d, c) in enumerate(everyone))
            raise RanksDisagree(f"every rank must pass the same {name} (the same array, or a memmap of the same "
                                f"file); they differ: {described}")

    # ------------------------------------------------------------ the same numbers
    def generator(self, rng):
        """``rng`` as this rank sees it in a training step (see ``ShardedGenerator``).

        Parameters
        ----------
        rng : numpy.random.Generator
            The model's generator (shared by every rank).

        Returns
        -------
        ShardedGenerator
            ``rng`` wrapped for this rank.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> type(parallel.generator(np.random.default_rng(0))).__name__  # doctest: +SKIP
        'ShardedGenerator'
        """
        return ShardedGenerator(rng, self.rank, self.size)

    def training_step(self, gradient, update, grad, generator, theta, optimizer):
        """``step(rows, guard=False) -> (loss, parts)`` for ``run_epochs`` from a model's local pieces:
        ``gradient(local_rows) -> (loss, parts)`` fills ``grad`` with the means over those
        rows, drawing its noise from ``generator`` (with no rows: only the draws);
        ``update(grad, block=None)`` applies the optimizer (to ``theta[block]`` alone, by
        its gradient, given a block). Between them the sharded update (``ShardedStep``: each
        rank updates its block of ``theta``, which is then gathered; on one rank the block is
        all of theta, and the step is the one-process step, bit for bit).

        Parameters
        ----------
        gradient : callable
            ``gradient(local_rows) -> (loss, parts)``, filling ``grad``.
        update : callable
            ``update(grad, block=None)``: the optimizer's step by the summed gradient, of
            ``theta[block]`` and the optimizer state's block when given one.
        grad : ndarray of shape (n_params,)
            The model's gradient buffer (``net.grad``).
        generator : ShardedGenerator
            The generator ``gradient`` draws from (``generator(rng)``).
        theta : ndarray of shape (n_params,)
            The parameters ``update`` updates (``net.theta``), gathered after each update.
        optimizer : npae.optim.SGD or npae.optim.Adam
            The optimizer ``update`` steps, whose state ``run_parallel`` gathers at the end.

        Returns
        -------
        callable
            ``step(rows, guard=False) -> (loss, parts)`` for ``run_epochs`` (the guard:
            ``npae.training.apply_update``).

        Examples
        --------
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> step = parallel.training_step(gradient, update, net.grad, generator, net.theta,
        ...                               optimizer)  # doctest: +SKIP
        """
        return ShardedStep(self, gradient, update, grad, generator, theta, optimizer)

    def sums(self, *values):
        """Each number summed over the ranks, in float64 (one all-reduce); sums of whole
        numbers (counts) are exact.

        Parameters
        ----------
        *values : float
            The numbers to sum.

        Returns
        -------
        list of float
            Each value's sum over the ranks.

        Examples
        --------
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> parallel.sums(1.5, 2)  # doctest: +SKIP
        [1.5, 2.0]
        """
        buf = np.array([float(v) for v in values], dtype=np.float64)
        self.comm.Allreduce(self.MPI.IN_PLACE, buf, op=self.MPI.SUM)
        return [float(v) for v in buf]

    def mean_of(self, value, n_local):
        """The mean over every rank's rows of a number (or a dict of numbers) that is the
        mean over this rank's ``n_local`` rows: one all-reduce of the weighted sums in
        float64. A rank with no rows passes any ``value`` (it is not read).

        Parameters
        ----------
        value : float or dict of str to float
            The mean over this rank's rows.
        n_local : int
            This rank's number of rows.

        Returns
        -------
        float or dict of str to float
            The mean over every rank's rows (NaN with no rows at all).

        Examples
        --------
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> parallel.mean_of({"val_loss": 0.5}, 10)  # doctest: +SKIP
        {'val_loss': 0.5}
        """
        keys = list(value) if isinstance(value, dict) else None
        values = [value[k] for k in keys] if keys is not None else [value]
        *totals, count = self.sums(*[float(v) * n_local if n_local else 0.0 for v in values], n_local)
        means = [total / count if count else float("nan") for total in totals]
        return dict(zip(keys, means)) if keys is not None else means[0]

    # ------------------------------------------------------------ no hang
    @contextlib.contextmanager
    def guard(self):
        """Run a collective stretch of work: an exception on this rank ends every rank
        (``comm.Abort``) after printing which rank failed and its traceback, so that the
        others, waiting in a collective call, do not hang. Exceptions raised on every rank
        together from all-reduced numbers (``DivergenceError``, ``RanksDisagree``) propagate
        as usual. With one rank nothing is aborted.

        Yields
        ------
        Parallel
            This ``Parallel``.

        Examples
        --------
        >>> from npae.parallel import Parallel
        >>> from mpi4py import MPI  # doctest: +SKIP
        >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
        >>> with parallel.guard():  # doctest: +SKIP
        ...     pass
        """
        try:
            yield self
        except (DivergenceError, RanksDisagree):
            raise
        except BaseException as exc:
            if self.size > 1:
                detail = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
                sys.stderr.write(f"npae: rank {self.rank} of {self.size} failed; aborting every rank "
                                 f"(MPI Abort) so that none waits forever:\n{detail}")
                sys.stderr.flush()
                self.comm.Abort(1)
            raise


def run_parallel(estimator, comm, method, *args, **kwargs):
    """``method(*args, **kwargs)`` -- the estimator's own ``fit`` or ``partial_fit``, called
    again without ``comm`` -- with ``estimator._parallel`` set to a ``Parallel`` of ``comm``
    for its duration, inside ``guard()``. The hyper-parameters are checked first, outside
    the guard: a bad one raises on every rank alike (nothing to abort), as does an option
    the estimator cannot train data-parallel (its ``_check_parallel(parallel)``). Then every
    rank must hold the same ``X`` (and ``y``), the first two positional arguments.

    Parameters
    ----------
    estimator : estimator
        The estimator to train.
    comm : mpi4py.MPI.Comm
        The communicator.
    method : callable
        The estimator's ``fit`` or ``partial_fit``, bound.
    *args : object
        Its positional arguments (``X`` first, then ``y``).
    **kwargs : object
        Its keyword arguments.

    Returns
    -------
    object
        What ``method`` returns (the estimator).

    Examples
    --------
    >>> import numpy as np
    >>> from npae import Autoencoder
    >>> from npae.parallel import run_parallel
    >>> from mpi4py import MPI  # doctest: +SKIP
    >>> model = Autoencoder(hidden=(2,), epochs=1)
    >>> X = np.random.default_rng(0).random((8, 3))
    >>> run_parallel(model, MPI.COMM_WORLD, model.fit, X) is model  # doctest: +SKIP
    True
    """
    parallel = Parallel(comm)
    estimator._validate_params()
    check = getattr(estimator, "_check_parallel", None)
    if check is not None:
        check(parallel)
    estimator._parallel = parallel
    try:
        with parallel.guard():
            for name, data in zip(("X", "y"), args):  # the same data on every rank, before anything uses it
                if data is not None:
                    parallel.check_same_data(data if hasattr(data, "shape") and hasattr(data, "dtype")
                                             else np.asarray(data), name)
            result = method(*args, **kwargs)
            # the optimizer state a sharded step left in blocks, whole on every rank: the model
            # is then what one process's training leaves (to save, pickle or train further)
            parallel.gather_optimizer()
            return result
    finally:
        estimator.__dict__.pop("_parallel", None)


def current(estimator):
    """The ``Parallel`` an estimator is training under, or None (one process).

    Parameters
    ----------
    estimator : estimator
        Any estimator.

    Returns
    -------
    Parallel or None
        Set only during a ``fit(..., comm=...)``.

    Examples
    --------
    >>> from npae import Autoencoder
    >>> from npae.parallel import current
    >>> current(Autoencoder()) is None
    True
    """
    return estimator.__dict__.get("_parallel")


def partition(n, size):
    """The blocks of a vector of ``n`` entries cut among ``size`` ranks for the sharded update:
    contiguous, rank r's from ``r q`` with ``q = n // size`` entries, the last rank's with the
    remainder (fewer than ``size`` entries) too: their lengths and first indices, as
    ``Reduce_scatter`` takes them. Equal blocks let ``Parallel.gather_blocks`` use
    ``Allgather`` (and a ``Bcast`` of the remainder): MPICH's ``Allgatherv`` of unequal
    blocks sends in 32 KB pieces, 3-4x slower on a vector of millions of entries.

    Parameters
    ----------
    n : int
        The vector's length.
    size : int
        The number of ranks.

    Returns
    -------
    counts : ndarray of shape (size,)
        Each rank's block length (they add up to ``n``).
    displacements : ndarray of shape (size,)
        Each rank's block's first index.

    Examples
    --------
    >>> from npae.parallel import partition
    >>> counts, displacements = partition(11, 3)
    >>> counts.tolist(), displacements.tolist()
    ([3, 3, 5], [0, 3, 6])
    """
    q = n // size
    counts = np.full(size, q, dtype=np.int64)
    counts[-1] += n - q * size
    return counts, np.arange(size, dtype=np.int64) * q


def optimizer_state(optimizer):
    """The state arrays of an optimizer, each the size of theta: Adam's moments ``m`` and
    ``v``, SGD's ``velocity`` (none for plain SGD, or for None).

    Parameters
    ----------
    optimizer : npae.optim.SGD or npae.optim.Adam or None
        The optimizer.

    Returns
    -------
    list of ndarray
        Its state arrays (not copies).

    Examples
    --------
    >>> import numpy as np
    >>> from npae.optim import SGD, Adam
    >>> from npae.parallel import optimizer_state
    >>> len(optimizer_state(Adam(3, np.float64, 0.1))), len(optimizer_state(SGD(3, np.float64, 0.1)))
    (2, 0)
    """
    return [state for state in (getattr(optimizer, name, None) for name in ("m", "v", "velocity"))
            if isinstance(state, np.ndarray)]


class ShardedStep:
    """``step(rows, guard=False) -> (loss, parts)``: a data-parallel training step whose
    update is sharded among the ranks (ZeRO stage 1).

    This rank computes its rows' gradient into ``grad`` (``gradient``); weighted by its
    share ``n_local / n_global`` of the minibatch (the shares add up to 1, so a penalty such
    as weight decay counts once; when every rank has as many rows, the sum is weighted
    instead) it goes to a ``Reduce_scatter`` that gives the rank the sum over the ranks of
    its block ``block`` of theta (``partition``); one small ``Allreduce`` (float64) sums the
    weighted loss and loss terms, the row counts (checked: the ranks must have split the
    same minibatch) and, with ``guard``, the blocks' squared norms. Then ``update(mine, block)``
    steps the optimizer on ``theta[block]`` and its state's block (its step count advances
    on every rank), and ``Parallel.gather_blocks`` makes ``theta`` whole on every rank. With ``guard``
    (``npae.training.apply_update``) nothing is updated on any rank, and the loss is NaN,
    unless the loss and every block are finite. The optimizer's state is current only in
    each rank's block: ``Parallel.gather_optimizer`` (at the end of ``run_parallel``, and
    before ``sync_optimizer``) makes it whole.

    Parameters
    ----------
    parallel : Parallel
        The training's view of the communicator.
    gradient : callable
        ``gradient(local_rows) -> (loss, parts)``, filling ``grad``.
    update : callable
        ``update(grad, block)``: the optimizer's step of ``theta[block]`` by its gradient.
    grad : ndarray of shape (n_params,)
        The model's gradient buffer (``net.grad``; it keeps this rank's own gradient).
    generator : ShardedGenerator
        The generator ``gradient`` draws from.
    theta : ndarray of shape (n_params,)
        The parameters, contiguous: gathered after each update.
    optimizer : npae.optim.SGD or npae.optim.Adam
        The optimizer ``update`` steps (registered with ``parallel`` as sharded).

    Attributes
    ----------
    block : slice
        This rank's block of theta (``partition``).

    Examples
    --------
    >>> from npae.parallel import Parallel, ShardedStep
    >>> from mpi4py import MPI  # doctest: +SKIP
    >>> parallel = Parallel(MPI.COMM_WORLD)  # doctest: +SKIP
    >>> step = ShardedStep(parallel, gradient, update, net.grad, generator, net.theta, optimizer)  # doctest: +SKIP
    >>> loss, parts = step(rows)  # doctest: +SKIP
    """

    def __init__(self, parallel, gradient, update, grad, generator, theta, optimizer):
        if theta.size != grad.size or not theta.flags.c_contiguous:
            raise ValueError(f"theta ({theta.size} entries) must be contiguous and of grad's size ({grad.size})")
        self.parallel, self.gradient, self.update, self.grad = parallel, gradient, update, grad
        self.generator, self.theta = generator, theta
        self.counts, starts = partition(grad.size, parallel.size)
        self.block = slice(int(starts[parallel.rank]), int(starts[parallel.rank] + self.counts[parallel.rank]))
        self.send = np.empty_like(grad)  # this rank's weighted gradient, when the ranks' weights differ
        self.mine = np.empty(self.counts[parallel.rank], grad.dtype)  # the summed gradient of its block
        self.keys = self.small = None
        parallel._sharded[id(optimizer)] = optimizer

    def __call__(self, rows, guard=False):
        par, MPI = self.parallel, self.parallel.MPI
        local = self.generator.begin(rows)
        loss, parts = self.gradient(local)
        n_local, n_global = len(local), len(rows)
        if self.keys is None:  # the loss terms' names, once: rank 0 always has rows
            self.keys = par.comm.bcast(list(parts) if par.is_root else None, root=0)
            self.small = np.empty(len(self.keys) + 3, dtype=np.float64)
        keys, small = self.keys, self.small
        # every rank has the same rows' count (hence weight): the block is scaled once summed,
        # and the gradient goes as it is (no weighted copy of it)
        alike = n_global % par.size == 0
        weight = n_local / n_global
        if n_local:
            if list(parts) != keys:
                raise RuntimeError(f"rank {par.rank}'s loss terms {list(parts)} are not rank 0's {keys}")
            if not alike:
                np.multiply(self.grad, weight, out=self.send)
            small[0] = float(loss) * weight
            small[1:-2] = [float(parts[key]) * weight for key in keys]
        else:
            self.send[:] = 0.0
            small[:-2] = 0.0
        par.comm.Reduce_scatter(self.grad if alike else self.send, self.mine, recvcounts=self.counts, op=MPI.SUM)
        if alike:
            self.mine *= weight
        small[-2] = n_local
        small[-1] = 0.0
        if guard:  # this rank's share of the gradient's squared norm (summed below: every rank decides alike)
            with np.errstate(over="ignore", invalid="ignore"):
                small[-1] = np.dot(self.mine, self.mine)
        par.comm.Allreduce(MPI.IN_PLACE, small, op=MPI.SUM)
        if small[-2] != n_global:
            raise RanksDisagree(f"the ranks' rows of a minibatch of {n_global} add up to {small[-2]:g}: "
                                "every rank must pass the same data and settings")
        loss, parts = float(small[0]), {key: float(small[1 + i]) for i, key in enumerate(keys)}
        if guard and not step_is_finite(loss, small[-1], self.theta.dtype):  # apply_update's rule
            return held_back_loss(loss, self.theta.dtype), parts
        self.update(self.mine, self.block)
        par.gather_blocks(self.theta)
        return loss, parts


class ShardedGenerator:
    """The model's generator as one rank sees it inside a training step.

    In one process a step draws its corruption (or stochastic contractive) noise for the
    whole minibatch in one call, shape ``(n, ...)``. Here a draw of this rank's shape
    ``(n_local, ...)`` draws the whole ``(n, ...)`` from the shared generator and returns
    rows ``rank::size`` of it: each row gets the numbers it gets in one process, and every
    rank's generator advances alike (so the next permutations agree). ``begin(rows)``
    starts a step and returns this rank's rows. Only ``random`` and ``standard_normal`` are
    split this way (the draws npae's steps make); anything else is refused, since a draw
    npae cannot split would leave the ranks' generators apart.

    Parameters
    ----------
    rng : numpy.random.Generator
        The model's generator, in the same state on every rank.
    rank, size : int
        This rank and the number of ranks.

    Examples
    --------
    >>> import numpy as np
    >>> from npae.parallel import ShardedGenerator
    >>> rows = np.arange(5)
    >>> shard = ShardedGenerator(np.random.default_rng(0), rank=1, size=2)
    >>> shard.begin(rows)
    array([1, 3])
    >>> whole = np.random.default_rng(0).random((5, 2))
    >>> bool(np.array_equal(shard.random((2, 2)), whole[1::2]))
    True
    """

    def __init__(self, rng, rank, size):
        self.rng, self.rank, self.size = rng, rank, size
        self.n_global = self.n_local = None
        self._scratch = {}

    def begin(self, rows):
        """Start a step on the global minibatch ``rows``: this rank's rows of it.

        Parameters
        ----------
        rows : ndarray of shape (n,)
            The global minibatch's row indices.

        Returns
        -------
        ndarray of shape (n_local,)
            ``rows[rank::size]``.

        Examples
        --------
        >>> import numpy as np
        >>> from npae.parallel import ShardedGenerator
        >>> ShardedGenerator(np.random.default_rng(0), rank=0, size=2).begin(np.arange(5))
        array([0, 2, 4])
        """
        self.n_global = len(rows)
        local = rows[self.rank::self.size]
        self.n_local = len(local)
        return local

    def _draw(self, method, size, dtype, out, row_axis):
        shape = tuple(out.shape) if out is not None else tuple(np.atleast_1d(size).tolist()) if size is not None else ()
        if len(shape) <= row_axis or shape[row_axis] != self.n_local:
            raise RuntimeError(f"a data-parallel step draws per row ({self.n_local} rows on axis {row_axis}); "
                               f"got a draw of shape {shape}")
        dtype = np.dtype(dtype)
        full_shape = shape[:row_axis] + (self.n_global,) + shape[row_axis + 1:]
        key = (method, full_shape, dtype.str)
        full = self._scratch.get(key)
        if full is None:
            if len(self._scratch) > 8:
                self._scratch.clear()
            full = self._scratch[key] = np.empty(full_shape, dtype)
        getattr(self.rng, method)(dtype=dtype, out=full)
        mine = full[(slice(None),) * row_axis + (slice(self.rank, None, self.size),)]
        if out is None:
            return mine.copy()
        out[...] = mine
        return out

    def random(self, size=None, dtype=np.float64, out=None, *, row_axis=0):
        """``Generator.random``; the rows are on axis ``row_axis`` of the draw.

        Parameters
        ----------
        size : tuple of int
            This rank's shape (``n_local`` rows on ``row_axis``); or ``out``'s.
        dtype : dtype, default=np.float64
            float64 or float32.
        out : ndarray or None, default=None
            Where to write this rank's draw.
        row_axis : int, default=0
            The axis of the rows.

        Returns
        -------
        ndarray of shape size
            This rank's rows of the whole minibatch's draw (``out`` when given).

        Examples
        --------
        >>> import numpy as np
        >>> from npae.parallel import ShardedGenerator
        >>> shard = ShardedGenerator(np.random.default_rng(0), rank=0, size=2)
        >>> rows = shard.begin(np.arange(3))
        >>> shard.random((2, 4), dtype=np.float32).shape
        (2, 4)
        >>> shard.random((5, 2, 4), row_axis=1).shape
        (5, 2, 4)
        """
        return self._draw("random", size, dtype, out, row_axis)

    def standard_normal(self, size=None, dtype=np.float64, out=None, *, row_axis=0):
        """``Generator.standard_normal``; the rows are on axis ``row_axis`` of the draw.

        Parameters
        ----------
        size : tuple of int
            This rank's shape (``n_local`` rows on ``row_axis``); or ``out``'s.
        dtype : dtype, default=np.float64
            float64 or float32.
        out : ndarray or None, default=None
            Where to write this rank's draw.
        row_axis : int, default=0
            The axis of the rows.

        Returns
        -------
        ndarray of shape size
            This rank's rows of the whole minibatch's draw (``out`` when given).

        Examples
        --------
        >>> import numpy as np
        >>> from npae.parallel import ShardedGenerator
        >>> shard = ShardedGenerator(np.random.default_rng(0), rank=0, size=2)
        >>> rows = shard.begin(np.arange(3))
        >>> shard.standard_normal((2, 4), dtype=np.float32).shape
        (2, 4)
        >>> shard.standard_normal((5, 2, 4), row_axis=1).shape
        (5, 2, 4)
        """
        return self._draw("standard_normal", size, dtype, out, row_axis)

    def __getattr__(self, name):
        raise AttributeError(f"a data-parallel training step draws only random and standard_normal from the "
                             f"model's generator; {name} is not split across ranks")


def draw(rng, method, shape=None, dtype=np.float64, row_axis=0, out=None):
    """``rng.<method>(shape, dtype=dtype, out=out)`` (``method``: "random" or
    "standard_normal") for a draw whose rows (one per row of the minibatch) lie on axis
    ``row_axis``: a model whose noise has its rows elsewhere than first (e.g. ``(samples,
    n, k)``) draws through this, so that under ``comm`` each rank gets its rows of the
    one-process draw; with a plain Generator it is that Generator's own call.

    Parameters
    ----------
    rng : numpy.random.Generator or ShardedGenerator
        The generator to draw from.
    method : {"random", "standard_normal"}
        The draw.
    shape : tuple of int or None, default=None
        The draw's shape (None with ``out``).
    dtype : dtype, default=np.float64
        float64 or float32.
    row_axis : int, default=0
        The axis of the rows (read only by a ``ShardedGenerator``).
    out : ndarray or None, default=None
        Where to write the draw.

    Returns
    -------
    ndarray of shape shape
        The draw (``out`` when given).

    Examples
    --------
    >>> import numpy as np
    >>> from npae.parallel import draw
    >>> eps = draw(np.random.default_rng(0), "standard_normal", (3, 4, 2), np.float32, row_axis=1)
    >>> eps.shape, eps.dtype
    ((3, 4, 2), dtype('float32'))
    """
    if isinstance(rng, ShardedGenerator):
        return getattr(rng, method)(shape, dtype=dtype, out=out, row_axis=row_axis)
    return getattr(rng, method)(shape, dtype=dtype, out=out)
