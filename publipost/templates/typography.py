"""Typography of merged copy: what a typesetter would fix before a letter or an e-mail goes out.

A letter typed on a keyboard has straight apostrophes ('), ordinary spaces inside « 31
décembre » or « RCS Annecy 901 234 567 », and merges that give « client de Au Fil du Lin ».
French typography (Lexique des règles typographiques en usage à l'Imprimerie nationale,
2002, "Espaces" and "Élision"; Ramat, Le Ramat de la typographie) asks for:

- the typographic apostrophe ’ (both languages: it is also the English printer's);
- a narrow no-break space (U+202F) before ; : ! ? and inside « », and between the groups of
  a number (« 901 234 567 », « 04 78 00 11 22 »);
- a no-break space (U+00A0) between a number and its unit or word (« 30 % », « 60 °C »,
  « 31 décembre », « 48 h »), after an abbreviation that belongs to what follows (« réf. »,
  « n° », « RCS », « M. »), and between a word and the number it introduces (« Annecy 901 »);
- elision before a vowel: « de Au Fil du Lin » → « d’Au Fil du Lin », « que Anne » → « qu’Anne »
  (capitalised names only: that is where merges produce it; the author's own text is theirs).

Link targets, addresses and e-mail addresses are left alone: a URL is not prose. Applying
the rules twice gives the same text.
"""

from __future__ import annotations

import re
from functools import lru_cache

NBSP, NARROW = "\u00a0", "\u202f"
_LETTER = r"[^\W\d_]"
_PROTECTED = re.compile(r"\]\([^)\s]*\)|<[^<>\s]+>|https?://\S+|[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_APOSTROPHE = re.compile(rf"(?<={_LETTER})'(?={_LETTER})")
_BEFORE_MARK = re.compile(r"[ \u00a0]+([;:!?»])")
_AFTER_GUILLEMET = re.compile(r"«[ \u00a0\u202f]*")
_DIGIT_GROUPS = re.compile(r"(?<=\d)[ \u00a0](?=\d)")
_NUMBER_UNIT = re.compile(rf"(?<=\d) (?=%|‰|€|\$|£|°|{_LETTER})")
_ABBREVIATION = re.compile(
    r"(?<![\w.])(réf\.|Réf\.|ref\.|Ref\.|n°|N°|no\.|RCS|SIREN|SIRET|TVA|art\.|M\.|Mme|Mlle|Dr) "
)
_WORD_NUMBER = re.compile(rf"(?<={_LETTER}) (?=\d)")
_ELISION = re.compile(r"\b([Dd]e|[Qq]ue) (?=[AEIOUYÀÂÄÉÈÊËÎÏÔÖÙÛÜ])")


@lru_cache(maxsize=16384)  # the same paragraph for many recipients: set once
def typeset(text: str, language: str) -> str:
    """`text` (Markdown or plain) with the typography of `language` (see the module's rules)."""
    if "'" not in text and (language != "fr" or not text):
        return text
    out, position = [], 0
    for protected in _PROTECTED.finditer(text):
        out.append(_prose(text[position : protected.start()], language))
        out.append(protected.group(0))
        position = protected.end()
    out.append(_prose(text[position:], language))
    return "".join(out)


def _prose(text: str, language: str) -> str:
    if language == "fr":
        text = _ELISION.sub(lambda m: m.group(1)[:-1] + "\u2019", text)  # de → d’, que → qu’
    text = _APOSTROPHE.sub("\u2019", text)
    if language != "fr":
        return text
    text = _BEFORE_MARK.sub(NARROW + r"\1", text)
    text = _AFTER_GUILLEMET.sub("«" + NARROW, text)
    text = _DIGIT_GROUPS.sub(NARROW, text)
    text = _NUMBER_UNIT.sub(NBSP, text)
    text = _ABBREVIATION.sub(r"\1" + NBSP, text)
    return _WORD_NUMBER.sub(NBSP, text)
