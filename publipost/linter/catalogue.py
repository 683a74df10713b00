"""The rule table of the README, generated from the rules themselves.

python -m publipost.linter.catalogue      # prints the Markdown table
"""

from __future__ import annotations

from publipost.linter.rules import all_rules


def markdown_table() -> str:
    rows = ["| code | slug | default | checks | source |", "|---|---|---|---|---|"]
    for rule in all_rules():
        options = ", ".join(f"`{k}` = {v}" for k, v in rule.options.items())
        checks = rule.summary() + (f" Options: {options}." if options else "")
        rows.append(
            f'| <a id="{rule.code.lower()}"></a>{rule.code} | `{rule.name}` | {rule.severity} | '
            f"{checks} | {rule.source} |"
        )
    return "\n".join(rows)


if __name__ == "__main__":
    print(markdown_table())
