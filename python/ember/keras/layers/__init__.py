"""Keras layers (``keras.layers``), with Keras's names, arguments and defaults:

* core: Dense, Activation, ReLU, Softmax, Dropout, Flatten, Reshape, Embedding, Lambda,
  Identity, Input;
* convolution: Conv1D, Conv2D, Conv1DTranspose, Conv2DTranspose, DepthwiseConv1D/2D,
  SeparableConv1D/2D; pooling: MaxPooling1D/2D, AveragePooling1D/2D,
  GlobalAveragePooling1D/2D, GlobalMaxPooling1D/2D;
* reshaping: UpSampling1D/2D/3D, ZeroPadding1D/2D/3D, Cropping1D/2D/3D, RepeatVector, Permute;
* merging: Add, Subtract, Multiply, Average, Maximum, Minimum, Concatenate, Dot;
* activations: LeakyReLU, PReLU, ELU;
* normalization: BatchNormalization, LayerNormalization, GroupNormalization,
  UnitNormalization;
* regularization: Dropout, GaussianNoise, GaussianDropout, SpatialDropout1D/2D/3D,
  ActivityRegularization;
* preprocessing: Rescaling, Normalization (``adapt``), CategoryEncoding;
* recurrent: SimpleRNN, LSTM, GRU, their cells (SimpleRNNCell, LSTMCell, GRUCell) and RNN,
  Bidirectional, TimeDistributed, Masking (masks from Masking and ``Embedding(mask_zero=True)``
  pass from layer to layer: see ``Layer.compute_mask``);
* attention: MultiHeadAttention, Attention, AdditiveAttention;

and the :class:`Layer` base class to write new ones (see ``ember.keras.layers.base`` for how)."""

from __future__ import annotations

from .activation import ELU, LeakyReLU, PReLU
from .attention import AdditiveAttention, Attention, MultiHeadAttention
from .base import Input, InputLayer, KerasTensor, Layer
from .conv_variants import (
    Conv1DTranspose,
    Conv2DTranspose,
    Convolution1DTranspose,
    Convolution2DTranspose,
    DepthwiseConv1D,
    DepthwiseConv2D,
    SeparableConv1D,
    SeparableConv2D,
    SeparableConvolution1D,
    SeparableConvolution2D,
)
from .convolutional import Conv1D, Conv2D, Convolution1D, Convolution2D
from .core import (
    Activation,
    Dense,
    Dropout,
    Embedding,
    Flatten,
    Identity,
    Lambda,
    ReLU,
    Reshape,
    Softmax,
)
from .merging import Add, Average, Concatenate, Dot, Maximum, Minimum, Multiply, Subtract
from .normalization import (
    BatchNormalization,
    GroupNormalization,
    LayerNormalization,
    UnitNormalization,
)
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AvgPool1D,
    AvgPool2D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    MaxPool1D,
    MaxPool2D,
    MaxPooling1D,
    MaxPooling2D,
)
from .preprocessing import CategoryEncoding, Normalization, Rescaling
from .recurrent import (
    GRU,
    LSTM,
    RNN,
    Bidirectional,
    GRUCell,
    LSTMCell,
    Masking,
    SimpleRNN,
    SimpleRNNCell,
    TimeDistributed,
)
from .regularization import (
    ActivityRegularization,
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from .reshaping import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    Permute,
    RepeatVector,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)

__all__ = [
    "ELU",
    "GRU",
    "LSTM",
    "RNN",
    "Activation",
    "ActivityRegularization",
    "Add",
    "AdditiveAttention",
    "Attention",
    "Average",
    "AveragePooling1D",
    "AveragePooling2D",
    "AvgPool1D",
    "AvgPool2D",
    "BatchNormalization",
    "Bidirectional",
    "CategoryEncoding",
    "Concatenate",
    "Conv1D",
    "Conv1DTranspose",
    "Conv2D",
    "Conv2DTranspose",
    "Convolution1D",
    "Convolution1DTranspose",
    "Convolution2D",
    "Convolution2DTranspose",
    "Cropping1D",
    "Cropping2D",
    "Cropping3D",
    "Dense",
    "DepthwiseConv1D",
    "DepthwiseConv2D",
    "Dot",
    "Dropout",
    "Embedding",
    "Flatten",
    "GRUCell",
    "GaussianDropout",
    "GaussianNoise",
    "GlobalAveragePooling1D",
    "GlobalAveragePooling2D",
    "GlobalAvgPool1D",
    "GlobalAvgPool2D",
    "GlobalMaxPool1D",
    "GlobalMaxPool2D",
    "GlobalMaxPooling1D",
    "GlobalMaxPooling2D",
    "GroupNormalization",
    "Identity",
    "Input",
    "InputLayer",
    "KerasTensor",
    "LSTMCell",
    "Lambda",
    "Layer",
    "LayerNormalization",
    "LeakyReLU",
    "Masking",
    "MaxPool1D",
    "MaxPool2D",
    "MaxPooling1D",
    "MaxPooling2D",
    "Maximum",
    "Minimum",
    "MultiHeadAttention",
    "Multiply",
    "Normalization",
    "PReLU",
    "Permute",
    "ReLU",
    "RepeatVector",
    "Rescaling",
    "Reshape",
    "SeparableConv1D",
    "SeparableConv2D",
    "SeparableConvolution1D",
    "SeparableConvolution2D",
    "SimpleRNN",
    "SimpleRNNCell",
    "Softmax",
    "SpatialDropout1D",
    "SpatialDropout2D",
    "SpatialDropout3D",
    "Subtract",
    "TimeDistributed",
    "UnitNormalization",
    "UpSampling1D",
    "UpSampling2D",
    "UpSampling3D",
    "ZeroPadding1D",
    "ZeroPadding2D",
    "ZeroPadding3D",
]
