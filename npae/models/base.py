"""What every npae estimator shares: scikit-learn's parameter protocol, without
importing scikit-learn.

``__init__`` stores its arguments unchanged and does nothing else, so
``get_params`` can read them back by the constructor's signature and
``sklearn.base.clone`` works.
"""

import functools
import inspect

from ..errors import ParameterError


class available_if:
    """A method that exists only when ``check(estimator)`` is true (scikit-learn's
    ``available_if``): otherwise ``hasattr`` is False and calling it says why."""

    def __init__(self, check, reason):
        self.check, self.reason = check, reason

    def __call__(self, method):
        self.method = method
        # the method's name, docstring and module: doctest (``--doctest-modules``) finds its
        # examples only where __module__ names the module that defines it
        functools.update_wrapper(self, method)
        return self

    def __get__(self, instance, owner=None):
        if instance is None:
            return self.method
        if not self.check(instance):
            raise AttributeError(f"{type(instance).__name__}.{self.method.__name__} is not available: {self.reason}")
        return self.method.__get__(instance, owner)


class BaseEstimator:
    """``get_params`` / ``set_params`` from the constructor signature."""

    @classmethod
    def _get_param_names(cls):
        signature = inspect.signature(cls.__init__)
        return sorted(p.name for p in signature.parameters.values()
                      if p.name != "self" and p.kind != p.VAR_KEYWORD)

    def get_params(self, deep=True):
        """The constructor's parameters as a dict (``deep`` adds nested estimators' ones).

        The values are those stored by ``__init__`` or ``set_params``, unchanged: what
        ``sklearn.base.clone`` rebuilds an unfitted copy from.

        Parameters
        ----------
        deep : bool, default True
            Also return the parameters of every parameter that is itself an estimator
            (e.g. a ``Classifier``'s ``encoder``), as ``name__sub``.

        Returns
        -------
        dict
            Parameter name to value, in alphabetical order of the names.

        See Also
        --------
        set_params : Change them.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> params = Autoencoder(hidden=(16, 2), epochs=1).get_params()
        >>> params["hidden"], params["epochs"], params["loss"]
        ((16, 2), 1, 'auto')
        >>> Autoencoder(**params).get_params() == params  # what sklearn.base.clone relies on
        True
        """
        params = {}
        for name in self._get_param_names():
            value = getattr(self, name)
            params[name] = value
            if deep and hasattr(value, "get_params") and not isinstance(value, type):
                params.update({f"{name}__{k}": v for k, v in value.get_params().items()})
        return params

    def set_params(self, **params):
        """Set constructor parameters (``name__sub`` for nested ones); returns self.

        As in scikit-learn, ``name`` is set before any ``name__sub``, whatever the order
        given. The values are stored unchanged and checked by the next ``fit``; a fitted
        model keeps its weights (an ``Autoencoder`` detector re-thresholds at once for a
        new ``contamination``).

        Parameters
        ----------
        **params : dict
            Parameter names (as ``get_params`` lists them) and their new values;
            ``name__sub`` sets parameter ``sub`` of the estimator held in ``name``.

        Returns
        -------
        estimator
            The estimator itself (``self``).

        Raises
        ------
        ParameterError
            A name is not a parameter, or ``name__sub`` names a parameter that is not an
            estimator.

        See Also
        --------
        get_params : The parameters and their current values.

        Examples
        --------
        >>> from npae import Autoencoder
        >>> ae = Autoencoder().set_params(hidden=(16, 2), epochs=1)
        >>> ae.hidden, ae.epochs
        ((16, 2), 1)
        >>> ae.set_params(contamination=0.05).contamination
        0.05
        """
        valid = self._get_param_names()
        nested = {}
        for key, value in params.items():
            name, _, sub = key.partition("__")
            if name not in valid:
                raise ParameterError(f"{type(self).__name__} has no parameter {name!r}; "
                                     f"valid parameters: {valid}")
            if sub:
                nested.setdefault(name, {})[sub] = value
            else:
                setattr(self, name, value)
        for name, subs in nested.items():
            target = getattr(self, name)
            if not hasattr(target, "set_params"):
                raise ParameterError(f"{name}__{next(iter(subs))} sets a parameter of {name}, which is "
                                     f"{type(target).__name__}, not an estimator")
            target.set_params(**subs)
        return self

    def _file_params(self):
        """The hyper-parameters a model file stores (see ``npae.io``)."""
        return self.get_params(deep=False)

    def __sklearn_tags__(self):
        """scikit-learn's estimator tags (imported here: only scikit-learn calls this)."""
        from sklearn.utils import InputTags, Tags, TargetTags, TransformerTags

        tags = Tags(estimator_type=None, target_tags=TargetTags(required=False), input_tags=InputTags())
        if hasattr(self, "transform"):
            tags.transformer_tags = TransformerTags(preserves_dtype=[self._output_dtype()])
        return tags

    def _output_dtype(self):
        """The dtype of what transform returns (a float32 model returns float32)."""
        return "float64"

    def __repr__(self):
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        changed = []
        for name in self._get_param_names():
            value = getattr(self, name)
            default = defaults.get(name, inspect.Parameter.empty)
            try:
                same = value is default or bool(value == default)
            except Exception:
                same = False
            if not same:
                changed.append(f"{name}={value!r}")
        return f"{type(self).__name__}({', '.join(changed)})"
