"""The copy linter: the direct-mail rules of mailing-rules.md applied to letters and e-mails."""

from publipost.linter.engine import Finding, LintResult, lint_paths

__all__ = ["Finding", "LintResult", "lint_paths"]
