"""Every public name of ember.distributions is documented, the docstring examples run, and
importing ember does not import torch."""

from __future__ import annotations

import doctest
import importlib
import inspect
import os
import subprocess
import sys

import ember
import ember.distributions as D
import pytest

MODULES = ["ember.distributions"] + [
    f"ember.distributions.{m}" for m in (
        "utils", "constraints", "distribution", "exp_family", "normal", "bernoulli",
        "categorical", "one_hot_categorical", "uniform", "exponential", "laplace", "gamma",
        "dirichlet", "beta", "poisson", "binomial", "studentT", "transforms",
        "transformed_distribution", "independent", "log_normal", "multivariate_normal",
        "relaxed_bernoulli", "relaxed_categorical", "kl")]


def _public_objects():
    for modname in MODULES:
        mod = importlib.import_module(modname)
        yield modname, mod
        for name in getattr(mod, "__all__", []):
            obj = getattr(mod, name)
            if inspect.ismodule(obj) or not (inspect.isclass(obj) or callable(obj)):
                continue
            yield f"{modname}.{name}", obj
            if inspect.isclass(obj):
                for attr, member in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    kinds = property | staticmethod | classmethod
                    if isinstance(member, kinds) or callable(member):
                        yield f"{modname}.{name}.{attr}", member


def test_every_public_name_has_a_docstring():
    missing = []
    for qualname, obj in _public_objects():
        target = obj.__func__ if isinstance(obj, staticmethod | classmethod) else obj
        doc = target.fget.__doc__ if isinstance(target, property) else target.__doc__
        if not (doc and doc.strip()):
            missing.append(qualname)
    assert not missing, f"undocumented: {missing}"


@pytest.mark.parametrize("modname", MODULES)
def test_docstring_examples_run(modname):
    mod = importlib.import_module(modname)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in doctest.DocTestFinder().find(mod, extraglobs={"ember": ember, "D": D}):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


def test_import_ember_does_not_import_torch():
    code = ("import sys, ember, ember.distributions as D; D.Normal(0.0, 1.0).sample(); "
            "print('torch' in sys.modules)")
    env = dict(os.environ)
    root = os.path.dirname(os.path.dirname(ember.__file__))
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         check=True)
    assert out.stdout.strip() == "False"
