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
