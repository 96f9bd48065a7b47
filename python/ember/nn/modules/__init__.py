"""All module classes of ``ember.nn``: each submodule lists its public classes in ``__all__``."""

from . import (
    activation,
    batchnorm,
    container,
    conv,
    distance,
    dropout,
    flatten,
    linear,
    loss,
    module,
    normalization,
    padding,
    pixelshuffle,
    pooling,
    rnn,
    sparse,
    transformer,
    upsampling,
)
from .activation import *
from .batchnorm import *
from .container import *
from .conv import *
from .distance import *
from .dropout import *
from .flatten import *
from .linear import *
from .loss import *
from .module import Module
from .normalization import *
from .padding import *
from .pixelshuffle import *
from .pooling import *
from .rnn import *
from .sparse import *
from .transformer import *
from .upsampling import *

__all__ = sorted(
    {"Module"}.union(
        *(
            m.__all__
            for m in (
                activation,
                batchnorm,
                container,
                conv,
                distance,
                dropout,
                flatten,
                linear,
                loss,
                normalization,
                padding,
                pixelshuffle,
                pooling,
                rnn,
                sparse,
                transformer,
                upsampling,
            )
        )
    )
)
