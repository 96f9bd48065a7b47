"""Custom differentiable functions written in Python (``ember.autograd.Function``)."""

from __future__ import annotations

from typing import Any

from .. import _C
from .._C import Tensor

__all__ = ["Function", "FunctionCtx"]


class FunctionCtx:
    """The ``ctx`` of a custom Function: save tensors in forward, read them in backward."""

    def __init__(self) -> None:
        self.saved_tensors: tuple[Tensor, ...] = ()
        self.needs_input_grad: tuple[bool, ...] = ()
        self._versions: tuple[int, ...] = ()
        self._non_differentiable: set[int] = set()

    def save_for_backward(self, *tensors: Tensor) -> None:
        """Keeps ``tensors`` for backward (modifying them in place afterwards is an error).
        A view is kept as an alias with the same values and history that does not hold its
        base (so no reference cycle forms through the base's history); keep tensors with this
        method, not as attributes of ``ctx``, for the same reason (as in PyTorch)."""
        self.saved_tensors = tuple(t._saved_alias() if isinstance(t, Tensor) and t._is_view else t
                                   for t in tensors)
        self._versions = tuple(t._version if isinstance(t, Tensor) else 0 for t in tensors)

    def mark_non_differentiable(self, *tensors: Tensor) -> None:
        """Marks outputs that get no gradient (e.g. integer indices); they do not require grad."""
        self._non_differentiable.update(id(t) for t in tensors)

    def _check_saved(self, name: str) -> None:
        for i, (t, v) in enumerate(zip(self.saved_tensors, self._versions)):
            if isinstance(t, Tensor) and t._version != v:
                raise RuntimeError(
                    f"{name}: saved tensor {i} (shape {tuple(t.shape)}) was modified in place "
                    f"after save_for_backward (version {t._version}, saved at version {v})"
                )


class Function:
    """Base class for custom autograd operations.

    Subclass with two static methods and call ``MyFn.apply(*args)``::

        class Exp(ember.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return grad * y

    ``forward`` runs without recording; ``backward`` gets one gradient per output and returns
    one gradient (or None) per input of ``forward``.
    """

    @staticmethod
    def forward(ctx: FunctionCtx, *args: Any, **kwargs: Any) -> Any:
        """Computes the outputs from the inputs (runs under no_grad); override it.

        Save what backward needs with ``ctx.save_for_backward``.
        """
        raise NotImplementedError("Function.forward must be overridden")

    @staticmethod
    def backward(ctx: FunctionCtx, *grads: Tensor) -> Any:
        """Gradients of the inputs from the gradients of the outputs; override it.

        Returns one tensor (or None) per input of forward, in order.
        """
        raise NotImplementedError("Function.backward must be overridden")

    @classmethod
    def apply(cls, *args: Any) -> Any:
        """Runs ``forward`` without recording, then connects the outputs to a node that calls ``backward``.

        Returns the outputs of ``forward`` (a tensor or a tuple).
        """
        ctx = FunctionCtx()
        ctx.needs_input_grad = tuple(isinstance(a, Tensor) and a.requires_grad for a in args)
        prev = _C.is_grad_enabled()
        _C._set_grad_enabled(False)
        try:
            outputs = cls.forward(ctx, *args)
        finally:
            _C._set_grad_enabled(prev)
        single = isinstance(outputs, Tensor)
        outs = (outputs,) if single else tuple(outputs)
        if prev and any(ctx.needs_input_grad):
            # Outputs that alias an input get a fresh handle so the input keeps its history.
            outs = tuple(
                o.detach() if isinstance(o, Tensor) and any(o is a for a in args) else o
                for o in outs
            )
            diff = [o for o in outs if isinstance(o, Tensor) and id(o) not in ctx._non_differentiable]
            # A saved output would point back at this node through its grad_fn (a reference
            # cycle through C++ that Python's collector cannot see); keep a history-free alias.
            if ctx.saved_tensors:
                ctx.saved_tensors = tuple(
                    s.detach() if isinstance(s, Tensor) and any(s is o for o in diff) else s
                    for s in ctx.saved_tensors
                )
            name = cls.__name__ + "Backward"

            def backward(*grads: Tensor) -> Any:
                """Calls the user's ``backward(ctx, *grads)``; always returns a tuple of gradients."""
                ctx._check_saved(name)
                result = cls.backward(ctx, *grads)
                result = result if isinstance(result, tuple) else (result,)
                for i, r in enumerate(result):
                    if r is not None and not isinstance(r, Tensor):
                        raise TypeError(
                            f"{cls.__name__}.backward returned a {type(r).__name__} as the "
                            f"gradient for input {i}; expected a Tensor (or None) for each "
                            "input of forward"
                        )
                return result

            _C._record_function(name, backward, list(args), diff)
        return outs[0] if single else outs
