"""The Keras 3 layers added to ember.keras: transposed/depthwise/separable convolutions,
reshaping, merging, parametric activations, noise and dropout variants, normalization and
preprocessing layers. Values against numpy closed forms and PyTorch (kernels converted to
torch's layout), shapes, gradients (a few fit steps lower the loss), configs, saving and
error messages."""

from __future__ import annotations

import doctest
import math
import warnings

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import layers
from ember.keras.layers import activation as activation_mod
from ember.keras.layers import (
    conv_variants,
    merging,
    normalization,
    preprocessing,
    regularization,
    reshaping,
)
from ember.keras.layers import convolutional as conv_mod

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _np(t):
    return np.asarray(t.detach().numpy())


def _t(a):
    return torch.tensor(np.asarray(a, np.float64))


# ---- Conv2DTranspose / Conv1DTranspose ------------------------------------------------------


def _tf_same_pads(size, k, s, d=1):
    out = math.ceil(size / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _deconv_len(size, k, padding, op, s, d=1):
    # Keras's deconv_output_length, written out again.
    k = k + (k - 1) * (d - 1)
    if op is None:
        return size * s + max(k - s, 0) if padding == "valid" else size * s
    pad = k // 2 if padding == "same" else 0
    return (size - 1) * s + k - 2 * pad + op


def _conv_transpose_oracle(x, kernel, bias, strides, padding, output_padding, dilation):
    """TensorFlow's conv_transpose as the gradient of its forward convolution: the transpose
    of ``conv(z, kernel)`` (z of the output size, TF padding computed on it) applied to x."""
    rank = x.ndim - 2
    sizes = x.shape[1:-1]
    ops = output_padding or (None,) * rank
    outs = [_deconv_len(n, k, padding, op, s, d) for n, k, op, s, d in
            zip(sizes, kernel.shape[:rank], ops, strides, dilation)]
    filters = kernel.shape[-2]
    z = torch.zeros((x.shape[0], filters, *outs), dtype=torch.float64, requires_grad=True)
    pads = []
    for o, k, s, d in zip(outs, kernel.shape[:rank], strides, dilation):
        pads.append(_tf_same_pads(o, k, s, d) if padding == "same" else (0, 0))
    flat = [p for pair in reversed(pads) for p in pair]
    w = _t(kernel).permute(rank + 1, rank, *range(rank))  # (in, filters, k...)
    conv = TF.conv2d if rank == 2 else TF.conv1d
    y = conv(TF.pad(z, flat), w, stride=strides, dilation=dilation)
    xt = _t(x).permute(0, rank + 1, *range(1, rank + 1))
    assert tuple(y.shape) == tuple(xt.shape)  # the forward conv maps the output size back
    (g,) = torch.autograd.grad(y, z, xt)
    out = g.permute(0, *range(2, rank + 2), 1).numpy()
    return out + bias


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides,kernel,output_padding", [
    ((1, 1), (3, 3), None), ((2, 2), (3, 3), None), ((2, 3), (2, 4), None),
    ((3, 2), (1, 2), None), ((2, 2), (3, 3), (1, 0)), ((3, 3), (4, 2), (2, 1)),
    ((2, 1), (5, 3), (0, 0))])
def test_conv2d_transpose_matches_gradient_of_tf_convolution(padding, strides, kernel,
                                                              output_padding):
    x = np.random.randn(2, 5, 4, 3).astype("float32")
    layer = layers.Conv2DTranspose(4, kernel, strides=strides, padding=padding,
                                   output_padding=output_padding,
                                   bias_initializer="random_normal")
    y = _np(layer(x))
    k, b = layer.get_weights()
    assert k.shape == (*kernel, 4, 3) and b.shape == (4,)
    ref = _conv_transpose_oracle(x, k, b, strides, padding, output_padding, (1, 1))
    assert y.shape == ref.shape
    assert layer.compute_output_shape((None, 5, 4, 3)) == (None,) + ref.shape[1:]
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_default_sizes_and_dilation():
    x = np.random.randn(1, 6, 6, 2).astype("float32")
    assert layers.Conv2DTranspose(3, 3, strides=2, padding="same")(x).shape == (1, 12, 12, 3)
    assert layers.Conv2DTranspose(3, 3, strides=2)(x).shape == (1, 13, 13, 3)
    assert layers.Conv2DTranspose(3, 1, strides=3)(x).shape == (1, 18, 18, 3)  # kernel < stride
    layer = layers.Conv2DTranspose(3, 3, dilation_rate=2, padding="same")
    y = _np(layer(x))
    k, b = layer.get_weights()
    np.testing.assert_allclose(
        y, _conv_transpose_oracle(x, k, b, (1, 1), "same", None, (2, 2)), rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_matches_torch_and_gradients():
    # With Keras's 'valid' padding and stride <= kernel, TF's transpose is torch's
    # conv_transpose2d with the kernel permuted to (in, filters, kh, kw).
    x = np.random.randn(2, 4, 5, 3).astype("float32")
    layer = layers.Conv2DTranspose(2, (3, 2), strides=(2, 2), bias_initializer="random_normal")
    xe = ember.from_numpy(x).requires_grad_()
    y = layer(xe)
    (y * y).sum().backward()
    k, b = layer.get_weights()
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(k.transpose(3, 2, 0, 1).copy(), requires_grad=True)
    bt = torch.tensor(b, requires_grad=True)
    yt = TF.conv_transpose2d(xt.permute(0, 3, 1, 2), wt, bt, stride=2).permute(0, 2, 3, 1)
    (yt * yt).sum().backward()
    np.testing.assert_allclose(_np(y), yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(xe.grad), xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    kernel_grad = _np(layer._parameters["kernel"].grad)  # stored (in, filters, kh, kw)
    np.testing.assert_allclose(kernel_grad, wt.grad.numpy(), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_np(layer._parameters["bias"].grad), bt.grad.numpy(), rtol=1e-4)


@pytest.mark.parametrize("padding,strides,op", [("valid", 1, None), ("same", 2, None),
                                                ("valid", 3, 1), ("same", 3, 2)])
def test_conv1d_transpose_matches_oracle(padding, strides, op):
    x = np.random.randn(2, 7, 3).astype("float32")
    layer = layers.Conv1DTranspose(4, 3, strides=strides, padding=padding, output_padding=op,
                                   bias_initializer="random_normal")
    y = _np(layer(x))
    k, b = layer.get_weights()
    assert k.shape == (3, 4, 3)
    ref = _conv_transpose_oracle(x, k, b, (strides,), padding, None if op is None else (op,),
                                 (1,))
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)


def test_conv2d_transpose_channels_first_and_errors():
    x = np.random.randn(2, 3, 5, 5).astype("float32")
    layer = layers.Conv2DTranspose(2, 3, strides=2, padding="same", data_format="channels_first")
    y = _np(layer(x))
    assert y.shape == (2, 2, 10, 10)
    k, b = layer.get_weights()
    ref = _conv_transpose_oracle(x.transpose(0, 2, 3, 1), k, b, (2, 2), "same", None, (1, 1))
    np.testing.assert_allclose(y, ref.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match=r"strides \(2, 2\) must be greater than output_padding"):
        layers.Conv2DTranspose(2, 3, strides=2, output_padding=2)
    with pytest.raises(ValueError, match=r"expected input of rank 4 .* got shape \(None, 5, 3\)"):
        layers.Conv2DTranspose(2, 3)(keras.Input((5, 3)))
    built = layers.Conv2DTranspose(2, 3, name="up")
    built(np.zeros((1, 4, 4, 3), "float32"))
    with pytest.raises(ValueError, match=r"'up'.*with 3 channels, got shape \(1, 4, 4, 5\)"):
        built(np.zeros((1, 4, 4, 5), "float32"))
    with pytest.raises(NotImplementedError, match="activity_regularizer"):
        layers.Conv2DTranspose(2, 3, activity_regularizer="l2")


# ---- DepthwiseConv / SeparableConv ---------------------------------------------------------


@pytest.mark.parametrize("padding,strides,mult,dil", [("valid", 1, 1, 1), ("same", 2, 2, 1),
                                                      ("same", 1, 3, 2), ("valid", (2, 1), 2, 1)])
def test_depthwise_conv2d_matches_torch(padding, strides, mult, dil):
    x = np.random.randn(2, 7, 6, 3).astype("float32")
    layer = layers.DepthwiseConv2D(3, strides=strides, padding=padding, depth_multiplier=mult,
                                   dilation_rate=dil, bias_initializer="random_normal")
    y = _np(layer(x))
    k, b = layer.get_weights()
    assert k.shape == (3, 3, 3, mult) and b.shape == (3 * mult,)
    # TF's depthwise: output channel c * mult + j uses kernel[..., c, j]
    w = _t(k).reshape(3, 3, 3 * mult).permute(2, 0, 1).unsqueeze(1)
    s = (strides, strides) if isinstance(strides, int) else strides
    xt = _t(x).permute(0, 3, 1, 2)
    if padding == "same":
        (pt, pb), (pl, pr) = _tf_same_pads(7, 3, s[0], dil), _tf_same_pads(6, 3, s[1], dil)
        xt = TF.pad(xt, (pl, pr, pt, pb))
    ref = TF.conv2d(xt, w, _t(b), stride=s, dilation=dil, groups=3).permute(0, 2, 3, 1)
    assert layer.compute_output_shape((None, 7, 6, 3)) == (None,) + tuple(ref.shape[1:])
    np.testing.assert_allclose(y, ref.numpy(), rtol=1e-5, atol=1e-5)


def test_separable_conv2d_and_1d_match_torch():
    x = np.random.randn(2, 6, 6, 3).astype("float32")
    layer = layers.SeparableConv2D(5, 3, padding="same", depth_multiplier=2,
                                   bias_initializer="random_normal")
    y = _np(layer(x))
    dk, pk, b = layer.get_weights()
    assert (dk.shape, pk.shape, b.shape) == ((3, 3, 3, 2), (1, 1, 6, 5), (5,))
    assert [w.shape for w in layer.weights] == [(3, 3, 3, 2), (1, 1, 6, 5), (5,)]
    d = TF.conv2d(TF.pad(_t(x).permute(0, 3, 1, 2), (1, 1, 1, 1)),
                  _t(dk).reshape(3, 3, 6).permute(2, 0, 1).unsqueeze(1), groups=3)
    ref = torch.einsum("nchw,co->nhwo", d, _t(pk[0, 0])) + _t(b)
    np.testing.assert_allclose(y, ref.numpy(), rtol=1e-5, atol=1e-5)

    x1 = np.random.randn(2, 9, 4).astype("float32")
    l1 = layers.SeparableConv1D(3, 2, strides=2, bias_initializer="random_normal")
    y1 = _np(l1(x1))
    dk, pk, b = l1.get_weights()
    d1 = TF.conv1d(_t(x1).permute(0, 2, 1), _t(dk).reshape(2, 4).permute(1, 0).unsqueeze(1),
                   stride=2, groups=4)
    ref1 = torch.einsum("ncl,co->nlo", d1, _t(pk[0])) + _t(b)
    np.testing.assert_allclose(y1, ref1.numpy(), rtol=1e-5, atol=1e-5)
    l2 = layers.DepthwiseConv1D(3, depth_multiplier=2)
    assert l2(x1).shape == (2, 7, 8)


def test_depthwise_set_weights_writes_through_keras_layout():
    layer = layers.DepthwiseConv2D(2, depth_multiplier=2, use_bias=False)
    layer(np.zeros((1, 3, 3, 2), "float32"))
    k = np.arange(16, dtype="float32").reshape(2, 2, 2, 2)
    layer.set_weights([k])
    np.testing.assert_array_equal(layer.get_weights()[0], k)
    np.testing.assert_array_equal(_np(layer.depthwise_kernel), k)
    x = np.random.randn(1, 3, 3, 2).astype("float32")
    y = _np(layer(x))
    for c in range(2):
        for j in range(2):
            ref = sum(x[0, a:a + 2, b:b + 2, c].ravel() @ k[:, :, c, j].ravel()
                      for a, b in [(0, 0)])
            assert y[0, 0, 0, c * 2 + j] == pytest.approx(ref, rel=1e-5)


# ---- Conv1D causal ---------------------------------------------------------------------------


@pytest.mark.parametrize("dilation,strides", [(1, 1), (2, 1), (1, 2)])
def test_conv1d_causal_padding_sees_only_the_past(dilation, strides):
    x = np.random.randn(2, 9, 3).astype("float32")
    layer = layers.Conv1D(4, 3, padding="causal", dilation_rate=dilation, strides=strides,
                          bias_initializer="random_normal")
    y = _np(layer(x))
    k, b = layer.get_weights()
    left = dilation * 2
    xp = np.pad(x.astype(np.float64), ((0, 0), (left, 0), (0, 0)))
    steps = (9 - 1) // strides + 1
    ref = np.stack([sum(xp[:, t * strides + i * dilation, :] @ k[i] for i in range(3)) + b
                    for t in range(steps)], 1)
    assert y.shape == ref.shape == (2, math.ceil(9 / strides), 4)
    assert layer.compute_output_shape((None, 9, 3)) == (None, steps, 4)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    # changing a future step leaves earlier outputs unchanged
    x2 = x.copy()
    x2[:, -1] += 10
    np.testing.assert_allclose(_np(layer(x2))[:, :-1], y[:, :-1], rtol=1e-6)
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same', got 'causal'"):
        layers.Conv2D(2, 3, padding="causal")


# ---- reshaping ------------------------------------------------------------------------------


def test_upsampling_nearest_and_bilinear():
    x1 = np.random.randn(2, 3, 4).astype("float32")
    np.testing.assert_array_equal(_np(layers.UpSampling1D(3)(x1)), np.repeat(x1, 3, axis=1))
    x = np.random.randn(2, 3, 4, 2).astype("float32")
    ref = np.repeat(np.repeat(x, 2, axis=1), 3, axis=2)
    np.testing.assert_array_equal(_np(layers.UpSampling2D((2, 3))(x)), ref)
    xc = x.transpose(0, 3, 1, 2)
    np.testing.assert_array_equal(
        _np(layers.UpSampling2D((2, 3), data_format="channels_first")(xc)),
        ref.transpose(0, 3, 1, 2))
    bil = _np(layers.UpSampling2D(2, interpolation="bilinear")(x))
    ref_b = TF.interpolate(_t(x).permute(0, 3, 1, 2), scale_factor=2, mode="bilinear",
                           align_corners=False).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(bil, ref_b, rtol=1e-5, atol=1e-6)
    x3 = np.random.randn(1, 2, 2, 3, 1).astype("float32")
    ref3 = np.repeat(np.repeat(np.repeat(x3, 2, 1), 1, 2), 2, 3)
    np.testing.assert_array_equal(_np(layers.UpSampling3D((2, 1, 2))(x3)), ref3)
    assert layers.UpSampling2D((2, 3)).compute_output_shape((None, 3, None, 2)) == (None, 6, None, 2)
    with pytest.raises(NotImplementedError, match="interpolation='bicubic' is not supported"):
        layers.UpSampling2D(interpolation="bicubic")
    with pytest.raises(ValueError, match="interpolation must be one of"):
        layers.UpSampling2D(interpolation="cubic")


@pytest.mark.parametrize("padding,pairs", [(1, ((1, 1), (1, 1))), ((2, 1), ((2, 2), (1, 1))),
                                           (((1, 0), (2, 3)), ((1, 0), (2, 3)))])
def test_zero_padding_and_cropping_2d(padding, pairs):
    x = np.random.randn(2, 5, 6, 3).astype("float32")
    y = _np(layers.ZeroPadding2D(padding)(x))
    np.testing.assert_array_equal(y, np.pad(x, ((0, 0), *pairs, (0, 0))))
    c = _np(layers.Cropping2D(padding)(x))
    (t, b), (l, r) = pairs
    np.testing.assert_array_equal(c, x[:, t:5 - b, l:6 - r, :])
    yc = _np(layers.ZeroPadding2D(padding, data_format="channels_first")(x))
    np.testing.assert_array_equal(yc, np.pad(x, ((0, 0), (0, 0), *pairs)))
    assert layers.Cropping2D(padding).compute_output_shape((None, 5, 6, 3)) == (None,) + c.shape[1:]


def test_padding_and_cropping_1d_3d_and_errors():
    x = np.random.randn(2, 6, 3).astype("float32")
    np.testing.assert_array_equal(_np(layers.ZeroPadding1D((2, 1))(x)),
                                  np.pad(x, ((0, 0), (2, 1), (0, 0))))
    np.testing.assert_array_equal(_np(layers.ZeroPadding1D()(x)), np.pad(x, ((0, 0), (1, 1), (0, 0))))
    np.testing.assert_array_equal(_np(layers.Cropping1D((2, 1))(x)), x[:, 2:5])
    np.testing.assert_array_equal(_np(layers.Cropping1D()(x)), x[:, 1:5])
    v = np.random.randn(1, 4, 5, 6, 2).astype("float32")
    np.testing.assert_array_equal(_np(layers.ZeroPadding3D((1, 0, 2))(v)),
                                  np.pad(v, ((0, 0), (1, 1), (0, 0), (2, 2), (0, 0))))
    np.testing.assert_array_equal(_np(layers.Cropping3D()(v)), v[:, 1:3, 1:4, 1:5])
    with pytest.raises(ValueError, match=r"Cropping2D 'crop': values in cropping \(\(3, 3\), \(0, 0\)\) "
                                         r"must be smaller .* input shape \(None, 5, 6, 3\)"):
        layers.Cropping2D(((3, 3), (0, 0)), name="crop")(keras.Input((5, 6, 3)))
    with pytest.raises(ValueError, match=r"padding must be an int, a tuple of 2 ints"):
        layers.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match=r"expected input of rank 4"):
        layers.ZeroPadding2D()(np.zeros((2, 3, 4), "float32"))


def test_repeat_vector_and_permute():
    x = np.random.randn(2, 3).astype("float32")
    np.testing.assert_array_equal(_np(layers.RepeatVector(4)(x)), np.repeat(x[:, None], 4, 1))
    y = np.random.randn(2, 3, 4, 5).astype("float32")
    np.testing.assert_array_equal(_np(layers.Permute((3, 1, 2))(y)), y.transpose(0, 3, 1, 2))
    assert layers.Permute((2, 1)).compute_output_shape((None, 3, 7)) == (None, 7, 3)
    with pytest.raises(ValueError, match=r"invalid permutation argument dims=\(1, 3\)"):
        layers.Permute((1, 3))
    with pytest.raises(ValueError, match=r"RepeatVector 'rv': expected input of rank 2 .*\(None, 3, 4\)"):
        layers.RepeatVector(2, name="rv")(keras.Input((3, 4)))
    with pytest.raises(TypeError, match="expected an integer value for n"):
        layers.RepeatVector(2.5)


# ---- merging --------------------------------------------------------------------------------


def test_elementwise_merges_match_numpy_and_broadcast():
    a, b, c = (np.random.randn(3, 4).astype("float32") for _ in range(3))
    col = np.random.randn(3, 1).astype("float32")
    np.testing.assert_allclose(_np(layers.Subtract()([a, b])), a - b)
    np.testing.assert_allclose(_np(layers.Multiply()([a, b, c])), a * b * c, rtol=1e-6)
    np.testing.assert_allclose(_np(layers.Average()([a, b, c])), (a + b + c) / 3, rtol=1e-6)
    np.testing.assert_allclose(_np(layers.Maximum()([a, b, c])), np.maximum(np.maximum(a, b), c))
    np.testing.assert_allclose(_np(layers.Minimum()([a, col])), np.minimum(a, col))
    assert layers.Multiply().compute_output_shape([(None, 4), (None, 1)]) == (None, 4)
    with pytest.raises(ValueError, match=r"Subtract 's' must be called on exactly 2 inputs, got 3"):
        layers.Subtract(name="s")([a, b, c])
    with pytest.raises(ValueError, match=r"Maximum 'm': inputs must have shapes that broadcast.*"
                                         r"\(None, 4\), \(None, 5\)"):
        layers.Maximum(name="m")([keras.Input((4,)), keras.Input((5,))])
    with pytest.raises(ValueError, match=r"Average 'av' must be called on a list of at least 2"):
        layers.Average(name="av")([a])


@pytest.mark.parametrize("axes,s1,s2,spec", [
    (1, (3, 4), (3, 4), "bi,bi->b"), (-1, (3, 2, 4), (3, 5, 4), "bni,bmi->bnm"),
    ((1, 1), (3, 4, 2), (3, 4, 5), "bin,bim->bnm"), ((2, 1), (3, 2, 4), (3, 4), "bni,bi->bn"),
    ((1, 2), (3, 4, 2), (3, 6, 4), "bin,bmi->bnm")])
def test_dot_matches_einsum(axes, s1, s2, spec):
    a, b = np.random.randn(*s1).astype("float32"), np.random.randn(*s2).astype("float32")
    y = _np(layers.Dot(axes=axes)([a, b]))
    ref = np.einsum(spec, a, b)
    ref = ref[:, None] if ref.ndim == 1 else ref
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-5)
    out = layers.Dot(axes=axes)([keras.Input(s1[1:]), keras.Input(s2[1:])])
    assert out.shape == (None,) + ref.shape[1:]


def test_dot_normalize_is_cosine_and_errors():
    a, b = np.random.randn(5, 4).astype("float32"), np.random.randn(5, 4).astype("float32")
    cos = (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)
    np.testing.assert_allclose(_np(layers.Dot(1, normalize=True)([a, b]))[:, 0], cos, rtol=1e-5)
    with pytest.raises(ValueError, match=r"Dot 'd': incompatible input shapes: axis values 4 "
                                         r"\(at axis 1\) != 3 \(at axis 1\)"):
        layers.Dot(1, name="d")([keras.Input((4,)), keras.Input((3,))])
    with pytest.raises(ValueError, match=r"cannot contract the batch axis"):
        layers.Dot(0)([a, b])
    with pytest.raises(TypeError, match=r"invalid type for argument axes"):
        layers.Dot("1")
    with pytest.raises(ValueError, match=r"should contain two elements"):
        layers.Dot((1, 1, 1))


# ---- activations ------------------------------------------------------------------------------


def test_leaky_relu_elu_prelu():
    x = np.random.randn(3, 4, 5, 2).astype("float32") * 3
    np.testing.assert_allclose(_np(layers.LeakyReLU()(x)), np.where(x >= 0, x, 0.3 * x), rtol=1e-6)
    np.testing.assert_allclose(_np(layers.LeakyReLU(0.1)(x)), np.where(x >= 0, x, 0.1 * x),
                               rtol=1e-6)
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        assert layers.LeakyReLU(alpha=0.2).negative_slope == 0.2
    with pytest.raises(ValueError, match="negative_slope cannot be None or negative"):
        layers.LeakyReLU(-1)
    np.testing.assert_allclose(_np(layers.ELU(0.5)(x)), np.where(x > 0, x, 0.5 * np.expm1(x)),
                               rtol=1e-5, atol=1e-6)
    p = layers.PReLU(alpha_initializer="random_normal", shared_axes=[1, 2])
    y = _np(p(x))
    (alpha,) = p.get_weights()
    assert alpha.shape == (1, 1, 2)
    ref = TF.prelu(_t(x).permute(0, 3, 1, 2), _t(alpha.ravel())).permute(0, 2, 3, 1).numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    full = layers.PReLU()
    full(x)
    assert full.get_weights()[0].shape == (4, 5, 2)
    np.testing.assert_allclose(_np(full(x)), np.maximum(x, 0), rtol=1e-6)  # alpha starts at 0
    with pytest.raises(ValueError, match=r"shared axis 4 is out of range for input shape"):
        layers.PReLU(shared_axes=4)(keras.Input((3, 2)))


# ---- noise / dropout / activity regularization ---------------------------------------------


def test_gaussian_noise_and_dropout_statistics_and_inference_identity():
    x = np.ones((200, 500), "float32")
    gn, gd = layers.GaussianNoise(0.5), layers.GaussianDropout(0.2)
    np.testing.assert_array_equal(_np(gn(x)), x)
    np.testing.assert_array_equal(_np(gd(x, training=False)), x)
    noise = _np(gn(x, training=True)) - 1.0
    assert abs(noise.mean()) < 0.01 and noise.std() == pytest.approx(0.5, rel=0.02)
    mult = _np(gd(x, training=True))
    assert mult.mean() == pytest.approx(1.0, abs=0.01)
    assert mult.std() == pytest.approx(math.sqrt(0.2 / 0.8), rel=0.02)
    with pytest.raises(ValueError, match=r"stddev must be a float in \[0, 1\], got 2"):
        layers.GaussianNoise(2)
    with pytest.raises(ValueError, match=r"rate must be a float in \[0, 1\)"):
        layers.GaussianDropout(1.0)


@pytest.mark.parametrize("cls,shape,caxis", [(layers.SpatialDropout1D, (64, 7, 32), 2),
                                             (layers.SpatialDropout2D, (64, 4, 5, 32), 3),
                                             (layers.SpatialDropout3D, (16, 2, 3, 4, 32), 4)])
def test_spatial_dropout_drops_whole_channels(cls, shape, caxis):
    x = np.random.rand(*shape).astype("float32") + 0.5
    layer = cls(0.4)
    np.testing.assert_array_equal(_np(layer(x)), x)
    y = _np(layer(x, training=True))
    kept = y != 0
    spatial = tuple(range(1, caxis))
    assert np.all(kept.all(axis=spatial) | (~kept).all(axis=spatial))  # per (sample, channel)
    np.testing.assert_allclose(y[kept], x[kept] / 0.6, rtol=1e-6)
    assert 0.3 < 1 - kept.mean() < 0.5
    with pytest.raises(ValueError, match=r"expected input of rank"):
        cls(0.5)(np.zeros((2, 3), "float32"))


def test_spatial_dropout2d_channels_first():
    x = np.random.rand(8, 6, 3, 3).astype("float32") + 0.5
    y = _np(layers.SpatialDropout2D(0.5, data_format="channels_first")(x, training=True))
    kept = y != 0
    assert np.all(kept.all(axis=(2, 3)) | (~kept).all(axis=(2, 3)))


def test_activity_regularization_adds_to_loss_in_fit_and_evaluate():
    x = np.random.randn(16, 3).astype("float32")
    y = np.random.randn(16, 2).astype("float32")
    dense = layers.Dense(2, input_shape=(3,))
    m = keras.Sequential([dense, layers.ActivityRegularization(l1=0.01, l2=0.02)])
    m.compile("sgd", "mse")
    out = m.predict(x, verbose=0)
    mse = float(((out - y) ** 2).mean())
    penalty = (0.01 * np.abs(out).sum() + 0.02 * (out ** 2).sum()) / 16
    assert m.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(mse + penalty, rel=1e-5)
    layer = m.layers[1]
    assert len(layer.losses) == 1
    assert float(layer.losses[0].item()) == pytest.approx(penalty, rel=1e-5)
    base = keras.Sequential([layers.Dense(2, input_shape=(3,))])
    base.compile("sgd", "mse")
    base.set_weights(m.get_weights())
    assert base.evaluate(x, y, batch_size=16, verbose=0) == pytest.approx(mse, rel=1e-5)
    # the penalty shrinks the activations while training
    before = np.abs(m.predict(x, verbose=0)).sum()
    big = keras.Sequential([layers.Dense(2, input_shape=(3,)), layers.ActivityRegularization(l1=1.0)])
    big.compile(keras.optimizers.SGD(0.05), "mse")
    big.set_weights(m.get_weights())
    big.fit(x, y, epochs=20, batch_size=16, verbose=0)
    assert np.abs(big.predict(x, verbose=0)).sum() < before


def test_custom_layer_add_loss_counts_once_per_step():
    class Penalty(keras.layers.Layer):
        def call(self, inputs):
            self.add_loss((inputs * inputs).mean() * 0.0 + 3.0)
            return inputs

    x, y = np.random.randn(8, 2).astype("float32"), np.random.randn(8, 2).astype("float32")
    m = keras.Sequential([layers.Dense(2, input_shape=(2,)), Penalty()])
    m.compile("sgd", "mse")
    out = m.predict(x, verbose=0)
    assert m.evaluate(x, y, batch_size=4, verbose=0) == pytest.approx(
        float(((out - y) ** 2).mean()) + 3.0, rel=1e-5)
    m(x)
    m(x)
    assert [float(t.item()) for t in m.losses] == [3.0]  # only the last call's term
    with pytest.raises(ValueError, match=r"add_loss expects a single number"):
        layers.Identity(name="i").add_loss(ember.ones(2))


# ---- normalization / preprocessing ---------------------------------------------------------------


@pytest.mark.parametrize("groups", [1, 2, 4, -1])
def test_group_normalization_matches_torch(groups):
    x = np.random.randn(3, 5, 6, 4).astype("float32") * 2 + 1
    layer = layers.GroupNormalization(groups=groups, gamma_initializer="random_normal",
                                      beta_initializer="random_normal")
    y = _np(layer(x))
    gamma, beta = layer.get_weights()
    g = 4 if groups == -1 else groups
    ref = TF.group_norm(_t(x).permute(0, 3, 1, 2), g, _t(gamma), _t(beta), eps=1e-3)
    np.testing.assert_allclose(y, ref.permute(0, 2, 3, 1).numpy(), rtol=1e-4, atol=1e-4)


def test_group_normalization_axis_and_errors():
    x = np.random.randn(3, 4, 6).astype("float32")
    layer = layers.GroupNormalization(groups=2, axis=1)
    y = _np(layer(x))
    xg = x.reshape(3, 2, 2, 6).astype(np.float64)
    ref = ((xg - xg.mean((2, 3), keepdims=True)) / np.sqrt(xg.var((2, 3), keepdims=True) + 1e-3))
    np.testing.assert_allclose(y, ref.reshape(3, 4, 6), rtol=1e-4, atol=1e-4)
    with pytest.raises(ValueError, match=r"number of groups \(8\) cannot be more than the number "
                                         r"of channels \(4\)"):
        layers.GroupNormalization(8)(keras.Input((5, 4)))
    with pytest.raises(ValueError, match=r"the number of channels \(6\) must be a multiple of the "
                                         r"number of groups \(4\)"):
        layers.GroupNormalization(4)(keras.Input((5, 6)))


def test_unit_normalization_rescaling_identity():
    x = np.random.randn(4, 3, 5).astype("float32")
    np.testing.assert_allclose(_np(layers.UnitNormalization()(x)),
                               x / np.linalg.norm(x, axis=-1, keepdims=True), rtol=1e-5)
    norm12 = np.sqrt((x ** 2).sum((1, 2), keepdims=True))
    np.testing.assert_allclose(_np(layers.UnitNormalization(axis=[1, 2])(x)), x / norm12,
                               rtol=1e-5)
    np.testing.assert_array_equal(_np(layers.UnitNormalization()(np.zeros((2, 3), "float32"))),
                                  np.zeros((2, 3)))
    img = np.random.randint(0, 256, (2, 4, 4, 3)).astype("uint8")
    np.testing.assert_allclose(_np(layers.Rescaling(1 / 255)(img.astype("float32"))),
                               img / 255, rtol=1e-6)
    r = layers.Rescaling([1.0, 2.0, 3.0], offset=[0.0, 1.0, -1.0])
    np.testing.assert_allclose(_np(r(img.astype("float32"))),
                               img * np.array([1, 2, 3]) + np.array([0, 1, -1]), rtol=1e-6)
    assert _np(layers.Rescaling(2.0)(ember.tensor([1, 2]))).dtype == np.float32
    xe = ember.from_numpy(x)
    assert layers.Identity()(xe) is xe


def test_normalization_adapt_matches_numpy_and_inverts():
    data = (np.random.randn(200, 4) * [1, 2, 3, 4] + [5, -1, 0, 2]).astype("float32")
    layer = layers.Normalization()
    layer.adapt(data)
    mean, var = layer.get_weights()
    np.testing.assert_allclose(mean, data.astype(np.float64).mean(0), rtol=1e-5)
    np.testing.assert_allclose(var, data.astype(np.float64).var(0), rtol=1e-5)
    y = _np(layer(data))
    np.testing.assert_allclose(y, (data - mean) / np.sqrt(var), rtol=1e-4, atol=1e-5)
    inv = layers.Normalization(invert=True)
    inv.adapt(data)
    np.testing.assert_allclose(_np(inv(y)), data, rtol=1e-4, atol=1e-4)
    # batches from a loader give the same statistics (combined exactly)
    loader = ember.utils.data.DataLoader(
        ember.utils.data.TensorDataset(ember.from_numpy(data)), batch_size=64)
    streamed = layers.Normalization()
    streamed.adapt(loader)
    for a, b in zip(streamed.get_weights(), layer.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5)
    # axis=None: one scalar mean; axis=(1, 2) on images: one per (row, column)
    scalar = layers.Normalization(axis=None)
    scalar.adapt(data)
    assert scalar.get_weights()[0].shape == () and scalar.get_weights()[0] == pytest.approx(
        data.mean(), rel=1e-5)
    img = np.random.rand(10, 3, 2, 5).astype("float32")
    per_pos = layers.Normalization(axis=(1, 2))
    per_pos.adapt(img)
    np.testing.assert_allclose(per_pos.get_weights()[1], img.astype(np.float64).var((0, 3)),
                               rtol=1e-5)
    np.testing.assert_allclose(_np(per_pos(img)), (img - img.mean((0, 3), keepdims=True)) /
                               img.std((0, 3), keepdims=True), rtol=1e-3, atol=1e-4)


def test_normalization_given_statistics_and_errors():
    layer = layers.Normalization(mean=[1.0, 2.0], variance=[4.0, 0.0])
    y = _np(layer(np.array([[3.0, 2.0]], "float32")))
    np.testing.assert_allclose(y, [[1.0, 0.0]])  # a zero variance divides by 1e-7, not 0
    assert layer.get_weights() == []
    with pytest.raises(ValueError, match="cannot adapt a layer given mean and variance"):
        layer.adapt(np.zeros((2, 2)))
    with pytest.raises(ValueError, match="both mean and variance must be given"):
        layers.Normalization(mean=1.0)
    with pytest.raises(ValueError, match="axis may not be 0"):
        layers.Normalization(axis=0)
    adapted = layers.Normalization(name="norm")
    adapted.adapt(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"'norm': adapt data of shape \(4, 5\) does not match"):
        adapted.adapt(np.zeros((4, 5)))
    with pytest.raises(ValueError, match=r"'norm': expected input shape \(None, 3\), got \(2, 5\)"):
        adapted(np.zeros((2, 5), "float32"))


def test_category_encoding_modes():
    idx = np.array([[0, 3, 3], [1, 1, 2]])
    np.testing.assert_array_equal(
        _np(layers.CategoryEncoding(4)(idx)), [[1, 0, 0, 1], [0, 1, 1, 0]])
    np.testing.assert_array_equal(
        _np(layers.CategoryEncoding(4, output_mode="count")(idx)), [[1, 0, 0, 2], [0, 2, 1, 0]])
    w = np.array([[0.5, 1.0, 2.0], [1.0, 1.0, 4.0]], "float32")
    np.testing.assert_allclose(
        _np(layers.CategoryEncoding(4, output_mode="count")(ember.from_numpy(idx),
                                                            count_weights=w)),
        [[0.5, 0, 0, 3.0], [0, 2.0, 4.0, 0]])
    one = layers.CategoryEncoding(5, output_mode="one_hot")
    np.testing.assert_array_equal(_np(one(np.array([3, 0]))), np.eye(5)[[3, 0]])
    np.testing.assert_array_equal(_np(one(np.array([[3], [0]]))), np.eye(5)[[3, 0]])
    assert _np(one(idx)).shape == (2, 3, 5)
    assert one.compute_output_shape((None, 1)) == (None, 5)
    assert one.compute_output_shape((None, 3)) == (None, 3, 5)
    assert layers.CategoryEncoding(5).compute_output_shape((None, 3)) == (None, 5)
    with pytest.raises(ValueError, match=r"'enc': input values must be in the range 0 <= values < "
                                         r"num_tokens with num_tokens=4, got values in \[0, 7\]"):
        layers.CategoryEncoding(4, name="enc")(np.array([[0, 7]]))
    with pytest.raises(ValueError, match="num_tokens must be set"):
        layers.CategoryEncoding()
    with pytest.raises(ValueError, match="unknown output_mode 'tf_idf'"):
        layers.CategoryEncoding(3, output_mode="tf_idf")


# ---- training, configs, saving ------------------------------------------------------------------


def _cnn(*middle):
    return keras.Sequential([keras.Input((8, 8, 2)), layers.Conv2D(4, 3, padding="same"),
                             *middle, layers.GlobalAveragePooling2D(),
                             layers.Dense(1, activation="sigmoid")])


TRAINABLE = {
    "conv2d_transpose": lambda: _cnn(layers.Conv2DTranspose(3, 3, strides=2, padding="same")),
    "depthwise": lambda: _cnn(layers.DepthwiseConv2D(3, depth_multiplier=2)),
    "separable": lambda: _cnn(layers.SeparableConv2D(3, 3, padding="same")),
    "group_norm": lambda: _cnn(layers.GroupNormalization(2)),
    "prelu": lambda: _cnn(layers.PReLU(shared_axes=[1, 2])),
    "reshaping": lambda: _cnn(layers.UpSampling2D(), layers.ZeroPadding2D(1), layers.Cropping2D(2),
                              layers.LeakyReLU(), layers.SpatialDropout2D(0.1),
                              layers.GaussianNoise(0.05)),
    "conv1d_t": lambda: keras.Sequential([keras.Input((6, 2)), layers.Conv1DTranspose(3, 2, 2),
                                          layers.Conv1D(2, 3, padding="causal"),
                                          layers.SeparableConv1D(2, 2), layers.ELU(),
                                          layers.GlobalAveragePooling1D(),
                                          layers.Dense(1, activation="sigmoid")]),
}


@pytest.mark.parametrize("name", sorted(TRAINABLE))
def test_a_few_fit_steps_lower_the_loss(name):
    x = np.random.rand(64, *TRAINABLE[name]().input_shape[1:]).astype("float32")
    y = (x.reshape(64, -1).mean(1, keepdims=True) > x.mean()).astype("float32")
    model = TRAINABLE[name]()
    model.compile(keras.optimizers.Adam(0.02), "binary_crossentropy")
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=8, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


def test_functional_model_with_merges_trains():
    a, b = keras.Input((4,)), keras.Input((4,))
    ha, hb = layers.Dense(3)(a), layers.Dense(3)(b)
    merged = layers.Concatenate()([layers.Subtract()([ha, hb]), layers.Multiply()([ha, hb]),
                                   layers.Average()([ha, hb]), layers.Maximum()([ha, hb]),
                                   layers.Minimum()([ha, hb]), layers.Dot(1, normalize=True)([ha, hb])])
    out = layers.Dense(1)(merged)
    model = keras.Model([a, b], out)
    model.compile(keras.optimizers.Adam(0.05), "mse")
    xa, xb = np.random.randn(64, 4).astype("float32"), np.random.randn(64, 4).astype("float32")
    y = (xa * xb).sum(1, keepdims=True).astype("float32")
    before = model.evaluate([xa, xb], y, verbose=0)
    model.fit([xa, xb], y, epochs=10, batch_size=16, verbose=0)
    assert model.evaluate([xa, xb], y, verbose=0) < before


NEW_LAYERS = [
    lambda: layers.Conv2DTranspose(3, (2, 3), strides=2, padding="same", output_padding=(1, 0)),
    lambda: layers.Conv1DTranspose(2, 3, dilation_rate=2),
    lambda: layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same", activation="relu"),
    lambda: layers.SeparableConv2D(4, 2, depth_multiplier=2, use_bias=False),
    lambda: layers.UpSampling2D((2, 1), interpolation="bilinear"),
    lambda: layers.ZeroPadding2D(((1, 0), (0, 2))),
    lambda: layers.Cropping2D(((1, 0), (0, 2))),
    lambda: layers.LeakyReLU(0.2),
    lambda: layers.ELU(0.7),
    lambda: layers.PReLU(shared_axes=[1, 2]),
    lambda: layers.GaussianNoise(0.1),
    lambda: layers.GaussianDropout(0.3),
    lambda: layers.SpatialDropout2D(0.2),
    lambda: layers.ActivityRegularization(0.1, 0.2),
    lambda: layers.Rescaling([1.0, 2.0, 3.0], 0.5),
    lambda: layers.Identity(),
    lambda: layers.UnitNormalization(axis=[1, 2]),
    lambda: layers.GroupNormalization(3, epsilon=1e-4),
    lambda: layers.Normalization(axis=-1, invert=True),
    lambda: layers.Permute((3, 1, 2)),
]


@pytest.mark.parametrize("make", NEW_LAYERS, ids=lambda f: f().__class__.__name__)
def test_config_round_trip_gives_the_same_layer(make):
    layer = make()
    x = np.random.rand(2, 6, 5, 3).astype("float32")
    if getattr(layer, "rank", 2) == 1:  # sequence layers take (batch, steps, channels)
        x = x[:, :, 0, :]
    if isinstance(layer, layers.Normalization):
        layer.adapt(x)
    y = _np(layer(x))
    clone = type(layer).from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(_np(clone(x)), y, rtol=1e-6)


def test_model_with_new_layers_saves_and_loads(tmp_path):
    inp = keras.Input((8, 8, 3))
    x = layers.Rescaling(1 / 8)(inp)
    x = layers.Conv2D(4, 3, padding="same")(x)
    x = layers.DepthwiseConv2D(3, padding="same")(x)
    skip = layers.SeparableConv2D(4, 3, padding="same")(x)
    x = layers.Conv2DTranspose(4, 3, strides=2, padding="same")(skip)
    x = layers.Cropping2D(5)(x)
    x = layers.ZeroPadding2D(((1, 1), (1, 1)))(x)
    x = layers.Add()([layers.GroupNormalization(2)(x), layers.PReLU()(skip)])
    x = layers.GlobalAveragePooling2D()(x)
    x = layers.RepeatVector(2)(x)
    x = layers.Permute((2, 1))(x)
    x = layers.Flatten()(x)
    norm = layers.Normalization()
    out = layers.Dense(2, activation="softmax")(norm(x))
    model = keras.Model(inp, out)
    data = np.random.rand(6, 8, 8, 3).astype("float32") * 8
    feats = keras.Model(inp, x).predict(data, verbose=0)
    norm.adapt(feats)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(data, np.array([0, 1, 0, 1, 0, 1]), epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(loaded.predict(data, verbose=0), model.predict(data, verbose=0),
                               rtol=1e-6)
    np.testing.assert_array_equal(loaded.get_layer(norm.name).get_weights()[0],
                                  norm.get_weights()[0])
    seq = keras.Sequential([keras.Input((5, 3)), layers.Conv1D(2, 3, padding="causal"),
                            layers.UpSampling1D(2), layers.ZeroPadding1D(1),
                            layers.Cropping1D((1, 2)), layers.SpatialDropout1D(0.1),
                            layers.LeakyReLU(), layers.Flatten(), layers.Dense(3), layers.ELU(),
                            layers.GaussianNoise(0.1),
                            layers.GaussianDropout(0.1), layers.ActivityRegularization(0.01),
                            layers.UnitNormalization(), layers.Identity()])
    seq.save(tmp_path / "s.keras")
    x1 = np.random.rand(4, 5, 3).astype("float32")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "s.keras").predict(x1, verbose=0),
                               seq.predict(x1, verbose=0), rtol=1e-6)


def test_category_encoding_model_saves(tmp_path):
    model = keras.Sequential([keras.Input((3,)), layers.CategoryEncoding(5, "multi_hot"),
                              layers.Dense(1)])
    model.save(tmp_path / "c.keras")
    x = np.array([[0, 1, 1], [4, 4, 2]], "float32")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "c.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0))


def test_spatial_layers_run_channels_first_inside_models():
    model = keras.Sequential([keras.Input((8, 8, 2)), layers.Conv2D(4, 3, padding="same"),
                              layers.UpSampling2D(), layers.ZeroPadding2D(1),
                              layers.Cropping2D(1), layers.LeakyReLU(),
                              layers.SpatialDropout2D(0.2), layers.GroupNormalization(2),
                              layers.DepthwiseConv2D(3), layers.SeparableConv2D(3, 3),
                              layers.Conv2DTranspose(2, 3, strides=2), layers.Flatten()])
    x = np.random.rand(2, 8, 8, 2).astype("float32")
    conv_mod.layout_conversions = 0
    y = model.predict(x, verbose=0)
    assert conv_mod.layout_conversions == 2  # once in, once back before Flatten
    # the same layers called one by one (channels-last each time) agree
    h = ember.from_numpy(x)
    for layer in model.layers:
        h = layer(h)
    np.testing.assert_allclose(y, _np(h), rtol=1e-5, atol=1e-5)


DOC_MODULES = [activation_mod, conv_variants, merging, normalization, preprocessing,
               regularization, reshaping, layers.core]


@pytest.mark.parametrize("module", DOC_MODULES, ids=lambda m: m.__name__)
def test_docstring_examples_run(module):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    globs = {"ember": ember, "keras": keras, "np": np}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for test in doctest.DocTestFinder().find(module, globs=globs):
            runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_new_layers_have_docstrings_with_args_or_shape():
    new = ["Conv1DTranspose", "Conv2DTranspose", "DepthwiseConv1D", "DepthwiseConv2D",
           "SeparableConv1D", "SeparableConv2D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
           "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Cropping1D", "Cropping2D",
           "Cropping3D", "RepeatVector", "Permute", "Subtract", "Multiply", "Average", "Maximum",
           "Minimum", "Dot", "LeakyReLU", "PReLU", "ELU", "GaussianNoise", "GaussianDropout",
           "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "ActivityRegularization",
           "Rescaling", "Identity", "UnitNormalization", "GroupNormalization", "Normalization",
           "CategoryEncoding"]
    registered = keras.saving._builtin_classes()  # what load_model can rebuild by name
    for name in new:
        doc = getattr(layers, name).__doc__
        assert doc and len(doc.strip()) > 40, name
        assert registered[name] is getattr(layers, name)
