"""The package version in one place: the package, the CLI and the linter's SARIF read it here
(the linter imported publipost's front door for it, an import pointing up)."""

__version__ = "0.1.0"
