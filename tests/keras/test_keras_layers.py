"""Keras layers against the equivalent ember.nn / numpy computations."""

import math

import ember
import ember.nn.functional as F
import numpy as np
import pytest
from ember import keras, nn
from ember.keras import layers


def _np(t):
    return np.asarray(t.detach().numpy())


def test_dense_matches_nn_linear_and_keras_layout():
    d = layers.Dense(4, activation="relu", input_shape=(3,))
    x = ember.randn(5, 3)
    y = d(x)
    kernel, bias = d.get_weights()
    assert kernel.shape == (3, 4) and bias.shape == (4,)
    np.testing.assert_array_equal(bias, np.zeros(4, np.float32))  # bias zeros
    lin = nn.Linear(3, 4)
    with ember.no_grad():
        lin.weight.copy_(ember.from_numpy(kernel.T.copy()))
        lin.bias.copy_(ember.from_numpy(bias))
    np.testing.assert_allclose(_np(y), _np(F.relu(lin(x))), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(_np(y), np.maximum(_np(x) @ kernel + bias, 0), rtol=1e-5, atol=1e-6)
    assert tuple(d.kernel.shape) == (3, 4)


def test_dense_glorot_uniform_bounds_and_spread():
    d = layers.Dense(300)
    d(ember.zeros(1, 200))
    k = d.get_weights()[0]
    limit = math.sqrt(6 / (200 + 300))
    assert np.abs(k).max() <= limit
    # U(-l, l) has variance l^2 / 3
    assert abs(k.var() - limit**2 / 3) < 0.05 * limit**2 / 3


@pytest.mark.parametrize("name", ["relu", "sigmoid", "tanh", "softmax", "gelu", "linear"])
def test_activations_by_name(name):
    x = ember.randn(4, 6)
    ref = {
        "relu": lambda a: np.maximum(a, 0),
        "sigmoid": lambda a: 1 / (1 + np.exp(-a)),
        "tanh": np.tanh,
        "softmax": lambda a: np.exp(a) / np.exp(a).sum(-1, keepdims=True),
        "gelu": lambda a: 0.5 * a * (1 + np.vectorize(math.erf)(a / math.sqrt(2))),
        "linear": lambda a: a,
    }[name]
    out = layers.Activation(name)(x)
    np.testing.assert_allclose(_np(out), ref(_np(x)), rtol=1e-5, atol=1e-6)


def test_activation_callable_and_unknown_name():
    x = ember.randn(3)
    np.testing.assert_allclose(_np(layers.Activation(lambda t: t * 2)(x)), 2 * _np(x))
    with pytest.raises(ValueError, match=r"Unknown activation 'rellu'; accepted names: .*relu"):
        layers.Dense(3, activation="rellu")


def test_dropout_only_in_training():
    drop = layers.Dropout(0.5)
    x = ember.ones(1000, 10)
    np.testing.assert_array_equal(_np(drop(x)), _np(x))
    y = _np(drop(x, training=True))
    assert set(np.unique(y)) <= {0.0, 2.0}
    assert 0.4 < (y == 0).mean() < 0.6
    with pytest.raises(ValueError, match=r"Dropout: rate must be in \[0, 1\), got 1.5"):
        layers.Dropout(1.5)


def test_flatten_and_reshape():
    x = ember.randn(2, 3, 4)
    assert tuple(layers.Flatten()(x).shape) == (2, 12)
    r = layers.Reshape((4, -1))
    assert tuple(r(x).shape) == (2, 4, 3)
    assert r.compute_output_shape((None, 3, 4)) == (None, 4, 3)
    with pytest.raises(ValueError, match=r"cannot be reshaped to target_shape \(5, 5\)"):
        layers.Reshape((5, 5)).compute_output_shape((None, 3, 4))


def test_embedding_matches_lookup_and_uniform_init():
    emb = layers.Embedding(50, 8)
    idx = np.array([[1, 2, 3], [49, 0, 7]])
    out = emb(ember.from_numpy(idx))
    w = emb.get_weights()[0]
    assert w.shape == (50, 8) and np.abs(w).max() <= 0.05
    np.testing.assert_array_equal(_np(out), w[idx])
    assert emb.compute_output_shape((None, 3)) == (None, 3, 8)


def test_batchnorm_training_matches_closed_form_and_updates_moving_stats():
    bn = layers.BatchNormalization()
    x = ember.randn(16, 5) * 3 + 1
    y = bn(x, training=True)
    a = _np(x)
    mean, var = a.mean(0), a.var(0)
    np.testing.assert_allclose(_np(y), (a - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    mm, mv = _np(bn.moving_mean), _np(bn.moving_variance)
    np.testing.assert_allclose(mm, 0.01 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(mv, 0.99 + 0.01 * var, rtol=1e-5)
    # inference uses the moving statistics
    y2 = bn(x)
    np.testing.assert_allclose(_np(y2), (a - mm) / np.sqrt(mv + 1e-3), rtol=1e-4, atol=1e-5)
    assert len(bn.trainable_weights) == 2 and len(bn.non_trainable_weights) == 2


def test_batchnorm_matches_nn_batchnorm_semantics_on_4d_last_axis():
    bn = layers.BatchNormalization(momentum=0.9, epsilon=1e-5)
    x = ember.randn(2, 3, 4, 6)
    y = _np(bn(x, training=True))
    a = _np(x)
    mean, var = a.mean((0, 1, 2)), a.var((0, 1, 2))
    np.testing.assert_allclose(y, (a - mean) / np.sqrt(var + 1e-5), rtol=1e-4, atol=1e-5)


def test_batchnorm_gradient_matches_finite_differences():
    bn = layers.BatchNormalization(dtype="float64")
    x = ember.randn(6, 3, dtype=ember.float64, requires_grad=True)
    bn(x.detach(), training=True)
    w = ember.randn(6, 3, dtype=ember.float64)
    assert ember.autograd.gradcheck(lambda t: (bn(t, training=True) * w).sum(), (x,))
    assert ember.autograd.gradcheck(lambda t: (bn(t, training=False) * w).sum(), (x,))


def test_layer_unknown_kwarg_and_input_shape_mismatch():
    with pytest.raises(TypeError, match=r"Dense: unexpected keyword argument\(s\) 'unit'"):
        layers.Dense(3, unit=4)
    model = keras.Sequential([layers.Dense(3, input_shape=(4,))])
    with pytest.raises(ValueError, match=r"expects inputs of shape \(None, 4\), but the data has shape \(None, 5\)"):
        model.compile("sgd", "mse")
        model.fit(np.zeros((8, 5), np.float32), np.zeros((8, 3), np.float32), verbose=0)


def test_custom_layer_is_a_small_class():
    class Scale(layers.Layer):
        def build(self, input_shape):
            self.add_weight("scale", (input_shape[-1],), initializer="ones")

        def call(self, inputs):
            return inputs * self.scale

    s = Scale()
    x = ember.randn(2, 3)
    np.testing.assert_allclose(_np(s(x)), _np(x))
    assert s.count_params() == 3
    assert s.compute_output_shape((None, 3)) == (None, 3)  # default: run on zeros
    model = keras.Sequential([keras.Input((3,)), Scale(), layers.Dense(2)])
    assert model.count_params() == 3 + 8


def test_trainable_false_freezes_weights():
    d = layers.Dense(2, input_shape=(3,))
    model = keras.Sequential([d, layers.Dense(1)])
    d.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    before = d.get_weights()
    model.compile("sgd", "mse")
    model.fit(np.random.rand(16, 3).astype("float32"), np.random.rand(16, 1).astype("float32"), verbose=0)
    for a, b in zip(before, d.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_nested_sequential_in_functional_model():
    block = keras.Sequential([layers.Dense(5, activation="relu"), layers.Dense(2)])
    inp = keras.Input((3,))
    out = layers.Activation("softmax")(block(inp))
    model = keras.Model(inp, out)
    assert out.shape == (None, 2) and model.count_params() == 3 * 5 + 5 + 5 * 2 + 2
    x = ember.randn(4, 3)
    np.testing.assert_allclose(model.predict(x.numpy()), F.softmax(block(x), dim=-1).detach().numpy(), rtol=1e-6)


def test_layer_errors_name_the_layer():
    d = layers.Dense(2, name="head")
    d(ember.zeros(1, 3))
    with pytest.raises(ValueError, match=r"^Exception encountered when calling layer 'head' \(Dense\): .*linear"):
        d(ember.zeros(1, 4))
    model = keras.Sequential([layers.Dense(2, input_shape=(3,), name="inner")])
    with pytest.raises(ValueError, match=r"^Exception encountered when calling layer 'inner' \(Dense\)"):
        model(ember.zeros(1, 4))


def test_layer_normalization_matches_numpy():
    ln = layers.LayerNormalization()
    x = ember.randn(4, 6) * 2 + 1
    a = _np(x)
    ref = (a - a.mean(-1, keepdims=True)) / np.sqrt(a.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(_np(ln(x)), ref, rtol=1e-4, atol=1e-5)
    assert ln.count_params() == 12


def test_relu_softmax_layers():
    x = ember.randn(3, 5)
    np.testing.assert_allclose(_np(layers.ReLU()(x)), np.maximum(_np(x), 0))
    s = _np(layers.Softmax()(x))
    np.testing.assert_allclose(s, np.exp(_np(x)) / np.exp(_np(x)).sum(-1, keepdims=True), rtol=1e-5)


def test_add_and_concatenate_in_functional_model(tmp_path):
    a, b = keras.Input((3,)), keras.Input((2,))
    cat = layers.Concatenate()([a, b])
    assert cat.shape == (None, 5)
    h = layers.Dense(3)(cat)
    out = layers.Add()([h, a])
    model = keras.Model([a, b], out)
    x1, x2 = ember.randn(4, 3), ember.randn(4, 2)
    d = model.layers[3]
    ref = d(ember.cat([x1, x2], -1)) + x1
    np.testing.assert_allclose(_np(model([x1, x2])), _np(ref), rtol=1e-6)
    with pytest.raises(ValueError, match=r"Add '.*': inputs must have the same shape, got \(None, 3\), \(None, 2\)"):
        layers.Add()([a, b])
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    np.testing.assert_allclose(_np(loaded([x1, x2])), _np(model([x1, x2])), rtol=1e-6)
