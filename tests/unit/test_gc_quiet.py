"""gc_paused: no cyclic collection while a bulk build runs, its objects frozen after."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator

import pytest

from tui_scraper.gc_quiet import gc_paused, with_gc_paused


@pytest.fixture(autouse=True)
def _collector_restored() -> Iterator[None]:
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    if enabled:
        gc.enable()
    else:
        gc.disable()


def test_the_collector_is_off_inside_and_on_again_after() -> None:
    gc.enable()
    frozen_before = gc.get_freeze_count()
    with gc_paused():
        assert not gc.isenabled()
        built = [{"n": n} for n in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() >= frozen_before + len(built)


def test_nested_and_overlapping_builds_turn_it_on_only_when_the_last_ends() -> None:
    gc.enable()
    inner_started, outer_may_end = threading.Event(), threading.Event()
    seen: list[bool] = []

    def other_build() -> None:
        with gc_paused():
            inner_started.set()
            outer_may_end.wait(5)
        seen.append(gc.isenabled())

    with gc_paused():
        thread = threading.Thread(target=other_build)
        thread.start()
        assert inner_started.wait(5)
    assert not gc.isenabled()  # the other thread's build still runs
    outer_may_end.set()
    thread.join(5)
    assert seen == [True]
    assert gc.isenabled()


def test_a_collector_switched_off_before_stays_off() -> None:
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_the_wrapper_returns_the_result_and_passes_errors_on() -> None:
    gc.enable()
    assert with_gc_paused(sum)([1, 2, 3]) == 6

    def fails() -> None:
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        with_gc_paused(fails)()
    assert gc.isenabled()
