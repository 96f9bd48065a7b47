"""The Example sections of the convolution and pooling docstrings run and print what they show."""

from __future__ import annotations

import doctest

import ember
import ember.nn.functional as F
import pytest
from ember import nn
from ember.nn import _functional_conv
from ember.nn.modules import conv, pooling


@pytest.mark.parametrize("module", [_functional_conv, conv, pooling], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    globs = {"ember": ember, "nn": nn, "F": F}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    tests = doctest.DocTestFinder().find(module, globs=globs)
    assert any(t.examples for t in tests)
    for test in tests:
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0
