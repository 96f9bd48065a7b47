"""ember.cuda reports a CPU-only build, as torch.cuda does on a machine without CUDA."""

import pytest

import ember


def test_cuda_is_not_available_and_device_count_is_zero():
    assert ember.cuda.is_available() is False
    assert ember.cuda.device_count() == 0


def test_cuda_tensors_raise_naming_the_build_option():
    with pytest.raises(NotImplementedError, match="EMBER_CUDA"):
        ember.ones(2).to("cuda")
