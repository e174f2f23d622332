"""The suite's long tests start first, shared out between the test processes."""

from __future__ import annotations

from types import SimpleNamespace

from tests.ordering import LONG_FIRST, long_first_in_parts


def items(*ids: str) -> list:
    return [SimpleNamespace(nodeid=i) for i in ids]


def test_the_long_tests_head_each_process_part_longest_first_and_the_rest_keep_their_order():
    longest, second, third = LONG_FIRST[0], LONG_FIRST[1], LONG_FIRST[2]
    suite = items("a", third, "b", "c", second, "d", "e", longest)
    ordered = [i.nodeid for i in long_first_in_parts(suite)]
    assert ordered == [longest, third, "a", "b", second, "c", "d", "e"]


def test_with_three_processes_each_third_starts_with_its_share_of_the_long_tests():
    longest, second, third = LONG_FIRST[0], LONG_FIRST[1], LONG_FIRST[2]
    suite = items("a", third, "b", "c", second, "d", "e", longest, "f")
    ordered = [i.nodeid for i in long_first_in_parts(suite, 3)]
    assert ordered == [longest, "a", "b", second, "c", "d", third, "e", "f"]


def test_a_selection_too_small_to_split_keeps_its_order():
    suite = items(*LONG_FIRST[:5])
    assert long_first_in_parts(suite) == suite


def test_the_zone_runs_sharing_rq_workers_run_in_a_row_in_one_process_killing_one_last():
    zone_runs = [i for i in LONG_FIRST if i.startswith("tests/app/test_zone_runs.py")]
    suite = items(*LONG_FIRST, *(f"t{n}" for n in range(200)))
    ordered = [i.nodeid for i in long_first_in_parts(suite)]
    first = ordered.index(zone_runs[0])
    assert ordered[first : first + 3] == zone_runs
    assert zone_runs[-1].endswith("test_a_second_search_lost_with_its_worker")
    part = len(suite) // 2
    assert (first < part) == (first + 2 < part)
