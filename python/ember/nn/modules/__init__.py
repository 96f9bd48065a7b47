"""All module classes of ``ember.nn``: each submodule lists its public classes in ``__all__``."""

from . import (
    activation,
    batchnorm,
    container,
    conv,
    dropout,
    flatten,
    linear,
    loss,
    module,
    normalization,
    padding,
    pooling,
    sparse,
    upsampling,
)
from .activation import *  # noqa: F403
from .batchnorm import *  # noqa: F403
from .container import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .flatten import *  # noqa: F403
from .linear import *  # noqa: F403
from .loss import *  # noqa: F403
from .module import Module
from .normalization import *  # noqa: F403
from .padding import *  # noqa: F403
from .pooling import *  # noqa: F403
from .sparse import *  # noqa: F403
from .upsampling import *  # noqa: F403

__all__ = sorted(
    {"Module"}.union(
        *(
            m.__all__
            for m in (
                activation,
                batchnorm,
                container,
                conv,
                dropout,
                flatten,
                linear,
                loss,
                normalization,
                padding,
                pooling,
                sparse,
                upsampling,
            )
        )
    )
)
