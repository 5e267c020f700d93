from __future__ import annotations

from tinycache import LRUCache


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_expires_after_its_time_to_live() -> None:
    clock = FakeClock()
    cache: LRUCache[str, int] = LRUCache(4, ttl=10, clock=clock)
    cache.put("a", 1)
    clock.now = 11
    assert cache.get("a") is None


def test_an_entry_is_fresh_within_its_time_to_live() -> None:
    clock = FakeClock()
    cache: LRUCache[str, int] = LRUCache(4, ttl=10, clock=clock)
    cache.put("a", 1)
    clock.now = 9
    assert cache.get("a") == 1
