"""One letter per household: the name a letter to several customers at one address carries.

Two customers at one address get one letter addressed to both (« Monsieur et Madame Perret »,
"Mr and Mrs Perret"); each keeps their e-mail. The postal norm gives one line to the
recipient (NF Z 10-011: 38 characters), so a name that does not fit falls back to the first
member's own: the letter still reaches the household.
"""

from __future__ import annotations

from dataclasses import dataclass

from publipost.campaigns.names import gender
from publipost.folding import fold_words

NAME_LINE = 38  # NF Z 10-011's line, the shorter of the norms publipost prints (US: 40)


@dataclass(frozen=True)
class Person:
    civility: str
    first_name: str
    last_name: str


def together(people: list[Person], language: str) -> Person:
    """How one letter names everyone in `people` (two or more, in file order)."""
    first = people[0]
    same_name = len({fold_words(p.last_name) for p in people}) == 1 and bool(first.last_name.strip())
    word = " et " if language == "fr" else " and "
    if same_name and len(people) == 2:
        genders = {gender(p.civility) for p in people}
        if genders == {"m", "f"}:
            return Person("M. et Mme" if language == "fr" else "Mr and Mrs", "", first.last_name)
        firsts = [p.first_name.strip() for p in people if p.first_name.strip()]
        if len(firsts) == 2:
            return Person("", word.join(firsts), first.last_name)
    if same_name:
        family = f"Famille {first.last_name}" if language == "fr" else f"The {first.last_name} family"
        return Person("", "", family)
    names = [" ".join(x for x in (p.first_name.strip(), p.last_name.strip()) if x) for p in people]
    joined = word.join(names)
    return Person("", "", joined) if len(joined) <= NAME_LINE and all(names) else first
