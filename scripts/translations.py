"""Keep the tool's catalogues in step with the code (README, "Translations").

    python scripts/translations.py          # extract, merge into each language, compile
    python scripts/translations.py --check  # what CI's test does: exit 1 when a message is untranslated

Babel does the work (extraction from Python and Jinja2, merging, compiling); this script only
chains its steps with the settings the project needs: messages are formatted with str.format,
so Babel's `python-format` guess (any '%' in "95 % interval") is dropped, and French plurals are
gettext's classic two (n > 1), not CLDR's three.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "publipost"
LOCALES = PACKAGE / "locale"
DOMAIN = "publipost"
PLURALS = {"fr": (2, "(n > 1)")}  # gettext's French: one for 0 and 1, the other from 2


def extracted() -> Catalog:
    """Every message the code and the templates mark, as Babel finds them."""
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    catalog = Catalog(project="publipost", copyright_holder="publipost", charset="utf-8")
    for _file, _line, message, comments, context in extract_from_dir(
        str(PACKAGE), method_map, options_map, strip_comment_tags=True
    ):
        catalog.add(message, None, auto_comments=comments, context=context)
    for message in catalog:
        message.flags.discard("python-format")
    return catalog


def merged(language: str, template: Catalog) -> Catalog:
    path = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as file:
        catalog = read_po(file)
    if language in PLURALS:
        catalog._num_plurals, catalog._plural_expr = PLURALS[language]  # type: ignore[attr-defined]
    created = catalog.creation_date
    catalog.update(template, no_fuzzy_matching=True)
    catalog.creation_date = created  # a run that changes no message changes no file
    catalog.project, catalog.version, catalog.copyright_holder = "publipost", "0", "publipost"
    catalog.header_comment = (
        f'# publipost\'s own words in {language} (README, "Translations").\n'
        "# Edit the translations here, then run scripts/translations.py to compile them.\n"
    )
    for message in catalog:
        message.flags.discard("python-format")
    return catalog


def problems(catalog: Catalog) -> list[str]:
    """Untranslated or fuzzy messages, and placeholders a translation lost or invented."""
    import re

    said = []
    for message in catalog:
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings) or message.fuzzy:
            said.append(f"untranslated: {ids[0]!r}")
            continue
        wanted = set(re.findall(r"\{\w+\}", ids[-1]))
        for string in strings:
            if set(re.findall(r"\{\w+\}", string)) != wanted:
                said.append(f"placeholders differ: {ids[0]!r} → {string!r}")
    return said


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--check", action="store_true", help="check only: nothing is written")
    args = parser.parse_args()
    template = extracted()
    failed = False
    for folder in sorted(p for p in LOCALES.iterdir() if p.is_dir()):
        catalog = merged(folder.name, template)
        for problem in problems(catalog):
            print(f"{folder.name}: {problem}", file=sys.stderr)
            failed = True
        if args.check:
            continue
        po = folder / "LC_MESSAGES" / f"{DOMAIN}.po"
        with po.open("wb") as file:
            write_po(file, catalog, width=100, omit_header=False, ignore_obsolete=True)
        with (folder / "LC_MESSAGES" / f"{DOMAIN}.mo").open("wb") as file:
            write_mo(file, catalog)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
