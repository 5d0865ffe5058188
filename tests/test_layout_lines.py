"""Characters are set in lines by array operations (checker.documents.grid): the same lines
as the plain greedy loop they replace, ties and rounding at a line's edge included."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from checker.documents.grid import _line_starts


def _greedy(group: list[int], mid: list[float], height: list[float]) -> list[int]:
    """A line is the run of a group's characters within its first one's height of that
    one's centre (characters sorted by group, then centre)."""
    starts: list[int] = []
    ref_group, ref_mid, ref_height = -1, 0.0, 0.0
    for k, (g, m, h) in enumerate(zip(group, mid, height, strict=True)):
        if g == ref_group and abs(m - ref_mid) <= ref_height:
            continue
        starts.append(k)
        ref_group, ref_mid, ref_height = g, m, h
    return starts


_CHAR = st.tuples(
    st.integers(0, 4),
    # centres on coarse steps and thirds: many ties and sums that round at a line's edge
    st.integers(0, 120).map(lambda v: v / 3),
    st.sampled_from([1.0, 1.5, 2.0, 10 / 3, 4.0, 7.25]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(_CHAR, max_size=60))
def test_line_starts_are_the_greedy_loops(chars: list[tuple[int, float, float]]) -> None:
    chars.sort(key=lambda c: (c[0], c[1]))
    group = [c[0] for c in chars]
    mid = [c[1] for c in chars]
    height = [c[2] for c in chars]
    found = _line_starts(
        np.array(group, dtype=np.intp), np.array(mid, dtype=np.float64), np.array(height)
    )
    assert found == _greedy(group, mid, height)


def test_a_char_exactly_at_the_height_stays_in_the_line() -> None:
    group = np.zeros(3, dtype=np.intp)
    mid = np.array([10.0, 12.0, 12.1])
    height = np.array([2.0, 2.0, 2.0])
    assert _line_starts(group, mid, height) == [0, 2]
