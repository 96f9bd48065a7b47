"""Naive NumPy references for convolution and pooling (loops over kernel taps or windows)."""

from __future__ import annotations

import math

import numpy as np


def out_len(n, k, pad_total, stride, dil):
    return (n + pad_total - dil * (k - 1) - 1) // stride + 1


def conv2d_ref(x, w, b=None, stride=(1, 1), padding=((0, 0), (0, 0)), dilation=(1, 1), groups=1):
    """x (N, C, H, W), w (OC, C/groups, KH, KW); padding ((top, bottom), (left, right))."""
    N, _C, H, W = x.shape
    OC, Cg, KH, KW = w.shape
    (pt, pb), (pl, pr) = padding
    sh, sw = stride
    dh, dw = dilation
    xp = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    OH = out_len(H, KH, pt + pb, sh, dh)
    OW = out_len(W, KW, pl + pr, sw, dw)
    out = np.zeros((N, OC, OH, OW), dtype=np.float64)
    OCg = OC // groups
    for g in range(groups):
        xs = xp[:, g * Cg:(g + 1) * Cg]
        ws = w[g * OCg:(g + 1) * OCg]
        for i in range(KH):
            for j in range(KW):
                patch = xs[:, :, i * dh:i * dh + sh * (OH - 1) + 1:sh, j * dw:j * dw + sw * (OW - 1) + 1:sw]
                out[:, g * OCg:(g + 1) * OCg] += np.einsum("nchw,oc->nohw", patch, ws[:, :, i, j])
    if b is not None:
        out += b[None, :, None, None]
    return out


def conv_transpose2d_ref(x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0),
                         groups=1, dilation=(1, 1)):
    """x (N, Cin, H, W), w (Cin, Cout/groups, KH, KW): scatter every input cell, then crop."""
    N, Cin, H, W = x.shape
    _, Coutg, KH, KW = w.shape
    sh, sw = stride
    ph, pw = padding
    dh, dw = dilation
    OH = (H - 1) * sh - 2 * ph + dh * (KH - 1) + output_padding[0] + 1
    OW = (W - 1) * sw - 2 * pw + dw * (KW - 1) + output_padding[1] + 1
    full = np.zeros((N, Coutg * groups, (H - 1) * sh + dh * (KH - 1) + 1 + output_padding[0],
                     (W - 1) * sw + dw * (KW - 1) + 1 + output_padding[1]))
    Cing = Cin // groups
    for g in range(groups):
        xs = x[:, g * Cing:(g + 1) * Cing]
        ws = w[g * Cing:(g + 1) * Cing]
        for i in range(KH):
            for j in range(KW):
                contrib = np.einsum("nchw,co->nohw", xs, ws[:, :, i, j])
                full[:, g * Coutg:(g + 1) * Coutg, i * dh:i * dh + sh * (H - 1) + 1:sh,
                     j * dw:j * dw + sw * (W - 1) + 1:sw] += contrib
    out = full[:, :, ph:ph + OH, pw:pw + OW]
    if b is not None:
        out = out + b[None, :, None, None]
    return out


def pool_len(n, k, p, s, d, ceil):
    num = n + 2 * p - d * (k - 1) - 1
    out = (-(-num // s) if ceil else num // s) + 1
    if ceil and (out - 1) * s >= n + p:
        out -= 1
    return out


def max_pool2d_ref(x, k, s, p, d, ceil):
    N, C, H, W = x.shape
    OH = pool_len(H, k[0], p[0], s[0], d[0], ceil)
    OW = pool_len(W, k[1], p[1], s[1], d[1], ceil)
    out = np.zeros((N, C, OH, OW))
    idx = np.zeros((N, C, OH, OW), dtype=np.int64)
    for oh in range(OH):
        for ow in range(OW):
            best = np.full((N, C), -np.inf)
            bi = np.full((N, C), -1, dtype=np.int64)
            for i in range(k[0]):
                h = oh * s[0] - p[0] + i * d[0]
                if not 0 <= h < H:
                    continue
                for j in range(k[1]):
                    w = ow * s[1] - p[1] + j * d[1]
                    if not 0 <= w < W:
                        continue
                    v = x[:, :, h, w]
                    better = (v > best) | (bi < 0)
                    best = np.where(better, v, best)
                    bi = np.where(better, h * W + w, bi)
            out[:, :, oh, ow] = best
            idx[:, :, oh, ow] = bi
    return out, idx


def avg_pool2d_ref(x, k, s, p, ceil, count_include_pad, divisor=None):
    N, C, H, W = x.shape
    OH = pool_len(H, k[0], p[0], s[0], 1, ceil)
    OW = pool_len(W, k[1], p[1], s[1], 1, ceil)
    out = np.zeros((N, C, OH, OW))
    for oh in range(OH):
        for ow in range(OW):
            h0, w0 = oh * s[0] - p[0], ow * s[1] - p[1]
            h1, w1 = min(h0 + k[0], H + p[0]), min(w0 + k[1], W + p[1])
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, H), min(w1, W)
            total = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3))
            if divisor is not None:
                div = divisor
            elif count_include_pad:
                div = size
            else:
                div = (h1 - h0) * (w1 - w0)
            out[:, :, oh, ow] = total / div
    return out


def adaptive_bounds(i, n_in, n_out):
    return (i * n_in) // n_out, math.ceil((i + 1) * n_in / n_out)


def adaptive_avg_pool2d_ref(x, out_size):
    N, C, H, W = x.shape
    OH, OW = out_size
    out = np.zeros((N, C, OH, OW))
    for i in range(OH):
        h0, h1 = adaptive_bounds(i, H, OH)
        for j in range(OW):
            w0, w1 = adaptive_bounds(j, W, OW)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def adaptive_max_pool2d_ref(x, out_size):
    N, C, H, W = x.shape
    OH, OW = out_size
    out = np.zeros((N, C, OH, OW))
    idx = np.zeros((N, C, OH, OW), dtype=np.int64)
    for i in range(OH):
        h0, h1 = adaptive_bounds(i, H, OH)
        for j in range(OW):
            w0, w1 = adaptive_bounds(j, W, OW)
            win = x[:, :, h0:h1, w0:w1].reshape(N, C, -1)
            a = win.argmax(axis=2)
            out[:, :, i, j] = win.max(axis=2)
            ww = w1 - w0
            idx[:, :, i, j] = (h0 + a // ww) * W + (w0 + a % ww)
    return out, idx
