"""Responses read back: coupons keyed in or scanned (response codes), web orders carrying `ref`,
orders keyed by customer id or e-mail (the control group's purchases), with date and amount.

Every row is attributed to one recipient of the manifest, or listed with its row and why: a
code whose check character does not match is a typo, reported (with the code it most likely
was), never attributed to whoever it happens to match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from publipost.campaigns.fields import snake
from publipost.campaigns.table import ROW, read_table
from publipost.errors import AudienceError, Where
from publipost.results.manifest import Response
from publipost.store.keys import email_key
from publipost.templates.codes import ALPHABET, alnum, check_character, is_valid

# Headers (after folding: lower case, no accents, words joined by _) each column is known by.
COLUMNS = {
    "code": ("response_code", "code", "code_reponse", "code_de_reponse", "ref", "reference", "coupon"),
    "id": ("id", "customer_id", "client_id", "id_client", "n_client", "numero_client", "num_client"),
    "email": ("email", "e_mail", "mail", "courriel", "adresse_email", "adresse_e_mail"),
    "date": ("date", "order_date", "date_commande", "date_de_commande", "date_reponse", "received"),
    "amount": ("amount", "montant", "total", "montant_ttc", "total_ttc", "revenue", "chiffre_d_affaires"),
    "order": ("order", "order_id", "order_number", "order_no", "commande", "n_commande", "numero_commande"),
    "medium": ("medium", "utm_medium", "canal", "channel"),
    "url": ("url", "landing_page", "landing_url", "page", "lien", "page_d_arrivee", "link"),
}
# utm_medium values as tracking guides write them (Google Analytics' default channel grouping
# reads "email", "e-mail", "e_mail", "e mail" as e-mail), and their French words.
EMAIL_WORDS = ("email", "e_mail", "mail", "courriel", "newsletter")
LETTER_WORDS = ("letter", "lettre", "courrier", "print", "papier", "postal", "direct_mail", "coupon")


@dataclass
class Imported:
    file: Path
    digest: str = ""
    rows: int = 0
    problems: list[tuple[int, str]] = field(default_factory=list)  # row, why it is not attributed
    outsiders: int = 0  # rows of customers this campaign did not mail: an order export holds them all


def read_responses(
    path: Path, campaign_code: str, codes: dict[str, str], ids: set[str], emails: dict[str, str]
) -> tuple[list[Response], Imported]:
    """The file's rows attributed to recipients (codes, ids, e-mail keys as the manifest has them)."""
    if not path.is_file():
        raise AudienceError(
            "responses file not found", Where(path), "check the path given to responses import"
        )
    table = read_table(path)
    columns = _columns(table.frame.columns, path)
    source = table.digest
    report = Imported(path, source, rows=table.rows_read)
    report.problems += table.malformed
    responses: list[Response] = []
    repeats: dict[str, int] = {}
    keyed = {alnum(code): code for code in codes}  # a code as keyed: letters and digits only
    frame = table.frame
    for record in frame.to_dict("records"):
        row = int(record[ROW])
        medium, ref = _from_url(str(record.get(columns.get("url", ""), "") or ""))
        if ref and not str(record.get(columns.get("code", ""), "") or "").strip():
            record, columns = {**record, "_ref": ref}, {**columns, "code": "_ref"}  # a ref read from the URL
        found, how, problem = _attribute(record, columns, campaign_code, codes, ids, emails, keyed)
        if problem in (NOT_A_RECIPIENT, NOT_AN_ADDRESS):
            report.outsiders += 1
            continue
        date, date_problem = _date(record.get(columns.get("date", ""), ""))
        amount, amount_problem = parse_amount(record.get(columns.get("amount", ""), ""))
        problem = problem or date_problem or amount_problem
        if problem or found is None:
            report.problems.append((row, problem or "no code, id or e-mail on this row"))
            continue
        # Known by who, when and the order number, never by the file: the same order from a
        # corrected export is the same response. Two such rows of one file (a second order the
        # same day, with no order number) are two responses: their repeat is part of the key.
        order = str(record.get(columns.get("order", ""), "") or "").strip()
        base = f"{found}|{date or ''}|{order}"
        repeats[base] = repeats.get(base, 0) + 1
        key = f"{base}#{repeats[base]}"
        channel = _channel(str(record.get(columns.get("medium", ""), "") or "") or medium)
        responses.append(Response(source, row, path.name, found, how, date, amount, key, channel))
    return responses, report


def _from_url(url: str) -> tuple[str, str]:
    """(utm_medium, ref) of a landing-page URL, as the tracked links set them."""
    from urllib.parse import parse_qs, urlsplit

    if "?" not in url:
        return "", ""
    try:
        query = parse_qs(urlsplit(url.strip()).query)
    except ValueError:
        return "", ""
    return (query.get("utm_medium") or [""])[0], (query.get("ref") or [""])[0]


def _channel(said: str) -> str | None:
    """letter or email, from what a row says of its medium; None when it says nothing of it."""
    word = snake(said) if said.strip() else ""
    if any(word == w or word.startswith(w) for w in EMAIL_WORDS):
        return "email"
    if any(word == w or word.startswith(w) for w in LETTER_WORDS):
        return "letter"
    return None


def _columns(headers: pd.Index, path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for header in headers:
        if header == ROW:
            continue
        key = snake(str(header))
        for role, names in COLUMNS.items():
            if key in names and role not in found:
                found[role] = header
    if not {"code", "id", "email"} & set(found):
        raise AudienceError(
            "no column says who responded: a response code, a customer id or an e-mail",
            Where(path),
            "name the column 'response_code' (or 'code', 'ref'), 'id' or 'email'; "
            f"the file has: {', '.join(str(h) for h in headers if h != ROW)}",
        )
    return found


NOT_A_RECIPIENT = "not mailed by this campaign (id)"
NOT_AN_ADDRESS = "not mailed by this campaign (e-mail)"
_DASHES = re.compile("[\u2010-\u2015\u2212\ufe58\ufe63\uff0d_/.]")
_CONFUSED = {"O": "0", "0": "O", "I": "1", "1": "I"}


def _attribute(
    record: dict,
    columns: dict[str, str],
    campaign_code: str,
    codes: dict[str, str],
    ids: set[str],
    emails: dict[str, str],
    keyed: dict[str, str],
) -> tuple[str | None, str, str]:
    """(recipient id, matched by, problem)."""
    raw = str(record.get(columns.get("code", ""), "") or "").strip()
    if raw:
        code = re.sub(r"\s+", "-", _DASHES.sub("-", raw.upper())).strip("-")
        known = code if code in codes else keyed.get(alnum(code)) or _confusion(alnum(code), keyed)
        if known:
            return codes[known], "response code", ""
        if not is_valid(code):
            guesses = likely_codes(code, codes)[:3]
            hint = f" (did you mean {' or '.join(guesses)}?)" if guesses else ""
            return None, "", f"response code {code}: the check character does not match: a typo{hint}"
        prefix = code.split("-", 1)[0]
        if prefix != campaign_code:
            return None, "", f"response code {code} is another campaign's ({prefix}, not {campaign_code})"
        return None, "", f"response code {code} was never printed or sent for this campaign"
    rid = str(record.get(columns.get("id", ""), "") or "").strip()
    if rid:
        return (rid, "id", "") if rid in ids else (None, "", NOT_A_RECIPIENT)
    address = str(record.get(columns.get("email", ""), "") or "")
    key = email_key(address)
    if key:
        if key in emails:
            return emails[key], "e-mail", ""
        return None, "", NOT_AN_ADDRESS
    return None, "", ""


def _confusion(letters: str, keyed: dict[str, str]) -> str | None:
    """The one known code this could be with O and 0, I and 1 read the other way, when its check
    character holds only for that reading (at most 10 such characters are tried)."""
    places = [i for i, c in enumerate(letters) if c in _CONFUSED][:10]
    found = set()
    for mask in range(1, 2 ** len(places)):
        chars = list(letters)
        for bit, place in enumerate(places):
            if mask >> bit & 1:
                chars[place] = _CONFUSED[chars[place]]
        candidate = "".join(chars)
        if candidate in keyed and check_character(candidate[:-1]) == candidate[-1]:
            found.add(keyed[candidate])
    return found.pop() if len(found) == 1 else None


def likely_codes(code: str, codes: dict[str, str]) -> list[str]:
    """The known codes one character away (a substitution): what the operator meant to key in."""
    found = set()
    for index, char in enumerate(code):
        if char == "-":
            continue
        for other in ALPHABET:
            candidate = code[:index] + other + code[index + 1 :]
            if other != char and candidate in codes:
                found.add(candidate)
    return sorted(found)


def _date(value: object) -> tuple[str | None, str]:
    text = str(value or "").strip()
    if not text:
        return None, ""
    iso = re.fullmatch(r"\d{4}-\d{2}-\d{2}.*", text)
    parsed = pd.to_datetime(text, dayfirst=not iso, errors="coerce")
    if pd.isna(parsed):
        return None, f"date '{text}' cannot be read (write it 2026-12-31 or 31/12/2026)"
    return parsed.date().isoformat(), ""


def parse_amount(value: object) -> tuple[float | None, str]:
    """'1 234,50 €', '1.234,50', '$1,234.50', '89.9' → a number; anything else is reported. Read
    as target.where reads numbers (one reader), the English way where it is ambiguous: an export's
    '1,234' is a thousand, its '89,90' a decimal comma."""
    from publipost.campaigns.where import read_number

    text = str(value or "").strip()
    if not text:
        return None, ""
    number = read_number(text, "en")
    return (number, "") if number is not None else (None, f"amount '{text}' is not a number")
