"""Patterns compiled when first used (publipost/patterns.py)."""

from __future__ import annotations

import re

import pytest

from publipost.patterns import later


def test_a_pattern_is_compiled_at_its_first_use_then_kept():
    broken = later(r"(unclosed")  # compiling it now would raise: nothing is compiled yet
    with pytest.raises(re.error):
        broken()
    pattern = later(r"\bfree\b", re.IGNORECASE)
    assert pattern() is pattern()
    assert pattern().flags & re.IGNORECASE
    assert [m.group(0) for m in pattern().finditer("Free gifts, FREE, freely")] == ["Free", "FREE"]
