"""The search kernels are compiled by one process at a time, once per install."""

from __future__ import annotations

import threading

import pytest

from dispatch import kernel_cache


@pytest.fixture
def source(tmp_path, monkeypatch):
    """A kernels module of its own, its cache in a folder of its own."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "cache"))
    path = tmp_path / "kernels.py"
    path.write_text("# kernels\n")
    return path


def test_the_first_caller_compiles_and_later_ones_do_not(source):
    with kernel_cache.compiled(source) as first:
        pass
    with kernel_cache.compiled(source) as second:
        pass
    assert (first, second) == (True, False)


def test_a_failed_compile_leaves_the_work_to_the_next_caller(source):
    with pytest.raises(RuntimeError), kernel_cache.compiled(source):
        raise RuntimeError("compiler crashed")
    with kernel_cache.compiled(source) as again:
        assert again


def test_changed_kernels_are_compiled_again(source):
    with kernel_cache.compiled(source):
        pass
    source.write_text("# kernels, changed\n")
    with kernel_cache.compiled(source) as after_change:
        assert after_change


def test_a_caller_waits_for_the_compile_under_way_then_does_not_compile(source):
    compiling, release = threading.Event(), threading.Event()
    seen: list[str] = []

    def first() -> None:
        with kernel_cache.compiled(source):
            compiling.set()
            release.wait(5)
            seen.append("compiled")

    def second() -> None:
        compiling.wait(5)
        with kernel_cache.compiled(source) as must:
            seen.append(f"second must compile: {must}")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for t in threads:
        t.start()
    compiling.wait(5)
    threading.Event().wait(0.2)  # the second caller is at the lock by now
    assert seen == []
    release.set()
    for t in threads:
        t.join(5)
    assert seen == ["compiled", "second must compile: False"]
