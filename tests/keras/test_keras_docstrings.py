"""The Example sections of ember.keras's docstrings run and print what they show."""

from __future__ import annotations

import doctest

import ember
import pytest
from ember import keras
from ember.keras import layers, models

MODULES = [keras, layers.base, layers.core, models, keras.optimizers.schedules,
           keras.regularizers]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module, globs={"ember": ember, "keras": keras}):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
