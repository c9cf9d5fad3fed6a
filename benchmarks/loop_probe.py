"""A loop-blocking probe: which event-loop callbacks hold the loop, and where they spend it.

`LoopProbe` times every callback the asyncio loop runs (a task's step, a timer, a
`call_soon`); one longer than `threshold_s` is recorded with its name. A watchdog
thread samples the loop thread's stack every `sample_s` while a callback has run
longer than the threshold, so each slow callback comes with the code it was in.
The threads' own GIL holding shows as time inside whatever the loop was running.

    with LoopProbe() as probe:
        app.run(...)
    probe.print_report()
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import sys
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from types import FrameType
from typing import Any

# Frames of these files say nothing about which of our code was running.
SKIPPED = ("asyncio/", "loop_probe.py", "threading.py")


def callback_name(handle: asyncio.Handle) -> str:
    """A readable name for what a handle runs: a task's coroutine, or the function."""
    callback: Any = handle._callback  # type: ignore[attr-defined]
    owner = getattr(callback, "__self__", None)
    if isinstance(owner, asyncio.Task):
        coro: Any = owner.get_coro()
        name = getattr(coro, "__qualname__", None) or repr(coro)
        frame = getattr(coro, "cr_frame", None)
        this = frame.f_locals.get("self") if frame is not None else None
        if this is not None:  # whose timer, whose message queue, which worker
            detail = getattr(this, "_callback", None) or getattr(this, "name", None)
            label = getattr(detail, "__qualname__", None) or detail or type(this).__name__
            name = f"{name} ({label})"
        return f"task {name}"
    name = getattr(callback, "__qualname__", None) or repr(callback)
    return f"callback {name}"


def stack_summary(frame: FrameType | None, depth: int = 6) -> str:
    """The innermost `depth` frames of our code and its libraries, innermost last."""
    lines = []
    for summary in traceback.extract_stack(frame):
        if any(part in summary.filename for part in SKIPPED):
            continue
        short = summary.filename.split("site-packages/")[-1].split("/work/")[-1]
        lines.append(f"{short}:{summary.lineno} {summary.name}")
    return " > ".join(lines[-depth:])


@dataclass
class SlowCallback:
    """Every run of one callback name that held the loop longer than the threshold."""

    durations: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    """The loop thread's own CPU time in each: the rest it waited (for the GIL, a core)."""
    stacks: Counter[str] = field(default_factory=Counter)


class LoopProbe:
    """Times every loop callback while active; `slow` holds those over the threshold."""

    def __init__(self, threshold_s: float = 0.02, sample_s: float = 0.002) -> None:
        self.threshold_s = threshold_s
        self.sample_s = sample_s
        self.slow: dict[str, SlowCallback] = defaultdict(SlowCallback)
        self.callbacks = 0
        self._original: Any = None
        self._running: tuple[float, str] | None = None
        self._loop_thread = 0
        self._stop = threading.Event()
        self._watchdog: threading.Thread | None = None
        self._samples: Counter[str] = Counter()
        self.collections: list[tuple[int, float, str]] = []
        """Each garbage collection: (generation, seconds, thread name): it holds the GIL."""
        self._gc_started = 0.0
        self.thread_cpu: dict[str, float] = {}
        """CPU seconds of each thread the process ran, by its name (read from /proc)."""

    def __enter__(self) -> LoopProbe:
        probe = self
        original = self._original = asyncio.Handle._run
        self._loop_thread = threading.get_ident()

        def timed_run(handle: asyncio.Handle) -> None:
            start, cpu = time.perf_counter(), time.thread_time()
            probe._running = (start, "")
            probe._samples = Counter()
            try:
                original(handle)
            finally:
                probe._running = None
                elapsed = time.perf_counter() - start
                probe.callbacks += 1
                if elapsed > probe.threshold_s:
                    record = probe.slow[callback_name(handle)]
                    record.durations.append(elapsed)
                    record.cpu.append(time.thread_time() - cpu)
                    record.stacks.update(probe._samples)

        asyncio.Handle._run = timed_run  # type: ignore[method-assign]
        gc.callbacks.append(self._on_gc)
        self._watchdog = threading.Thread(target=self._watch, name="loop-probe", daemon=True)
        self._watchdog.start()
        return self

    def __exit__(self, *exc: object) -> None:
        asyncio.Handle._run = self._original  # type: ignore[method-assign]
        gc.callbacks.remove(self._on_gc)
        self._read_thread_cpu()
        self._stop.set()
        if self._watchdog is not None:
            self._watchdog.join()

    def _on_gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            elapsed = time.perf_counter() - self._gc_started
            self.collections.append((info["generation"], elapsed, threading.current_thread().name))

    def _read_thread_cpu(self) -> None:
        """Each live thread's CPU time so far (Linux only: nothing elsewhere)."""
        names = {thread.native_id: thread.name for thread in threading.enumerate()}
        tick = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
        with contextlib.suppress(OSError):
            for tid in os.listdir("/proc/self/task"):
                with contextlib.suppress(OSError, ValueError, IndexError):
                    with open(f"/proc/self/task/{tid}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                    cpu = (int(fields[11]) + int(fields[12])) / tick
                    name = names.get(int(tid), f"thread {tid}")
                    if name == threading.main_thread().name:
                        name = "the event loop (main thread)"
                    key = f"{name} [{tid}]"
                    self.thread_cpu[key] = max(cpu, self.thread_cpu.get(key, 0.0))

    def _watch(self) -> None:
        polls = 0
        while not self._stop.wait(self.sample_s):
            polls += 1
            if polls % 100 == 0:
                self._read_thread_cpu()
            running = self._running
            if running is None or time.perf_counter() - running[0] < self.threshold_s / 2:
                continue
            frame = sys._current_frames().get(self._loop_thread)
            self._samples[stack_summary(frame)] += 1

    def print_report(self, file: Any = sys.stdout, stacks: int = 3) -> None:
        """The slow callbacks, most loop time first, with their most sampled stacks."""
        print(
            f"\nloop callbacks over {self.threshold_s * 1000:.0f} ms "
            f"(of {self.callbacks:,} callbacks)\n",
            file=file,
        )
        print("| callback | runs | max ms | total ms | of it loop-thread CPU ms |", file=file)
        print("|---|---:|---:|---:|---:|", file=file)
        ranked = sorted(self.slow.items(), key=lambda item: -sum(item[1].durations))
        for name, record in ranked:
            print(
                f"| {name} | {len(record.durations)} | {max(record.durations) * 1000:.0f} | "
                f"{sum(record.durations) * 1000:.0f} | {sum(record.cpu) * 1000:.0f} |",
                file=file,
            )
        print("\ngarbage collections (they hold the GIL) by generation and thread:", file=file)
        groups: dict[tuple[int, str], list[float]] = defaultdict(list)
        for generation, seconds, thread in self.collections:
            groups[(generation, thread)].append(seconds)
        for (generation, thread), times in sorted(groups.items()):
            print(
                f"  gen {generation} in {thread}: {len(times)} runs, "
                f"{sum(times) * 1000:.0f} ms in all, longest {max(times) * 1000:.1f} ms",
                file=file,
            )
        print("\nCPU seconds by thread (executor threads by name, numbered):", file=file)
        for name, cpu in sorted(self.thread_cpu.items(), key=lambda item: -item[1]):
            if cpu >= 0.05:
                print(f"  {cpu:6.2f}  {name}", file=file)
        for name, record in ranked:
            print(f"\n{name}:", file=file)
            for stack, count in record.stacks.most_common(stacks):
                print(f"  {count:4d} samples: {stack}", file=file)
