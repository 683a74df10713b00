"""The campaign schema: what a marketer may write in campaign.yaml.

One mailing serves one objective (mailing-rules.md §1), so `objective` is a
single value; French words are accepted for every objective because the
marketers who write these files often think in French.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    field_validator,
    model_validator,
)

from publipost.campaigns.code import checked_code, derived_code
from publipost.campaigns.copy import Copy
from publipost.campaigns.profiles import profile_name
from publipost.errors import Where, did_you_mean
from publipost.folding import fold
from publipost.i18n import N_


class Objective(StrEnum):
    SALE = "sale"
    LAUNCH = "launch"
    AWARENESS = "awareness"
    LOYALTY = "loyalty"
    REACTIVATION = "reactivation"
    APPOINTMENT = "appointment"
    EVENT = "event"


FRENCH_OBJECTIVES = {
    "vente": Objective.SALE,
    "lancement": Objective.LAUNCH,
    "notoriete": Objective.AWARENESS,
    "fidelisation": Objective.LOYALTY,
    "relance": Objective.REACTIVATION,
    "rendez-vous": Objective.APPOINTMENT,
    "evenement": Objective.EVENT,
}

# The objectives as summaries name them (mailing-rules.md §1).
OBJECTIVES = (
    N_("sale"),
    N_("launch"),
    N_("awareness"),
    N_("loyalty"),
    N_("reactivation"),
    N_("appointment"),
    N_("event"),
)
CHANNEL_NAMES = (N_("letter"), N_("email"))

# What the `objective` key accepts: the objectives, and their French words with or without accents.
ObjectiveWord = Literal[
    "sale",
    "launch",
    "awareness",
    "loyalty",
    "reactivation",
    "appointment",
    "event",
    "vente",
    "lancement",
    "notoriété",
    "notoriete",
    "fidélisation",
    "fidelisation",
    "relance",
    "rendez-vous",
    "événement",
    "evenement",
]

#: Objectives that sell something now: the offer must say at what price.
PRICED_OBJECTIVES = {Objective.SALE, Objective.LAUNCH}


def percentage(value: Any, what: str, example: str) -> float:
    """'10%', '10 %', '10,5' or 10 as a number of per cent."""
    text = str(value).strip().removesuffix("%").strip().replace(",", ".")
    try:
        return float(text)
    except ValueError:
        raise ValueError(f"'{value}' is not {what}: write it as a percentage, e.g. {example}") from None


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Offer(Section):
    product: str = Field(min_length=1)
    price: Decimal | None = None
    currency: str = "EUR"
    plus: str | None = None
    gift: str | None = None
    deadline: dt.date | None = None

    @field_validator("deadline", mode="before", json_schema_input_type=dt.date | str | None)
    @classmethod
    def _deadline(cls, value: Any) -> Any:
        """ISO dates, or the day first as French (and British) marketers write them: 15/01/2027."""
        if not isinstance(value, str):
            return value
        for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y"):
            try:
                return dt.datetime.strptime(value.strip(), pattern).date()
            except ValueError:
                continue
        raise ValueError(f"'{value}' is not a date: write it 2027-01-15 (or 15/01/2027, day first)")

    @field_validator("price", mode="before", json_schema_input_type=float | str | None)
    @classmethod
    def _price(cls, value: Any) -> Any:
        if isinstance(value, str):
            cleaned = value.replace("\u00a0", "").replace(" ", "").replace(",", ".")
            cleaned = cleaned.rstrip("€$£").lstrip("€$£")
            try:
                return Decimal(cleaned)
            except InvalidOperation:
                raise ValueError(f"'{value}' is not a price; write it as a number, e.g. 49.90") from None
        if isinstance(value, float):
            return Decimal(str(value))
        return value

    @field_validator("price")
    @classmethod
    def _positive(cls, value: Decimal | None) -> Decimal | None:
        if value is not None and value < 0:
            raise ValueError("a price cannot be negative")
        return value

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        from babel.numbers import list_currencies

        code = value.upper()
        if code not in list_currencies():
            raise ValueError(f"'{value}' is not an ISO 4217 currency code (EUR, USD, GBP, CHF, …)")
        return code


# codecs' canonical names → how the README names them
CUSTOMER_ENCODINGS = {
    "utf-8": "utf-8",
    "utf-8-sig": "utf-8-sig",
    "cp1252": "cp1252",
    "iso8859-1": "latin-1",
    "iso8859-15": "iso-8859-15",
    "mac-roman": "mac-roman",
    "ascii": "ascii",
}


class Exclusion(Section):
    path: str
    match: list[Literal["email", "address"]] | None = None


class Target(Section):
    source: str | None = None  # required in a campaign file; a campaign built in Python may take a DataFrame
    sheet: str | None = None
    encoding: str | None = None
    id: str | None = None
    columns: dict[str, str] = {}
    where: dict[str, Any] = {}
    date_format: str | None = None  # how the file writes dates (%d.%m.%Y); default: the language's form
    exclude: list[Exclusion] = []
    dedupe: list[str] | None = None
    # one letter per household: the columns that make one (last_name, address1, postcode); the
    # letter is addressed to every member, each member keeps their e-mail
    household: list[str] | None = None
    sort: list[str] = []  # print order by these fields (postcode: presort rates); else the file order
    customers: int | None = Field(default=None, gt=0)  # replies: the customer base, for the complaint rate

    @field_validator("sort", mode="before", json_schema_input_type=str | list[str])
    @classmethod
    def _sort(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("exclude", mode="before", json_schema_input_type=str | Exclusion | list[str | Exclusion])
    @classmethod
    def _exclude(cls, value: Any) -> Any:
        if isinstance(value, str | dict):
            value = [value]
        if isinstance(value, list):
            return [{"path": item} if isinstance(item, str) else item for item in value]
        return value

    @field_validator("date_format")
    @classmethod
    def _date_format(cls, value: str | None) -> str | None:
        """strftime's codes, with a day, a month and a year: what target.where reads dates with."""
        if value is None:
            return value
        if not all(code in value for code in ("%d", "%m")) or not ("%Y" in value or "%y" in value):
            raise ValueError("a date format has %d, %m and %Y (or %y): e.g. '%d.%m.%Y' for 31.01.2023")
        import datetime as dt

        sample = dt.datetime(2023, 1, 31)
        try:  # a date written with it must read back as the same date (an unknown % code does not)
            same = dt.datetime.strptime(sample.strftime(value), value) == sample
        except ValueError:
            same = False
        if not same:
            raise ValueError(f"'{value}' cannot write and read back a date: use strftime's %d %m %Y %y only")
        return value

    @field_validator("encoding")
    @classmethod
    def _encoding(cls, value: str | None) -> str | None:
        """Encodings customer files are saved in. Others (UTF-16, exotic codecs) are refused: they
        are not how spreadsheets export text, and would read any file as something."""
        if value is None:
            return value
        import codecs

        try:
            name = codecs.lookup(value).name
        except LookupError:
            name = ""
        if name not in CUSTOMER_ENCODINGS:
            hint = " (re-export a UTF-16 file as 'CSV UTF-8')" if "16" in value or "32" in value else ""
            raise ValueError(
                f"'{value}' is not an encoding publipost reads customer files in: use "
                + ", ".join(sorted(set(CUSTOMER_ENCODINGS.values())))
                + hint
            )
        return name

    @field_validator("dedupe", "household", mode="before", json_schema_input_type=str | list[str] | None)
    @classmethod
    def _dedupe(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("columns")
    @classmethod
    def _field_names(cls, value: dict[str, str]) -> dict[str, str]:
        for header, name in value.items():
            if not name.isidentifier() or not name.isascii():
                raise ValueError(
                    f"'{name}' (for column '{header}') is not a usable field name: "
                    "use letters, digits and _ only, e.g. first_name"
                )
        return value


class Sender(Section):
    name: str
    function: str | None = None
    company: str | None = None
    address: list[str] = []
    place: str | None = None
    email: str | None = None
    reply_to: str | None = None
    bounce: str | None = None  # the envelope sender (Return-Path): where bounces go; default: email
    signature: str | None = None
    # Who the company is, as the law asks a business letter and a commercial e-mail to say
    # (Code de commerce R123-237: name, legal form, capital, RCS and city, registered office).
    legal: list[str] = []

    @field_validator("address", "legal", mode="before", json_schema_input_type=str | list[str])
    @classmethod
    def _lines(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        return value

    @property
    def display_name(self) -> str:
        """Who the mailing is from, as letters head it and e-mails name it: the company, or the signatory."""
        return self.company or self.name

    @property
    def block(self) -> list[str]:
        """The sender block: the display name and the postal address lines."""
        return [line for line in (self.display_name, *self.address) if line]

    @field_validator("email", "reply_to", "bounce")
    @classmethod
    def _email(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from publipost.campaigns.emails import check_email

        address, problem = check_email(value)
        if problem:
            raise ValueError(problem)
        return address


class Greeting(Section):
    """How a letter or an e-mail greets the reader when its copy has no salutation line, like a
    word processor's greeting line. formal: "Chère Madame Dupont," from the civility column, else
    the fallback; familiar: the first name when known ("Bonjour Léa,"), else as formal."""

    style: Literal["formal", "familiar"] = "formal"
    fallback: str | None = None  # "Cher client," …; default "Madame, Monsieur," / "Dear Sir or Madam,"


def _greeting(value: Any) -> Any:
    return {"style": value} if isinstance(value, str) else value


class Letter(Section):
    template: str = "classic"
    greeting: Greeting = Greeting()  # letters are formal by default

    @field_validator("greeting", mode="before", json_schema_input_type=str | Greeting)
    @classmethod
    def _greeting(cls, value: Any) -> Any:
        return _greeting(value)

    design: str = "classic"  # classic, modern, business, or your own design file (.toml)
    # A window-envelope preset: fr, din-b, din-a, us (default: fr, or us in English).
    layout: str | None = None
    date: dt.date | None = None
    hook: str | None = None
    body: str
    ps: str | None = None
    coupon: bool = True  # the reply coupon, "the shop's till" (mailing-rules.md §6)
    reply_address: list[str] = []  # where coupons go back (business reply); default: the sender's
    # the window envelope (publipost envelope list; dl, c5: the usual one of that size), whose
    # carrier artwork is printed too; without one, the layout's usual envelope is checked only
    envelope: str | None = None
    leaflet: str | None = None  # a PDF collated after each letter

    @field_validator("envelope")
    @classmethod
    def _envelope(cls, value: str | None) -> str | None:
        from publipost.campaigns.envelopes import envelope_names

        known = ["dl", "c5", *envelope_names()]
        if value is not None and value not in known:
            listed = ", ".join(known)
            raise ValueError(f"unknown envelope '{value}': one of {listed} (publipost envelope list)")
        return value

    @property
    def carrier(self) -> str:
        """The carrier envelope's artwork size: c5, or dl (DL and C6/5 alike)."""
        return "c5" if (self.envelope or "").startswith("c5") else "dl"

    @field_validator("reply_address", mode="before", json_schema_input_type=str | list[str])
    @classmethod
    def _lines(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [line.strip() for line in value.splitlines() if line.strip()]
        return value

    @field_validator("template")
    @classmethod
    def _template(cls, value: str) -> str:
        if value != "classic":
            raise ValueError(
                "the only letter template so far is the built-in 'classic'; choose the window-envelope "
                "layout with letter.layout (fr, din-b, din-a, us)"
            )
        return value

    @field_validator("layout")
    @classmethod
    def _layout(cls, value: str | None) -> str | None:
        from publipost.campaigns.presets import preset_names

        if value is not None and value not in preset_names():
            suggestion = did_you_mean(value, preset_names())
            raise ValueError(
                f"unknown layout '{value}'"
                + (f"; {suggestion}" if suggestion else "")
                + f" (one of: {', '.join(preset_names())})"
            )
        return value


class Unsubscribe(Section):
    url: str | None = None  # https, for the one-click List-Unsubscribe header (RFC 8058)
    mailto: str | None = None

    @field_validator("url")
    @classmethod
    def _https(cls, value: str | None) -> str | None:
        """The URL goes into a header of every message: one line of ASCII with nothing to split it."""
        if value is None:
            return value
        if not value.startswith("https://"):
            raise ValueError("the unsubscribe url must start with https:// (one-click unsubscribe, RFC 8058)")
        if not value.isascii() or any(c.isspace() or not c.isprintable() or c in '<>"' for c in value):
            raise ValueError(
                "the unsubscribe url must be one line of ASCII without spaces, quotes or angle brackets: "
                "write the domain in its IDNA form (xn--…) and percent-encode other characters (%C3%A9 for é)"
            )
        if "#" in value:  # the token is added as a query: after a fragment, it never reaches the server
            raise ValueError(
                "the unsubscribe url cannot hold a #fragment: browsers and mail clients never send it, and "
                "the token publipost adds after it would be lost (every unsubscribe refused)"
            )
        return value

    @field_validator("mailto")
    @classmethod
    def _mailto(cls, value: str | None) -> str | None:
        if value is None:
            return value
        from publipost.campaigns.emails import check_email

        address, problem = check_email(value.removeprefix("mailto:"))
        if problem:
            raise ValueError(problem)
        return address


class Dkim(Section):
    selector: str = Field(min_length=1)
    domain: str | None = None  # default: the From address's domain
    key_file: str | None = None  # a PEM file; or the key itself in PUBLIPOST_DKIM_KEY


class Email(Section):
    template: str = "classic"
    subject: str = Field(min_length=1)
    # e-mails: formal, falling back on the first name before a generic greeting (unless a
    # fallback is given)
    greeting: Greeting = Greeting()

    @field_validator("greeting", mode="before", json_schema_input_type=str | Greeting)
    @classmethod
    def _greeting(cls, value: Any) -> Any:
        return _greeting(value)

    @field_validator("template")
    @classmethod
    def _template(cls, value: str) -> str:
        if value != "classic" and not value.lower().endswith(".mjml"):
            raise ValueError("an e-mail template is 'classic' (built in) or a path to your own .mjml file")
        return value

    preheader: str | None = None
    body: str
    unsubscribe: Unsubscribe | None = None
    dkim: Dkim | None = None


def _link(value: str, key: str) -> str:
    """A URL a reader can follow: https, http, mailto or tel; one line of ASCII, no space."""
    if not value.isascii() or any(c.isspace() or not c.isprintable() or c in '<>"' for c in value):
        raise ValueError(
            f"the {key} must be one line of ASCII without spaces, quotes or angle brackets: "
            "write the domain in its IDNA form (xn--…) and percent-encode other characters"
        )
    scheme = value.split(":", 1)[0].lower() if ":" in value else ""
    if scheme not in ("https", "http", "mailto", "tel"):
        raise ValueError(f"the {key} '{value}' must start with https:// (or http://, mailto:, tel:)")
    return value


class Cta(Section):
    """The one act the mailing asks for (one objective, one act): a button in the e-mail, a bold
    line with a QR code in the letter."""

    label: str = Field(min_length=1)
    url: str

    @field_validator("url")
    @classmethod
    def _url(cls, value: str) -> str:
        return _link(value, "cta url")


class Links(Section):
    """Tracked links: links to the campaign's own sites carry utm_source, utm_medium (email or
    letter), utm_campaign (the campaign code) and ref (the recipient's response code)."""

    track: bool = True
    domains: list[str] = []  # the sites that are "ours" (default: the CTA's and the sender's domains)
    source: str = "publipost"  # utm_source

    @field_validator("domains", mode="before", json_schema_input_type=str | list[str])
    @classmethod
    def _domains(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


def contrast(colour: str, background: str = "#ffffff") -> float:
    """WCAG 2.x contrast ratio of two #rrggbb colours (1 to 21)."""

    def luminance(value: str) -> float:
        channels = [int(value[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    light, dark = sorted((luminance(colour), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def passing_shade(colour: str, ratio: float = 4.5) -> str:
    """The shade of `colour` (its hue and saturation, darker) nearest to it whose contrast on
    white reaches `ratio`: what a refused brand colour can become without changing its hue."""
    import colorsys

    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    hue, lightness, saturation = colorsys.rgb_to_hls(r, g, b)
    low, high = 0.0, lightness  # bisect the lightness: contrast only grows as it falls
    for _ in range(30):
        middle = (low + high) / 2
        shade = "#" + "".join(f"{round(c * 255):02x}" for c in colorsys.hls_to_rgb(hue, middle, saturation))
        low, high = (middle, high) if contrast(shade) >= ratio else (low, middle)
    return "#" + "".join(f"{round(c * 255):02x}" for c in colorsys.hls_to_rgb(hue, low, saturation))


class BrandFont(Section):
    regular: str  # a TTF or OTF file
    bold: str


def _cmyk(value: Any) -> tuple[float, ...]:
    """Four percentages, cyan, magenta, yellow, black: one message for any other shape."""
    numbers = (
        value
        if isinstance(value, list | tuple)
        and len(value) == 4
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        else None
    )
    if numbers is None or not all(0 <= v <= 100 for v in numbers):
        raise ValueError("four CMYK percentages, 0 to 100, in the order C, M, Y, K: e.g. [100, 66, 0, 2]")
    return tuple(float(v) for v in numbers)


Cmyk = Annotated[tuple[float, float, float, float], BeforeValidator(_cmyk)]


class Spot(Section):
    """A named ink the print shop mixes (PANTONE 286 C), with its CMYK equivalent for proofs
    and presses without it (the Separation's alternate, ISO 32000-1 §8.6.6.4)."""

    name: str = Field(min_length=1, max_length=127)  # a PDF name: 127 bytes at most (ISO 32000-1, C.2)
    cmyk: Cmyk


class Brand(Section):
    """How the campaign looks: a logo, a colour, a font."""

    logo: str | None = None  # PNG or JPEG: the letter's head, the e-mail's header
    # the logo spells the company's name: the letterhead under it starts with the address
    logo_shows_name: bool = False
    color: str | None = None  # #rrggbb: the hook, the button, rules; checked for contrast on white
    font: BrandFont | None = None  # letters: embedded; e-mails use a web-safe stack
    # In a PDF/X print file (print.standard), the brand colour as the print shop inks it: CMYK
    # percentages, or a named spot ink; without either, `color` converted through the output profile.
    color_cmyk: Cmyk | None = None
    spot: Spot | None = None

    @model_validator(mode="after")
    def _printed_colour(self) -> Brand:
        if (self.color_cmyk or self.spot) and not self.color:
            raise ValueError(
                "brand.color_cmyk and brand.spot print brand.color: set brand.color too (the screen's)"
            )
        if self.color_cmyk and self.spot:
            raise ValueError("brand.color_cmyk or brand.spot: the brand colour is printed one way")
        return self

    @field_validator("color")
    @classmethod
    def _color(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not re.fullmatch(r"#[0-9a-fA-F]{6}", value):
            raise ValueError(f"'{value}' is not a colour: write it #rrggbb, e.g. #1a4d8f")
        ratio = contrast(value)
        if ratio < 4.5:
            raise ValueError(
                f"{value} on white has a contrast of {ratio:.1f}:1; text needs 4.5:1 (WCAG 2 AA): "
                f"choose a darker colour; the nearest shade that passes is {passing_shade(value.lower())}"
            )
        return value.lower()


class Print(Section):
    """What the print shop receives: PDF/X-4, in its output condition (templates/press.py)."""

    standard: Literal["pdf/x-4"] | None = None  # the print file as PDF/X-4 (render --pdfx asks once)
    marks: Literal["datamatrix", "omr", "none"] = (
        "none"  # a code per sheet an inserter reads: a DataMatrix or OMR bars (templates/inserter.py)
    )
    output_profile: str | None = None  # the print shop's CMYK .icc (default: Ghostscript's default CMYK)


class Costs(Section):
    """What the mailing cost, in the offer's currency: the report's cost per response and ROI."""

    letter: float = Field(default=0, ge=0)  # per letter printed and posted (paper, print, postage)
    email: float = Field(default=0, ge=0)  # per e-mail sent
    fixed: float = Field(default=0, ge=0)  # design, lists, set-up


class Replies(Section):
    """How a complaint-reply campaign treats a row it cannot handle as the course says
    (mailing-rules.md §7: a serious complaint is phoned first)."""

    # A serious complaint with no phone number: `write` answers it in writing now (validate
    # lists it: no call possible, the letter within 24 hours, §7); `hold` keeps its reply back.
    missing_phone: Literal["write", "hold"] = "write"


class Value(Section):
    """A customer's lifetime value: average order × orders a year × years as a customer
    (mailing-rules.md), what a customer won is worth beyond the first order."""

    average_order: float = Field(gt=0)
    orders_per_year: float = Field(gt=0)
    years: float = Field(gt=0)

    @property
    def lifetime(self) -> float:
        return self.average_order * self.orders_per_year * self.years


Profile = Annotated[Literal["analytical", "driver", "amiable", "expressive"], BeforeValidator(profile_name)]


class VariantLetter(Section):
    hook: str | None = None
    body: str | None = None
    ps: str | None = None


class VariantEmail(Section):
    subject: str | None = None
    preheader: str | None = None
    body: str | None = None


class VariantOffer(Section):
    """Checked once merged into the campaign's offer (as Offer)."""

    product: str | None = None
    price: Any = None
    plus: str | None = None
    gift: str | None = None
    deadline: Any = None


class VariantCta(Section):
    label: str | None = None
    url: str | None = None


#: What a variant may change: the copy, the offer's terms, the call to action.
VARIANT_SECTIONS = ("letter", "email", "offer", "cta")
RESERVED_VARIANT_NAMES = {"control", "main"}


class Variant(Section):
    """One alternative of the copy, tested against the others (A/B). Either a share of the
    audience (`weight`, percent; the weights sum to 100), or, with the campaign's `variant_by`,
    the customers whose column holds one of `values`; `default` takes the values no variant names."""

    name: str = Field(min_length=1, max_length=30)
    weight: float | None = None
    values: list[str] = []
    default: bool = False
    letter: VariantLetter | None = None
    email: VariantEmail | None = None
    offer: VariantOffer | None = None
    cta: VariantCta | None = None
    profile: Profile | None = None  # the social profile this variant's copy targets (lint: PP404)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", value):
            raise ValueError(
                f"'{value}' is not a variant name: use letters, digits, - and _ (e.g. A, short-ps)"
            )
        if value.lower() in RESERVED_VARIANT_NAMES:
            raise ValueError(f"'{value}' names the control group or the campaign itself: choose another name")
        return value

    @field_validator("weight", mode="before", json_schema_input_type=str | float | None)
    @classmethod
    def _weight(cls, value: Any) -> Any:
        if value is None:
            return None
        percent = percentage(value, "a weight", "50%")
        if not 0 < percent < 100:
            raise ValueError(f"a weight of {value} is not between 0 and 100 %")
        return percent

    @field_validator("values", mode="before", json_schema_input_type=str | list[str])
    @classmethod
    def _values(cls, value: Any) -> Any:
        items = value if isinstance(value, list) else [value]
        return [str(v) for v in items]

    @property
    def changes(self) -> list[str]:
        return [s for s in VARIANT_SECTIONS if getattr(self, s) is not None]


class Campaign(Section):
    # Editors see what load.py checks: a sales campaign needs its objective and offer.
    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "if": {"properties": {"kind": {"const": "complaint-reply"}}, "required": ["kind"]},
            "else": {"required": ["objective", "offer"]},
        },
    )

    name: str = Field(min_length=1)
    # On coupons, links, Message-IDs and journals; derived from the name when absent (code.py).
    written_code: str | None = Field(default=None, alias="code")
    # A share of the audience that receives nothing, to measure what the mailing caused (0–0.5).
    control: float | None = None
    language: Literal["fr", "en"]
    # sales: a mailing that sells (offer and objective required); complaint-reply: one reply
    # letter per row of a complaints file (mailing-rules.md §7), no offer, no objective.
    kind: Literal["sales", "complaint-reply"] = "sales"
    objective: Objective | None = None
    offer: Offer | None = None
    target: Target
    sender: Sender
    letter: Letter | None = None
    email: Email | None = None
    cta: Cta | None = None
    costs: Costs = Costs()
    replies: Replies = Replies()  # complaint-reply campaigns only
    value: Value | None = None
    links: Links = Links()
    brand: Brand = Brand()
    print_: Print = Field(default=Print(), alias="print")
    lint: dict[str, Any] = {}  # lint settings for this campaign, applied over the configuration files
    profile: Profile | None = None  # the social profile the copy targets (mailing-rules.md §8; lint: PP404)
    # Consult the sender's suppression store (unsubscribes, bounces, complaints of every
    # campaign); `store: false` opts out, and every audience report says so in bold.
    store: bool = True
    variants: list[Variant] = []  # alternatives of the copy (A/B tests): see Variant
    variant_by: str | None = None  # a customer column whose values choose the variant

    # Filled by load_campaign: where the file is, and the copy it points to.
    _path: Path = PrivateAttr(default=Path("campaign.yaml"))
    _copies: dict[str, Copy] = PrivateAttr(default_factory=dict)
    _doc: Any = PrivateAttr(default=None)  # the YamlDoc, for positions
    _boundary: Path | None = PrivateAttr(default=None)  # files it names must lie inside (lint, validate)
    _variant: str | None = PrivateAttr(default=None)  # a variant's campaign: the variant's name
    _by_variant: dict[str, Campaign] = PrivateAttr(default_factory=dict)  # name → the variant's campaign
    _sections: dict[str, Any] = PrivateAttr(default_factory=dict)  # a registered channel's (sections.py)

    @property
    def path(self) -> Path:
        return self._path

    @property
    def boundary(self) -> Path | None:
        return self._boundary

    def resolve(self, relative: str) -> Path:
        """Paths in a campaign are relative to its YAML file, so a copied folder still runs."""
        return (self._path.parent / relative).resolve()

    def where(self, loc: tuple[str | int, ...]) -> Where:
        """Where a key of this campaign stands in its YAML file."""
        return self._doc.where(loc) if self._doc else Where(self._path)

    @property
    def channels(self) -> list[str]:
        built_in = [name for name in ("letter", "email") if getattr(self, name) is not None]
        return built_in + list(self._sections)

    def section(self, name: str) -> Any:
        """A channel's section as checked (`letter`, `email`, or one a channel registered:
        campaigns/sections.py), or None when the campaign has none."""
        if name in ("letter", "email"):
            return getattr(self, name)
        return self._sections.get(name)

    @property
    def copies(self) -> dict[str, Copy]:
        """Every piece of copy that is a template, by its key (`letter.body`, `email.subject`, …)."""
        return self._copies

    @property
    def variant_name(self) -> str | None:
        """The variant this campaign is (the base campaign with a variant's changes), or None."""
        return self._variant

    @property
    def by_variant(self) -> dict[str, Campaign]:
        """Each variant as a campaign of its own (the base with the variant's changes merged in),
        in the order written; empty without variants."""
        return self._by_variant

    @property
    def split(self) -> str:
        """How the audience is split into variants, in words: what must not change once mailed."""
        if not self.variants:
            return "no variants"
        if self.variant_by is None:
            return " · ".join(f"{v.name} {v.weight:g}%" for v in self.variants)
        taken = [
            f"{v.name} ({', '.join(v.values + (['default'] if v.default else []))})" for v in self.variants
        ]
        return f"by {self.variant_by}: " + " · ".join(taken)

    @property
    def reply(self) -> bool:
        """A reply to complaints, not a sales mailing."""
        return self.kind == "complaint-reply"

    def each_variant(self) -> list[Campaign]:
        """The campaigns a run renders: its variants', or itself."""
        return list(self._by_variant.values()) or [self]

    @property
    def code(self) -> str:
        """The campaign code: `code:` as written, else derived from the name."""
        return self.written_code or derived_code(self.name)

    @field_validator("control", mode="before", json_schema_input_type=str | float)
    @classmethod
    def _control(cls, value: Any) -> Any:
        """'10%', '10 %' or 10: a percentage of the audience, up to 50."""
        if value is None:
            return None
        percent = percentage(value, "a share of the audience", "10%")
        if not 0 < percent <= 50:
            raise ValueError(f"a control group of {value} is not between 0 and 50 %: e.g. 10%")
        return percent / 100

    @field_validator("written_code")
    @classmethod
    def _code(cls, value: str | None) -> str | None:
        return checked_code(value) if value is not None else None

    @field_validator("language", mode="before", json_schema_input_type=Literal["fr", "en", "FR", "EN"])
    @classmethod
    def _language(cls, value: Any) -> Any:
        return fold(value) if isinstance(value, str) else value

    @field_validator("objective", mode="before", json_schema_input_type=ObjectiveWord | None)
    @classmethod
    def _objective(cls, value: Any) -> Any:
        if isinstance(value, list | dict):
            names = ", ".join(map(str, value))
            raise ValueError(
                f"one mailing, one objective: {len(value)} were given ({names}); "
                "keep the one this mailing serves and make another campaign for the others"
            )
        if not isinstance(value, str):
            raise ValueError("objective is one word, e.g. sale")
        key = fold(value).replace(" ", "-").replace("_", "-")
        if key in {o.value for o in Objective}:
            return key
        if key in FRENCH_OBJECTIVES:
            return FRENCH_OBJECTIVES[key]
        choices = [o.value for o in Objective] + list(FRENCH_OBJECTIVES)
        suggestion = did_you_mean(key, choices)
        listed = ", ".join(f"{o.value}" for o in Objective)
        raise ValueError(
            f"unknown objective '{value}'"
            + (f"; {suggestion}" if suggestion else "")
            + f" (one of: {listed}, or in French: {', '.join(FRENCH_OBJECTIVES)})"
        )
