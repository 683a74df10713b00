"""A paragraph's runs: the fast path for plain text must give what markdown-it gives."""

from __future__ import annotations

import random
import re

import pytest

from publipost.templates.inline import _SPECIAL, _parsed_spans, _plain_spans, spans
from tests.lintkit import made_up

SIGNS = [
    "a",
    "é",
    "1",
    " ",
    "*",
    "**",
    "_",
    "__",
    "\\",
    "[",
    "]",
    "(",
    ")",
    "<",
    ">",
    "`",
    "&",
    ":",
    "/",
    "://",
    "\n",
]


@pytest.mark.parametrize("seed", range(50))
def test_the_signs_that_need_markdown_it_are_found_as_before(seed):
    """The pattern that sends a paragraph to markdown-it, against the one it replaced (whose
    look-behinds came first, and cost a try of every branch at every character)."""
    former = re.compile(r"[\[<`\\&]|://|(?<![*\\])\*(?![*])|(?<![_\\])_(?![_])|(?<=\w)\*\*(?=\w)")
    rng = random.Random(seed)
    for _ in range(2000):
        text = made_up(rng, SIGNS, 0, 14)
        now, before = _SPECIAL.search(text), former.search(text)
        assert (now and now.span()) == (before and before.span()), text


@pytest.mark.parametrize("seed", range(20))
def test_plain_paragraphs_read_as_markdown_it_reads_them(seed):
    """Copy as it is written (words, their punctuation, bold and underlined words): the fast
    path's runs are markdown-it's."""
    rng = random.Random(seed)
    words = ["Vous", "dormez", "bien", "89,90", "l'hiver", "Saint-Étienne", "12:30", "60\u00a0°C", "(offert)"]
    for _ in range(300):
        picked = [
            rng.choice(words) + rng.choice(["", "", ",", ".", " :", "!"]) for _ in range(rng.randint(1, 12))
        ]
        if rng.random() < 0.8:  # a bold or underlined stretch, from a word to a word
            i = rng.randrange(len(picked))
            j = rng.randrange(i, len(picked))
            mark = rng.choice(["**", "__"])
            picked[i], picked[j] = mark + picked[i], picked[j] + mark
        text = " ".join(picked)
        assert _SPECIAL.search(text) is None, text
        assert _plain_spans(text) == _parsed_spans(text), text


def _printed(runs):
    """What a paragraph prints: each visible character with its style (white space breaks lines
    whatever it is, so it is left out)."""
    return [(c, s.bold, s.underline, s.link) for s in runs for c in s.text if not c.isspace()]


MARKS = [
    "**",
    "__",
    "*",
    "_",
    "a",
    "é",
    "1",
    " ",
    "\n",
    ",",
    ".",
    ":",
    "(",
    ")",
    "«",
    "»",
    "€",
    "'",
    "-",
    "!",
]


@pytest.mark.parametrize("seed", range(20))
def test_whatever_the_marks_a_paragraph_prints_as_markdown_it_reads_it(seed):
    """The fast path takes a paragraph only where its emphasis marks read as CommonMark reads
    them; anywhere else (a mark against punctuation, between spaces, inside a word, left open)
    markdown-it reads it. Was: `a**)/:**` printed bold on the fast path, its marks on the other."""
    rng = random.Random(seed)
    for _ in range(2000):
        text = made_up(rng, MARKS, 1, 16).strip() or "a"
        assert _printed(spans(text)) == _printed(_parsed_spans(text)), text


@pytest.mark.parametrize("seed", range(20))
def test_a_paragraph_s_runs_are_its_spans_grouped_with_their_links_shown(seed, monkeypatch):
    """parse_runs takes a plain paragraph (no link, code, HTML, entity, escape or mark) as one
    run of its own text at once: the runs are those the general path makes of its spans, as
    when every paragraph went that way (the oracle: parse_runs with the shortcut switched off)."""
    from publipost.templates import layout

    rng = random.Random(seed)
    pieces = [*SIGNS, "word", "Word", " ", " ", "[see](https://a.example/x)", "https://b.example", "**bold**"]
    paragraphs = []
    for _ in range(500):
        markdown = made_up(rng, pieces, 0, 10)
        if rng.random() < 0.3:
            markdown = "".join(c for c in markdown if c.isalnum() or c == " ")  # plain ones, often
        paragraphs.append(markdown)
    taken = [[layout.parse_runs(m, show_urls=show) for show in (False, True)] for m in paragraphs]
    monkeypatch.setattr(layout, "plain", lambda markdown: False)
    general = [[layout.parse_runs(m, show_urls=show) for show in (False, True)] for m in paragraphs]
    for markdown, runs, expected in zip(paragraphs, taken, general, strict=True):
        assert runs == expected, repr(markdown)
    assert sum(not _SPECIAL.search(m) and "**" not in m and "__" not in m for m in paragraphs) > 100
