"""A Distributed Map's child inputs, fed to the child launcher while the ItemReader is still reading.

Reading a million-row CSV into batches before the first child starts made the engine hold (or store) every
batch at once and left the children idle for the whole read (issue 14). A `SlotFeed` is a bounded
producer/consumer between the item reader/batcher and the launcher:

- `prefetch()` reads batches until the reader ends or their JSON passes `SPILL_BYTES` (4 MiB). A Map whose
  input fits is read completely before any child starts, exactly as before (same events, same errors, same
  `MapStateStarted` length); a larger one is *streaming*: its batches go to the engine's store (as before),
  and the rest of the file is read while children run.
- `run()` starts at most `workers` children at a time on worker threads, while the calling thread (the Map
  state's) goes on reading; it waits whenever `window` batches are read but not started, so only a
  MaxConcurrency-sized window of the file is ahead of the children, whatever the file's size.

What depends on the whole input stays exact: the tolerated-failure percentage is only decided once the
reader has ended (a zero percentage, or a count, can be decided early: see `MapRun.threshold_exceeded`);
when the threshold is exceeded the rest of the file is still read (children no longer start), so the Map
Run holds every batch and a redrive runs all that did not succeed. A stopped execution stops reading at
once and leaves a partial Map Run, which `partial` marks so that a redrive reads the file again.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator

from workflow.engine.map_run import ChildSlot
from workflow.engine.states.runtime import MAX_THREADS, CancelToken

_SPILL_ROWS = 64  # prefetched child inputs written to the store per transaction


class SlotFeed:
    """Child slots in input order, read from `texts` (compact JSON text, item count) on demand."""

    def __init__(
        self,
        texts: Iterator[tuple[str, int]],
        put_many: Callable[[list[tuple[str, str]]], None],
        spill_bytes: int,
    ) -> None:
        self._texts = texts
        self._put_many = put_many
        self._spill_bytes = spill_bytes
        self.slots: list[ChildSlot] = []
        self.done = False  # the reader has ended (or failed)
        self.spilled = False  # the inputs went to the store (and the rest of the file streams)
        self.partial = False  # stopped before the reader ended: a redrive must read the file again
        self._prefix = ""
        self._next = 0  # index of the next slot to start
        self._cond = threading.Condition()
        self.read_seconds = 0.0  # time spent reading and batching (bench/throughput.py prints it)

    @property
    def length(self) -> int:
        """MapStateStarted's `length`: the number of batches when known before the first child starts,
        else 0, as LocalStack (whose Distributed Map tests are recorded on AWS) reports for an ItemReader."""
        return len(self.slots) if self.done else 0

    # ------------------------------------------------------------------------------------------ reading

    def prefetch(self) -> SlotFeed:
        """Read until the reader ends or the inputs pass spill_bytes; reader errors propagate from here."""
        held = 0
        started = time.perf_counter()
        for text, count in self._texts:
            self.read_seconds += time.perf_counter() - started
            self.slots.append(ChildSlot(len(self.slots), text, count))
            held += len(text)
            if held > self._spill_bytes:
                self.spilled = True
                self._prefix = f"slot|{uuid.uuid4()}|"
                for start in range(0, len(self.slots), _SPILL_ROWS):
                    self._save(self.slots[start : start + _SPILL_ROWS])
                return self
            started = time.perf_counter()
        self.read_seconds += time.perf_counter() - started
        self.done = True
        return self

    def _save(self, slots: list[ChildSlot]) -> None:
        rows = [(f"{self._prefix}{slot.index}", slot.input_text or "") for slot in slots]
        self._put_many(rows)
        for slot, (key, _) in zip(slots, rows, strict=True):
            slot.input_key, slot.input_text = key, None

    def _read_one(self) -> bool:
        """Append the next batch (stored first); False at the end of the input."""
        started = time.perf_counter()
        try:
            text, count = next(self._texts)
        except StopIteration:
            return False
        finally:
            self.read_seconds += time.perf_counter() - started
        slot = ChildSlot(len(self.slots), text, count)
        self._save([slot])
        with self._cond:
            self.slots.append(slot)
            self._cond.notify()
        return True

    # ------------------------------------------------------------------------------------------ running

    def run(
        self,
        work: Callable[[ChildSlot], None],
        max_concurrency: int | None,
        group: CancelToken,
        aborted: Callable[[], bool],
        name: str,
    ) -> None:
        """Run `work` on every slot, at most `workers` at a time, reading the rest of the input meanwhile.

        Returns when the reader has ended and every started slot has finished. A reader error is raised
        after the started children have finished (`group` cancelled first). `aborted()` true (the
        execution was stopped) ends the reading at once and leaves the feed `partial`."""
        workers = max(1, min(max_concurrency or MAX_THREADS, MAX_THREADS))
        window = workers  # batches read ahead of the children, beyond the ones running
        threads = [
            threading.Thread(target=self._worker, args=(work, group), name=f"{name}-{i}", daemon=True)
            for i in range(workers)
        ]
        for thread in threads:
            thread.start()
        wake = group.on_cancel
        wake(self._notify_all)
        try:
            while not self.done:
                if aborted():
                    self.partial = True
                    break
                with self._cond:
                    while len(self.slots) - self._next >= window and not group.cancelled and not aborted():
                        self._cond.wait(0.5)
                if aborted():
                    continue
                if not self._read_one():
                    self.done = True
        except BaseException:
            group.cancel()
            raise
        finally:
            with self._cond:
                self.done = self.done or self.partial
                self._cond.notify_all()
            for thread in threads:
                thread.join()

    def _notify_all(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _take(self, group: CancelToken) -> ChildSlot | None:
        """The next slot to start, waiting for the reader; None once there is none (or no more may start)."""
        with self._cond:
            while True:
                if group.cancelled:
                    return None
                if self._next < len(self.slots):
                    slot = self.slots[self._next]
                    self._next += 1
                    self._cond.notify_all()  # room in the window: the reader may go on
                    return slot
                if self.done:
                    return None
                self._cond.wait(0.5)

    def _worker(self, work: Callable[[ChildSlot], None], group: CancelToken) -> None:
        while (slot := self._take(group)) is not None:
            work(slot)
