"""The Keras 3 losses and metrics added to ember.keras, against numpy computations of Keras's
documented formulas (and PyTorch where it has the same loss), their reductions and sample
weights, string names in compile, use inside fit/evaluate, and saving."""

from __future__ import annotations

import math

import ember
import numpy as np
import pytest
from ember import keras
from ember.keras import layers, losses, metrics

EPS = 1e-7


def _f(t):
    return float(t.item())


def _np(t):
    return np.asarray(t.detach().numpy() if hasattr(t, "detach") else t)


def _softplus(x):
    return np.logaddexp(0.0, x)


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


def _normalize(x, axis=-1):
    return x / np.maximum(np.linalg.norm(x, axis=axis, keepdims=True), EPS)


# Per-sample references, written from Keras's documented formulas.
def _ref_huber(t, p, delta=1.0):
    e = p - t
    a = np.abs(e)
    return np.where(a <= delta, 0.5 * e * e, delta * a - 0.5 * delta ** 2).mean(-1)


def _hinge_t(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


REFS = {
    "huber": (losses.Huber, losses.huber, _ref_huber),
    "hinge": (losses.Hinge, losses.hinge,
              lambda t, p: np.maximum(1 - _hinge_t(t) * p, 0).mean(-1)),
    "squared_hinge": (losses.SquaredHinge, losses.squared_hinge,
                      lambda t, p: (np.maximum(1 - _hinge_t(t) * p, 0) ** 2).mean(-1)),
    "categorical_hinge": (losses.CategoricalHinge, losses.categorical_hinge,
                          lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0)),
    "kl_divergence": (losses.KLDivergence, losses.kl_divergence,
                      lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) /
                                                                np.clip(p, EPS, 1))).sum(-1)),
    "log_cosh": (losses.LogCosh, losses.log_cosh,
                 lambda t, p: np.log(np.cosh(p - t)).mean(-1)),
    "poisson": (losses.Poisson, losses.poisson, lambda t, p: (p - t * np.log(p + EPS)).mean(-1)),
    "cosine_similarity": (losses.CosineSimilarity, losses.cosine_similarity,
                          lambda t, p: -(_normalize(t) * _normalize(p)).sum(-1)),
    "mape": (losses.MeanAbsolutePercentageError, losses.mean_absolute_percentage_error,
             lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1)),
    "msle": (losses.MeanSquaredLogarithmicError, losses.mean_squared_logarithmic_error,
             lambda t, p: ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2
                           ).mean(-1)),
}


def _data(name):
    rng = np.random.default_rng(1)
    if name in ("categorical_hinge", "kl_divergence"):
        t = np.eye(4)[rng.integers(0, 4, 6)]
        p = rng.dirichlet(np.ones(4), 6)
        return t, p
    if name in ("hinge", "squared_hinge"):
        return rng.integers(0, 2, (6, 4)).astype(float), rng.normal(size=(6, 4))
    if name in ("poisson", "msle"):
        return rng.poisson(2.0, (6, 4)).astype(float), rng.uniform(0.1, 4, (6, 4))
    return rng.normal(size=(6, 4)), rng.normal(size=(6, 4)) * 2


@pytest.mark.parametrize("name", sorted(REFS))
def test_loss_matches_keras_formula_with_reductions_and_weights(name):
    cls, fn, ref = REFS[name]
    t, p = _data(name)
    t32, p32 = t.astype("float32"), p.astype("float32")
    per = ref(t, p)
    np.testing.assert_allclose(_np(fn(t32, p32)), per, rtol=1e-4, atol=1e-5)
    assert _f(cls()(t32, p32)) == pytest.approx(per.mean(), rel=1e-4, abs=1e-6)
    assert _f(cls(reduction="sum")(t32, p32)) == pytest.approx(per.sum(), rel=1e-4, abs=1e-6)
    np.testing.assert_allclose(_np(cls(reduction="none")(t32, p32)), per, rtol=1e-4, atol=1e-5)
    w = np.array([1.0, 0.0, 2.0, 0.5, 1.0, 3.0])
    assert _f(cls()(t32, p32, sample_weight=w)) == pytest.approx((per * w).sum() / 6, rel=1e-4,
                                                                 abs=1e-6)
    # string names resolve to the class, and the config rebuilds the same loss
    assert isinstance(losses.get(name), cls)
    clone = cls(**cls().get_config())
    assert clone.get_config() == cls().get_config()


def test_loss_names_and_defaults_match_keras():
    expected = {losses.Huber: "huber_loss", losses.Hinge: "hinge",
                losses.SquaredHinge: "squared_hinge", losses.CategoricalHinge: "categorical_hinge",
                losses.KLDivergence: "kl_divergence", losses.LogCosh: "log_cosh",
                losses.Poisson: "poisson", losses.CosineSimilarity: "cosine_similarity",
                losses.MeanAbsolutePercentageError: "mean_absolute_percentage_error",
                losses.MeanSquaredLogarithmicError: "mean_squared_logarithmic_error",
                losses.BinaryFocalCrossentropy: "binary_focal_crossentropy",
                losses.CategoricalFocalCrossentropy: "categorical_focal_crossentropy"}
    for cls, name in expected.items():
        assert cls().name == name and cls().reduction == "sum_over_batch_size"
    assert losses.Huber().delta == 1.0
    f = losses.BinaryFocalCrossentropy()
    assert (f.apply_class_balancing, f.alpha, f.gamma, f.from_logits, f.label_smoothing) == (
        False, 0.25, 2.0, False, 0.0)
    c = losses.CategoricalFocalCrossentropy()
    assert (c.alpha, c.gamma, c.from_logits, c.label_smoothing) == (0.25, 2.0, False, 0.0)
    for alias, cls in (("kld", losses.KLDivergence), ("logcosh", losses.LogCosh),
                       ("mape", losses.MeanAbsolutePercentageError),
                       ("msle", losses.MeanSquaredLogarithmicError), ("Huber", losses.Huber)):
        assert isinstance(losses.get(alias), cls)


def test_huber_and_kl_match_torch():
    torch = pytest.importorskip("torch")
    t, p = np.random.randn(5, 3).astype("float32"), np.random.randn(5, 3).astype("float32") * 3
    for delta in (0.5, 1.0, 2.0):
        ref = torch.nn.functional.huber_loss(torch.tensor(p), torch.tensor(t), delta=delta)
        assert _f(losses.Huber(delta)(t, p)) == pytest.approx(float(ref), rel=1e-5)
    q = np.random.dirichlet(np.ones(3), 5).astype("float32")
    r = np.random.dirichlet(np.ones(3), 5).astype("float32")
    ref = torch.nn.functional.kl_div(torch.log(torch.tensor(r)), torch.tensor(q),
                                     reduction="sum") / 5
    assert _f(losses.KLDivergence()(q, r)) == pytest.approx(float(ref), rel=1e-5)


def test_log_cosh_is_stable_for_large_errors():
    t = np.zeros((1, 2), "float32")
    p = np.array([[1000.0, -1000.0]], "float32")
    assert _f(losses.LogCosh()(t, p)) == pytest.approx(1000 - math.log(2), rel=1e-6)


def test_cosine_similarity_sign_and_axis():
    a = np.array([[1.0, 2.0, 3.0]], "float32")
    assert _f(losses.CosineSimilarity()(a, a * 5)) == pytest.approx(-1.0, abs=1e-6)
    assert _f(losses.CosineSimilarity()(a, -a)) == pytest.approx(1.0, abs=1e-6)
    x, y = np.random.randn(4, 3, 2).astype("float32"), np.random.randn(4, 3, 2).astype("float32")
    per = -(_normalize(x, 1) * _normalize(y, 1)).sum(1)
    np.testing.assert_allclose(_np(losses.cosine_similarity(x, y, axis=1)), per, rtol=1e-5)
    assert _f(losses.CosineSimilarity()(np.zeros((1, 3), "float32"), a)) == 0.0


def _ref_binary_focal(t, p, gamma=2.0, alpha=0.25, balance=False, smoothing=0.0, logits=False):
    if smoothing:
        t = t * (1 - smoothing) + 0.5 * smoothing
    if logits:
        p = _sigmoid(p)
    pc = np.clip(p, EPS, 1 - EPS)
    bce = -(t * np.log(pc) + (1 - t) * np.log(1 - pc))
    p_t = t * p + (1 - t) * (1 - p)
    out = (1 - p_t) ** gamma * bce
    if balance:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return out.mean(-1)


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 0.0}, {"gamma": 3.0, "alpha": 0.4},
                                    {"apply_class_balancing": True},
                                    {"apply_class_balancing": True, "alpha": 0.7,
                                     "label_smoothing": 0.1},
                                    {"from_logits": True}])
def test_binary_focal_crossentropy_matches_formula(kwargs):
    t = np.random.randint(0, 2, (8, 3)).astype("float64")
    z = np.random.randn(8, 3) * 2
    p = z if kwargs.get("from_logits") else _sigmoid(z)
    ref = _ref_binary_focal(t, p, kwargs.get("gamma", 2.0), kwargs.get("alpha", 0.25),
                            kwargs.get("apply_class_balancing", False),
                            kwargs.get("label_smoothing", 0.0), kwargs.get("from_logits", False))
    loss = losses.BinaryFocalCrossentropy(**kwargs)
    assert _f(loss(t.astype("float32"), p.astype("float32"))) == pytest.approx(ref.mean(), rel=1e-4)
    clone = losses.BinaryFocalCrossentropy(**loss.get_config())
    assert _f(clone(t.astype("float32"), p.astype("float32"))) == pytest.approx(ref.mean(), rel=1e-4)
    per = _np(losses.binary_focal_crossentropy(t.astype("float32"), p.astype("float32"), **kwargs))
    np.testing.assert_allclose(per, ref, rtol=1e-4, atol=1e-6)


def test_binary_focal_with_gamma_0_is_binary_crossentropy_and_matches_torch_focal():
    torch = pytest.importorskip("torch")
    t = np.random.randint(0, 2, (16, 1)).astype("float32")
    z = np.random.randn(16, 1).astype("float32")
    bce = _f(losses.BinaryCrossentropy(from_logits=True)(t, z))
    assert _f(losses.BinaryFocalCrossentropy(gamma=0.0, from_logits=True)(t, z)) == pytest.approx(
        bce, rel=1e-5)
    # torchvision's sigmoid_focal_loss formula, written in torch: alpha_t * (1 - p_t)^g * ce
    zt, tt = torch.tensor(z, dtype=torch.float64), torch.tensor(t, dtype=torch.float64)
    p = torch.sigmoid(zt)
    ce = torch.nn.functional.binary_cross_entropy_with_logits(zt, tt, reduction="none")
    p_t = p * tt + (1 - p) * (1 - tt)
    ref = ((tt * 0.25 + (1 - tt) * 0.75) * ce * (1 - p_t) ** 2).mean()
    got = _f(losses.BinaryFocalCrossentropy(apply_class_balancing=True, from_logits=True)(t, z))
    assert got == pytest.approx(float(ref), rel=1e-4)


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 0.0, "alpha": 1.0}, {"alpha": 0.5, "gamma": 1.0},
                                    {"label_smoothing": 0.2}, {"from_logits": True}])
def test_categorical_focal_crossentropy_matches_formula(kwargs):
    t = np.eye(4)[np.random.randint(0, 4, 7)]
    z = np.random.randn(7, 4)
    p = z if kwargs.get("from_logits") else np.exp(z) / np.exp(z).sum(-1, keepdims=True)
    tt = t.copy()
    if kwargs.get("label_smoothing"):
        s = kwargs["label_smoothing"]
        tt = t * (1 - s) + s / 4
    q = np.exp(p) / np.exp(p).sum(-1, keepdims=True) if kwargs.get("from_logits") else p
    q = np.clip(q / q.sum(-1, keepdims=True), EPS, 1 - EPS)
    gamma, alpha = kwargs.get("gamma", 2.0), kwargs.get("alpha", 0.25)
    ref = (alpha * (1 - q) ** gamma * -tt * np.log(q)).sum(-1)
    np.testing.assert_allclose(
        _np(losses.categorical_focal_crossentropy(t.astype("float32"), p.astype("float32"),
                                                  **kwargs)), ref, rtol=1e-4, atol=1e-6)
    if kwargs == {"gamma": 0.0, "alpha": 1.0}:
        cce = _f(losses.CategoricalCrossentropy()(t.astype("float32"), p.astype("float32")))
        assert ref.mean() == pytest.approx(cce, rel=1e-4)


def _ref_binary_focal_logits(t, z, gamma=2.0, alpha=0.25, balance=False):
    # Keras's formula from logits: the cross entropy unclipped, p = sigmoid(z).
    bce = np.maximum(z, 0) - z * t + np.log1p(np.exp(-np.abs(z)))
    p = _sigmoid(z)
    out = (1 - (t * p + (1 - t) * (1 - p))) ** gamma * bce
    if balance:
        out = (t * alpha + (1 - t) * (1 - alpha)) * out
    return out.mean(-1).mean()


def _ref_categorical_focal_logits(t, z, gamma=2.0, alpha=0.25):
    logp = z - z.max(-1, keepdims=True)
    logp = logp - np.log(np.exp(logp).sum(-1, keepdims=True))
    return (alpha * (1 - np.exp(logp)) ** gamma * -t * logp).sum(-1).mean()


def _numeric_grad(f, z, h=1e-6):
    g = np.zeros_like(z)
    for i in np.ndindex(z.shape):
        d = np.zeros_like(z)
        d[i] = h
        g[i] = (f(z + d) - f(z - d)) / (2 * h)
    return g


def _loss_and_grad(loss, t, z, dtype="float64"):
    zt = ember.tensor(z.astype(dtype)).requires_grad_(True)
    out = loss(ember.tensor(t.astype(dtype)), zt)
    out.backward()
    return _f(out), _np(zt.grad)


LARGE_T = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 1.0]])
LARGE_Z = np.array([[-20.0, 20.0, 30.0], [45.0, -60.0, 0.5]])


@pytest.mark.parametrize("kwargs", [{}, {"gamma": 0.5}, {"gamma": 3.0, "alpha": 0.4,
                                                           "apply_class_balancing": True}])
def test_binary_focal_from_logits_is_not_clipped_at_large_logits(kwargs):
    # Clipping sigmoid(z) to [1e-7, 1 - 1e-7] capped each wrong element at 16.1 with a zero
    # gradient; Keras computes the cross entropy from the logits.
    gamma, alpha = kwargs.get("gamma", 2.0), kwargs.get("alpha", 0.25)
    balance = kwargs.get("apply_class_balancing", False)

    def ref(z):
        return _ref_binary_focal_logits(LARGE_T, z, gamma, alpha, balance)

    loss = losses.BinaryFocalCrossentropy(from_logits=True, **kwargs)
    got, grad = _loss_and_grad(loss, LARGE_T, LARGE_Z)
    assert got == pytest.approx(ref(LARGE_Z), rel=1e-12)
    np.testing.assert_allclose(grad, _numeric_grad(ref, LARGE_Z), rtol=1e-6, atol=1e-9)
    got32, grad32 = _loss_and_grad(loss, LARGE_T, LARGE_Z, "float32")
    assert got32 == pytest.approx(ref(LARGE_Z), rel=1e-5)
    np.testing.assert_allclose(grad32, grad, rtol=1e-4, atol=1e-6)
    if not kwargs:
        assert _f(loss(np.array([[1.0, 0.0, 0.0]]), np.array([[-20.0, 20.0, 30.0]]))) == (
            pytest.approx(70 / 3, rel=1e-6))


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_binary_focal_gamma_0_from_logits_equals_binary_crossentropy_at_large_logits(dtype):
    focal = losses.BinaryFocalCrossentropy(gamma=0.0, from_logits=True)
    bce = losses.BinaryCrossentropy(from_logits=True)
    f_val, f_grad = _loss_and_grad(focal, LARGE_T, LARGE_Z, dtype)
    b_val, b_grad = _loss_and_grad(bce, LARGE_T, LARGE_Z, dtype)
    assert f_val == pytest.approx(b_val, rel=1e-6)
    np.testing.assert_allclose(f_grad, b_grad, rtol=1e-6, atol=1e-9)
    assert f_val == pytest.approx(_ref_binary_focal_logits(LARGE_T, LARGE_Z, gamma=0.0), rel=1e-6)


@pytest.mark.parametrize("gamma", [0.0, 2.0])
def test_categorical_focal_from_logits_is_not_clipped_at_large_logits(gamma):
    t = np.array([[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])
    z = np.array([[30.0, -20.0, 5.0], [-40.0, 10.0, 0.0]])

    def ref(zz):
        return _ref_categorical_focal_logits(t, zz, gamma)

    loss = losses.CategoricalFocalCrossentropy(from_logits=True, gamma=gamma)
    got, grad = _loss_and_grad(loss, t, z)
    assert got == pytest.approx(ref(z), rel=1e-12)
    assert got > 12  # clipped softmax capped it at 0.25 * -log(1e-7) = 4.03 per sample
    np.testing.assert_allclose(grad, _numeric_grad(ref, z), rtol=1e-6, atol=1e-9)
    if gamma == 0.0:
        cce = losses.CategoricalCrossentropy(from_logits=True)
        assert got == pytest.approx(0.25 * _loss_and_grad(cce, t, z)[0], rel=1e-12)


@pytest.mark.parametrize("loss", ["huber", "log_cosh", "mape", "msle", "poisson",
                                  "cosine_similarity", "kld"])
def test_regression_losses_train_by_name(loss):
    x = np.random.rand(64, 3).astype("float32") + 0.5
    y = (x @ np.array([[1.0, 0.5], [0.2, 1.0], [0.3, 0.1]], "float32")) + 0.1
    if loss == "kld":
        y = y / y.sum(1, keepdims=True)
    model = keras.Sequential([layers.Dense(8, activation="relu", input_shape=(3,)),
                              layers.Dense(2, activation="softmax" if loss == "kld" else "softplus")])
    model.compile(keras.optimizers.Adam(0.02), loss)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=10, batch_size=16, verbose=0)
    assert model.evaluate(x, y, verbose=0) < before


@pytest.mark.parametrize("loss", ["hinge", "squared_hinge", "binary_focal_crossentropy"])
def test_classification_losses_train_by_name(loss):
    x = np.random.randn(128, 2).astype("float32")
    y = (x[:, :1] + x[:, 1:] > 0).astype("float32")
    act = "sigmoid" if loss == "binary_focal_crossentropy" else "tanh"
    model = keras.Sequential([layers.Dense(1, activation=act, input_shape=(2,))])
    model.compile(keras.optimizers.Adam(0.05), loss, metrics=["binary_accuracy"] if
                  act == "sigmoid" else None)
    before = model.evaluate(x, y, verbose=0)
    model.fit(x, y, epochs=10, batch_size=32, verbose=0)
    after = model.evaluate(x, y, verbose=0)
    assert (after[0] if isinstance(after, list) else after) < (
        before[0] if isinstance(before, list) else before)


def test_categorical_losses_train_with_softmax():
    x = np.random.randn(96, 4).astype("float32")
    y = np.eye(3, dtype="float32")[np.argmax(x[:, :3], 1)]
    for loss in ("categorical_hinge", "categorical_focal_crossentropy"):
        model = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
        model.compile(keras.optimizers.Adam(0.05), loss)
        before = model.evaluate(x, y, verbose=0)
        model.fit(x, y, epochs=8, batch_size=32, verbose=0)
        assert model.evaluate(x, y, verbose=0) < before


def test_bad_loss_arguments():
    with pytest.raises(ValueError, match=r"Huber: delta must be > 0, got 0"):
        losses.Huber(0)
    with pytest.raises(ValueError, match=r"gamma must be >= 0"):
        losses.BinaryFocalCrossentropy(gamma=-1)
    with pytest.raises(ValueError, match=r"Unknown loss 'hubber'; accepted names: .*huber"):
        losses.get("hubber")


# ---- confusion metrics -------------------------------------------------------------------------


def _counts(t, p, thr, w=None):
    t, p = np.asarray(t, float), np.asarray(p, float)
    w = np.ones(p.size) if w is None else np.broadcast_to(w, p.shape).ravel()
    t, p = t.ravel(), p.ravel()
    pos, lab = p[None] > np.asarray(thr)[:, None], (t != 0)[None]
    return [((pos & lab) * w).sum(1), ((pos & ~lab) * w).sum(1), ((~pos & ~lab) * w).sum(1),
            ((~pos & lab) * w).sum(1)]


def _div(a, b):
    return np.where(b > 0, a / np.where(b > 0, b, 1), 0.0)


def test_precision_recall_and_counts_match_numpy():
    t = np.random.randint(0, 2, (40, 3))
    p = np.random.rand(40, 3).astype("float32")
    tp, fp, tn, fn = _counts(t, p, [0.5])
    m_p, m_r = metrics.Precision(), metrics.Recall()
    for lo in (0, 20):  # two batches
        m_p.update_state(t[lo:lo + 20], p[lo:lo + 20])
        m_r.update_state(t[lo:lo + 20], p[lo:lo + 20])
    assert m_p.result() == pytest.approx((tp / (tp + fp))[0], rel=1e-6)
    assert m_r.result() == pytest.approx((tp / (tp + fn))[0], rel=1e-6)
    for cls, ref in ((metrics.TruePositives, tp), (metrics.FalsePositives, fp),
                     (metrics.TrueNegatives, tn), (metrics.FalseNegatives, fn)):
        m = cls()
        m.update_state(t, p)
        assert m.result() == float(ref[0])
    m_p.reset_state()
    assert m_p.result() == 0.0  # nothing predicted positive: divide_no_nan gives 0


def test_precision_thresholds_list_sample_weight_class_id_top_k():
    t = np.random.randint(0, 2, (30, 4))
    p = np.random.rand(30, 4).astype("float32")
    w = np.random.rand(30).astype("float32")
    thr = [0.2, 0.5, 0.8]
    m = metrics.Precision(thresholds=thr)
    m.update_state(t, p, sample_weight=w)
    tp, fp, _, _ = _counts(t, p, thr, w[:, None])
    np.testing.assert_allclose(m.result(), tp / (tp + fp), rtol=1e-6)
    r = metrics.Recall(class_id=2)
    r.update_state(t, p)
    tp, _, _, fn = _counts(t[:, 2], p[:, 2], [0.5])
    assert r.result() == pytest.approx((tp / (tp + fn))[0], rel=1e-6)
    # top_k: only each row's k largest predictions count, with no threshold (Keras's default)
    k = metrics.Precision(top_k=2)
    k.update_state(t, p)
    mask = np.zeros_like(p, bool)
    np.put_along_axis(mask, np.argsort(-p, 1)[:, :2], True, 1)
    assert k.result() == pytest.approx((mask & (t != 0)).sum() / mask.sum(), rel=1e-6)
    kc = metrics.Recall(top_k=1, class_id=0)
    kc.update_state(t, p)
    hit = np.argmax(p, 1) == 0
    assert kc.result() == pytest.approx((hit & (t[:, 0] != 0)).sum() / (t[:, 0] != 0).sum())
    with pytest.raises(ValueError, match=r"threshold values must be in \[0, 1\]"):
        metrics.Precision(thresholds=[0.5, 1.5])
    assert metrics.Precision().name == "precision" and metrics.Recall().name == "recall"


def _auc_reference(t, p, num_thresholds=200, curve="ROC", summation="interpolation"):
    """Keras's AUC computed in numpy: counts at evenly spaced thresholds with -eps/1+eps ends,
    then a Riemann sum (ROC/PR) or Davis & Goadrich's PR interpolation."""
    thr = [0 - EPS] + [(i + 1) / (num_thresholds - 1) for i in range(num_thresholds - 2)] + [1 + EPS]
    tp, fp, tn, fn = _counts(t, np.asarray(p, np.float32), np.asarray(thr, np.float32))
    if curve == "PR" and summation == "interpolation":
        dtp = tp[:-1] - tp[1:]
        pp = tp + fp
        dp = pp[:-1] - pp[1:]
        slope = _div(dtp, np.maximum(dp, 0))
        icpt = tp[1:] - slope * pp[1:]
        ratio = np.where((pp[:-1] > 0) & (pp[1:] > 0), _div(pp[:-1], np.maximum(pp[1:], 0)), 1)
        return float(_div(slope * (dtp + icpt * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0)).sum())
    rec = _div(tp, tp + fn)
    x, y = (_div(fp, fp + tn), rec) if curve == "ROC" else (rec, _div(tp, tp + fp))
    h = {"interpolation": (y[:-1] + y[1:]) / 2, "minoring": np.minimum(y[:-1], y[1:]),
         "majoring": np.maximum(y[:-1], y[1:])}[summation]
    return float(((x[:-1] - x[1:]) * h).sum())


def _exact_roc_auc(t, p):
    # probability that a random positive scores above a random negative (ties count half)
    pos, neg = p[t == 1], p[t == 0]
    return float(((pos[:, None] > neg[None]) + 0.5 * (pos[:, None] == neg[None])).mean())


@pytest.mark.parametrize("curve,summation", [("ROC", "interpolation"), ("ROC", "minoring"),
                                             ("ROC", "majoring"), ("PR", "interpolation"),
                                             ("PR", "minoring"), ("PR", "majoring")])
def test_auc_matches_numpy_keras_formula(curve, summation):
    t = np.random.randint(0, 2, 300)
    p = np.clip(t * 0.3 + np.random.rand(300) * 0.7, 0, 1).astype("float32")
    m = metrics.AUC(curve=curve, summation_method=summation)
    m.update_state(t[:150], p[:150])
    m.update_state(t[150:], p[150:])
    assert m.result() == pytest.approx(_auc_reference(t, p, 200, curve, summation), rel=1e-6,
                                       abs=1e-9)


def test_auc_roc_approaches_the_exact_area_and_other_options():
    t = np.random.randint(0, 2, 500)
    p = np.clip(t * 0.25 + np.random.rand(500) * 0.75, 0, 1).astype("float32")
    m = metrics.AUC(num_thresholds=2000)
    m.update_state(t, p)
    assert m.result() == pytest.approx(_exact_roc_auc(t, p), abs=2e-3)
    logits = np.log(p / (1 - p + 1e-6) + 1e-6).astype("float32")
    ml = metrics.AUC(from_logits=True)
    ml.update_state(t, logits)
    mp = metrics.AUC()
    mp.update_state(t, 1 / (1 + np.exp(-logits)))
    assert ml.result() == pytest.approx(mp.result(), rel=1e-6)
    # explicit thresholds
    mt = metrics.AUC(thresholds=[0.25, 0.5, 0.75])
    mt.update_state(t, p)
    assert mt.num_thresholds == 5 and mt.thresholds[0] == pytest.approx(-EPS)
    assert mt.result() == pytest.approx(_auc_reference(t, p, 5), rel=1e-6)
    # multi_label: the mean of the per-label AUCs (weighted by label_weights)
    t2 = np.random.randint(0, 2, (200, 2))
    p2 = np.clip(t2 * 0.3 + np.random.rand(200, 2) * 0.7, 0, 1).astype("float32")
    per = [_auc_reference(t2[:, i], p2[:, i]) for i in range(2)]
    mm = metrics.AUC(multi_label=True)
    mm.update_state(t2, p2)
    assert mm.result() == pytest.approx(np.mean(per), rel=1e-6)
    mw = metrics.AUC(multi_label=True, label_weights=[1.0, 3.0])
    mw.update_state(t2, p2)
    assert mw.result() == pytest.approx((per[0] + 3 * per[1]) / 4, rel=1e-6)
    pooled = metrics.AUC()
    pooled.update_state(t2, p2)
    assert pooled.result() == pytest.approx(_auc_reference(t2, p2), rel=1e-6)
    with pytest.raises(ValueError, match=r'invalid curve value "XY"'):
        metrics.AUC(curve="XY")
    with pytest.raises(ValueError, match=r"num_thresholds must be an integer > 1"):
        metrics.AUC(num_thresholds=1)
    with pytest.raises(ValueError, match=r'invalid summation_method "trapezoid"'):
        metrics.AUC(summation_method="trapezoid")


def test_perfect_and_random_auc():
    t = np.array([0, 0, 1, 1] * 50)
    p = np.where(t == 1, 0.9, 0.1).astype("float32")
    for curve in ("ROC", "PR"):
        m = metrics.AUC(curve=curve)
        m.update_state(t, p)
        assert m.result() == pytest.approx(1.0, abs=1e-6)


# ---- other metrics --------------------------------------------------------------------------------


def test_top_k_categorical_accuracies_match_numpy_with_ties():
    p = np.random.rand(50, 6).astype("float32")
    labels = np.random.randint(0, 6, 50)
    ranks = (p > p[np.arange(50), labels][:, None]).sum(1)
    for k in (1, 2, 5):
        m = metrics.TopKCategoricalAccuracy(k=k)
        m.update_state(np.eye(6)[labels], p)
        assert m.result() == pytest.approx((ranks < k).mean())
        s = metrics.SparseTopKCategoricalAccuracy(k=k)
        s.update_state(labels[:, None], p)
        assert s.result() == pytest.approx((ranks < k).mean())
    tie = metrics.SparseTopKCategoricalAccuracy(k=1)
    tie.update_state([1], [[0.5, 0.5, 0.0]])  # tied with the top: counted as in (in_top_k)
    assert tie.result() == 1.0
    ids = metrics.SparseTopKCategoricalAccuracy(k=2, from_sorted_ids=True)
    ids.update_state([3, 1], [[3, 0, 1], [2, 0, 1]])
    assert ids.result() == 0.5
    assert metrics.TopKCategoricalAccuracy().k == 5
    assert metrics.TopKCategoricalAccuracy().name == "top_k_categorical_accuracy"


def test_regression_and_crossentropy_metrics_match_numpy():
    t = np.random.rand(20, 3).astype("float32") + 0.5
    p = np.random.rand(20, 3).astype("float32") + 0.5
    rmse = metrics.RootMeanSquaredError()
    rmse.update_state(t[:10], p[:10])
    rmse.update_state(t[10:], p[10:])
    assert rmse.result() == pytest.approx(np.sqrt(((t - p) ** 2).mean()), rel=1e-6)
    w = np.random.rand(20)
    rw = metrics.RootMeanSquaredError()
    rw.update_state(t, p, sample_weight=w)
    assert rw.result() == pytest.approx(np.sqrt(((t - p) ** 2).mean(1) @ w / w.sum()), rel=1e-5)
    mape = metrics.MeanAbsolutePercentageError()
    mape.update_state(t, p)
    assert mape.result() == pytest.approx(100 * np.abs((t - p) / t).mean(), rel=1e-5)
    msle = metrics.MeanSquaredLogarithmicError()
    msle.update_state(t, p)
    assert msle.result() == pytest.approx(((np.log1p(p) - np.log1p(t)) ** 2).mean(), rel=1e-5)
    cos = metrics.CosineSimilarity()
    cos.update_state(t, p)
    assert cos.result() == pytest.approx((_normalize(t) * _normalize(p)).sum(1).mean(), rel=1e-5)
    yb = np.random.randint(0, 2, (20, 1)).astype("float32")
    pb = np.random.rand(20, 1).astype("float32") * 0.98 + 0.01
    bce = metrics.BinaryCrossentropy()
    bce.update_state(yb, pb)
    ref = -(yb * np.log(pb) + (1 - yb) * np.log(1 - pb)).mean()
    assert bce.result() == pytest.approx(ref, rel=1e-5)
    logit = metrics.BinaryCrossentropy(from_logits=True, label_smoothing=0.1)
    z = np.log(pb / (1 - pb))
    logit.update_state(yb, z)
    ys = yb * 0.9 + 0.05
    assert logit.result() == pytest.approx(-(ys * np.log(pb) + (1 - ys) * np.log(1 - pb)).mean(),
                                           rel=1e-4)
    probs = np.random.dirichlet(np.ones(4), 20).astype("float32")
    labels = np.random.randint(0, 4, 20)
    cce = metrics.CategoricalCrossentropy()
    cce.update_state(np.eye(4)[labels], probs)
    scce = metrics.SparseCategoricalCrossentropy()
    scce.update_state(labels, probs)
    ref = -np.log(probs[np.arange(20), labels]).mean()
    assert cce.result() == pytest.approx(ref, rel=1e-5)
    assert scce.result() == pytest.approx(ref, rel=1e-5)
    s = metrics.Sum()
    s.update_state([1.0, 2.0, 3.0], sample_weight=[1.0, 0.0, 2.0])
    s.update_state(4.0)
    assert s.result() == 11.0


def _ref_f(t, p, average, threshold, beta=1.0):
    pred = (p > threshold) if threshold is not None else (
        (p >= p.max(1, keepdims=True)) & (np.abs(p) > 1e-9))
    pred = pred.astype(float)
    axis = None if average == "micro" else 0
    tp, fp = (pred * t).sum(axis), (pred * (1 - t)).sum(axis)
    fn, support = ((1 - pred) * t).sum(axis), t.sum(axis)
    prec, rec = tp / (tp + fp + EPS), tp / (tp + fn + EPS)
    f = (1 + beta ** 2) * prec * rec / (beta ** 2 * prec + rec + EPS)
    if average == "weighted":
        return (f * support / (support.sum() + EPS)).sum()
    return f.mean() if average else f


@pytest.mark.parametrize("average", [None, "micro", "macro", "weighted"])
@pytest.mark.parametrize("threshold", [None, 0.4])
def test_f1_and_fbeta_scores_match_numpy(average, threshold):
    t = np.eye(4)[np.random.randint(0, 4, 30)]
    p = np.random.rand(30, 4).astype("float32")
    f1 = metrics.F1Score(average=average, threshold=threshold)
    f1.update_state(t[:15], p[:15])
    f1.update_state(t[15:], p[15:])
    np.testing.assert_allclose(f1.result(), _ref_f(t, p, average, threshold), rtol=1e-5)
    fb = metrics.FBetaScore(average=average, beta=2.0, threshold=threshold)
    fb.update_state(t, p)
    np.testing.assert_allclose(fb.result(), _ref_f(t, p, average, threshold, 2.0), rtol=1e-5)


def test_f1_errors():
    with pytest.raises(ValueError, match=r"invalid average argument 'mean'"):
        metrics.F1Score(average="mean")
    with pytest.raises(ValueError, match=r"threshold must be a float in \(0, 1\]"):
        metrics.F1Score(threshold=0.0)
    with pytest.raises(ValueError, match=r"F1Score expects 2D inputs with shape \(batch_size, "
                                         r"output_dim\), got y_true.shape=\(4,\)"):
        metrics.F1Score().update_state(np.zeros(4), np.zeros(4))


def test_mean_iou_matches_numpy():
    c = 3
    t = np.random.randint(0, c, 60)
    p = np.random.randint(0, c, 60)
    cm = np.zeros((c, c))
    np.add.at(cm, (t, p), 1)
    iou = np.diag(cm) / (cm.sum(0) + cm.sum(1) - np.diag(cm))
    m = metrics.MeanIoU(num_classes=c)
    m.update_state(t, p)
    assert m.result() == pytest.approx(iou.mean(), rel=1e-5)
    dense = metrics.MeanIoU(num_classes=c, sparse_y_pred=False, ignore_class=0)
    scores = np.eye(c)[p] + 0.01
    dense.update_state(t, scores)
    keep = t != 0
    cm2 = np.zeros((c, c))
    np.add.at(cm2, (t[keep], p[keep]), 1)
    d2 = cm2.sum(0) + cm2.sum(1) - np.diag(cm2)
    valid = d2 > 0
    assert dense.result() == pytest.approx((np.diag(cm2)[valid] / d2[valid]).sum() / valid.sum(),
                                           rel=1e-5)
    with pytest.raises(ValueError, match=r"labels and predictions must be in \[0, 3\)"):
        m.update_state([0, 5], [0, 1])


# ---- compile by name, inside fit/evaluate, saving ------------------------------------------------


def test_metric_names_resolve_as_keras_and_match_in_evaluate():
    x = np.random.randn(80, 3).astype("float32")
    y = (x.sum(1, keepdims=True) > 0).astype("float32")
    model = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile("adam", "binary_crossentropy",
                  metrics=["precision", "recall", "auc", "binary_crossentropy",
                           keras.metrics.AUC(curve="PR", name="pr_auc"), "f1_score"])
    logs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert list(logs) == ["loss", "precision", "recall", "auc", "binary_crossentropy", "pr_auc",
                          "f1_score"]
    p = model.predict(x, verbose=0)  # metrics see probabilities even with the fused sigmoid
    tp, fp, _, fn = _counts(y, p, [0.5])
    assert logs["precision"] == pytest.approx(float(_div(tp, tp + fp)[0]), rel=1e-5)
    assert logs["recall"] == pytest.approx(float(_div(tp, tp + fn)[0]), rel=1e-5)
    assert logs["auc"] == pytest.approx(_auc_reference(y, p), rel=1e-5)
    assert logs["pr_auc"] == pytest.approx(_auc_reference(y, p, curve="PR"), rel=1e-5)
    assert logs["binary_crossentropy"] == pytest.approx(logs["loss"], rel=1e-4)
    assert logs["f1_score"] == pytest.approx(float(_ref_f(y, p, None, None)[0]), rel=1e-4)
    hist = model.fit(x, y, epochs=2, verbose=0, validation_data=(x, y))
    assert len(hist.history["val_auc"]) == 2 and 0 <= hist.history["auc"][-1] <= 1


def test_per_class_f1_is_logged_as_an_array_and_topk_by_name():
    x = np.random.randn(60, 4).astype("float32")
    labels = np.argmax(x[:, :3], 1)
    model = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    model.compile("adam", "categorical_crossentropy",
                  metrics=[keras.metrics.F1Score(), "top_k_categorical_accuracy",
                           keras.metrics.TopKCategoricalAccuracy(k=1, name="top1"),
                           "categorical_accuracy"])
    logs = model.evaluate(x, np.eye(3)[labels], verbose=0, return_dict=True)
    assert logs["f1_score"].shape == (3,)
    assert logs["top_k_categorical_accuracy"] == 1.0  # k=5 > 3 classes
    assert logs["top1"] == pytest.approx(logs["categorical_accuracy"])
    sparse = keras.Sequential([layers.Dense(3, activation="softmax", input_shape=(4,))])
    sparse.compile("adam", "sparse_categorical_crossentropy",
                   metrics=["sparse_top_k_categorical_accuracy",
                            keras.metrics.SparseTopKCategoricalAccuracy(k=2, name="top2")])
    hist = sparse.fit(x, labels, epochs=1, verbose=0)
    assert hist.history["sparse_top_k_categorical_accuracy"] == [1.0]
    p = sparse.predict(x, verbose=0)
    ranks = (p > p[np.arange(60), labels][:, None]).sum(1)
    assert sparse.evaluate(x, labels, verbose=0, return_dict=True)["top2"] == pytest.approx(
        (ranks < 2).mean())


def test_validation_does_not_clobber_training_metric_state():
    x = np.random.randn(40, 2).astype("float32")
    y = (x[:, :1] > 0).astype("float32")
    model = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(2,))])
    auc = keras.metrics.AUC()
    model.compile("sgd", "binary_crossentropy", metrics=[auc])
    hist = model.fit(x, y, epochs=1, verbose=0, validation_data=(x[:10], 1 - y[:10]),
                     shuffle=False)
    assert auc.result() == pytest.approx(hist.history["auc"][0])


def test_model_with_new_metrics_and_losses_saves_and_reloads(tmp_path):
    x = np.random.randn(32, 3).astype("float32")
    y = (x.sum(1, keepdims=True) > 0).astype("float32")
    model = keras.Sequential([layers.Dense(1, activation="sigmoid", input_shape=(3,))])
    model.compile(keras.optimizers.Nadam(), keras.losses.BinaryFocalCrossentropy(gamma=1.5),
                  metrics=[keras.metrics.AUC(num_thresholds=50, curve="PR"),
                           keras.metrics.Precision(thresholds=0.3),
                           keras.metrics.BinaryCrossentropy(from_logits=False,
                                                            label_smoothing=0.1),
                           "recall", keras.metrics.F1Score(average="macro", threshold=0.5)])
    model.fit(x, y, epochs=1, verbose=0)
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras")
    assert isinstance(loaded.loss, keras.losses.BinaryFocalCrossentropy)
    assert loaded.loss.gamma == 1.5
    assert isinstance(loaded.optimizer, keras.optimizers.Nadam)
    a = model.evaluate(x, y, verbose=0, return_dict=True)
    b = loaded.evaluate(x, y, verbose=0, return_dict=True)
    assert list(a) == list(b)
    for k in a:
        assert a[k] == pytest.approx(b[k], rel=1e-5)


def test_unknown_metric_name_lists_the_new_ones():
    with pytest.raises(ValueError, match=r"Unknown metric 'presicion'; accepted names: .*precision"
                                         r".*auc.*f1_score"):
        metrics.get("presicion")
    assert isinstance(metrics.get("auc"), metrics.AUC)
    assert metrics.get("mape").name == "mape"
