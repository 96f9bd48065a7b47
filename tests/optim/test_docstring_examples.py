"""The Example sections of ember.optim's docstrings run and print what they show."""

from __future__ import annotations

import doctest

import ember
import pytest
from ember import optim
from ember.optim import lr_scheduler

MODULES = [
    optim.optimizer,
    optim.sgd,
    optim.adam,
    optim.adamw,
    optim.rmsprop,
    optim.adagrad,
    optim.adamax,
    optim.nadam,
    optim.radam,
    optim.adadelta,
    optim.rprop,
    optim.asgd,
    lr_scheduler,
]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module):
    globs = {"ember": ember, **{name: getattr(lr_scheduler, name) for name in lr_scheduler.__all__}}
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(module, globs=globs):
        runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0
