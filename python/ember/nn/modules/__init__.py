"""All module classes of ``ember.nn``: each submodule lists its public classes in ``__all__``."""

from . import (
    activation,
    activation_more,
    adaptive,
    batchnorm,
    channelshuffle,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    fractional,
    instancenorm,
    lazy,
    linear,
    loss,
    loss_extra,
    loss_more,
    normalization,
    padding,
    padding_more,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    transformer_model,
    unpooling,
    upsampling,
    upsampling_more,
)
from .activation import *
from .activation_more import *
from .adaptive import *
from .batchnorm import *
from .channelshuffle import *
from .container import *
from .conv import *
from .distance import *
from .dropout import *
from .flatten import *
from .fold import *
from .fractional import *
from .instancenorm import *
from .lazy import *
from .linear import *
from .loss import *
from .loss_extra import *
from .loss_more import *
from .module import Module
from .normalization import *
from .padding import *
from .padding_more import *
from .pixelshuffle import *
from .pooling import *
from .rnn import *
from .sparse import *
from .transformer import *
from .transformer_model import *
from .unpooling import *
from .upsampling import *
from .upsampling_more import *

__all__ = sorted(
    {"Module"}.union(
        *(
            m.__all__
            for m in (
                activation,
                activation_more,
                adaptive,
                batchnorm,
                channelshuffle,
                container,
                conv,
                distance,
                dropout,
                flatten,
                fold,
                fractional,
                instancenorm,
                lazy,
                linear,
                loss,
                loss_extra,
                loss_more,
                normalization,
                padding,
                padding_more,
                pixelshuffle,
                pooling,
                rnn,
                sparse,
                transformer,
                transformer_model,
                unpooling,
                upsampling,
                upsampling_more,
            )
        )
    )
)
