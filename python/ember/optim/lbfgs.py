"""L-BFGS (PyTorch's ``torch.optim.LBFGS``), with an optional strong-Wolfe line search.

The parameters are handled as one flat vector: the gradients are concatenated (``ember.cat`` of
flattened views) and each update is added back through views of the flat direction. The loops
below run over history entries and line-search trials, never over elements.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from .. import _guards
from .._C import Tensor, cat
from ..autograd import enable_grad, no_grad
from .optimizer import Optimizer, _number

__all__ = ["LBFGS"]

# Curvature pairs with y.s at or below this are not stored (they would break positive
# definiteness of the inverse-Hessian approximation).
_MIN_CURVATURE = 1e-10


def _sqrt(value: Any) -> Any:
    """Square root of a Python float or of a 0-d tensor of any framework (the line search is
    also checked against PyTorch's on torch tensors)."""
    return value.sqrt() if hasattr(value, "sqrt") else math.sqrt(value)


def _cubic_minimizer(
    x1: Any, f1: Any, g1: Any, x2: Any, f2: Any, g2: Any, bounds: tuple[Any, Any] | None = None
) -> Any:
    """Minimizer of the cubic that matches value and slope at two points, clipped to an interval.

    With ``(xl, gl)`` the left point and ``(xr, gr)`` the right one (Nocedal & Wright, eq. 3.59):

    .. code-block:: text

        d1 = g1 + g2 - 3 (f1 - f2) / (x1 - x2)
        d2 = sqrt(d1**2 - g1 g2)
        x  = xr - (xr - xl) (gr + d2 - d1) / (gr - gl + 2 d2)

    When the cubic has no real minimizer (``d1**2 < g1 g2``) the middle of the interval is
    returned. Values may be Python floats or 0-d tensors; the result has the type the
    arithmetic gives.

    Args:
        x1, f1, g1: first step length, objective value and directional derivative there.
        x2, f2, g2: the same at the second step length (``x2 != x1``).
        bounds: ``(low, high)`` interval of the result; default the interval between x1, x2.
    Returns:
        The clipped minimizer.
    """
    low, high = bounds if bounds is not None else ((x1, x2) if x1 <= x2 else (x2, x1))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    disc = d1**2 - g1 * g2
    if disc < 0:
        return (low + high) / 2.0
    d2 = _sqrt(disc)
    (xl, gl), (xr, gr) = ((x1, g1), (x2, g2)) if x1 <= x2 else ((x2, g2), (x1, g1))
    x = xr - (xr - xl) * ((gr + d2 - d1) / (gr - gl + 2 * d2))
    return min(max(x, low), high)


class _Point:
    """One trial of the line search: step length, objective, flat gradient, slope along d."""

    __slots__ = ("f", "g", "gtd", "t")

    def __init__(self, t: Any, f: float, g: Tensor, gtd: Any) -> None:
        self.t, self.f, self.g, self.gtd = t, f, g, gtd


def _strong_wolfe(
    evaluate: Callable[[Any], tuple[float, Tensor]],
    d: Tensor,
    t: Any,
    f: float,
    g: Tensor,
    gtd: Any,
    c1: float = 1e-4,
    c2: float = 0.9,
    tolerance_change: float = 1e-9,
    max_ls: int = 25,
) -> tuple[float, Tensor, Any, int]:
    """Line search for a step length satisfying the strong Wolfe conditions.

    Finds ``t`` with ``f(t) <= f(0) + c1 t f'(0)`` (sufficient decrease) and
    ``|f'(t)| <= -c2 f'(0)`` (curvature), where ``f(t)`` is the objective at ``x + t d``:
    a bracketing phase that grows ``t`` by cubic extrapolation (Nocedal & Wright, algorithm
    3.5), then a zoom phase that shrinks the bracket by safeguarded cubic interpolation
    (algorithm 3.6), each trial kept at least a tenth of the bracket away from its ends when
    the previous one was too close.

    Args:
        evaluate: ``evaluate(t)`` returns ``(f(t), flat gradient at x + t d)`` and leaves the
            parameters at ``x``.
        d: search direction, shape ``(n,)``.
        t: initial step length.
        f, g, gtd: objective, flat gradient and directional derivative ``g.d`` at ``t = 0``.
        c1, c2: Wolfe constants, ``0 < c1 < c2 < 1``.
        tolerance_change: the zoom stops when the bracket, times ``max |d|``, is shorter.
        max_ls: most objective evaluations after the first.
    Returns:
        ``(f(t), gradient at t, t, number of evaluations)`` for the best step found.
    """
    d_norm = d.abs().max()
    f_new, g_new = evaluate(t)
    evals = 1
    new = _Point(t, f_new, g_new, g_new.dot(d))
    prev = _Point(0, f, g, gtd)
    bracket: list[_Point] | None = None
    done = False
    trials = 0
    # Bracketing phase (algorithm 3.5).
    while trials < max_ls:
        if new.f > f + c1 * new.t * gtd or (trials > 1 and new.f >= prev.f):
            bracket = [prev, new]
            break
        if abs(new.gtd) <= -c2 * gtd:
            bracket = [new]
            done = True
            break
        if new.gtd >= 0:
            bracket = [prev, new]
            break
        # Extrapolate, between 1.01 and 10 times the current step.
        t_next = _cubic_minimizer(
            prev.t,
            prev.f,
            prev.gtd,
            new.t,
            new.f,
            new.gtd,
            bounds=(new.t + 0.01 * (new.t - prev.t), new.t * 10),
        )
        prev = new
        f_new, g_new = evaluate(t_next)
        evals += 1
        new = _Point(t_next, f_new, g_new, g_new.dot(d))
        trials += 1
    if bracket is None:
        # Out of evaluations: choose between the start and the last trial.
        bracket = [_Point(0, f, g, gtd), new]

    # Zoom phase (algorithm 3.6): bracket[low] has the lowest objective of the two ends.
    low, high = (0, 1) if bracket[0].f <= bracket[-1].f else (1, 0)
    near_end_before = False
    while not done and trials < max_ls:
        a, b = bracket[0], bracket[1]
        if abs(b.t - a.t) * d_norm < tolerance_change:
            break
        t_next = _cubic_minimizer(a.t, a.f, a.gtd, b.t, b.f, b.gtd)
        left, right = min(a.t, b.t), max(a.t, b.t)
        margin = 0.1 * (right - left)
        if min(right - t_next, t_next - left) < margin:
            # Too close to an end: move a tenth of the bracket inside if it was already close
            # last time or if it sits on (or beyond) an end.
            if near_end_before or t_next >= right or t_next <= left:
                if abs(t_next - right) < abs(t_next - left):
                    t_next = right - margin
                else:
                    t_next = left + margin
                near_end_before = False
            else:
                near_end_before = True
        else:
            near_end_before = False
        f_new, g_new = evaluate(t_next)
        evals += 1
        trials += 1
        new = _Point(t_next, f_new, g_new, g_new.dot(d))
        if new.f > f + c1 * new.t * gtd or new.f >= bracket[low].f:
            bracket[high] = new
            low, high = (0, 1) if bracket[0].f <= bracket[1].f else (1, 0)
        else:
            if abs(new.gtd) <= -c2 * gtd:
                done = True
            elif new.gtd * (bracket[high].t - bracket[low].t) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = new
    best = bracket[low]
    return best.f, best.g, best.t, evals


def _check_int(name: str, value: Any, minimum: int) -> None:
    """Raises ValueError naming LBFGS and ``name`` unless ``value`` is an int >= ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"LBFGS: {name} must be an int >= {minimum}, got {value!r}")


class LBFGS(Optimizer):
    r"""Limited-memory BFGS: a quasi-Newton method that builds its step from the last
    ``history_size`` curvature pairs.

    Each :meth:`step` runs up to ``max_iter`` iterations on the flat vector ``x`` of all
    parameters, with gradient ``g``:

    .. code-block:: text

        first iteration ever:  d = -g,  H0 = 1
        later iterations:      y = g - g_prev,  s = t_prev * d_prev
                               if y.s > 1e-10: store (y, s, rho = 1 / y.s),  H0 = y.s / y.y
                               d = -H g by the two-loop recursion over the stored pairs
        step length:           t = lr * min(1, 1 / sum|g|) on the first iteration ever, else lr;
                               with line_search_fn="strong_wolfe", refined by the line search
        x = x + t * d

    An iteration stops the step early when ``max |g| <= tolerance_grad``, when the
    directional derivative ``g.d > -tolerance_change``, when ``max |t d|`` or the change in
    loss is below ``tolerance_change``, or when ``max_eval`` closure calls are used up.

    The state is global but kept, as in PyTorch, under the first parameter:
    ``state[params[0]]`` holds ``"func_evals"`` and ``"n_iter"`` (ints, totals over all
    steps), ``"d"`` (last direction, shape ``(n,)`` with ``n`` the total number of elements),
    ``"t"`` (last step length), ``"old_dirs"`` and ``"old_stps"`` (lists of ``y`` and ``s``,
    shape ``(n,)`` each), ``"ro"`` (list of 0-d tensors ``1 / y.s``), ``"H_diag"`` (scale of
    the initial inverse Hessian), ``"prev_flat_grad"``, ``"prev_loss"`` (float) and ``"al"``
    (list of ``history_size`` coefficients of the two-loop recursion, None until used).

    Args:
        params: tensors to optimize (all real floating, one param group only). Parameters
            whose ``.grad`` is None count as zero gradient.
        lr: learning rate: the step length of the fixed-step iteration and the first trial of
            the line search (default 1).
        max_iter: most iterations per :meth:`step` (default 20).
        max_eval: most closure evaluations per :meth:`step` (default ``max_iter * 5 // 4``).
        tolerance_grad: stop when the largest absolute gradient entry is at or below it
            (default 1e-7).
        tolerance_change: stop when the directional derivative, the step or the loss change
            is below it (default 1e-9).
        history_size: number of curvature pairs kept (default 100); memory is about
            ``2 * history_size`` flat vectors.
        line_search_fn: None (default, fixed step ``lr``) or ``"strong_wolfe"``.
    Raises:
        ValueError: negative ``lr`` ("Invalid learning rate: -1", as PyTorch); ``max_iter``,
            ``max_eval`` or ``history_size`` not a positive int; a negative tolerance; an
            unknown ``line_search_fn``; more than one param group (at construction or through
            :meth:`add_param_group`).
        TypeError: as :class:`~ember.optim.Optimizer` for bad ``params``.
    Reference:
        Nocedal & Wright, "Numerical Optimization", 2nd ed., 2006: algorithm 7.4 (two-loop
        recursion), algorithms 3.5 and 3.6 with eq. 3.59 (strong Wolfe line search, cubic
        interpolation). PyTorch's ``torch.optim.LBFGS`` (same iteration and state).
    Example:
        >>> w = ember.tensor([1.5, -0.5], dtype=ember.float64, requires_grad=True)
        >>> opt = ember.optim.LBFGS([w], line_search_fn="strong_wolfe")
        >>> def closure():
        ...     opt.zero_grad()
        ...     loss = ((w - ember.tensor([1.0, 2.0], dtype=ember.float64)) ** 2).sum()
        ...     loss.backward()
        ...     return loss
        >>> _ = opt.step(closure)
        >>> [round(v, 6) for v in w.tolist()]
        [1.0, 2.0]
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1,
        max_iter: int = 20,
        max_eval: int | None = None,
        tolerance_grad: float = 1e-7,
        tolerance_change: float = 1e-9,
        history_size: int = 100,
        line_search_fn: str | None = None,
    ) -> None:
        if isinstance(lr, Tensor) and lr.numel() != 1:
            raise ValueError(f"LBFGS: Tensor lr must be 1-element, got shape {tuple(lr.shape)}")
        if not 0.0 <= lr:
            raise ValueError(f"Invalid learning rate: {lr}")
        _check_int("max_iter", max_iter, 1)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        _check_int("max_eval", max_eval, 1)
        for name, value in (
            ("tolerance_grad", tolerance_grad),
            ("tolerance_change", tolerance_change),
        ):
            if not value >= 0:
                raise ValueError(f"LBFGS: {name} must be >= 0, got {value}")
        _check_int("history_size", history_size, 1)
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )
        defaults = {
            "lr": lr,
            "max_iter": max_iter,
            "max_eval": max_eval,
            "tolerance_grad": tolerance_grad,
            "tolerance_change": tolerance_change,
            "history_size": history_size,
            "line_search_fn": line_search_fn,
        }
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds the (only) param group; see :meth:`Optimizer.add_param_group`.

        Raises:
            ValueError: a group is already there (LBFGS has one param group).
        """
        if len(self.param_groups) >= 1:
            raise ValueError(
                "LBFGS doesn't support per-parameter options (parameter groups): it takes "
                "one param group, got a second"
            )
        super().add_param_group(param_group)

    # ---- the flat vector ----------------------------------------------------------------

    @property
    def _params(self) -> list[Tensor]:
        return self.param_groups[0]["params"]

    def _gather_flat_grad(self) -> Tensor:
        """All gradients as one new flat vector (zeros for parameters without a gradient)."""
        views = []
        for p in self._params:
            g = p.grad
            views.append(p.new_zeros(p.numel()) if g is None else g.reshape(-1))
        # cat always allocates, so the result never aliases a .grad the closure may zero in place.
        return cat(views, 0)

    def _add_grad(self, step_size: Any, update: Tensor) -> None:
        """Adds ``step_size * update`` (a flat vector) to the parameters, in place."""
        alpha = float(step_size)
        offset = 0
        for p in self._params:
            n = p.numel()
            p.add_(update[offset : offset + n].view_as(p), alpha=alpha)
            offset += n

    def _clone_param(self) -> list[Tensor]:
        return [p.clone() for p in self._params]

    def _set_param(self, values: list[Tensor]) -> None:
        for p, v in zip(self._params, values):
            p.copy_(v)

    def _directional_evaluate(
        self, closure: Callable[[], Any], x: list[Tensor], t: Any, d: Tensor
    ) -> tuple[float, Tensor]:
        """Loss and flat gradient at ``x + t d``; the parameters are put back to ``x``."""
        self._add_grad(t, d)
        loss = _loss_value(_evaluate(closure))
        flat_grad = self._gather_flat_grad()
        self._set_param(x)
        return loss, flat_grad

    # ---- the step -----------------------------------------------------------------------

    def step(self, closure: Callable[[], Any] | None = None) -> Any:  # type: ignore[override]
        """Runs up to ``max_iter`` L-BFGS iterations (one optimization step).

        Args:
            closure: required; a callable that clears the gradients, re-evaluates the model,
                calls ``backward()`` and returns the loss (a one-element tensor or a number).
                It runs with gradients enabled, once at the start and once per iteration or
                line-search trial.
        Returns:
            The loss returned by the first call of ``closure`` (before any update).
        Raises:
            TypeError: ``closure`` is missing or not callable, or returns something that is not
                a one-element tensor or a number.
            ValueError: the optimizer has more than one param group.
            RuntimeError: called while ``ember.jit`` traces (its control flow depends on
                tensor values, which a graph cannot replay).
        """
        if closure is None or not callable(closure):
            raise TypeError(
                "LBFGS.step: closure is required: a callable that re-evaluates the model, calls "
                f"backward() and returns the loss; got {type(closure).__name__}"
            )
        if len(self.param_groups) != 1:
            raise ValueError(
                f"LBFGS.step: expected exactly one param group, got {len(self.param_groups)}"
            )
        if _guards.state.sink is not None:
            raise RuntimeError(
                "LBFGS.step cannot be traced by ember.jit: its iterations and line search branch "
                "on tensor values; call it eagerly"
            )
        with no_grad():
            return self._step(closure)

    def _step(self, closure: Callable[[], Any]) -> Any:
        group = self.param_groups[0]
        lr = _number(group["lr"])
        max_iter = group["max_iter"]
        max_eval = group["max_eval"]
        tolerance_grad = group["tolerance_grad"]
        tolerance_change = group["tolerance_change"]
        line_search_fn = group["line_search_fn"]
        history_size = group["history_size"]
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(
                f"LBFGS.step: line_search_fn must be None or 'strong_wolfe', got {line_search_fn!r}"
            )

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = _evaluate(closure)
        loss = _loss_value(orig_loss)
        evals = 1
        state["func_evals"] += 1
        flat_grad = self._gather_flat_grad()
        if flat_grad.abs().max() <= tolerance_grad:
            return orig_loss

        d = state.get("d")
        t = state.get("t")
        old_dirs = state.get("old_dirs")
        old_stps = state.get("old_stps")
        ro = state.get("ro")
        H_diag = state.get("H_diag")
        prev_flat_grad = state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            first = state["n_iter"] == 1

            # Direction.
            if first:
                d = flat_grad.neg()
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1
            else:
                y = flat_grad.sub(prev_flat_grad)
                s = d.mul(t)
                ys = y.dot(s)
                if ys > _MIN_CURVATURE:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / y.dot(y)
                if "al" not in state:
                    state["al"] = [None] * history_size
                d = _two_loop(flat_grad, old_dirs, old_stps, ro, H_diag, state["al"])

            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.clone()
            else:
                prev_flat_grad.copy_(flat_grad)
            prev_loss = loss

            # Step length.
            t = min(1.0, 1.0 / flat_grad.abs().sum()) * lr if first else lr
            gtd = flat_grad.dot(d)
            if gtd > -tolerance_change:
                break

            step_evals = 0
            if line_search_fn is not None:
                x_init = self._clone_param()

                def evaluate(step: Any, x_init: list[Tensor] = x_init, d: Tensor = d) -> Any:
                    """(loss, flat gradient) at ``x_init + step * d``."""
                    return self._directional_evaluate(closure, x_init, step, d)

                loss, flat_grad, t, step_evals = _strong_wolfe(
                    evaluate,
                    d,
                    t,
                    loss,
                    flat_grad,
                    gtd,
                    # PyTorch's LBFGS leaves the line search at its own default here, not the
                    # group's tolerance_change; kept so trajectories agree.
                    tolerance_change=1e-9,
                    max_ls=max_eval - evals,
                )
                self._add_grad(t, d)
                converged = bool(flat_grad.abs().max() <= tolerance_grad)
            else:
                self._add_grad(t, d)
                converged = False
                if n_iter != max_iter:
                    # The last iteration skips this evaluation: the next step starts with one.
                    loss = _loss_value(_evaluate(closure))
                    flat_grad = self._gather_flat_grad()
                    converged = bool(flat_grad.abs().max() <= tolerance_grad)
                    step_evals = 1
            evals += step_evals
            state["func_evals"] += step_evals

            if n_iter == max_iter or evals >= max_eval or converged:
                break
            if d.mul(t).abs().max() <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = d
        state["t"] = t
        state["old_dirs"] = old_dirs
        state["old_stps"] = old_stps
        state["ro"] = ro
        state["H_diag"] = H_diag
        state["prev_flat_grad"] = prev_flat_grad
        state["prev_loss"] = prev_loss
        return orig_loss


def _two_loop(
    grad: Tensor,
    old_dirs: list[Tensor],
    old_stps: list[Tensor],
    ro: list[Any],
    H_diag: Any,
    al: list[Any],
) -> Tensor:
    """``-H grad`` for the L-BFGS inverse Hessian ``H`` of the stored pairs (Nocedal & Wright,
    algorithm 7.4), with initial matrix ``H_diag * I``; ``al`` receives the first loop's
    coefficients. Returns a new flat vector."""
    q = grad.neg()
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        q.add_(old_dirs[i], alpha=-float(al[i]))
    r = q.mul(H_diag)
    for i in range(len(old_dirs)):
        beta = old_dirs[i].dot(r) * ro[i]
        r.add_(old_stps[i], alpha=float(al[i] - beta))
    return r


def _evaluate(closure: Callable[[], Any]) -> Any:
    """Calls the closure with gradients enabled (the step itself runs under no_grad)."""
    with enable_grad():
        return closure()


def _loss_value(loss: Any) -> float:
    """The closure's loss as a Python float."""
    if isinstance(loss, Tensor):
        if loss.numel() != 1:
            raise TypeError(
                "LBFGS.step: the closure must return the loss as a one-element tensor or a "
                f"number; got a tensor of shape {tuple(loss.shape)}"
            )
        return float(loss.item())
    if isinstance(loss, (int, float)) and not isinstance(loss, bool):
        return float(loss)
    raise TypeError(
        "LBFGS.step: the closure must return the loss as a one-element tensor or a number; got "
        f"{type(loss).__name__}"
    )
