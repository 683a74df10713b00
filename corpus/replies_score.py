"""Holds the reply rules of the apology family to the expectations written with the replies
(corpus/replies/expected.toml): precision and recall per code, file by file.

    python corpus/replies_score.py            the table, and every disagreement
"""

from __future__ import annotations

import sys
import tomllib
from pathlib import Path

HERE = Path(__file__).resolve().parent / "replies"
CODES = ("reply-no-apology", "reply-non-apology", "reply-minimises")


def findings() -> dict[str, set[str]]:
    from publipost.linter.engine import lint_paths

    found: dict[str, set[str]] = {}
    for path in sorted((HERE / "letters").glob("*.md")):
        result = lint_paths([path], isolated=True)
        found[path.stem] = {f.name for f in result.findings if f.name in CODES}
    return found


def main() -> int:
    expected = {
        name: set(entry["expected"])
        for name, entry in tomllib.loads((HERE / "expected.toml").read_text("utf-8")).items()
    }
    found = findings()
    rows, worst = [], 1.0
    for code in CODES:
        tp = sum(1 for f in expected if code in expected[f] and code in found[f])
        fp = sum(1 for f in expected if code not in expected[f] and code in found[f])
        fn = sum(1 for f in expected if code in expected[f] and code not in found[f])
        precision = tp / (tp + fp) if tp + fp else 1.0
        recall = tp / (tp + fn) if tp + fn else 1.0
        worst = min(worst, precision, recall)
        rows.append(
            f"{code:<20} precision {precision:.2f}  recall {recall:.2f}  "
            f"({tp} found, {fp} wrong, {fn} missed)"
        )
    print("\n".join(rows))
    for name in sorted(expected):
        if expected[name] != found[name]:
            print(f"  {name}: expected {sorted(expected[name])}, found {sorted(found[name])}")
    return 0 if worst == 1.0 else 1


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parent.parent))
    sys.exit(main())
