"""Level ranking: normal < warning < unknown levels < error."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vpndiag.model.summary import KNOWN_LEVELS, LEVEL_ORDER, level_rank, worst_level


def test_documented_levels_rank_normal_warning_error() -> None:
    """normal < warning < error."""
    assert level_rank("normal") < level_rank("warning") < level_rank("error")
    assert set(KNOWN_LEVELS) == {"normal", "warning", "error"}


@pytest.mark.parametrize("level", ["critical", "info", "Normal", ""])
def test_unknown_levels_rank_between_warning_and_error(level: str) -> None:
    """An unknown level never hides behind normal or warning, and never outranks error."""
    assert level_rank("warning") < level_rank(level) < level_rank("error")


@pytest.mark.parametrize(
    ("levels", "worst"),
    [
        (["normal", "warning", "normal"], "warning"),
        (["warning", "error", "normal"], "error"),
        (["normal", "critical", "warning"], "critical"),
        (["critical", "error"], "error"),
        (["normal"], "normal"),
    ],
)
def test_worst_level(levels: list[str], worst: str) -> None:
    """worst_level picks the highest-ranked level, keeping unknown ones verbatim."""
    assert worst_level(levels) == worst


def test_no_levels_is_normal() -> None:
    """Nothing reported is nothing bad: the empty case is normal."""
    assert worst_level([]) == "normal"


def test_worst_level_accepts_any_iterable() -> None:
    """worst_level consumes generators as well as lists."""
    assert worst_level(level for level in ("normal", "error")) == "error"


@given(st.lists(st.sampled_from(["normal", "warning", "error"]) | st.text(max_size=6)))
def test_worst_level_ignores_order(levels: list[str]) -> None:
    """Ties between unknown levels are broken by text, so item order never changes the result."""
    assert worst_level(levels) == worst_level(reversed(levels)) == worst_level(sorted(levels))


def test_level_order_is_read_only() -> None:
    """LEVEL_ORDER cannot be changed at run time by a careless caller."""
    with pytest.raises(TypeError):
        LEVEL_ORDER["critical"] = 5  # type: ignore[index]
