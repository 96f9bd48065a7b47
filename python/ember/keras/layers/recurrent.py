"""Recurrent layers with Keras's names, arguments, weights and semantics: ``SimpleRNN``,
``LSTM`` and ``GRU`` (each runs its cell, ``SimpleRNNCell``/``LSTMCell``/``GRUCell``, over
the time axis, as ``RNN(cell)`` does for any cell), the wrappers ``Bidirectional`` and
``TimeDistributed``, and ``Masking``.

Inputs are ``(batch, timesteps, features)``, as in Keras. The weights are those of Keras and
live on the cell (``layer.cell.kernel``), in Keras's layout and order, so
``get_weights``/``set_weights`` exchange arrays with Keras unchanged:

* ``kernel`` ``(input_dim, gates * units)``, ``recurrent_kernel`` ``(units, gates * units)``
  and ``bias``; the gates are ``i, f, c, o`` for LSTM (bias ``(4 * units,)``), ``z, r, h``
  for GRU (bias ``(2, 3 * units)``, input then recurrent bias, with ``reset_after=True``;
  ``(3 * units,)`` without), one for SimpleRNN.

The input projection of all time steps is one matrix product; the recurrence loops over the
time steps with ember ops (as ``ember.nn.LSTM`` does), so autograd follows it.

Masks (Keras's ``_keras_mask``; see ``Layer.compute_mask``): a step whose mask is False keeps
the previous state, and its output is the previous output (zeros before the first unmasked
step), or zeros when ``zero_output_for_mask`` (which ``Bidirectional`` sets with
``return_sequences``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

import ember

from ... import _C
from ..._C import Tensor
from .. import activations, initializers, regularizers
from .base import Layer, get_keras_mask, set_keras_mask, shape_str
from .core import _init_config, _unsupported

__all__ = [
    "GRU",
    "LSTM",
    "RNN",
    "Bidirectional",
    "GRUCell",
    "LSTMCell",
    "Masking",
    "SimpleRNN",
    "SimpleRNNCell",
    "TimeDistributed",
]


def _check_units(cls: str, units: Any) -> int:
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise ValueError(f"{cls}: units must be a positive int, got {units!r}")
    return units


def _check_rate(cls: str, name: str, rate: Any) -> float:
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
        raise ValueError(f"{cls}: {name} must be a number in [0, 1), got {rate!r}")
    return float(rate)


def _dropout_ones(batch: int, size: int, rate: float, dtype: Any) -> Tensor:
    """A dropout mask ``(batch, size)``: 0 with probability ``rate``, else ``1 / (1 - rate)``."""
    return _C._dropout(ember.ones(batch, size, dtype=dtype), rate, True, None)


def _as_tensor(x: Any, dtype: Any) -> Tensor:
    """``x`` as an ember tensor of ``dtype`` (numpy arrays and lists are converted)."""
    if isinstance(x, Tensor):
        return x
    return ember.from_numpy(np.ascontiguousarray(np.asarray(x))).to(dtype)


# ---- cells ------------------------------------------------------------------------------------


class _Cell(Layer):
    """Shared code of the built-in cells: the weights ``kernel`` ``(input_dim, gates *
    units)``, ``recurrent_kernel`` ``(units, gates * units)`` and ``bias``; the input
    projection (all time steps at once) and one recurrent step."""

    _gates = 1

    def _setup(self, units: int, activation: Any, recurrent_activation: Any, use_bias: bool,
               kernel_initializer: Any, recurrent_initializer: Any, bias_initializer: Any,
               kernel_regularizer: Any, recurrent_regularizer: Any, bias_regularizer: Any,
               kernel_constraint: Any, recurrent_constraint: Any, bias_constraint: Any,
               dropout: float, recurrent_dropout: float, seed: int | None) -> None:
        cls = type(self).__name__
        _unsupported(cls, kernel_constraint=kernel_constraint,
                     recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint)
        self.units = _check_units(cls, units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.dropout = _check_rate(cls, "dropout", dropout)
        self.recurrent_dropout = _check_rate(cls, "recurrent_dropout", recurrent_dropout)
        self.seed = seed

    # -- weights ----------------------------------------------------------------------------

    def _bias_shape(self) -> tuple[int, ...]:
        return (self._gates * self.units,)

    def _bias_init(self) -> Any:
        return self.bias_initializer

    def build(self, input_shape: Any) -> None:
        """Creates ``kernel``, ``recurrent_kernel`` and (with ``use_bias``) ``bias``.

        Raises:
            ValueError: the last input dimension is unknown.
        """
        in_dim = tuple(input_shape)[-1]
        if in_dim is None:
            raise ValueError(f"{type(self).__name__} '{self.name}': the last dimension of the "
                             "input must be known, got input shape "
                             f"{shape_str(tuple(input_shape))}")
        g = self._gates * self.units
        self.add_weight("kernel", (int(in_dim), g), self.kernel_initializer,
                        regularizer=self.kernel_regularizer)
        self.add_weight("recurrent_kernel", (self.units, g), self.recurrent_initializer,
                        regularizer=self.recurrent_regularizer)
        if self.use_bias:
            self.add_weight("bias", self._bias_shape(), self._bias_init(),
                            regularizer=self.bias_regularizer)
        self.input_dim = int(in_dim)

    def _input_spec(self) -> tuple[int | None, dict[int, int]] | None:
        return (None, {-1: self.input_dim}) if self.built else None

    def _input_bias(self) -> Tensor | None:
        return self._parameters.get("bias") if self.use_bias else None

    # -- computing --------------------------------------------------------------------------

    def _dropout_masks(self, batch: int, dim: int, training: Any, dtype: Any) -> list | None:
        """Input dropout masks ``(batch, dim)`` for one call (Keras draws them once per
        sequence): one mask, or one per gate when ``recurrent_dropout`` is also on (Keras's
        ``implementation=1``); None outside training."""
        if not training or not 0.0 < self.dropout < 1.0:
            return None
        n = self._gates if self.recurrent_dropout > 0 else 1
        return [_dropout_ones(batch, dim, self.dropout, dtype) for _ in range(n)]

    def _recurrent_masks(self, batch: int, training: Any, dtype: Any) -> list | None:
        """Recurrent dropout masks ``(batch, units)``, one per gate; None outside training."""
        if not training or not 0.0 < self.recurrent_dropout < 1.0:
            return None
        return [_dropout_ones(batch, self.units, self.recurrent_dropout, dtype)
                for _ in range(self._gates)]

    def _project(self, x: Tensor, dp: list | None) -> Tensor:
        """``x @ kernel + input bias`` over the last axis (any leading axes), with the input
        dropout masks ``dp`` (each broadcastable to ``x``)."""
        k = self._parameters["kernel"]
        if dp is None:
            y = _C.matmul(x, k)
        elif len(dp) == 1:
            y = _C.matmul(x * dp[0], k)
        else:
            u = self.units
            y = _C.cat([_C.matmul(x * m, k.narrow(1, i * u, u)) for i, m in enumerate(dp)], -1)
        b = self._input_bias()
        return y if b is None else y + b

    def _recurrent(self, h: Tensor, rdp: list | None, first: int, count: int) -> Tensor:
        """``h @ recurrent_kernel[:, gates first .. first + count)``, each gate with its
        recurrent dropout mask."""
        r = self._parameters["recurrent_kernel"]
        u = self.units
        if rdp is None:
            w = r if first == 0 and count == self._gates else r.narrow(1, first * u, count * u)
            return _C.matmul(h, w)
        parts = [_C.matmul(h * rdp[first + i], r.narrow(1, (first + i) * u, u))
                 for i in range(count)]
        return parts[0] if count == 1 else _C.cat(parts, -1)

    def _step(self, xp: Tensor, states: list[Tensor], rdp: list | None) -> tuple[Tensor, list]:
        raise NotImplementedError

    def get_initial_state(self, batch_size: int | None = None) -> list[Tensor]:
        """Zero states, one ``(batch_size, size)`` tensor per entry of ``state_size``."""
        sizes = self.state_size if isinstance(self.state_size, list) else [self.state_size]
        return [ember.zeros(int(batch_size or 1), s, dtype=self._dtype) for s in sizes]

    def call(self, inputs: Tensor, states: Any, training: bool | None = False) -> Any:
        """One time step: ``inputs`` ``(batch, input_dim)`` and the previous states (a list,
        or one tensor for a single state) -> ``(output, new_states)``, the new states in the
        form the states came in (LSTM: always ``[h, c]``).

        Raises:
            ValueError: wrong input size.
        """
        nested = isinstance(states, (list, tuple))
        st = [_as_tensor(t, inputs.dtype) for t in (states if nested else [states])]
        if inputs.shape[-1] != self.input_dim:
            raise ValueError(f"{type(self).__name__} '{self.name}': expected inputs with "
                             f"{self.input_dim} features, got shape {tuple(inputs.shape)}")
        b = int(inputs.shape[0])
        dp = self._dropout_masks(b, self.input_dim, training, inputs.dtype)
        rdp = self._recurrent_masks(b, training, inputs.dtype)
        out, new = self._step(self._project(inputs, dp), st, rdp)
        return out, (new if nested or len(new) > 1 else new[0])

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the cell from them."""
        config = super().get_config()
        config.update(
            units=self.units, activation=activations.serialize(self.activation),
            use_bias=self.use_bias, kernel_initializer=_init_config(self.kernel_initializer),
            recurrent_initializer=_init_config(self.recurrent_initializer),
            bias_initializer=_init_config(self.bias_initializer),
            kernel_regularizer=regularizers.serialize(self.kernel_regularizer),
            recurrent_regularizer=regularizers.serialize(self.recurrent_regularizer),
            bias_regularizer=regularizers.serialize(self.bias_regularizer),
            kernel_constraint=None, recurrent_constraint=None, bias_constraint=None,
            dropout=self.dropout, recurrent_dropout=self.recurrent_dropout, seed=self.seed)
        return config


class SimpleRNNCell(_Cell):
    """Cell of :class:`SimpleRNN`: one step ``h_t = activation(x_t @ kernel + bias + h_{t-1}
    @ recurrent_kernel)``; the output is ``h_t``.

    Args:
        units: size of the state and output (positive int).
        activation: default ``'tanh'``; None is linear.
        use_bias: default True.
        kernel_initializer: default ``'glorot_uniform'``.
        recurrent_initializer: default ``'orthogonal'``.
        bias_initializer: default ``'zeros'``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties added to the
            loss (default None).
        dropout: fraction in [0, 1) of the inputs dropped in training (one mask per
            sequence). Default 0.
        recurrent_dropout: fraction in [0, 1) of the previous state dropped in training.
            Default 0.
        seed: accepted for Keras compatibility; dropout draws from ember's generator.
    Raises:
        ValueError: ``units`` not a positive int, a rate outside [0, 1), an unknown
            activation or initializer.
        NotImplementedError: a constraint given.
    Shape:
        ``call(inputs (batch, input_dim), states)`` -> ``(output (batch, units), new_states)``.
        Weights: ``kernel`` ``(input_dim, units)``, ``recurrent_kernel`` ``(units, units)``,
        ``bias`` ``(units,)``.
    Reference: Elman, "Finding Structure in Time", Cognitive Science 1990; Keras's
        ``SimpleRNNCell``.
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._setup(units, activation, None, use_bias, kernel_initializer,
                    recurrent_initializer, bias_initializer, kernel_regularizer,
                    recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self.state_size = self.units
        self.output_size = self.units

    def _step(self, xp: Tensor, states: list[Tensor], rdp: list | None) -> tuple[Tensor, list]:
        h = self.activation(xp + self._recurrent(states[0], rdp, 0, 1))
        return h, [h]


class LSTMCell(_Cell):
    """Cell of :class:`LSTM`. With ``z = x_t @ kernel + h_{t-1} @ recurrent_kernel + bias``
    split into the gates ``i, f, c, o`` (in that order):
    ``c_t = ra(z_f) * c_{t-1} + ra(z_i) * a(z_c)``, ``h_t = ra(z_o) * a(c_t)``, ``a`` the
    activation, ``ra`` the recurrent activation; the output is ``h_t``, the states ``[h_t,
    c_t]``.

    Args:
        units: size of the states and output (positive int).
        activation: default ``'tanh'``.
        recurrent_activation: default ``'sigmoid'``.
        use_bias: default True.
        kernel_initializer: default ``'glorot_uniform'``.
        recurrent_initializer: default ``'orthogonal'``.
        bias_initializer: default ``'zeros'``.
        unit_forget_bias: add 1 to the forget-gate bias at initialization (default True).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: default None.
        dropout, recurrent_dropout: fractions in [0, 1) dropped in training (default 0).
        seed: accepted for Keras compatibility.
    Raises:
        ValueError: as :class:`SimpleRNNCell`.
        NotImplementedError: a constraint given.
    Shape:
        ``kernel`` ``(input_dim, 4 * units)``, ``recurrent_kernel`` ``(units, 4 * units)``,
        ``bias`` ``(4 * units,)``.
    Reference: Hochreiter & Schmidhuber, "Long Short-Term Memory", 1997; forget-gate bias:
        Jozefowicz et al., "An Empirical Exploration of Recurrent Network Architectures", 2015.
    """

    _gates = 4

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None,
                 **kwargs: Any) -> None:
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer,
                    recurrent_initializer, bias_initializer, kernel_regularizer,
                    recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self.unit_forget_bias = bool(unit_forget_bias)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def _bias_init(self) -> Any:
        if not self.unit_forget_bias:
            return self.bias_initializer
        init, u = self.bias_initializer, self.units

        def bias_init(shape: Any, dtype: Any = None) -> Tensor:
            """The bias initializer's values with ones for the forget gate."""
            return _C.cat([init((u,), dtype), ember.ones(u, dtype=dtype or ember.float32),
                           init((2 * u,), dtype)], 0)

        return bias_init

    def _step(self, xp: Tensor, states: list[Tensor], rdp: list | None) -> tuple[Tensor, list]:
        h, c = states
        gates = xp + self._recurrent(h, rdp, 0, 4)
        ra, a = self.recurrent_activation, self.activation
        if ra is activations.sigmoid and a is activations.tanh and gates.dim() == 2:
            # The default activations: ember's fused LSTM step (the same gate order).
            h, c = _C._lstm_cell(gates, c)
            return h, [h, c]
        i, f, g, o = gates.chunk(4, -1)
        c = ra(f) * c + ra(i) * a(g)
        h = ra(o) * a(c)
        return h, [h, c]

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the cell from them."""
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      unit_forget_bias=self.unit_forget_bias)
        return config


class GRUCell(_Cell):
    """Cell of :class:`GRU` (gates ``z, r, h`` in that order). With ``x_z, x_r, x_h`` the
    parts of ``x_t @ kernel + input_bias``: ``z = ra(x_z + h_{t-1} @ U_z + b_z)``, ``r =
    ra(x_r + h_{t-1} @ U_r + b_r)``, candidate ``hh = a(x_h + r * (h_{t-1} @ U_h + b_h))``
    (``reset_after=True``) or ``a(x_h + (r * h_{t-1}) @ U_h)`` (``reset_after=False``), and
    ``h_t = z * h_{t-1} + (1 - z) * hh``; ``U`` is ``recurrent_kernel`` and ``b`` the
    recurrent bias (``reset_after=True`` only).

    Args:
        units: size of the state and output (positive int).
        activation: default ``'tanh'``.
        recurrent_activation: default ``'sigmoid'``.
        use_bias: default True.
        kernel_initializer: default ``'glorot_uniform'``.
        recurrent_initializer: default ``'orthogonal'``.
        bias_initializer: default ``'zeros'``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: default None.
        dropout, recurrent_dropout: fractions in [0, 1) dropped in training (default 0).
        reset_after: apply the reset gate after the recurrent product (default True, the
            cuDNN convention; separate input and recurrent biases).
        seed: accepted for Keras compatibility.
    Raises:
        ValueError: as :class:`SimpleRNNCell`.
        NotImplementedError: a constraint given.
    Shape:
        ``kernel`` ``(input_dim, 3 * units)``, ``recurrent_kernel`` ``(units, 3 * units)``,
        ``bias`` ``(2, 3 * units)`` (input bias, recurrent bias) with ``reset_after``, else
        ``(3 * units,)``.
    Reference: Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder for
        Statistical Machine Translation", 2014 (v3 for ``reset_after=False``).
    """

    _gates = 3

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True,
                 seed: int | None = None, **kwargs: Any) -> None:
        kwargs.pop("implementation", None)
        super().__init__(**kwargs)
        self._setup(units, activation, recurrent_activation, use_bias, kernel_initializer,
                    recurrent_initializer, bias_initializer, kernel_regularizer,
                    recurrent_regularizer, bias_regularizer, kernel_constraint,
                    recurrent_constraint, bias_constraint, dropout, recurrent_dropout, seed)
        self.reset_after = bool(reset_after)
        self.state_size = self.units
        self.output_size = self.units

    def _bias_shape(self) -> tuple[int, ...]:
        return (2, 3 * self.units) if self.reset_after else (3 * self.units,)

    def _input_bias(self) -> Tensor | None:
        if not self.use_bias:
            return None
        b = self._parameters["bias"]
        return b.select(0, 0) if self.reset_after else b

    def _step(self, xp: Tensor, states: list[Tensor], rdp: list | None) -> tuple[Tensor, list]:
        h = states[0]
        ra, a = self.recurrent_activation, self.activation
        x_z, x_r, x_h = xp.chunk(3, -1)
        if self.reset_after:
            inner = self._recurrent(h, rdp, 0, 3)
            if self.use_bias:
                inner = inner + self._parameters["bias"].select(0, 1)
            r_z, r_r, r_h = inner.chunk(3, -1)
            z = ra(x_z + r_z)
            r = ra(x_r + r_r)
            hh = a(x_h + r * r_h)
        else:
            r_z, r_r = self._recurrent(h, rdp, 0, 2).chunk(2, -1)
            z = ra(x_z + r_z)
            r = ra(x_r + r_r)
            h_h = h if rdp is None else h * rdp[2]
            u = self.units
            hh = a(x_h + _C.matmul(r * h_h, self._parameters["recurrent_kernel"].narrow(
                1, 2 * u, u)))
        h = z * h + (1.0 - z) * hh
        return h, [h]

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the cell from them."""
        config = super().get_config()
        config.update(recurrent_activation=activations.serialize(self.recurrent_activation),
                      reset_after=self.reset_after)
        return config


# ---- the recurrent layer ------------------------------------------------------------------------


def _call_with_states(layer: Layer, inputs: Any, initial_state: Any, kwargs: dict) -> Any:
    """``layer(inputs, initial_state=..., **kwargs)``: the states travel with the sequence as
    one list of inputs (``call`` gets ``_num_states``), so the functional API tracks them as
    graph inputs (an encoder's states feeding a decoder)."""
    if initial_state is None:
        return Layer.__call__(layer, inputs, **kwargs)
    if isinstance(inputs, (list, tuple)):
        msg = f"layer '{layer.name}': give the sequence as one tensor when passing initial_state"
        raise ValueError(msg)  # noqa: TRY004
    states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [
        initial_state]
    return Layer.__call__(layer, [inputs, *states], _num_states=len(states), **kwargs)


class RNN(Layer):
    """Runs a cell over the time axis of ``(batch, timesteps, features)`` inputs (Keras's
    ``keras.layers.RNN``).

    A cell is a layer with ``call(inputs_t, states) -> (output_t, new_states)``, a
    ``state_size`` (int or list of ints) and optionally ``output_size`` and
    ``get_initial_state(batch_size)``; the built-in ``SimpleRNNCell``, ``LSTMCell`` and
    ``GRUCell`` run faster (one input projection for all steps).

    Args:
        cell: the cell (a Layer). A list of cells (Keras's stacked cells) is not supported.
        return_sequences: return the output of every step ``(batch, timesteps, units)``
            instead of the last one ``(batch, units)``. Default False.
        return_state: also return the final states: ``[output, *states]``. Default False.
        go_backwards: process the sequence from the last step to the first, and return the
            outputs in that (reversed) order. Default False.
        stateful: must be False (states are not carried between batches).
        unroll: accepted and ignored (the loop is always a Python loop over the steps).
        zero_output_for_mask: outputs of masked steps are zeros instead of the previous
            output. Default False.
        **kwargs: :class:`Layer` arguments (``input_shape``, ``name``, ...).
    Raises:
        ValueError: not a cell (no ``call`` or ``state_size``); at build/call time an input
            that is not 3-D (Keras: ``expected ndim=3``) or has the wrong feature size, a
            mask that is not ``(batch, timesteps)``, or initial states of the wrong number
            or shape.
        NotImplementedError: ``stateful=True``, or a list of cells.
    Shape:
        Input ``(batch, timesteps, features)``; optional call arguments ``initial_state``
        (list of ``(batch, state_size)`` tensors) and ``mask`` (bool ``(batch,
        timesteps)``, else taken from the input, e.g. made by ``Masking`` or
        ``Embedding(mask_zero=True)``). Output ``(batch, units)`` or, with
        ``return_sequences``, ``(batch, timesteps, units)``; with ``return_state`` followed
        by the final states. The output mask is the input mask with ``return_sequences``.
    Reference: Keras's ``keras.layers.RNN`` and ``backend.rnn``.
    Example:
        >>> layer = keras.layers.RNN(keras.layers.LSTMCell(4), return_sequences=True)
        >>> layer(np.zeros((2, 5, 3), np.float32)).shape
        (2, 5, 4)
    """

    supports_masking = True

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        cls = type(self).__name__
        if isinstance(cell, (list, tuple)):
            raise NotImplementedError(f"{cls}: a list of cells (stacked cells) is not "
                                      "supported; stack recurrent layers instead")
        if not isinstance(cell, Layer) or not callable(getattr(cell, "call", None)):
            msg = f"{cls}: argument `cell` should be a keras Layer with a `call` method"
            raise ValueError(f"{msg}. Received: cell={cell!r}")  # noqa: TRY004 (Keras's type)
        state_size = getattr(cell, "state_size", None)
        if state_size is None:
            raise ValueError(f"{cls}: the RNN cell should have a `state_size` attribute "
                             "(single integer or list of integers, one integer per RNN state). "
                             f"Received: cell={cell!r}")
        if stateful:
            raise NotImplementedError(f"{cls}: stateful=True is not supported (states are not "
                                      "kept between batches); pass initial_state instead")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = False
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.single_state = isinstance(state_size, int)
        self.state_size = [state_size] if self.single_state else list(state_size)

    # -- calling with initial states ------------------------------------------------------

    def __call__(self, inputs: Any, initial_state: Any = None, **kwargs: Any) -> Any:
        return _call_with_states(self, inputs, initial_state, kwargs)

    @staticmethod
    def _unpack(sequences: Any, initial_state: Any, mask: Any, num_states: int) -> tuple:
        if num_states:
            initial_state = list(sequences[1:])
            sequences = sequences[0]
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        return sequences, initial_state, mask

    # -- shapes --------------------------------------------------------------------------------

    def _fast(self) -> bool:
        return isinstance(self.cell, _Cell)

    def _check_rank(self, shape: tuple) -> None:
        ok = len(shape) == 3 if self._fast() else len(shape) >= 3
        if not ok:
            want = "ndim=3" if self._fast() else "min_ndim=3"
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: "
                             f"expected {want}, found ndim={len(shape)}. Full shape received: "
                             f"{shape_str(shape)} (a recurrent layer takes (batch, timesteps, "
                             "features))")

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        """Builds the cell for one step ``(batch, *input_shape[2:])``.

        Raises:
            ValueError: an input that is not 3-D, or unknown features.
        """
        shape = tuple(sequences_shape[0] if isinstance(sequences_shape, list) else
                      sequences_shape)
        self._check_rank(shape)
        if not self.cell.built:
            self.cell._maybe_build((shape[0],) + shape[2:])

    def _input_spec(self) -> tuple[int | None, dict[int, int]] | None:
        if not self.built or not self._fast():
            return None
        return 3, {-1: self.cell.input_dim}

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        """Output shape for ``sequences_shape`` (batch dim None): a list of shapes with
        ``return_state``."""
        shape = tuple(sequences_shape[0] if isinstance(sequences_shape, list) else
                      sequences_shape)
        batch = shape[0]
        size = getattr(self.cell, "output_size", None) or self.state_size[0]
        out = (batch, shape[1], size) if self.return_sequences else (batch, size)
        if self.return_state:
            return [out] + [(batch, s) for s in self.state_size]
        return out

    def _output_dtype(self, input_dtype: Any) -> Any:
        if self.return_state:
            return [self._dtype] * (1 + len(self.state_size))
        return self._dtype

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input mask for the output with ``return_sequences`` (else None); None for the
        states."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(self.state_size)
        return out

    # -- computing -----------------------------------------------------------------------------

    def get_initial_state(self, batch_size: int) -> list[Tensor]:
        """Zero states ``(batch_size, size)`` (or the cell's ``get_initial_state``)."""
        get = getattr(self.cell, "get_initial_state", None)
        if get is not None:
            st = get(batch_size=batch_size)
            return list(st) if isinstance(st, (list, tuple)) else [st]
        return [ember.zeros(int(batch_size), s, dtype=self._dtype) for s in self.state_size]

    def _check_states(self, states: Any, batch: int) -> list[Tensor]:
        states = list(states) if isinstance(states, (list, tuple)) else [states]
        head = f"{type(self).__name__} '{self.name}'"
        if len(states) != len(self.state_size):
            raise ValueError(f"{head}: expected {len(self.state_size)} initial state tensor(s) "
                             f"of sizes {self.state_size}, got {len(states)}")
        out = []
        for s, size in zip(states, self.state_size):
            s = _as_tensor(s, self._dtype)
            if tuple(s.shape) != (batch, size):
                raise ValueError(f"{head}: an initial state must have shape ({batch}, {size}), "
                                 f"got {tuple(s.shape)}")
            out.append(s)
        return out

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None,
             training: bool | None = None, _num_states: int = 0) -> Any:
        """Runs the cell over the steps; see the class docstring for shapes.

        Raises:
            ValueError: wrong input rank or features, bad mask or initial states.
        """
        sequences, initial_state, mask = self._unpack(sequences, initial_state, mask,
                                                      _num_states)
        if mask is None:
            mask = get_keras_mask(sequences)
        self._check_rank(tuple(sequences.shape))
        batch, steps = int(sequences.shape[0]), int(sequences.shape[1])
        head = f"{type(self).__name__} '{self.name}'"
        if self._fast() and sequences.shape[-1] != self.cell.input_dim:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: "
                             f"expected axis -1 of input shape to have value "
                             f"{self.cell.input_dim}, but received input with shape "
                             f"{tuple(sequences.shape)}")
        if steps == 0:
            raise ValueError(f"{head}: the input has no time steps (shape "
                             f"{tuple(sequences.shape)})")
        if mask is not None:
            if not isinstance(mask, Tensor):
                mask = ember.from_numpy(np.ascontiguousarray(np.asarray(mask, dtype=bool)))
            if tuple(mask.shape) != (batch, steps):
                raise ValueError(f"{head}: the mask must have shape (batch, timesteps) = "
                                 f"({batch}, {steps}), got {tuple(mask.shape)}")
            if mask.dtype != ember.bool:
                mask = mask != 0
        states = (self._check_states(initial_state, batch) if initial_state is not None
                  else self.get_initial_state(batch))
        last, outputs, states = self._loop(sequences, states, mask, training)
        output = _C.stack(outputs, 1) if self.return_sequences else last
        if self.return_state:
            return (output, *states)
        return output

    def _loop(self, x: Tensor, states: list[Tensor], mask: Tensor | None,
              training: Any) -> tuple[Tensor, list[Tensor], list[Tensor]]:
        """The recurrence: ``(last output, outputs in processing order, final states)``."""
        cell = self.cell
        batch, steps = int(x.shape[0]), int(x.shape[1])
        step: Callable[[Tensor, list[Tensor]], Any]
        if self._fast():
            dp = cell._dropout_masks(batch, cell.input_dim, training, x.dtype)
            if dp is not None:
                dp = [m.unsqueeze(1) for m in dp]
            projected = cell._project(x, dp)  # all steps' input projections at once
            rdp = cell._recurrent_masks(batch, training, x.dtype)
            if (isinstance(cell, LSTMCell) and mask is None and rdp is None
                    and cell.recurrent_activation is activations.sigmoid
                    and cell.activation is activations.tanh):
                # The default LSTM: the whole sequence in one C++ op (ember's lstm_layer, the
                # same gate order i, f, g, o; it multiplies h by the transpose of its weight).
                out, h, c = _C._lstm_layer(
                    projected.transpose(0, 1), states[0], states[1],
                    cell._parameters["recurrent_kernel"].t(), self.go_backwards,
                )
                steps_out = list(out.unbind(0)) if self.return_sequences else []
                if self.go_backwards:
                    steps_out.reverse()  # processing order, as the step loop gives
                return h, steps_out, [h, c]
            inputs = projected.unbind(1)

            def step(xt: Tensor, st: list[Tensor]) -> Any:
                """One step of a built-in cell on the projected input."""
                return cell._step(xt, st, rdp)
        else:
            inputs = x.unbind(1)
            kw = {"training": training} if cell._call_takes_training() else {}

            def step(xt: Tensor, st: list[Tensor]) -> Any:
                """One call of the cell."""
                return cell(xt, list(st), **kw)

        masks = mask.unsqueeze(-1).unbind(1) if mask is not None else None
        order = range(steps - 1, -1, -1) if self.go_backwards else range(steps)
        outputs: list[Tensor] = []
        prev: Tensor | None = None
        out: Tensor | None = None
        for t in order:
            out, new = step(inputs[t], states)
            new = list(new) if isinstance(new, (list, tuple)) else [new]
            if masks is not None:
                m = masks[t]
                if out.dim() > 2:
                    m = m.reshape(batch, *([1] * (out.dim() - 1)))
                if prev is None or self.zero_output_for_mask:
                    prev = ember.zeros_like(out)
                new = [ember.where(m.reshape(batch, *([1] * (n.dim() - 1))), n, s)
                       for n, s in zip(new, states)]
                out = ember.where(m, out, prev)
                prev = out
            states = new
            if self.return_sequences:
                outputs.append(out)
        return out, outputs, states  # type: ignore[return-value]  # steps >= 1 (see call)

    def reset_state(self) -> None:
        """Does nothing: the layer keeps no state between calls (``stateful`` is False)."""

    reset_states = reset_state

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        from ..saving import serialize_layer

        config = super().get_config()
        config.update(return_sequences=self.return_sequences, return_state=self.return_state,
                      go_backwards=self.go_backwards, stateful=self.stateful,
                      unroll=self.unroll, zero_output_for_mask=self.zero_output_for_mask,
                      cell=serialize_layer(self.cell))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuilds the layer (and its cell) from :meth:`get_config`'s output."""
        from ..saving import deserialize_layer

        config = dict(config)
        cell = config.pop("cell")
        if isinstance(cell, dict):
            cell = deserialize_layer(cell)
        return cls(cell, **config)


class _KerasRNN(RNN):
    """Shared code of SimpleRNN, LSTM and GRU: the cell's arguments as properties, and a
    config holding them instead of the cell."""

    _cell_args: tuple[str, ...] = ()

    def _make(self, cell: _Cell, return_sequences: bool, return_state: bool,
              go_backwards: bool, stateful: bool, unroll: bool, activity_regularizer: Any,
              use_cudnn: Any, kwargs: dict) -> None:
        cls = type(self).__name__
        _unsupported(cls, activity_regularizer=activity_regularizer)
        if use_cudnn not in ("auto", True, False):
            raise ValueError(f"{cls}: invalid value received for argument `use_cudnn`. "
                             f"Expected one of {{'auto', True, False}}. Received: "
                             f"use_cudnn={use_cudnn!r}")
        RNN.__init__(self, cell, return_sequences=return_sequences, return_state=return_state,
                     go_backwards=go_backwards, stateful=stateful, unroll=unroll, **kwargs)
        self.use_cudnn = use_cudnn

    @staticmethod
    def _cell_kwargs(kwargs: dict) -> dict:
        return {"dtype": kwargs.get("dtype"), "trainable": kwargs.get("trainable", True)}

    def __getattr__(self, name: str) -> Any:
        # units, activation, dropout, ...: Keras reads them from the cell.
        if name in type(self)._cell_args:
            return getattr(self._modules["cell"], name)
        return super().__getattr__(name)

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        cell_config = config.pop("cell")["config"]
        for k in ("name", "trainable", "dtype", "batch_input_shape"):
            cell_config.pop(k, None)
        config.update(cell_config)
        config["activity_regularizer"] = None
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuilds the layer from :meth:`get_config`'s output."""
        return cls(**config)


_COMMON_ARGS = ("units", "activation", "use_bias", "kernel_initializer",
                "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                "recurrent_regularizer", "bias_regularizer", "dropout", "recurrent_dropout",
                "seed")


class SimpleRNN(_KerasRNN):
    """Fully connected recurrent layer: ``h_t = activation(x_t @ kernel + bias + h_{t-1} @
    recurrent_kernel)`` over the steps of ``(batch, timesteps, features)`` inputs.

    Args:
        units: size of the output and state (positive int).
        activation: default ``'tanh'``; None is linear.
        use_bias: default True.
        kernel_initializer: default ``'glorot_uniform'``.
        recurrent_initializer: default ``'orthogonal'``.
        bias_initializer: default ``'zeros'``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: penalties added to the
            loss (default None).
        activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint: must
            be None.
        dropout: fraction in [0, 1) of the inputs dropped in training, one mask per sequence
            (default 0).
        recurrent_dropout: fraction in [0, 1) of the previous state dropped in training
            (default 0).
        seed: accepted for Keras compatibility; dropout draws from ember's generator.
        return_sequences: return every step's output (default False: the last one).
        return_state: also return the final state (default False).
        go_backwards: process the steps in reverse and return the reversed sequence (default
            False).
        stateful: must be False.
        unroll: accepted and ignored.
        **kwargs: :class:`Layer` arguments (``input_shape``, ``name``, ...) and
            ``zero_output_for_mask``.
    Raises:
        ValueError: bad ``units``, rate, activation or initializer; at build/call time an
            input that is not 3-D or has another feature size than the built one.
        NotImplementedError: ``stateful=True``, a constraint or ``activity_regularizer``.
    Shape:
        ``(batch, timesteps, features)`` -> ``(batch, units)``, or ``(batch, timesteps,
        units)`` with ``return_sequences``; with ``return_state`` a tuple ``(output,
        state)``. Weights (``layer.cell``): ``kernel`` ``(features, units)``,
        ``recurrent_kernel`` ``(units, units)``, ``bias`` ``(units,)``.
    Reference: Elman, "Finding Structure in Time", 1990; Keras's ``SimpleRNN``.
    Example:
        >>> layer = keras.layers.SimpleRNN(4)
        >>> layer(np.zeros((2, 5, 3), np.float32)).shape
        (2, 4)
    """

    _cell_args = _COMMON_ARGS

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, return_sequences: bool = False,
                 return_state: bool = False, go_backwards: bool = False, stateful: bool = False,
                 unroll: bool = False, seed: int | None = None, **kwargs: Any) -> None:
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias,
                             kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer,
                             bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer,
                             recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer,
                             kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint,
                             bias_constraint=bias_constraint, dropout=dropout,
                             recurrent_dropout=recurrent_dropout, seed=seed,
                             name="simple_rnn_cell", **self._cell_kwargs(kwargs))
        self._make(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                   activity_regularizer, "auto", kwargs)


class LSTM(_KerasRNN):
    """Long Short-Term Memory layer over ``(batch, timesteps, features)`` inputs.

    Each step (gates ``i, f, c, o`` in this order in the weights): ``z = x_t @ kernel + h_{t-1}
    @ recurrent_kernel + bias``; ``c_t = ra(z_f) * c_{t-1} + ra(z_i) * a(z_c)``; ``h_t =
    ra(z_o) * a(c_t)`` with ``a`` = ``activation``, ``ra`` = ``recurrent_activation``. The
    output is ``h_t``; the states ``[h_t, c_t]``.

    Args:
        units: size of the output and states (positive int).
        activation: default ``'tanh'``.
        recurrent_activation: default ``'sigmoid'``.
        use_bias: default True.
        kernel_initializer: default ``'glorot_uniform'``.
        recurrent_initializer: default ``'orthogonal'``.
        bias_initializer: default ``'zeros'``.
        unit_forget_bias: add 1 to the forget-gate bias at initialization (default True).
        kernel_regularizer, recurrent_regularizer, bias_regularizer: default None.
        activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint: must
            be None.
        dropout, recurrent_dropout: fractions in [0, 1) dropped in training (default 0).
        seed: accepted for Keras compatibility.
        return_sequences, return_state, go_backwards, stateful, unroll: as
            :class:`SimpleRNN`.
        use_cudnn: ``'auto'`` (default), True or False; accepted and ignored.
        **kwargs: :class:`Layer` arguments and ``zero_output_for_mask``.
    Raises:
        ValueError: as :class:`SimpleRNN`, or a bad ``use_cudnn``.
        NotImplementedError: as :class:`SimpleRNN`.
    Shape:
        ``(batch, timesteps, features)`` -> ``(batch, units)`` (``(batch, timesteps, units)``
        with ``return_sequences``); with ``return_state`` a tuple ``(output, h, c)``.
        Weights (``layer.cell``): ``kernel`` ``(features, 4 * units)``, ``recurrent_kernel``
        ``(units, 4 * units)``, ``bias`` ``(4 * units,)``. A ``torch.nn.LSTM`` (gates ``i, f,
        g, o``) maps onto them as ``kernel = weight_ih.T``, ``recurrent_kernel =
        weight_hh.T``, ``bias = bias_ih + bias_hh``.
    Reference: Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 1997;
        Keras's ``LSTM``.
    Example:
        >>> lstm = keras.layers.LSTM(4, return_sequences=True, return_state=True)
        >>> seq, h, c = lstm(np.zeros((2, 5, 3), np.float32))
        >>> seq.shape, h.shape, c.shape
        ((2, 5, 4), (2, 4), (2, 4))
    """

    _cell_args = _COMMON_ARGS + ("recurrent_activation", "unit_forget_bias")

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None,
                 recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 use_cudnn: Any = "auto", **kwargs: Any) -> None:
        kwargs.pop("implementation", None)
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation,
                        use_bias=use_bias, kernel_initializer=kernel_initializer,
                        recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                        kernel_regularizer=kernel_regularizer,
                        recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint,
                        bias_constraint=bias_constraint, dropout=dropout,
                        recurrent_dropout=recurrent_dropout, seed=seed, name="lstm_cell",
                        **self._cell_kwargs(kwargs))
        self._make(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                   activity_regularizer, use_cudnn, kwargs)


class GRU(_KerasRNN):
    """Gated Recurrent Unit layer over ``(batch, timesteps, features)`` inputs.

    Each step (gates ``z, r, h`` in this order in the weights; ``x_z, x_r, x_h`` the parts of
    ``x_t @ kernel + input_bias``, ``U`` = ``recurrent_kernel``): ``z = ra(x_z + h_{t-1} @
    U_z + b_z)``, ``r = ra(x_r + h_{t-1} @ U_r + b_r)``, ``hh = a(x_h + r * (h_{t-1} @ U_h +
    b_h))`` with ``reset_after=True`` (``b`` the recurrent bias), or ``hh = a(x_h + (r *
    h_{t-1}) @ U_h)`` with ``reset_after=False``; ``h_t = z * h_{t-1} + (1 - z) * hh``.

    Args:
        units: size of the output and state (positive int).
        activation: default ``'tanh'``.
        recurrent_activation: default ``'sigmoid'``.
        use_bias: default True.
        kernel_initializer: default ``'glorot_uniform'``.
        recurrent_initializer: default ``'orthogonal'``.
        bias_initializer: default ``'zeros'``.
        kernel_regularizer, recurrent_regularizer, bias_regularizer: default None.
        activity_regularizer, kernel_constraint, recurrent_constraint, bias_constraint: must
            be None.
        dropout, recurrent_dropout: fractions in [0, 1) dropped in training (default 0).
        seed: accepted for Keras compatibility.
        return_sequences, return_state, go_backwards, stateful, unroll: as
            :class:`SimpleRNN`.
        reset_after: apply the reset gate after the recurrent product (default True).
        use_cudnn: ``'auto'`` (default), True or False; accepted and ignored.
        **kwargs: :class:`Layer` arguments and ``zero_output_for_mask``.
    Raises:
        ValueError: as :class:`SimpleRNN`, or a bad ``use_cudnn``.
        NotImplementedError: as :class:`SimpleRNN`.
    Shape:
        ``(batch, timesteps, features)`` -> ``(batch, units)`` (``(batch, timesteps, units)``
        with ``return_sequences``); with ``return_state`` a tuple ``(output, h)``. Weights
        (``layer.cell``): ``kernel`` ``(features, 3 * units)``, ``recurrent_kernel``
        ``(units, 3 * units)``, ``bias`` ``(2, 3 * units)`` with ``reset_after`` (input
        bias, recurrent bias), else ``(3 * units,)``. A ``torch.nn.GRU`` (gates ``r, z, n``,
        the same ``reset_after`` formula) maps onto them with its gate blocks reordered to
        ``z, r, n``: ``kernel = weight_ih.T``, ``recurrent_kernel = weight_hh.T``, ``bias =
        [bias_ih, bias_hh]``.
    Reference: Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder for
        Statistical Machine Translation", 2014; Keras's ``GRU``.
    Example:
        >>> keras.layers.GRU(4)(np.zeros((2, 5, 3), np.float32)).shape
        (2, 4)
    """

    _cell_args = _COMMON_ARGS + ("recurrent_activation", "reset_after")

    def __init__(self, units: int, activation: Any = "tanh",
                 recurrent_activation: Any = "sigmoid", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: int | None = None,
                 return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 reset_after: bool = True, use_cudnn: Any = "auto", **kwargs: Any) -> None:
        kwargs.pop("implementation", None)
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation,
                       use_bias=use_bias, kernel_initializer=kernel_initializer,
                       recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer,
                       bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                       recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout,
                       recurrent_dropout=recurrent_dropout, reset_after=reset_after, seed=seed,
                       name="gru_cell", **self._cell_kwargs(kwargs))
        self._make(cell, return_sequences, return_state, go_backwards, stateful, unroll,
                   activity_regularizer, use_cudnn, kwargs)


# ---- wrappers -----------------------------------------------------------------------------------


def _clone(layer: Layer, **overrides: Any) -> Layer:
    """A new layer of ``layer``'s class from its config (fresh weights), with ``overrides``."""
    config = layer.get_config()
    config.update(overrides)
    cell = config.get("cell")
    if isinstance(cell, dict) and isinstance(getattr(layer, "cell", None), Layer):
        c = layer.cell
        config["cell"] = type(c).from_config(c.get_config())
    return type(layer).from_config(config)


class Bidirectional(Layer):
    """Runs a recurrent layer forwards and a copy of it backwards over the sequence and merges
    the two outputs.

    The forward layer is a fresh copy of ``layer`` named ``forward_<name>``; the backward one
    is ``backward_layer`` or a fresh copy of ``layer`` with the opposite ``go_backwards``
    named ``backward_<name>``. With ``return_sequences`` the backward layer's outputs are
    reversed along the steps before merging, and masked steps output zeros
    (``zero_output_for_mask``), as Keras. Wrapping a layer with ``go_backwards=True`` follows
    tf.keras (Keras 3's code would make a second backward copy and raise): the forward layer
    runs backwards, the copy forwards, and both outputs come in reversed step order.

    Args:
        layer: an ``RNN`` (``LSTM``, ``GRU``, ``SimpleRNN``, ...) instance; its weights are
            not reused.
        merge_mode: ``'concat'`` (default), ``'sum'``, ``'mul'``, ``'ave'``, or None (return
            both outputs).
        weights: must be None (use ``set_weights`` once built).
        backward_layer: optional layer for the backward direction, with ``go_backwards``
            different from ``layer``'s and the same ``return_sequences``/``return_state``.
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: ``layer`` or ``backward_layer`` not a recurrent layer, an unknown
            ``merge_mode``, or forward/backward layers that do not match.
        NotImplementedError: ``weights`` given.
    Shape:
        Input ``(batch, timesteps, features)``. Output as the wrapped layer's, with the last
        dimension doubled for ``'concat'``; a tuple ``(forward, backward)`` for None. With
        ``return_state``: ``(output, *forward_states, *backward_states)``. Weights: the
        forward layer's, then the backward layer's.
    Reference: Schuster & Paliwal, "Bidirectional Recurrent Neural Networks", 1997; Keras's
        ``Bidirectional``.
    Example:
        >>> layer = keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True))
        >>> layer(np.zeros((2, 5, 3), np.float32)).shape
        (2, 5, 8)
    """

    supports_masking = True
    _MODES = ("sum", "mul", "ave", "concat", None)

    def __init__(self, layer: Layer, merge_mode: str | None = "concat", weights: Any = None,
                 backward_layer: Layer | None = None, **kwargs: Any) -> None:
        for what, lay in (("layer", layer), ("backward_layer", backward_layer)):
            if lay is None and what == "backward_layer":
                continue
            if not isinstance(lay, Layer) or not all(
                    hasattr(lay, a) for a in ("go_backwards", "return_sequences", "return_state")):
                raise ValueError(f"Bidirectional: `{what}` must be a recurrent keras layer (with "
                                 "go_backwards, return_sequences and return_state), such as "
                                 f"keras.layers.LSTM. Received: {lay!r}")
        if merge_mode not in self._MODES:
            raise ValueError(f"Bidirectional: Invalid merge mode. Received: {merge_mode!r}. Merge "
                             "mode should be one of {'sum', 'mul', 'ave', 'concat', None}")
        if weights is not None:
            raise NotImplementedError("Bidirectional: weights= is not supported; call "
                                      "set_weights once the layer is built")
        if (kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None
                and kwargs.get("input_dim") is None and layer._batch_input_shape is not None):
            kwargs["batch_input_shape"] = layer._batch_input_shape
        super().__init__(**kwargs)
        self.forward_layer = _clone(layer, name="forward_" + layer.name.removeprefix("forward_"))
        if backward_layer is None:
            # The mirror of `layer` (tf.keras's rule): a wrapped go_backwards=True layer gets a
            # forward-running copy, and its outputs are merged as they come (see call).
            backward_layer = _clone(layer, go_backwards=not layer.go_backwards,
                                    name="backward_" + layer.name.removeprefix("backward_"))
        self.backward_layer = backward_layer
        fw, bw = self.forward_layer, self.backward_layer
        if fw.go_backwards == bw.go_backwards:
            raise ValueError("Bidirectional: forward layer and backward layer should have "
                             "different `go_backwards` value. Received: "
                             f"forward_layer.go_backwards={fw.go_backwards}, "
                             f"backward_layer.go_backwards={bw.go_backwards}")
        for a in ("stateful", "return_sequences", "return_state"):
            if getattr(fw, a, None) != getattr(bw, a, None):
                raise ValueError(f"Bidirectional: forward layer and backward layer are expected "
                                 f"to have the same value for attribute {a!r}, got "
                                 f"{getattr(fw, a, None)!r} for forward layer and "
                                 f"{getattr(bw, a, None)!r} for backward layer")
        for lay in (fw, bw):
            if hasattr(lay, "zero_output_for_mask"):
                lay.zero_output_for_mask = lay.return_sequences
        self.merge_mode = merge_mode
        self.stateful = getattr(layer, "stateful", False)
        self.return_sequences = fw.return_sequences
        self.return_state = fw.return_state

    def __call__(self, inputs: Any, initial_state: Any = None, **kwargs: Any) -> Any:
        return _call_with_states(self, inputs, initial_state, kwargs)

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        """Builds the forward and backward layers.

        Raises:
            ValueError: an input that is not 3-D.
        """
        shape = tuple(sequences_shape[0] if isinstance(sequences_shape, list) else
                      sequences_shape)
        for lay in (self.forward_layer, self.backward_layer):
            if not lay.built:
                lay._maybe_build(shape)
                lay._output_shape = lay.compute_output_shape(shape)

    def _input_spec(self) -> tuple[int | None, dict[int, int]] | None:
        return self.forward_layer._input_spec()

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        """Output shape for ``sequences_shape`` (batch dim None); a list with ``return_state``
        or ``merge_mode=None``."""
        shape = tuple(sequences_shape[0] if isinstance(sequences_shape, list) else
                      sequences_shape)
        out = self.forward_layer.compute_output_shape(shape)
        states: list = []
        if self.return_state:
            out, states = out[0], list(out[1:])
        if self.merge_mode == "concat":
            out = tuple(out[:-1]) + (None if out[-1] is None else 2 * out[-1],)
        if self.merge_mode is None:
            outs = [tuple(out), tuple(out)]
        else:
            outs = [tuple(out)]
        if self.return_state:
            return outs + states + states
        return outs if self.merge_mode is None else outs[0]

    def _output_dtype(self, input_dtype: Any) -> Any:
        n = (2 if self.merge_mode is None else 1)
        if self.return_state:
            n += 2 * len(getattr(self.forward_layer, "state_size", []))
        return [self._dtype] * n if n > 1 else self._dtype

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """The input mask for the output(s) with ``return_sequences`` (else None); None for the
        states."""
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        out = mask if self.return_sequences else None
        outs = [out, out] if self.merge_mode is None else [out]
        if self.return_state:
            n = 2 * len(getattr(self.forward_layer, "state_size", []))
            return outs + [None] * n
        return outs if self.merge_mode is None else out

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None,
             training: bool | None = None, _num_states: int = 0) -> Any:
        """Forward and backward passes, merged; see the class docstring.

        Raises:
            ValueError: as the wrapped layer.
        """
        sequences, initial_state, mask = RNN._unpack(sequences, initial_state, mask,
                                                     _num_states)
        if mask is None:
            mask = get_keras_mask(sequences)
        kw: dict[str, Any] = {"training": training}
        if mask is not None:
            kw["mask"] = mask
        fw_kw, bw_kw = dict(kw), dict(kw)
        if initial_state is not None:
            states = list(initial_state)
            half = len(states) // 2
            fw_kw["initial_state"], bw_kw["initial_state"] = states[:half], states[half:]
        y = self.forward_layer(sequences, **fw_kw)
        y_rev = self.backward_layer(sequences, **bw_kw)
        states_out: list = []
        if self.return_state:
            states_out = list(y[1:]) + list(y_rev[1:])
            y, y_rev = y[0], y_rev[0]
        if self.return_sequences:
            y_rev = y_rev.flip(1)
        mode = self.merge_mode
        if mode == "concat":
            out: Any = _C.cat([y, y_rev], -1)
        elif mode == "sum":
            out = y + y_rev
        elif mode == "ave":
            out = (y + y_rev) / 2
        elif mode == "mul":
            out = y * y_rev
        else:
            out = (y, y_rev)
        if self.return_state:
            return (*out, *states_out) if mode is None else (out, *states_out)
        return out

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        from ..saving import serialize_layer

        config = super().get_config()
        config.update(merge_mode=self.merge_mode, layer=serialize_layer(self.forward_layer),
                      backward_layer=serialize_layer(self.backward_layer))
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuilds the layer (and its forward/backward layers) from :meth:`get_config`."""
        from ..saving import deserialize_layer

        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"])
        if config.get("backward_layer") is not None:
            config["backward_layer"] = deserialize_layer(config["backward_layer"])
        return cls(**config)


class TimeDistributed(Layer):
    """Applies ``layer`` to every time step of ``(batch, timesteps, ...)`` inputs with the same
    weights: ``out[:, t] = layer(inputs[:, t])``.

    The steps are folded into the batch (``(batch * timesteps, ...)``), so the wrapped layer
    runs once per call.

    Args:
        layer: a Keras layer taking ``(batch, ...)`` inputs (e.g. ``Dense``, ``Conv2D``).
        **kwargs: :class:`Layer` arguments.
    Raises:
        ValueError: ``layer`` not a Keras layer; an input of rank < 3.
    Shape:
        ``(batch, timesteps, *in)`` -> ``(batch, timesteps, *out)`` where ``layer`` maps
        ``(batch, *in)`` to ``(batch, *out)``. Weights: the wrapped layer's. An input mask
        passes through to the output.
    Reference: Keras's ``TimeDistributed``.
    Example:
        >>> layer = keras.layers.TimeDistributed(keras.layers.Dense(2))
        >>> layer(np.zeros((4, 5, 3), np.float32)).shape
        (4, 5, 2)
    """

    supports_masking = True

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            msg = ("TimeDistributed: please initialize `TimeDistributed` layer with a "
                   f"`keras.layers.Layer` instance. Received: {layer!r}")
            raise ValueError(msg)  # noqa: TRY004 (Keras's type)
        super().__init__(**kwargs)
        self.layer = layer

    def _child_shape(self, input_shape: Any) -> tuple:
        shape = tuple(input_shape)
        if len(shape) < 3:
            raise ValueError("TimeDistributed: `TimeDistributed` Layer should be passed an "
                             "`input_shape` with at least 3 dimensions, received: "
                             f"{shape_str(shape)}")
        b, t = shape[0], shape[1]
        return (None if b is None or t is None else b * t,) + shape[2:]

    def build(self, input_shape: Any) -> None:
        """Builds the wrapped layer for one step ``(batch, *input_shape[2:])``.

        Raises:
            ValueError: an input of rank < 3.
        """
        child = self._child_shape(input_shape)
        self.layer._maybe_build(child)

    def _output_spec(self, input_shape: Any, dtype: Any) -> tuple[Any, Any]:
        shape = tuple(input_shape)
        child, child_dtype = self.layer._output_spec(self._child_shape(shape), dtype)
        return (shape[0], shape[1], *tuple(child)[1:]), child_dtype

    def compute_output_shape(self, input_shape: Any) -> Any:
        """Output shape for ``input_shape`` (batch dim None)."""
        return self._output_spec(input_shape, self._dtype)[0]

    def call(self, inputs: Tensor, training: bool | None = None, mask: Any = None) -> Tensor:
        """``layer`` on ``inputs`` with the time steps folded into the batch.

        Raises:
            ValueError: an input of rank < 3.
        """
        if inputs.dim() < 3:
            raise ValueError("TimeDistributed: `TimeDistributed` Layer should be passed an input "
                             f"with at least 3 dimensions, received shape {tuple(inputs.shape)}")
        b, t = int(inputs.shape[0]), int(inputs.shape[1])
        flat = inputs.reshape(b * t, *tuple(inputs.shape[2:]))
        y = self.layer(flat, training=training)
        return y.reshape(b, t, *tuple(y.shape[1:]))

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        from ..saving import serialize_layer

        config = super().get_config()
        config["layer"] = serialize_layer(self.layer)
        return config

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Layer:
        """Rebuilds the layer (and the wrapped one) from :meth:`get_config`'s output."""
        from ..saving import deserialize_layer

        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"])
        return cls(**config)


class Masking(Layer):
    """Masks the time steps whose features all equal ``mask_value``: later layers that
    support masking (``LSTM``, ``GRU``, ``SimpleRNN``, ``Bidirectional``,
    ``MultiHeadAttention``, ``GlobalAveragePooling1D``, ...) skip them.

    The output is ``inputs * mask[..., None]`` (masked steps become zeros) and carries the
    mask ``any(inputs != mask_value, axis=-1)``.

    Args:
        mask_value: the padding value (default 0.0).
        **kwargs: :class:`Layer` arguments.
    Shape:
        ``(batch, timesteps, features)`` -> the same shape; mask ``(batch, timesteps)``.
    Reference: Keras's ``Masking``.
    Example:
        >>> x = np.array([[[1.0], [0.0], [2.0]]], np.float32)
        >>> keras.layers.Masking()(x).shape
        (1, 3, 1)
    """

    supports_masking = True
    _makes_masks = True

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = float(mask_value)

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """``any(inputs != mask_value, axis=-1)``."""
        return (inputs != self.mask_value).any(-1)

    def call(self, inputs: Tensor) -> Tensor:
        """``inputs`` with the masked steps zeroed; the output carries the mask."""
        keep = (inputs != self.mask_value).any(-1)
        out = inputs * keep.unsqueeze(-1).to(inputs.dtype)
        set_keras_mask(out, keep)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def _output_dtype(self, input_dtype: Any) -> Any:
        return input_dtype

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments (JSON-able); ``from_config`` rebuilds the layer from them."""
        config = super().get_config()
        config["mask_value"] = self.mask_value
        return config

