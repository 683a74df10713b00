"""The copy linter: the direct-mail rules of mailing-rules.md applied to letters and e-mails."""
