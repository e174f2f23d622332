"""The planner's process pools never fork a process in which another thread runs."""

import threading

from dispatch.solver import pool_context


def test_a_single_threaded_process_forks(monkeypatch):
    # the test process itself may run other threads (a browser driver of an earlier test)
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert pool_context().get_start_method() == "fork"


def test_a_process_with_another_thread_starts_children_from_a_fork_server():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert pool_context().get_start_method() == "forkserver"
    finally:
        stop.set()
        other.join()


def test_a_pool_from_a_threaded_process_runs_its_work():
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        with pool_context().Pool(2) as pool:
            assert pool.map(abs, [-1, -2, 3]) == [1, 2, 3]
    finally:
        stop.set()
        other.join()
