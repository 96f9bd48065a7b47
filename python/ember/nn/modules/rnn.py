"""Recurrent layers: ``RNN``, ``LSTM``, ``GRU`` and their one-step cells.

Each layer is a composition of ember ops (``linear``, ``sigmoid``, ``tanh``, ``stack``, ...),
so autograd and ``ember.jit`` follow it. The input projection of a layer and direction is one
matrix multiplication over all time steps; only the recurrent part loops over time.
"""

from __future__ import annotations

import math
import numbers
import warnings
from collections.abc import Callable
from typing import Any

from ... import _C, empty, zeros
from ..._C import Tensor
from .. import functional as F
from .. import init
from ..parameter import Parameter
from ..utils.rnn import PackedSequence
from .module import Module

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_MODES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _dt(t: Any) -> str:
    return str(t).replace("ember.", "")


def _check_int(cls: str, name: str, v: Any, minimum: int) -> int:
    if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < minimum:
        what = "a positive" if minimum == 1 else "a non-negative"
        raise ValueError(f"{cls}: {name} must be {what} int, got {v!r}")
    return int(v)


def _nonlinearity(cls: str, nonlinearity: Any) -> Callable[[Tensor], Tensor]:
    if nonlinearity == "tanh":
        return _C.tanh
    if nonlinearity == "relu":
        return _C.relu
    raise ValueError(f"{cls}: unknown nonlinearity {nonlinearity!r}; select 'tanh' or 'relu'")


# ---- one time step ---------------------------------------------------------------------------
# ``gi`` is the input projection ``x W_ih^T + b_ih`` of the step, computed beforehand.


def _rnn_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None, act) -> Tensor:
    return act(gi + F.linear(h, w_hh, b_hh))


def _lstm_step(
    gi: Tensor,
    h: Tensor,
    c: Tensor,
    w_hh: Tensor,
    b_hh: Tensor | None,
    w_hr: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    # One fused kernel (and one autograd node) for the gate activations and the state update.
    h, c = _C._lstm_cell(gi + F.linear(h, w_hh, b_hh), c)
    if w_hr is not None:
        h = F.linear(h, w_hr)
    return h, c


def _gru_step(gi: Tensor, h: Tensor, w_hh: Tensor, b_hh: Tensor | None) -> Tensor:
    i_r, i_z, i_n = gi.chunk(3, -1)
    h_r, h_z, h_n = F.linear(h, w_hh, b_hh).chunk(3, -1)
    r = _C.sigmoid(i_r + h_r)
    z = _C.sigmoid(i_z + h_z)
    n = _C.tanh(i_n + r * h_n)
    return n + z * (h - n)  # (1 - z) * n + z * h


# ---- multi-layer recurrent layers ------------------------------------------------------------


class RNNBase(Module):
    """Base class of :class:`RNN`, :class:`LSTM` and :class:`GRU` (PyTorch's ``nn.RNNBase``).

    Holds the parameters of ``num_layers`` stacked layers, each with one or two directions, and
    runs them: the input projection of every time step is one ``linear`` per layer and
    direction, then a loop over time applies the recurrent part.

    Args:
        mode: ``"RNN_TANH"``, ``"RNN_RELU"``, ``"LSTM"`` or ``"GRU"``.
        input_size: features of the input ``H_in``.
        hidden_size: features of the hidden state ``H_cell``.
        num_layers: stacked recurrent layers. Default 1.
        bias: learn ``bias_ih`` and ``bias_hh``. Default True.
        batch_first: input and output are ``(N, L, *)`` instead of ``(L, N, *)``. Default False.
        dropout: probability in [0, 1] of the dropout applied to the output of every layer but
            the last, in training mode only. Default 0.0.
        bidirectional: add a layer reading the sequence backwards. Default False.
        proj_size: LSTM only: project the hidden state to this size (0: no projection).
            Default 0.
        dtype: parameter dtype (default float32).
    Raises:
        ValueError: unknown mode, non-positive sizes, ``dropout`` outside [0, 1], or a bad
            ``proj_size``.
    Shape:
        As :class:`RNN` (``"RNN_*"`` modes), :class:`LSTM` or :class:`GRU`.
    Reference:
        See the subclasses.
    Example:
        >>> layer = nn.RNNBase("GRU", 3, 5, num_layers=2)
        >>> [tuple(p.shape) for p in layer.all_weights[1]]
        [(15, 5), (15, 5), (15,), (15,)]
    """

    def __init__(
        self,
        mode: str,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cls = type(self).__name__
        if mode not in _MODES:
            raise ValueError(f"{cls}: unknown mode {mode!r}; expected one of {sorted(_MODES)}")
        self.mode = mode
        self.input_size = _check_int(cls, "input_size", input_size, 0)
        self.hidden_size = _check_int(cls, "hidden_size", hidden_size, 1)
        self.num_layers = _check_int(cls, "num_layers", num_layers, 1)
        self.proj_size = _check_int(cls, "proj_size", proj_size, 0)
        if (
            isinstance(dropout, bool)
            or not isinstance(dropout, numbers.Number)
            or not 0 <= dropout <= 1
        ):
            raise ValueError(
                f"{cls}: dropout should be a number in range [0, 1] representing the "
                f"probability of an element being zeroed, got {dropout!r}"
            )
        if dropout > 0 and num_layers == 1:
            warnings.warn(
                "dropout option adds dropout after all but last recurrent layer, so non-zero "
                f"dropout expects num_layers greater than 1, but got dropout={dropout} and "
                f"num_layers={num_layers}",
                stacklevel=2,
            )
        if proj_size and mode != "LSTM":
            raise ValueError(f"{cls}: proj_size is supported only by LSTM, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(
                f"{cls}: proj_size ({proj_size}) must be smaller than hidden_size ({hidden_size})"
            )
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        num_directions = 2 if bidirectional else 1
        real_hidden = proj_size if proj_size > 0 else hidden_size
        gate_size = _MODES[mode] * hidden_size
        kw = {} if dtype is None else {"dtype": dtype}
        self._flat_weights_names: list[str] = []
        self._all_weights: list[list[str]] = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_hidden * num_directions
            for direction in range(num_directions):
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [
                    ("weight_ih" + sfx, (gate_size, layer_in)),
                    ("weight_hh" + sfx, (gate_size, real_hidden)),
                ]
                if bias:
                    shapes += [("bias_ih" + sfx, (gate_size,)), ("bias_hh" + sfx, (gate_size,))]
                if proj_size > 0:
                    shapes.append(("weight_hr" + sfx, (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name, Parameter(empty(*shape, **kw)))
                self._flat_weights_names += [n for n, _ in shapes]
                self._all_weights.append([n for n, _ in shapes])
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initializes every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def flatten_parameters(self) -> None:
        """Does nothing: kept so code written for PyTorch (cuDNN weight packing) runs."""

    @property
    def all_weights(self) -> list[list[Parameter]]:
        """The parameters of each layer and direction, in PyTorch's order."""
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    @property
    def _flat_weights(self) -> list[Parameter]:
        return [getattr(self, n) for n in self._flat_weights_names]

    def _weights(self, layer: int, direction: int) -> tuple:
        """``(w_ih, w_hh, b_ih, b_hh, w_hr)`` of one layer and direction (None where absent)."""
        sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
        params = self._parameters

        def get(name: str) -> Any:
            """The weight by attribute, so a parametrized one (weight_norm, ...) is computed."""
            p = params.get(name)
            return p if p is not None or name in params else getattr(self, name, None)

        return (
            get("weight_ih" + sfx),
            get("weight_hh" + sfx),
            get("bias_ih" + sfx),
            get("bias_hh" + sfx),
            get("weight_hr" + sfx),
        )

    # ---- input checks ----------------------------------------------------------------------

    def _check_input(self, input: Any) -> bool:
        """Checks ``input``; returns whether it is batched (3-D)."""
        cls = self._get_name()
        if not isinstance(input, Tensor):
            raise TypeError(f"{cls}: expected input to be a Tensor, got {type(input).__name__}")
        layout = "(N, L, H_in)" if self.batch_first else "(L, N, H_in)"
        if input.dim() not in (2, 3):
            raise ValueError(
                f"{cls}: expected input to be 3-D {layout} or 2-D unbatched (L, H_in), got "
                f"{input.dim()}-D input of shape {tuple(input.shape)}"
            )
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"{cls}: input.shape[-1] ({input.shape[-1]}) must equal input_size "
                f"({self.input_size}); got input of shape {tuple(input.shape)}"
            )
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise TypeError(
                f"{cls}: input dtype {_dt(input.dtype)} must equal the parameters' dtype "
                f"{_dt(w.dtype)}"
            )
        seq_dim = 1 if self.batch_first and input.dim() == 3 else 0
        if input.shape[seq_dim] == 0:
            raise ValueError(
                f"{cls}: expected a sequence length larger than 0, got input of shape "
                f"{tuple(input.shape)}"
            )
        return input.dim() == 3

    def _check_hidden(
        self, hx: Any, name: str, batched: bool, batch: int, size: int, input: Tensor
    ) -> Tensor:
        cls = self._get_name()
        if not isinstance(hx, Tensor):
            raise TypeError(f"{cls}: expected {name} to be a Tensor, got {type(hx).__name__}")
        layers = self.num_layers * (2 if self.bidirectional else 1)
        want = (layers, batch, size) if batched else (layers, size)
        if hx.dim() != len(want):
            kind = "batched 3-D" if batched else "unbatched 2-D"
            raise ValueError(
                f"{cls}: for {kind} input of shape {tuple(input.shape)}, {name} should be "
                f"{len(want)}-D of shape {want}, got {hx.dim()}-D of shape {tuple(hx.shape)}"
            )
        if tuple(hx.shape) != want:
            raise ValueError(
                f"{cls}: expected {name} of shape {want} (num_layers * num_directions, "
                f"{'batch, ' if batched else ''}hidden), got {tuple(hx.shape)}"
            )
        if hx.dtype != input.dtype:
            raise TypeError(
                f"{cls}: {name} dtype {_dt(hx.dtype)} must equal the input dtype {_dt(input.dtype)}"
            )
        return hx if batched else hx.unsqueeze(1)

    # ---- the computation -------------------------------------------------------------------

    def _run(self, input: Tensor, h0: Tensor, c0: Tensor | None) -> tuple:
        """``input`` ``(L, N, H_in)``, ``h0``/``c0`` ``(D * num_layers, N, H)``; returns
        ``(output (L, N, D * H_out), h_n, c_n or None)``."""
        mode = self.mode
        act = _C.relu if mode == "RNN_RELU" else _C.tanh
        num_directions = 2 if self.bidirectional else 1
        h_list = h0.unbind(0)
        c_list = c0.unbind(0) if c0 is not None else None
        h_n: list[Tensor] = []
        c_n: list[Tensor] = []
        layer_in = input
        for layer in range(self.num_layers):
            outs_by_dir = []
            for direction in range(num_directions):
                idx = layer * num_directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                if mode == "LSTM" and w_hr is None:
                    # The whole layer in one C++ op (one autograd node; its backward takes
                    # the weight gradient as one product over all steps).
                    gx = F.linear(layer_in, w_ih, b_ih)
                    if b_hh is not None:
                        gx = gx + b_hh
                    out, h, c = _C._lstm_layer(
                        gx, h_list[idx], c_list[idx], w_hh, direction == 1
                    )
                    outs_by_dir.append(out)
                    h_n.append(h)
                    c_n.append(c)
                    continue
                steps = F.linear(layer_in, w_ih, b_ih).unbind(0)  # input projection, all steps
                order = range(len(steps) - 1, -1, -1) if direction == 1 else range(len(steps))
                h = h_list[idx]
                c = c_list[idx] if c_list is not None else None
                outs: list[Any] = [None] * len(steps)
                for t in order:
                    if mode == "LSTM":
                        h, c = _lstm_step(steps[t], h, c, w_hh, b_hh, w_hr)
                    elif mode == "GRU":
                        h = _gru_step(steps[t], h, w_hh, b_hh)
                    else:
                        h = _rnn_step(steps[t], h, w_hh, b_hh, act)
                    outs[t] = h
                outs_by_dir.append(_C.stack(outs, 0))
                h_n.append(h)
                if c is not None:
                    c_n.append(c)
            layer_in = outs_by_dir[0] if num_directions == 1 else _C.cat(outs_by_dir, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        return layer_in, _C.stack(h_n, 0), (_C.stack(c_n, 0) if c_n else None)

    def _run_packed(
        self, data: Tensor, batch_sizes: list[int], h0: Tensor, c0: Tensor | None
    ) -> tuple:
        """Packed ``data`` ``(sum(batch_sizes), H_in)`` (sequences sorted by decreasing
        length), ``h0``/``c0`` ``(D * num_layers, N, H)`` in that sorted order; returns
        ``(packed output data, h_n, c_n or None)``.

        Step ``t`` updates only the first ``batch_sizes[t]`` rows of the state: the forward
        direction leaves a finished sequence's state at its last step, the reverse direction
        starts each sequence from ``h0`` at its own last step.
        """
        mode = self.mode
        act = _C.relu if mode == "RNN_RELU" else _C.tanh
        num_directions = 2 if self.bidirectional else 1
        T = len(batch_sizes)
        h_list = h0.unbind(0)
        c_list = c0.unbind(0) if c0 is not None else None
        h_n: list[Tensor] = []
        c_n: list[Tensor] = []
        layer_in = data
        for layer in range(self.num_layers):
            outs_by_dir = []
            for direction in range(num_directions):
                idx = layer * num_directions + direction
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                steps = F.linear(layer_in, w_ih, b_ih).split(batch_sizes, 0)
                h_init = h_list[idx]
                c_init = c_list[idx] if c_list is not None else None
                outs: list[Any] = [None] * T
                if direction == 0:
                    # The state holds the running sequences; finished ones are set aside.
                    h, c = h_init, c_init
                    done_h: list[Tensor] = []
                    done_c: list[Tensor] = []
                    order = range(T)
                else:
                    # The state grows as shorter sequences reach their last step.
                    b0 = batch_sizes[T - 1]
                    h = h_init.narrow(0, 0, b0)
                    c = c_init.narrow(0, 0, b0) if c_init is not None else None
                    order = range(T - 1, -1, -1)
                for t in order:
                    b = batch_sizes[t]
                    n = h.shape[0]
                    if b < n:  # forward: sequences n-b.. have ended
                        done_h.append(h.narrow(0, b, n - b))
                        h = h.narrow(0, 0, b)
                        if c is not None:
                            done_c.append(c.narrow(0, b, n - b))
                            c = c.narrow(0, 0, b)
                    elif b > n:  # reverse: sequences n..b start here
                        h = _C.cat([h, h_init.narrow(0, n, b - n)], 0)
                        if c is not None:
                            c = _C.cat([c, c_init.narrow(0, n, b - n)], 0)
                    if mode == "LSTM":
                        h, c = _lstm_step(steps[t], h, c, w_hh, b_hh, w_hr)
                    elif mode == "GRU":
                        h = _gru_step(steps[t], h, w_hh, b_hh)
                    else:
                        h = _rnn_step(steps[t], h, w_hh, b_hh, act)
                    outs[t] = h
                if direction == 0 and done_h:
                    h = _C.cat([h, *reversed(done_h)], 0)
                    if c is not None:
                        c = _C.cat([c, *reversed(done_c)], 0)
                outs_by_dir.append(_C.cat(outs, 0))
                h_n.append(h)
                if c is not None:
                    c_n.append(c)
            layer_in = outs_by_dir[0] if num_directions == 1 else _C.cat(outs_by_dir, -1)
            if self.dropout > 0 and self.training and layer < self.num_layers - 1:
                layer_in = F.dropout(layer_in, self.dropout, True)
        return layer_in, _C.stack(h_n, 0), (_C.stack(c_n, 0) if c_n else None)

    def _check_packed(self, input: PackedSequence) -> list[int]:
        """Checks a packed input; returns its batch sizes as ints."""
        cls = self._get_name()
        data = input.data
        if not isinstance(data, Tensor) or not isinstance(input.batch_sizes, Tensor):
            raise TypeError(f"{cls}: PackedSequence data and batch_sizes must be Tensors")
        if data.dim() != 2:
            raise ValueError(
                f"{cls}: expected PackedSequence data to be 2-D (sum(lengths), H_in), got "
                f"shape {tuple(data.shape)}"
            )
        if data.shape[-1] != self.input_size:
            raise ValueError(
                f"{cls}: PackedSequence data.shape[-1] ({data.shape[-1]}) must equal "
                f"input_size ({self.input_size})"
            )
        w = self.weight_ih_l0
        if data.dtype != w.dtype:
            raise TypeError(
                f"{cls}: input dtype {_dt(data.dtype)} must equal the parameters' dtype "
                f"{_dt(w.dtype)}"
            )
        batch_sizes = [int(v) for v in input.batch_sizes.tolist()]
        if not batch_sizes or sum(batch_sizes) != data.shape[0]:
            raise ValueError(
                f"{cls}: PackedSequence batch_sizes {batch_sizes} do not sum to the "
                f"{data.shape[0]} rows of data"
            )
        if any(b < 1 for b in batch_sizes) or any(
            a < b for a, b in zip(batch_sizes, batch_sizes[1:])
        ):
            raise ValueError(
                f"{cls}: PackedSequence batch_sizes must be positive and non-increasing, "
                f"got {batch_sizes}"
            )
        return batch_sizes

    def forward(self, input: Tensor | PackedSequence, hx: Any = None) -> Any:
        """Runs the layers over ``input`` (a Tensor or a :class:`PackedSequence`); shapes,
        dtypes and errors as in the class docstring."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        batched = self._check_input(input)
        if not batched:
            x = input.unsqueeze(1)
        elif self.batch_first:
            x = input.transpose(0, 1)
        else:
            x = input
        h0, c0 = self._initial_state(hx, batched, x.shape[1], input)
        output, h_n, c_n = self._run(x, h0, c0)
        if not batched:
            output, h_n = output.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            output = output.transpose(0, 1)
        if self.mode == "LSTM":
            return output, (h_n, c_n)
        return output, h_n

    def _initial_state(self, hx: Any, batched: bool, batch: int, input: Tensor) -> tuple:
        """``(h0, c0 or None)`` of shape ``(D * num_layers, batch, H)``: zeros or ``hx``."""
        cls = self._get_name()
        layers = self.num_layers * (2 if self.bidirectional else 1)
        out_size = self.proj_size if self.proj_size > 0 else self.hidden_size
        if self.mode == "LSTM":
            if hx is None:
                h0 = zeros(layers, batch, out_size, dtype=input.dtype)
                c0 = zeros(layers, batch, self.hidden_size, dtype=input.dtype)
            else:
                if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                    raise TypeError(
                        f"{cls}: expected hx to be a tuple (h_0, c_0) of two Tensors, got "
                        f"{type(hx).__name__}"
                    )
                h0 = self._check_hidden(hx[0], "h_0", batched, batch, out_size, input)
                c0 = self._check_hidden(hx[1], "c_0", batched, batch, self.hidden_size, input)
            return h0, c0
        if hx is None:
            return zeros(layers, batch, self.hidden_size, dtype=input.dtype), None
        return self._check_hidden(hx, "hx", batched, batch, self.hidden_size, input), None

    def _forward_packed(self, input: PackedSequence, hx: Any) -> Any:
        """``forward`` for a :class:`PackedSequence`: returns a packed output with the same
        ``batch_sizes`` and indices, and ``h_n``/``c_n`` in the original batch order."""
        batch_sizes = self._check_packed(input)
        data = input.data
        h0, c0 = self._initial_state(hx, True, batch_sizes[0], data)
        if input.sorted_indices is not None:  # the user's order -> the packed (sorted) order
            h0 = h0.index_select(1, input.sorted_indices)
            c0 = c0.index_select(1, input.sorted_indices) if c0 is not None else None
        output, h_n, c_n = self._run_packed(data, batch_sizes, h0, c0)
        if input.unsorted_indices is not None:
            h_n = h_n.index_select(1, input.unsorted_indices)
            c_n = c_n.index_select(1, input.unsorted_indices) if c_n is not None else None
        packed = PackedSequence(
            output, input.batch_sizes, input.sorted_indices, input.unsorted_indices
        )
        if self.mode == "LSTM":
            return packed, (h_n, c_n)
        return packed, h_n

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s




class RNN(RNNBase):
    """Elman recurrent layer with a ``tanh`` or ``relu`` nonlinearity.

    For each layer and time step ``t``:
    ``h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh)``, where ``x_t`` is the input (the
    previous layer's output, dropped out in training when ``dropout > 0``, for layers after the
    first). All weights and biases start from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    Args:
        input_size: features of the input ``H_in``.
        hidden_size: features of the hidden state ``H_out``.
        num_layers: stacked layers. Default 1.
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        bias: learn ``bias_ih`` and ``bias_hh``. Default True.
        batch_first: input and output are ``(N, L, H)`` instead of ``(L, N, H)``. Default False.
        dropout: probability in [0, 1] of dropout on the outputs of all layers but the last,
            training mode only. Default 0.0.
        bidirectional: add a layer reading the sequence backwards. Default False.
        dtype: parameter dtype (default float32).
    Attributes:
        weight_ih_l{k}: ``(hidden_size, H_in)`` for ``k = 0``, else ``(hidden_size, D *
            hidden_size)``; ``_reverse`` suffix for the backward direction (as every parameter).
        weight_hh_l{k}: ``(hidden_size, hidden_size)``.
        bias_ih_l{k}, bias_hh_l{k}: ``(hidden_size,)``.
    Returns:
        ``(output, h_n)`` from ``forward(input, hx=None)``.
    Raises:
        ValueError: bad constructor arguments; input not 2-D or 3-D, with the wrong feature
            size or empty; ``hx`` of the wrong shape.
        TypeError: input or ``hx`` not a Tensor, or of another dtype than the parameters.
    Shape:
        ``L`` is the sequence length, ``N`` the batch size, ``D`` 2 when bidirectional else 1,
        ``H_in`` = ``input_size``, ``H_out`` the hidden size (``proj_size`` for a projected
        LSTM) and ``H_cell`` = ``hidden_size``.

        * input: ``(L, N, H_in)``, ``(N, L, H_in)`` with ``batch_first``, or unbatched
          ``(L, H_in)``.
        * initial hidden state: ``(D * num_layers, N, H_out)`` (unbatched:
          ``(D * num_layers, H_out)``); zeros when not given.
        * output: ``(L, N, D * H_out)`` (``(N, L, D * H_out)`` with ``batch_first``;
          unbatched ``(L, D * H_out)``): the last layer's hidden state at every step, the two
          directions concatenated (forward first).
        * final hidden state: same shape as the initial one, ordered layer by layer, forward
          direction before reverse.
        * packed input: a :class:`~ember.nn.utils.rnn.PackedSequence` (``batch_first`` does not
          apply) gives a packed output with the same ``batch_sizes`` and indices; each
          sequence stops at its own length, so ``h_n`` (and ``c_n``) hold every sequence's
          state at its last step, and the reverse direction starts there. The initial and
          final states are in the original batch order.
    Reference:
        Elman, "Finding Structure in Time", Cognitive Science 1990.
    Example:
        >>> rnn = nn.RNN(3, 5, num_layers=2)
        >>> output, h_n = rnn(ember.randn(7, 4, 3))
        >>> tuple(output.shape), tuple(h_n.shape)
        ((7, 4, 5), (2, 4, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        nonlinearity: str = "tanh",
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        _nonlinearity("RNN", nonlinearity)
        mode = "RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU"
        super().__init__(
            mode,
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device=device,
            dtype=dtype,
        )
        self.nonlinearity = nonlinearity

    def forward(
        self, input: Tensor | PackedSequence, hx: Tensor | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor]:
        """Runs the layers over ``input`` (a Tensor or a :class:`PackedSequence`); shapes,
        dtypes and errors as in the class docstring."""
        return super().forward(input, hx)


class LSTM(RNNBase):
    """Long short-term memory layer, optionally with a projected hidden state.

    For each layer and time step ``t``, with gates in PyTorch's order ``i, f, g, o`` (rows of
    ``W_ih``, ``W_hh`` and the biases, ``hidden_size`` each)::

        i_t = sigmoid(W_ii x_t + b_ii + W_hi h_{t-1} + b_hi)
        f_t = sigmoid(W_if x_t + b_if + W_hf h_{t-1} + b_hf)
        g_t = tanh(W_ig x_t + b_ig + W_hg h_{t-1} + b_hg)
        o_t = sigmoid(W_io x_t + b_io + W_ho h_{t-1} + b_ho)
        c_t = f_t * c_{t-1} + i_t * g_t
        h_t = o_t * tanh(c_t)            (then h_t = W_hr h_t when proj_size > 0)

    Layers after the first read the previous layer's ``h_t`` (dropped out in training when
    ``dropout > 0``). All weights and biases start from U(-1/sqrt(hidden_size),
    1/sqrt(hidden_size)).

    Args:
        input_size: features of the input ``H_in``.
        hidden_size: features of the cell state ``H_cell`` (and of ``h`` without projection).
        num_layers: stacked layers. Default 1.
        bias: learn ``bias_ih`` and ``bias_hh``. Default True.
        batch_first: input and output are ``(N, L, H)`` instead of ``(L, N, H)``. Default False.
        dropout: probability in [0, 1] of dropout on the outputs of all layers but the last,
            training mode only. Default 0.0.
        bidirectional: add a layer reading the sequence backwards. Default False.
        proj_size: if > 0, ``h_t`` is projected to this size (``H_out = proj_size``); must be
            smaller than ``hidden_size``. Default 0.
        dtype: parameter dtype (default float32).
    Attributes:
        weight_ih_l{k}: ``(4 * hidden_size, H_in)`` for ``k = 0``, else ``(4 * hidden_size,
            D * H_out)``; ``_reverse`` suffix for the backward direction (as every parameter).
        weight_hh_l{k}: ``(4 * hidden_size, H_out)``.
        bias_ih_l{k}, bias_hh_l{k}: ``(4 * hidden_size,)``.
        weight_hr_l{k}: ``(proj_size, hidden_size)``, only when ``proj_size > 0``.
    Returns:
        ``(output, (h_n, c_n))`` from ``forward(input, hx=None)``, ``hx`` being ``(h_0, c_0)``.
    Raises:
        ValueError: bad constructor arguments; input not 2-D or 3-D, with the wrong feature
            size or empty; ``h_0``/``c_0`` of the wrong shape.
        TypeError: ``hx`` not a pair of Tensors, or a dtype other than the parameters'.
    Shape:
        ``L`` is the sequence length, ``N`` the batch size, ``D`` 2 when bidirectional else 1,
        ``H_in`` = ``input_size``, ``H_out`` the hidden size (``proj_size`` for a projected
        LSTM) and ``H_cell`` = ``hidden_size``.

        * input: ``(L, N, H_in)``, ``(N, L, H_in)`` with ``batch_first``, or unbatched
          ``(L, H_in)``.
        * initial hidden state: ``(D * num_layers, N, H_out)`` (unbatched:
          ``(D * num_layers, H_out)``); zeros when not given.
        * output: ``(L, N, D * H_out)`` (``(N, L, D * H_out)`` with ``batch_first``;
          unbatched ``(L, D * H_out)``): the last layer's hidden state at every step, the two
          directions concatenated (forward first).
        * final hidden state: same shape as the initial one, ordered layer by layer, forward
          direction before reverse.
        * packed input: a :class:`~ember.nn.utils.rnn.PackedSequence` (``batch_first`` does not
          apply) gives a packed output with the same ``batch_sizes`` and indices; each
          sequence stops at its own length, so ``h_n`` (and ``c_n``) hold every sequence's
          state at its last step, and the reverse direction starts there. The initial and
          final states are in the original batch order.
        * cell states ``c_0``/``c_n``: ``(D * num_layers, N, H_cell)`` (unbatched: without
          ``N``).
    Reference:
        Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 1997;
        Sak et al., "Long Short-Term Memory Based Recurrent Neural Network Architectures for
        Large Vocabulary Speech Recognition", 2014 (projection).
    Example:
        >>> lstm = nn.LSTM(3, 5, batch_first=True, proj_size=2)
        >>> output, (h_n, c_n) = lstm(ember.randn(4, 7, 3))
        >>> tuple(output.shape), tuple(h_n.shape), tuple(c_n.shape)
        ((4, 7, 2), (1, 4, 2), (1, 4, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        proj_size: int = 0,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            "LSTM",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            proj_size,
            device=device,
            dtype=dtype,
        )

    def forward(
        self, input: Tensor | PackedSequence, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor | PackedSequence, tuple[Tensor, Tensor]]:
        """Runs the layers over ``input`` (a Tensor or a :class:`PackedSequence`); shapes,
        dtypes and errors as in the class docstring."""
        return super().forward(input, hx)


class GRU(RNNBase):
    """Gated recurrent unit layer.

    For each layer and time step ``t``, with gates in PyTorch's order ``r, z, n`` (rows of
    ``W_ih``, ``W_hh`` and the biases, ``hidden_size`` each)::

        r_t = sigmoid(W_ir x_t + b_ir + W_hr h_{t-1} + b_hr)
        z_t = sigmoid(W_iz x_t + b_iz + W_hz h_{t-1} + b_hz)
        n_t = tanh(W_in x_t + b_in + r_t * (W_hn h_{t-1} + b_hn))
        h_t = (1 - z_t) * n_t + z_t * h_{t-1}

    Layers after the first read the previous layer's ``h_t`` (dropped out in training when
    ``dropout > 0``). All weights and biases start from U(-1/sqrt(hidden_size),
    1/sqrt(hidden_size)).

    Args:
        input_size: features of the input ``H_in``.
        hidden_size: features of the hidden state ``H_out``.
        num_layers: stacked layers. Default 1.
        bias: learn ``bias_ih`` and ``bias_hh``. Default True.
        batch_first: input and output are ``(N, L, H)`` instead of ``(L, N, H)``. Default False.
        dropout: probability in [0, 1] of dropout on the outputs of all layers but the last,
            training mode only. Default 0.0.
        bidirectional: add a layer reading the sequence backwards. Default False.
        dtype: parameter dtype (default float32).
    Attributes:
        weight_ih_l{k}: ``(3 * hidden_size, H_in)`` for ``k = 0``, else ``(3 * hidden_size,
            D * hidden_size)``; ``_reverse`` suffix for the backward direction.
        weight_hh_l{k}: ``(3 * hidden_size, hidden_size)``.
        bias_ih_l{k}, bias_hh_l{k}: ``(3 * hidden_size,)``.
    Returns:
        ``(output, h_n)`` from ``forward(input, hx=None)``.
    Raises:
        ValueError: bad constructor arguments; input not 2-D or 3-D, with the wrong feature
            size or empty; ``hx`` of the wrong shape.
        TypeError: input or ``hx`` not a Tensor, or of another dtype than the parameters.
    Shape:
        ``L`` is the sequence length, ``N`` the batch size, ``D`` 2 when bidirectional else 1,
        ``H_in`` = ``input_size``, ``H_out`` the hidden size (``proj_size`` for a projected
        LSTM) and ``H_cell`` = ``hidden_size``.

        * input: ``(L, N, H_in)``, ``(N, L, H_in)`` with ``batch_first``, or unbatched
          ``(L, H_in)``.
        * initial hidden state: ``(D * num_layers, N, H_out)`` (unbatched:
          ``(D * num_layers, H_out)``); zeros when not given.
        * output: ``(L, N, D * H_out)`` (``(N, L, D * H_out)`` with ``batch_first``;
          unbatched ``(L, D * H_out)``): the last layer's hidden state at every step, the two
          directions concatenated (forward first).
        * final hidden state: same shape as the initial one, ordered layer by layer, forward
          direction before reverse.
        * packed input: a :class:`~ember.nn.utils.rnn.PackedSequence` (``batch_first`` does not
          apply) gives a packed output with the same ``batch_sizes`` and indices; each
          sequence stops at its own length, so ``h_n`` (and ``c_n``) hold every sequence's
          state at its last step, and the reverse direction starts there. The initial and
          final states are in the original batch order.
    Reference:
        Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder for Statistical
        Machine Translation", EMNLP 2014.
    Example:
        >>> gru = nn.GRU(3, 5, bidirectional=True)
        >>> output, h_n = gru(ember.randn(7, 3))      # unbatched (L, H_in)
        >>> tuple(output.shape), tuple(h_n.shape)
        ((7, 10), (2, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        num_layers: int = 1,
        bias: bool = True,
        batch_first: bool = False,
        dropout: float = 0.0,
        bidirectional: bool = False,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(
            "GRU",
            input_size,
            hidden_size,
            num_layers,
            bias,
            batch_first,
            dropout,
            bidirectional,
            device=device,
            dtype=dtype,
        )

    def forward(
        self, input: Tensor | PackedSequence, hx: Tensor | None = None
    ) -> tuple[Tensor | PackedSequence, Tensor]:
        """Runs the layers over ``input`` (a Tensor or a :class:`PackedSequence`); shapes,
        dtypes and errors as in the class docstring."""
        return super().forward(input, hx)




# ---- cells -----------------------------------------------------------------------------------


class RNNCellBase(Module):
    """Base class of the one-step cells (PyTorch's ``nn.RNNCellBase``).

    Args:
        input_size: features of the input.
        hidden_size: features of the hidden state.
        bias: learn ``bias_ih`` and ``bias_hh``.
        num_chunks: gates stacked in the weights (1 RNN, 4 LSTM, 3 GRU).
        dtype: parameter dtype (default float32).
    Raises:
        ValueError: non-positive sizes.
    Shape:
        As :class:`RNNCell`, :class:`LSTMCell` or :class:`GRUCell`.
    Example:
        >>> tuple(nn.RNNCellBase(3, 5, bias=True, num_chunks=4).weight_hh.shape)
        (20, 5)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool,
        num_chunks: int,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__()
        cls = type(self).__name__
        self.input_size = _check_int(cls, "input_size", input_size, 0)
        self.hidden_size = _check_int(cls, "hidden_size", hidden_size, 1)
        self.bias = bool(bias)
        kw = {} if dtype is None else {"dtype": dtype}
        self.weight_ih = Parameter(empty(num_chunks * hidden_size, input_size, **kw))
        self.weight_hh = Parameter(empty(num_chunks * hidden_size, hidden_size, **kw))
        if bias:
            self.bias_ih = Parameter(empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Re-initializes every parameter from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0.0
        for p in self.parameters():
            init.uniform_(p, -stdv, stdv)

    def extra_repr(self) -> str:
        """The constructor arguments shown inside this module's repr."""
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _check_input(self, input: Any) -> bool:
        cls = self._get_name()
        if not isinstance(input, Tensor):
            raise TypeError(f"{cls}: expected input to be a Tensor, got {type(input).__name__}")
        if input.dim() not in (1, 2):
            raise ValueError(
                f"{cls}: expected input to be 2-D (N, H_in) or 1-D unbatched (H_in), got "
                f"{input.dim()}-D input of shape {tuple(input.shape)}"
            )
        if input.shape[-1] != self.input_size:
            raise ValueError(
                f"{cls}: input.shape[-1] ({input.shape[-1]}) must equal input_size "
                f"({self.input_size}); got input of shape {tuple(input.shape)}"
            )
        if input.dtype != self.weight_ih.dtype:
            raise TypeError(
                f"{cls}: input dtype {_dt(input.dtype)} must equal the parameters' dtype "
                f"{_dt(self.weight_ih.dtype)}"
            )
        return input.dim() == 2

    def _hidden(self, hx: Any, name: str, input: Tensor, batched: bool) -> Tensor:
        """``hx`` checked and made 2-D ``(N, hidden_size)``, or zeros when None."""
        cls = self._get_name()
        batch = input.shape[0] if batched else 1
        if hx is None:
            return zeros(batch, self.hidden_size, dtype=input.dtype)
        if not isinstance(hx, Tensor):
            raise TypeError(f"{cls}: expected {name} to be a Tensor, got {type(hx).__name__}")
        want = (batch, self.hidden_size) if batched else (self.hidden_size,)
        if tuple(hx.shape) != want:
            kind = "batched 2-D" if batched else "unbatched 1-D"
            raise ValueError(
                f"{cls}: for {kind} input of shape {tuple(input.shape)}, expected {name} of "
                f"shape {want}, got {tuple(hx.shape)}"
            )
        if hx.dtype != input.dtype:
            raise TypeError(
                f"{cls}: {name} dtype {_dt(hx.dtype)} must equal the input dtype {_dt(input.dtype)}"
            )
        return hx if batched else hx.unsqueeze(0)




class RNNCell(RNNCellBase):
    """One step of an Elman RNN: ``h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)``.

    ``act`` is ``tanh`` or ``relu``. All weights and biases start from
    U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    Args:
        input_size: features of the input ``H_in``.
        hidden_size: features of the hidden state ``H``.
        bias: learn ``bias_ih`` and ``bias_hh``. Default True.
        nonlinearity: ``"tanh"`` (default) or ``"relu"``.
        dtype: parameter dtype (default float32).
    Attributes:
        weight_ih: ``(H, H_in)``.  weight_hh: ``(H, H)``.  bias_ih, bias_hh: ``(H,)``.
    Returns:
        ``h'`` from ``forward(input, hx=None)``.
    Raises:
        ValueError: bad constructor arguments; input not 1-D or 2-D or with the wrong feature
            size; ``hx`` of the wrong shape.
        TypeError: input or ``hx`` not a Tensor, or of another dtype than the parameters.
    Shape:
        ``N`` is the batch size, ``H_in`` = ``input_size``, ``H`` = ``hidden_size``.

        * input: ``(N, H_in)`` or unbatched ``(H_in)``.
        * hidden state(s) in and out: ``(N, H)`` (unbatched ``(H)``); zeros when not given.
    Reference:
        Elman, "Finding Structure in Time", Cognitive Science 1990.
    Example:
        >>> cell = nn.RNNCell(3, 5, nonlinearity="relu")
        >>> tuple(cell(ember.randn(4, 3)).shape)
        (4, 5)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        nonlinearity: str = "tanh",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        _nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, 1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """One step; shapes, dtypes and errors as in the class docstring."""
        batched = self._check_input(input)
        h = self._hidden(hx, "hx", input, batched)
        x = input if batched else input.unsqueeze(0)
        act = _nonlinearity("RNNCell", self.nonlinearity)
        h = _rnn_step(
            F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh, act
        )
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One step of an LSTM (gate order ``i, f, g, o`` as in :class:`LSTM`)::

        i, f, g, o = split(x W_ih^T + b_ih + h W_hh^T + b_hh, 4)
        c' = sigmoid(f) * c + sigmoid(i) * tanh(g)
        h' = sigmoid(o) * tanh(c')

    All weights and biases start from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    Args:
        input_size: features of the input ``H_in``.
        hidden_size: features of the hidden and cell states ``H``.
        bias: learn ``bias_ih`` and ``bias_hh``. Default True.
        dtype: parameter dtype (default float32).
    Attributes:
        weight_ih: ``(4 H, H_in)``.  weight_hh: ``(4 H, H)``.  bias_ih, bias_hh: ``(4 H,)``.
    Returns:
        ``(h', c')`` from ``forward(input, hx=None)``, ``hx`` being ``(h, c)``.
    Raises:
        ValueError: input not 1-D or 2-D or with the wrong feature size; ``h``/``c`` of the
            wrong shape.
        TypeError: ``hx`` not a pair of Tensors, or a dtype other than the parameters'.
    Shape:
        ``N`` is the batch size, ``H_in`` = ``input_size``, ``H`` = ``hidden_size``.

        * input: ``(N, H_in)`` or unbatched ``(H_in)``.
        * hidden state(s) in and out: ``(N, H)`` (unbatched ``(H)``); zeros when not given.
    Reference:
        Hochreiter & Schmidhuber, "Long Short-Term Memory", Neural Computation 1997.
    Example:
        >>> cell = nn.LSTMCell(3, 5)
        >>> h, c = cell(ember.randn(4, 3))
        >>> tuple(h.shape), tuple(c.shape)
        ((4, 5), (4, 5))
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 4, device=device, dtype=dtype)

    def forward(
        self, input: Tensor, hx: tuple[Tensor, Tensor] | None = None
    ) -> tuple[Tensor, Tensor]:
        """One step; shapes, dtypes and errors as in the class docstring."""
        batched = self._check_input(input)
        if hx is None:
            hx = (None, None)
        elif not isinstance(hx, (tuple, list)) or len(hx) != 2:
            raise TypeError(
                f"{self._get_name()}: expected hx to be a tuple (h, c) of two Tensors, got "
                f"{type(hx).__name__}"
            )
        h = self._hidden(hx[0], "h", input, batched)
        c = self._hidden(hx[1], "c", input, batched)
        x = input if batched else input.unsqueeze(0)
        gi = F.linear(x, self.weight_ih, self.bias_ih)
        h, c = _lstm_step(gi, h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One step of a GRU (gate order ``r, z, n`` as in :class:`GRU`)::

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    All weights and biases start from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)).

    Args:
        input_size: features of the input ``H_in``.
        hidden_size: features of the hidden state ``H``.
        bias: learn ``bias_ih`` and ``bias_hh``. Default True.
        dtype: parameter dtype (default float32).
    Attributes:
        weight_ih: ``(3 H, H_in)``.  weight_hh: ``(3 H, H)``.  bias_ih, bias_hh: ``(3 H,)``.
    Returns:
        ``h'`` from ``forward(input, hx=None)``.
    Raises:
        ValueError: input not 1-D or 2-D or with the wrong feature size; ``hx`` of the wrong
            shape.
        TypeError: input or ``hx`` not a Tensor, or of another dtype than the parameters.
    Shape:
        ``N`` is the batch size, ``H_in`` = ``input_size``, ``H`` = ``hidden_size``.

        * input: ``(N, H_in)`` or unbatched ``(H_in)``.
        * hidden state(s) in and out: ``(N, H)`` (unbatched ``(H)``); zeros when not given.
    Reference:
        Cho et al., "Learning Phrase Representations using RNN Encoder-Decoder for Statistical
        Machine Translation", EMNLP 2014.
    Example:
        >>> cell = nn.GRUCell(3, 5)
        >>> tuple(cell(ember.randn(3), ember.zeros(5)).shape)
        (5,)
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int,
        bias: bool = True,
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        super().__init__(input_size, hidden_size, bias, 3, device=device, dtype=dtype)

    def forward(self, input: Tensor, hx: Tensor | None = None) -> Tensor:
        """One step; shapes, dtypes and errors as in the class docstring."""
        batched = self._check_input(input)
        h = self._hidden(hx, "hx", input, batched)
        x = input if batched else input.unsqueeze(0)
        h = _gru_step(F.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else h.squeeze(0)


