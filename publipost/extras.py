"""What an optional part of publipost needs installed, said before it is used.

The base install validates, lints, renders and sends (about 430 MB with pandas and reportlab);
the report's statistics and plots (scipy, statsmodels, matplotlib: some 280 MB), the preview's
page and the unsubscribe endpoint's web server are extras. A command whose extra is missing
says which one to install (exit 2), never an ImportError's traceback.
"""

from __future__ import annotations

import importlib.util

from publipost.errors import PublipostError

# extra → the modules it brings (pyproject.toml's [project.optional-dependencies])
EXTRAS = {
    "report": ("scipy", "statsmodels", "matplotlib"),
    "serve": ("starlette", "uvicorn", "python_multipart", "anyio"),
    "preview": ("starlette", "uvicorn", "anyio", "watchfiles", "pypdfium2"),
}  # postgres, dask and parquet say so where they are used (store/db.py, run/cluster.py, campaigns/table.py)


def needs(extra: str, what: str) -> None:
    """Refuse `what` (a command, a format) when `extra`'s modules are not installed (looked up, not
    imported: `report --format json` does not pay for matplotlib)."""
    for module in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(module) is not None
        except ImportError:
            found = False
        if not found:
            raise PublipostError(
                f"{what} needs publipost's '{extra}' extra ({module} is not installed)",
                hint=f"pip install 'publipost[{extra}]'",
            )
