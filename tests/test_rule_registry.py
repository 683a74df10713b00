"""Issue 28: a rule is a unit. Rules register themselves (every module of linter/rules/ is
loaded); each declares its weight in the score (or None, on purpose) and has its French
explanation; nothing pins how many there are."""

from __future__ import annotations

import textwrap

import pytest

from publipost.linter.rule import DIMENSIONS, ONCE, RATE, READING_EASE, REGISTRY, Rule, Weight, _explanations
from publipost.linter.rules import all_rules


def _declares_weight(rule: type[Rule]) -> bool:
    """In its own class, or in a base that is no rule of its own (meta rules share one)."""
    for cls in rule.__mro__:
        if "weight" in vars(cls):
            return cls is rule or "code" not in vars(cls)
    return False


@pytest.mark.parametrize("rule", all_rules(), ids=lambda r: f"{r.code}-{r.name}")
def test_every_rule_declares_what_a_rule_needs(rule):
    assert _declares_weight(rule), f"{rule.code} declares no weight (Weight(...), or None on purpose)"
    weight = rule.weight
    if weight is not None:
        assert (
            weight.dimension in DIMENSIONS
            and weight.points > 0
            and weight.counts in (ONCE, RATE, READING_EASE)
        )
    assert _explanations("fr").get(rule.code, "").strip(), f"{rule.code} has no French explanation"
    assert set(rule.message) == {"en", "fr"} and rule.source and rule.summary()


def test_the_registry_is_the_catalogue_and_the_score_s_table():
    from publipost.linter.score import WEIGHTS

    assert all_rules() == sorted(REGISTRY.values(), key=lambda r: r.code)
    assert {r.code: r.weight for r in all_rules() if r.weight is not None} == WEIGHTS
    # the structure rules a letter is judged on weigh the most: a missing hook or signature
    assert WEIGHTS["PP101"] == Weight("structure", 1.5, ONCE) == WEIGHTS["PP103"]
    assert sum(1 for r in all_rules() if r.weight is None) == 4  # tone advice and three meta rules


def test_a_rule_defined_in_a_rules_module_registers_itself_and_a_code_twice_is_refused():
    namespace: dict = {}
    source = textwrap.dedent(
        """
        from publipost.linter.rule import ONCE, Rule, Weight
        class Toy(Rule):
            code, name, severity, source = "PP999", "toy", "info", "a test"
            weight = Weight("style", 0.5, ONCE)
            message = {"en": "toy", "fr": "jouet"}
        """
    )
    namespace["__name__"] = "publipost.linter.rules.toy"
    try:
        exec(compile(source, "toy.py", "exec"), namespace)
        assert REGISTRY["PP999"].name == "toy"
        with pytest.raises(TypeError, match="two rules have the code PP999"):
            exec(compile(source, "toy.py", "exec"), dict(namespace))
    finally:
        REGISTRY.pop("PP999", None)
