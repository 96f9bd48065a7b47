"""Keras convolution and pooling layers (channels-last at the API) against naive numpy loops,
ember.nn.functional on permuted data and PyTorch; one layout conversion per run of spatial
layers inside models; summary, saving."""

import math

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import keras
from ember.keras import layers
from ember.keras.layers import convolutional as conv_mod

torch = pytest.importorskip("torch")


def _np(t):
    return np.asarray(t.detach().numpy())


def _same_pads(size, k, s, d=1):
    # TensorFlow's rule, written out independently: out = ceil(size / s), the odd cell after.
    out = math.ceil(size / s)
    total = max((out - 1) * s + (k - 1) * d + 1 - size, 0)
    return total // 2, total - total // 2


def _conv2d_ref(x, kernel, bias, strides, padding, dilation=(1, 1), groups=1):
    """Naive NHWC convolution with a Keras (kh, kw, cin/groups, cout) kernel."""
    n, h, w, c = x.shape
    kh, kw, cg, cout = kernel.shape
    (sh, sw), (dh, dw) = strides, dilation
    if padding == "same":
        (pt, pb), (pl, pr) = _same_pads(h, kh, sh, dh), _same_pads(w, kw, sw, dw)
    else:
        pt = pb = pl = pr = 0
    xp = np.zeros((n, h + pt + pb, w + pl + pr, c), np.float64)
    xp[:, pt:pt + h, pl:pl + w, :] = x
    ho = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1
    wo = (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    og = cout // groups
    out = np.zeros((n, ho, wo, cout))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, i * sh:i * sh + dh * (kh - 1) + 1:dh, j * sw:j * sw + dw * (kw - 1) + 1:dw, :]
            for g in range(groups):
                pg = patch[..., g * cg:(g + 1) * cg]
                kg = kernel[..., g * og:(g + 1) * og]
                out[:, i, j, g * og:(g + 1) * og] = np.einsum("nabc,abco->no", pg, kg)
    return out + (0 if bias is None else bias)


def _pool2d_ref(x, pool, strides, padding, kind):
    """Naive NHWC max/avg pooling; 'same' padding never wins a max and is not averaged."""
    n, h, w, c = x.shape
    (ph, pw), (sh, sw) = pool, strides
    if padding == "same":
        (pt, pb), (pl, pr) = _same_pads(h, ph, sh), _same_pads(w, pw, sw)
    else:
        pt = pb = pl = pr = 0
    xp = np.full((n, h + pt + pb, w + pl + pr, c), np.nan)
    xp[:, pt:pt + h, pl:pl + w, :] = x
    ho = (xp.shape[1] - ph) // sh + 1
    wo = (xp.shape[2] - pw) // sw + 1
    out = np.zeros((n, ho, wo, c))
    for i in range(ho):
        for j in range(wo):
            win = xp[:, i * sh:i * sh + ph, j * sw:j * sw + pw, :]
            out[:, i, j] = np.nanmax(win, (1, 2)) if kind == "max" else np.nanmean(win, (1, 2))
    return out


# ---- Conv2D ------------------------------------------------------------------------------


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("strides", [(1, 1), (2, 2), (2, 1), (3, 2)])
def test_conv2d_matches_numpy_and_functional(padding, strides):
    x = ember.randn(2, 7, 8, 3)
    layer = layers.Conv2D(4, (3, 2), strides=strides, padding=padding,
                          bias_initializer="random_normal")
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 2, 3, 4) and bias.shape == (4,)
    ref = _conv2d_ref(_np(x).astype(np.float64), kernel, bias, strides, padding)
    assert tuple(y.shape) == ref.shape
    assert layer.compute_output_shape((None, 7, 8, 3)) == (None,) + ref.shape[1:]
    np.testing.assert_allclose(_np(y), ref, rtol=1e-5, atol=1e-5)
    # the same through ember.nn.functional on channels-first data
    xc = x.permute(0, 3, 1, 2)
    w = ember.from_numpy(np.ascontiguousarray(kernel.transpose(3, 2, 0, 1)))
    if padding == "same":
        (pt, pb), (pl, pr) = _same_pads(7, 3, strides[0]), _same_pads(8, 2, strides[1])
        xc = F.pad(xc, (pl, pr, pt, pb))
    yf = F.conv2d(xc, w, ember.from_numpy(bias), strides).permute(0, 2, 3, 1)
    np.testing.assert_allclose(_np(y), _np(yf), rtol=1e-5, atol=1e-5)


def test_conv2d_same_pads_asymmetrically_like_keras():
    # 6 wide, kernel 3, stride 2: output 3, one padding cell, all of it at the bottom/right.
    x = ember.arange(36, dtype=ember.float32).reshape(1, 6, 6, 1)
    layer = layers.Conv2D(1, 3, strides=2, padding="same", use_bias=False,
                          kernel_initializer="ones")
    y = _np(layer(x))[0, :, :, 0]
    a = np.arange(36.0).reshape(6, 6)
    ap = np.pad(a, ((0, 1), (0, 1)))
    expected = np.array([[ap[i:i + 3, j:j + 3].sum() for j in (0, 2, 4)] for i in (0, 2, 4)])
    np.testing.assert_allclose(y, expected)
    # kernel 2, stride 1: output size unchanged, the padding row/column after the input
    layer2 = layers.Conv2D(1, 2, padding="same", use_bias=False, kernel_initializer="ones")
    y2 = _np(layer2(x))[0, :, :, 0]
    ap2 = np.pad(a, ((0, 1), (0, 1)))
    np.testing.assert_allclose(y2, [[ap2[i:i + 2, j:j + 2].sum() for j in range(6)] for i in range(6)])


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_dilation_groups_activation(padding):
    x = ember.randn(2, 9, 9, 4)
    layer = layers.Conv2D(6, 3, padding=padding, dilation_rate=2, groups=2, activation="relu")
    y = layer(x)
    kernel, bias = layer.get_weights()
    assert kernel.shape == (3, 3, 2, 6)
    ref = np.maximum(_conv2d_ref(_np(x).astype(np.float64), kernel, bias, (1, 1), padding,
                                 (2, 2), 2), 0)
    np.testing.assert_allclose(_np(y), ref, rtol=1e-5, atol=1e-5)


def test_conv2d_channels_first_data_format():
    x = ember.randn(2, 3, 6, 6)
    layer = layers.Conv2D(5, 3, padding="same", data_format="channels_first")
    y = layer(x)
    assert tuple(y.shape) == (2, 5, 6, 6) == (2,) + layer.compute_output_shape((None, 3, 6, 6))[1:]
    kernel, bias = layer.get_weights()
    ref = _conv2d_ref(_np(x).transpose(0, 2, 3, 1).astype(np.float64), kernel, bias, (1, 1), "same")
    np.testing.assert_allclose(_np(y), ref.transpose(0, 3, 1, 2), rtol=1e-5, atol=1e-5)


def test_conv2d_values_and_gradients_match_torch():
    xn = np.random.randn(2, 8, 8, 3)
    layer = layers.Conv2D(4, 3, strides=2, padding="same", dtype="float64",
                          bias_initializer="random_normal")
    x = ember.tensor(xn, requires_grad=True)
    y = layer(x)
    g = np.random.randn(*y.shape)
    (y * ember.tensor(g)).sum().backward()
    kernel, bias = layer.get_weights()

    xt = torch.tensor(xn, requires_grad=True)
    kt = torch.tensor(kernel, requires_grad=True)
    bt = torch.tensor(bias, requires_grad=True)
    xc = torch.nn.functional.pad(xt.permute(0, 3, 1, 2), (0, 1, 0, 1))  # 8 -> out 4: pad 0 top, 1 bottom
    yt = torch.nn.functional.conv2d(xc, kt.permute(3, 2, 0, 1), bt, 2).permute(0, 2, 3, 1)
    (yt * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(_np(y), yt.detach().numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(_np(x.grad), xt.grad.numpy(), rtol=1e-10, atol=1e-10)
    kernel_grad = layer._parameters["kernel"].grad.permute(2, 3, 1, 0)  # to Keras layout
    np.testing.assert_allclose(_np(kernel_grad), kt.grad.numpy(), rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(_np(layer.bias.grad), bt.grad.numpy(), rtol=1e-10, atol=1e-10)


def test_conv2d_kernel_init_uses_keras_fans():
    layer = layers.Conv2D(64, 5)
    layer(ember.zeros(1, 8, 8, 16))
    k = layer.get_weights()[0]
    limit = math.sqrt(6 / (5 * 5 * 16 + 5 * 5 * 64))
    assert np.abs(k).max() <= limit
    assert abs(k.var() - limit**2 / 3) < 0.05 * limit**2 / 3


def test_conv1d_matches_numpy():
    x = ember.randn(2, 10, 3)
    for padding, strides in [("valid", 1), ("same", 1), ("same", 3), ("valid", 2)]:
        layer = layers.Conv1D(4, 4, strides=strides, padding=padding,
                              bias_initializer="random_normal")
        y = layer(x)
        kernel, bias = layer.get_weights()
        assert kernel.shape == (4, 3, 4)
        ref = _conv2d_ref(_np(x)[:, None].astype(np.float64), kernel[None], bias, (1, strides),
                          padding)[:, 0]
        np.testing.assert_allclose(_np(y), ref, rtol=1e-5, atol=1e-5)
        assert layer.compute_output_shape((None, 10, 3)) == (None,) + ref.shape[1:]


def test_conv2d_errors_name_the_shapes():
    layer = layers.Conv2D(4, 3)
    layer(ember.zeros(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"3 channels, got shape \(1, 5, 5, 2\)"):
        layer(ember.zeros(1, 5, 5, 2))
    with pytest.raises(ValueError, match=r"rank 4"):
        layer(ember.zeros(5, 5, 3))
    with pytest.raises(ValueError, match=r"kernel \(3, 3\).*larger than the input"):
        layer(ember.zeros(1, 2, 5, 3))
    with pytest.raises(ValueError, match="filters must be a positive int"):
        layers.Conv2D(0, 3)
    with pytest.raises(ValueError, match="padding must be 'valid' or 'same'"):
        layers.Conv2D(4, 3, padding="full")
    with pytest.raises(ValueError, match=r"divisible by groups"):
        layers.Conv2D(4, 3, groups=2)(ember.zeros(1, 5, 5, 3))
    with pytest.raises(ValueError, match=r"kernel_size must be an int or a tuple of 2 ints"):
        layers.Conv2D(4, (3, 3, 3))
    with pytest.raises(ValueError, match=r"larger than the input"):
        keras.Sequential([layers.Conv2D(4, 5, input_shape=(3, 3, 1))])


# ---- pooling -----------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["max", "avg"])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("pool,strides", [((2, 2), None), ((3, 3), (2, 2)), ((2, 3), (1, 2)),
                                          ((3, 2), (3, 1))])
def test_pooling_matches_numpy(kind, padding, pool, strides):
    x = ember.randn(2, 7, 6, 3)
    cls = layers.MaxPooling2D if kind == "max" else layers.AveragePooling2D
    layer = cls(pool, strides, padding)
    y = layer(x)
    ref = _pool2d_ref(_np(x).astype(np.float64), pool, strides or pool, padding, kind)
    assert tuple(y.shape) == ref.shape
    assert layer.compute_output_shape((None, 7, 6, 3)) == (None,) + ref.shape[1:]
    np.testing.assert_allclose(_np(y), ref, rtol=1e-5, atol=1e-6)


def test_pooling_same_padding_is_never_counted():
    # all-negative input: a zero pad would win the max; averages must ignore the pad
    x = -1.0 - ember.rand(1, 5, 5, 2)
    y = layers.MaxPooling2D(2, padding="same")(x)
    assert tuple(y.shape) == (1, 3, 3, 2) and float(y.max()) < -1.0
    a = layers.AveragePooling2D(2, padding="same")(ember.ones(1, 5, 5, 2))
    np.testing.assert_allclose(_np(a), np.ones((1, 3, 3, 2)))


def test_pooling_1d_and_global_pooling():
    x = ember.randn(2, 9, 4)
    y = layers.MaxPooling1D(3, 2, "same")(x)
    ref = _pool2d_ref(_np(x)[:, None].astype(np.float64), (1, 3), (1, 2), "same", "max")[:, 0]
    np.testing.assert_allclose(_np(y), ref, rtol=1e-6)
    y = layers.AveragePooling1D(2, padding="same")(x)
    ref = _pool2d_ref(_np(x)[:, None].astype(np.float64), (1, 2), (1, 2), "same", "avg")[:, 0]
    np.testing.assert_allclose(_np(y), ref, rtol=1e-6)

    x4 = ember.randn(2, 5, 6, 3)
    xn = _np(x4)
    np.testing.assert_allclose(_np(layers.GlobalAveragePooling2D()(x4)), xn.mean((1, 2)), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(layers.GlobalMaxPooling2D()(x4)), xn.max((1, 2)))
    k = layers.GlobalAveragePooling2D(keepdims=True)
    np.testing.assert_allclose(_np(k(x4)), xn.mean((1, 2), keepdims=True), rtol=1e-5, atol=1e-6)
    assert k.compute_output_shape((None, 5, 6, 3)) == (None, 1, 1, 3)
    np.testing.assert_allclose(_np(layers.GlobalMaxPooling2D(keepdims=True)(x4)),
                               xn.max((1, 2), keepdims=True))
    np.testing.assert_allclose(_np(layers.GlobalAveragePooling1D()(x)), _np(x).mean(1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(layers.GlobalMaxPooling1D()(x)), _np(x).max(1))
    cf = layers.GlobalAveragePooling2D(data_format="channels_first")
    np.testing.assert_allclose(_np(cf(x4)), xn.mean((2, 3)), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"expected input of rank 4, got shape \(2, 9, 4\)"):
        layers.GlobalAveragePooling2D()(x)
    with pytest.raises(ValueError, match=r"pool_size \(3, 3\) is larger than the input"):
        layers.MaxPooling2D(3)(ember.zeros(1, 2, 2, 1))


# ---- models: layout converted once ---------------------------------------------------------


def _cnn(head="flatten"):
    tail = ([layers.Flatten(), layers.Dense(10, activation="softmax")] if head == "flatten"
            else [layers.GlobalAveragePooling2D(), layers.Dense(10, activation="softmax")])
    return keras.Sequential([
        layers.Conv2D(8, 3, padding="same", activation="relu", input_shape=(12, 12, 1)),
        layers.BatchNormalization(),
        layers.MaxPooling2D(2),
        layers.Dropout(0.25),
        layers.Conv2D(16, 3, strides=2, padding="same"),
        layers.Activation("relu"),
        layers.AveragePooling2D(2, padding="same"),
        *tail,
    ])


def _layer_by_layer(model, x):
    # Each layer called on its own, channels-last at every step.
    for layer in model.layers:
        x = layer(x)
    return x


@pytest.mark.parametrize("head,conversions", [("flatten", 2), ("gap", 1)])
def test_sequential_converts_layout_once_per_run(head, conversions):
    model = _cnn(head)
    x = ember.randn(4, 12, 12, 1)
    conv_mod.layout_conversions = 0
    y = model(x)
    assert conv_mod.layout_conversions == conversions
    conv_mod.layout_conversions = 0
    p = model.predict(_np(x), batch_size=4, verbose=0)
    assert conv_mod.layout_conversions == conversions
    np.testing.assert_allclose(p, _np(y), rtol=1e-5, atol=1e-6)
    # layer by layer (each converting on its own) gives the same numbers: the run ends with
    # the (H, W, C) order that Flatten expects
    conv_mod.layout_conversions = 0
    ref = _layer_by_layer(model, x)
    assert conv_mod.layout_conversions > conversions
    np.testing.assert_allclose(_np(y), _np(ref), rtol=1e-5, atol=1e-6)


def test_functional_converts_layout_once_and_branches_share_conversion():
    inputs = keras.Input(shape=(10, 10, 2))
    a = layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    b = layers.Conv2D(4, 1)(inputs)  # branch from the same input: reuses its conversion
    s = layers.Add()([a, b])  # needs channels-last: converts both branches back
    c = layers.BatchNormalization()(s)
    c = layers.MaxPooling2D()(c)
    out = layers.Dense(3)(layers.Flatten()(c))
    model = keras.Model(inputs, out)
    x = ember.randn(2, 10, 10, 2)
    conv_mod.layout_conversions = 0
    y = model(x)
    # input -> cf once; a, b -> cl (Add); s -> cf (BN, pool); pool out -> cl (Flatten)
    assert conv_mod.layout_conversions == 5
    L = model.layers  # input, conv a, conv b, add, bn, pool, flatten, dense
    ref = L[7](L[6](L[5](L[4](L[3]([L[1](x), L[2](x)])))))
    np.testing.assert_allclose(_np(y), _np(ref), rtol=1e-5, atol=1e-6)


def test_functional_cnn_one_conversion_each_way():
    inputs = keras.Input(shape=(8, 8, 3))
    h = layers.Conv2D(4, 3, activation="relu")(inputs)
    h = layers.BatchNormalization()(h)
    h = layers.MaxPooling2D()(h)
    out = layers.Dense(2)(layers.Flatten()(h))
    model = keras.Model(inputs, out)
    x = ember.randn(3, 8, 8, 3)
    conv_mod.layout_conversions = 0
    y = model(x)
    assert conv_mod.layout_conversions == 2
    np.testing.assert_allclose(_np(y), _np(_layer_by_layer(keras.Sequential(model.layers[1:]), x)),
                               rtol=1e-5, atol=1e-6)


def test_batchnorm_channels_first_path_matches_keras_rule():
    # Inside a model BatchNormalization runs on channels-first data; it must normalize over the
    # channel axis and update the moving statistics with the biased variance (Keras's rule).
    xn = np.random.randn(6, 5, 4, 3).astype(np.float32) * 2 + 1
    model = keras.Sequential([layers.Conv2D(3, 1, use_bias=False, input_shape=(5, 4, 3)),
                              layers.BatchNormalization(momentum=0.9)])
    # make the 1x1 conv the identity so the normalization sees xn
    model.layers[0].set_weights([np.eye(3, dtype=np.float32).reshape(1, 1, 3, 3)])
    bn = model.layers[1]
    y = model(ember.from_numpy(xn), training=True)
    mean, var = xn.mean((0, 1, 2)), xn.var((0, 1, 2))
    np.testing.assert_allclose(_np(y), (xn - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(_np(bn.moving_mean), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(_np(bn.moving_variance), 0.9 + 0.1 * var, rtol=1e-5, atol=1e-6)
    # inference with the moving statistics, same as the standalone channels-last layer
    y_eval = model(ember.from_numpy(xn))
    np.testing.assert_allclose(_np(y_eval), _np(bn(ember.from_numpy(xn))), rtol=1e-5, atol=1e-5)
    # and the same statistics as a standalone (channels-last) layer trained on the same batch
    lone = layers.BatchNormalization(momentum=0.9)
    lone(ember.from_numpy(xn), training=True)
    np.testing.assert_allclose(_np(lone.moving_variance), _np(bn.moving_variance), rtol=1e-5)


def test_fit_trains_cnn_and_uses_one_conversion_per_step():
    model = _cnn()
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x = np.random.rand(64, 12, 12, 1).astype(np.float32)
    y = (x[:, :6].mean((1, 2, 3)) > x[:, 6:].mean((1, 2, 3))).astype(np.int64)
    conv_mod.layout_conversions = 0
    hist = model.fit(x, y, batch_size=16, epochs=4, verbose=0)
    assert conv_mod.layout_conversions == 2 * 4 * 4
    assert hist.history["loss"][-1] < hist.history["loss"][0]


# ---- summary, config, saving ---------------------------------------------------------------


def test_summary_shapes_and_params():
    model = keras.Sequential([
        layers.Conv2D(32, 3, activation="relu", input_shape=(28, 28, 1)),
        layers.MaxPooling2D(),
        layers.Conv2D(64, 3, padding="same", strides=2),
        layers.BatchNormalization(),
        layers.GlobalAveragePooling2D(),
        layers.Dense(10),
    ])
    lines = []
    model.summary(print_fn=lines.append)
    text = "\n".join(lines)
    assert "(None, 26, 26, 32)" in text and "320" in text
    assert "(None, 13, 13, 32)" in text
    assert "(None, 7, 7, 64)" in text and "18,496" in text
    assert "(None, 64)" in text
    total = 320 + 18496 + 4 * 64 + 650
    assert f"Total params: {total:,}" in text
    assert model.count_params() == total
    assert model.layers[0].count_params() == 320


def test_config_round_trip():
    layer = layers.Conv2D(8, (3, 5), strides=2, padding="same", dilation_rate=1, groups=1,
                          activation="relu", use_bias=False, name="c")
    again = layers.Conv2D.from_config(layer.get_config())
    assert again.get_config() == layer.get_config()
    pool = layers.AveragePooling2D(3, 2, "same")
    assert layers.AveragePooling2D.from_config(pool.get_config()).get_config() == pool.get_config()
    g = layers.GlobalMaxPooling2D(keepdims=True)
    assert layers.GlobalMaxPooling2D.from_config(g.get_config()).keepdims


def test_save_load_round_trip_identical_predictions(tmp_path):
    model = _cnn()
    model.compile("adam", "sparse_categorical_crossentropy")
    x = np.random.rand(8, 12, 12, 1).astype(np.float32)
    model.fit(x, np.arange(8) % 10, epochs=1, batch_size=4, verbose=0)  # moving stats move
    model.save(tmp_path / "cnn.keras")
    loaded = keras.models.load_model(tmp_path / "cnn.keras")
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), model.predict(x, verbose=0))
    assert loaded.layers[0].get_weights()[0].shape == (3, 3, 1, 8)
    for a, b in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(a, b)
    # weights alone, into a fresh model
    model.save_weights(tmp_path / "w.weights.h5")
    fresh = _cnn()
    fresh.load_weights(tmp_path / "w.weights.h5")
    np.testing.assert_array_equal(fresh.predict(x, verbose=0), model.predict(x, verbose=0))


def test_conv1d_run_and_subclassed_model_agree_with_sequential():
    seq = keras.Sequential([
        layers.Conv1D(4, 3, padding="same", activation="relu", input_shape=(10, 2)),
        layers.BatchNormalization(),
        layers.MaxPooling1D(2),
        layers.Flatten(),
        layers.Dense(3),
    ])
    x = ember.randn(5, 10, 2)
    conv_mod.layout_conversions = 0
    y = seq(x)
    assert conv_mod.layout_conversions == 2
    assert tuple(y.shape) == (5, 3)

    class Sub(keras.Model):
        def __init__(self, layers_):
            super().__init__()
            self.blocks = layers_

        def call(self, inputs, training=None):
            h = inputs
            for layer in self.blocks:
                h = layer(h, training=training)  # each spatial layer converts on its own
            return h

    sub = Sub(seq.layers)
    np.testing.assert_allclose(_np(sub(x)), _np(y), rtol=1e-5, atol=1e-6)
