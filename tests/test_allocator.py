"""The caching CPU allocator and thread settings."""

import ember
import ember.nn.functional as F
import pytest
from ember import nn


def test_training_step_makes_no_system_allocation_in_steady_state():
    x = ember.randn(64, 784)
    y = ember.randint(0, 10, (64,))
    model = nn.Sequential(nn.Linear(784, 128), nn.ReLU(), nn.Linear(128, 10))
    opt = ember.optim.Adam(model.parameters(), lr=1e-3)

    def step():
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()

    for _ in range(3):
        step()
    before = ember.memory_stats()
    for _ in range(10):
        step()
    after = ember.memory_stats()
    assert after["num_allocs"] > before["num_allocs"]
    assert after["num_system_allocs"] == before["num_system_allocs"]
    assert after["allocated_bytes"] == before["allocated_bytes"]


def test_memory_stats_track_allocation_peak_and_cache():
    ember.empty_cache()
    base = ember.memory_stats()
    ember.reset_peak_memory_stats()
    t = ember.empty(1 << 20, dtype=ember.uint8)  # 1 MiB
    s = ember.memory_stats()
    assert s["allocated_bytes"] == base["allocated_bytes"] + (1 << 20)
    assert s["peak_allocated_bytes"] >= s["allocated_bytes"]
    del t
    s2 = ember.memory_stats()
    assert s2["allocated_bytes"] == base["allocated_bytes"]
    assert s2["cached_bytes"] == base["cached_bytes"] + (1 << 20)
    u = ember.empty(1 << 20, dtype=ember.uint8)  # reuses the cached block
    assert ember.memory_stats()["num_system_allocs"] == s2["num_system_allocs"]
    del u
    ember.empty_cache()
    assert ember.memory_stats()["cached_bytes"] == 0


def test_cache_limit_and_thread_settings_validate():
    with pytest.raises(ValueError, match="set_allocator_cache_limit: bytes must be >= 0"):
        ember.set_allocator_cache_limit(-1)
    with pytest.raises(ValueError, match="set_num_threads: expected a positive number"):
        ember.set_num_threads(0)
    n = ember.get_num_threads()
    ember.set_num_threads(1)
    assert ember.get_num_threads() == 1
    ember.set_num_threads(n)
    assert ember.get_num_threads() == n
