"""`publipost schema`: the campaign file's JSON Schema."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from publipost.cli.common import (
    EXIT_OK,
)

if TYPE_CHECKING:
    pass


def arguments(command: argparse.ArgumentParser) -> None:
    command.set_defaults(run=cmd_schema)


def cmd_schema(args: argparse.Namespace) -> int:
    """The campaign YAML's schema, for editors (YAML language servers) and other tools."""
    import json

    from publipost.campaigns.model import Campaign

    schema = Campaign.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "publipost campaign"
    print(json.dumps(schema, indent=2, ensure_ascii=False))
    return EXIT_OK
