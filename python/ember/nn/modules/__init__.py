"""All module classes of ``ember.nn``: each submodule lists its public classes in ``__all__``."""

from . import (
    activation,
    activation_more,
    batchnorm,
    channelshuffle,
    container,
    conv,
    distance,
    dropout,
    flatten,
    fold,
    instancenorm,
    linear,
    loss,
    loss_more,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    transformer_model,
    unpooling,
    upsampling,
)
from .activation import *
from .activation_more import *
from .batchnorm import *
from .channelshuffle import *
from .container import *
from .conv import *
from .distance import *
from .dropout import *
from .flatten import *
from .fold import *
from .instancenorm import *
from .linear import *
from .loss import *
from .loss_more import *
from .module import Module
from .normalization import *
from .padding import *
from .pixelshuffle import *
from .pooling import *
from .rnn import *
from .sparse import *
from .transformer import *
from .transformer_model import *
from .unpooling import *
from .upsampling import *

__all__ = sorted(
    {"Module"}.union(
        *(
            m.__all__
            for m in (
                activation,
                activation_more,
                batchnorm,
                channelshuffle,
                container,
                conv,
                distance,
                dropout,
                flatten,
                fold,
                instancenorm,
                linear,
                loss,
                loss_more,
                normalization,
                padding,
                pixelshuffle,
                pooling,
                rnn,
                sparse,
                transformer,
                transformer_model,
                unpooling,
                upsampling,
            )
        )
    )
)
