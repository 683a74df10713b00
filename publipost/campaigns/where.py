"""The declarative audience filter of `target.where`.

Conditions are data, never code: no expression is evaluated. Each key names a
field; its value is a condition, and all conditions must hold.

    segment: gold                  equality (case-insensitive)
    country: [FR, BE]              membership
    age: {gte: 18, lt: 65}         comparisons: eq ne gt gte lt lte
    city: {not: Paris}             negation of any condition
    optin: {in: [oui, yes, 1]}     in / not_in
    phone: {empty: false}          present or absent
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pandas as pd

from publipost.errors import AudienceError, Where, did_you_mean

COMPARISONS = {"gt", "gte", "lt", "lte"}
# `optin: true` matches what spreadsheets put in a yes/no column.
TRUE_WORDS = ["yes", "y", "true", "1", "oui", "o", "x", "vrai"]
FALSE_WORDS = ["no", "n", "false", "0", "non", "faux", ""]
OPERATORS = {"eq", "ne", "in", "not_in", "not", "empty"} | COMPARISONS


def where_mask(
    frame: pd.DataFrame,
    where: dict[str, Any],
    locate: Callable[[tuple], Where],
    suggest: Callable[[str], str],
    *,
    dayfirst: bool,
) -> pd.Series:
    """Rows of `frame` that meet every condition of `where`."""
    mask = pd.Series(True, index=frame.index)
    for field_name, condition in where.items():
        if field_name not in frame.columns:
            raise AudienceError(
                f"target.where filters on '{field_name}', which the customer file does not have",
                locate(("target", "where", field_name)),
                suggest(field_name),
            )
        column = frame[field_name].astype(str)
        mask &= _condition(column, condition, locate(("target", "where", field_name)), dayfirst)
    return mask


def _condition(column: pd.Series, condition: Any, where: Where, dayfirst: bool) -> pd.Series:
    if isinstance(condition, list):
        return _isin(column, condition)
    if isinstance(condition, bool):
        return _isin(column, TRUE_WORDS if condition else FALSE_WORDS)
    if not isinstance(condition, dict):
        return _compare(column, "eq", condition, where, dayfirst)
    mask = pd.Series(True, index=column.index)
    for op, value in condition.items():
        if op not in OPERATORS:
            suggestion = did_you_mean(op, OPERATORS)
            raise AudienceError(
                f"unknown filter operator '{op}'",
                where,
                suggestion or f"operators: {', '.join(sorted(OPERATORS))}",
            )
        if op == "not":
            mask &= ~_condition(column, value, where, dayfirst)
        elif op in ("eq", "ne") and isinstance(value, bool):
            hit = _condition(column, value, where, dayfirst)
            mask &= hit if op == "eq" else ~hit
        elif op in ("in", "not_in"):
            values = value if isinstance(value, list) else [value]
            hit = _isin(column, values)
            mask &= hit if op == "in" else ~hit
        elif op == "empty":
            blank = column.str.strip() == ""
            mask &= blank if value else ~blank
        else:
            mask &= _compare(column, op, value, where, dayfirst)
    return mask


def _isin(column: pd.Series, values: list[Any]) -> pd.Series:
    wanted = {_text(v).casefold() for v in values}
    return column.str.strip().str.casefold().isin(wanted)


def _compare(column: pd.Series, op: str, value: Any, where: Where, dayfirst: bool) -> pd.Series:
    left: pd.Series
    right: Any
    if isinstance(value, dict | list) or value is None:
        raise AudienceError(f"'{op}' takes one value", where, "e.g. {gte: 18}")
    if isinstance(value, bool | str):
        left, right = column.str.strip().str.casefold(), _text(value).casefold()
    elif isinstance(value, int | float):
        left = pd.to_numeric(column.str.strip().str.replace(",", ".", regex=False), errors="coerce")
        right = value
    elif isinstance(value, dt.date):
        left = pd.to_datetime(column.str.strip(), errors="coerce", dayfirst=dayfirst, format="mixed")
        right = pd.Timestamp(value)
    else:
        raise AudienceError(f"cannot compare with {value!r}", where, "use text, a number or a date")
    result = {
        "eq": lambda: left == right,
        "ne": lambda: left != right,
        "gt": lambda: left > right,
        "gte": lambda: left >= right,
        "lt": lambda: left < right,
        "lte": lambda: left <= right,
    }[op]()
    return result.fillna(False).astype(bool)


def _text(value: Any) -> str:
    return str(value).strip()
