"""A small thread-safe LRU, so the console's memory stays bounded however many executions are viewed."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class BoundedCache(Generic[K, V]):
    """At most `size` entries; the least recently used one goes first."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            if key not in self._items:
                return None
            self._items.move_to_end(key)
            return self._items[key]

    def put(self, key: K, value: V) -> V:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def discard(self, key: K) -> None:
        with self._lock:
            self._items.pop(key, None)

    def get_or(self, key: K, make: Callable[[], V], keep: Callable[[V], bool] = lambda _: True) -> V:
        """The cached value, or `make()` (stored only when `keep(value)`: e.g. only finished executions)."""
        found = self.get(key)
        if found is not None:
            return found
        value = make()
        if keep(value):
            self.put(key, value)
        return value

    def __len__(self) -> int:
        return len(self._items)
