"""The suite's long tests start first, half of them in each test process."""

from __future__ import annotations

from types import SimpleNamespace

from tests.ordering import LONG_FIRST, long_first_in_halves


def items(*ids: str) -> list:
    return [SimpleNamespace(nodeid=i) for i in ids]


def test_the_long_tests_head_each_half_longest_first_and_the_rest_keep_their_order():
    longest, second, third = LONG_FIRST[0], LONG_FIRST[1], LONG_FIRST[2]
    suite = items("a", third, "b", "c", second, "d", "e", longest)
    ordered = [i.nodeid for i in long_first_in_halves(suite)]
    assert ordered == [longest, third, "a", "b", second, "c", "d", "e"]


def test_a_selection_too_small_to_split_keeps_its_order():
    suite = items(*LONG_FIRST[:5])
    assert long_first_in_halves(suite) == suite
