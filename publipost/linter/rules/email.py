"""PP6: e-mail rules: subject, preheader, spam filters, unsubscribe, plain text (norms.md §4–5)."""

from __future__ import annotations

import re
from collections.abc import Iterator

from publipost.linter.document import LintDoc, uses_recipient_field
from publipost.linter.rule import ONCE, RATE, Context, Hit, Rule, Weight
from publipost.linter.rules.focus import reader_words
from publipost.linter.rules.length import SAMPLE_VALUE
from publipost.patterns import later


class SubjectTooLong(Rule):
    """A subject line longer than the limit (default 50 characters).

    Why: mobile mail apps show 33 to 48 characters of a subject; keep it under 50 with the key
    message first. Merge fields count as ten characters.
    """

    code, name, severity, source = "PP601", "subject-too-long", "warning", "norms.md §4.4"
    weight = Weight("structure", 0.25, ONCE)
    kinds = ("email",)
    options = {"max-chars": 50}
    message = {
        "en": "subject of {n} characters (max {max}): phones cut it; put the key message first",
        "fr": "objet de {n} caractères (max {max}) : les mobiles le coupent ; le message clé en premier",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.subject is None:
            return
        n = len(re.sub(r"\{\{.*?\}\}", SAMPLE_VALUE, doc.subject.raw).strip())
        if n > ctx.options["max-chars"]:
            yield Hit.whole(doc.subject, n=n, max=ctx.options["max-chars"])


class PreheaderMissing(Rule):
    """An e-mail with no preheader.

    Why: the preheader is the line mail apps show after the subject: without one, they show
    the first words of the body ("View in browser").
    """

    code, name, severity, source = "PP602", "preheader-missing", "warning", "norms.md §4.4"
    weight = Weight("structure", 0.25, ONCE)
    kinds = ("email",)
    message = {
        "en": "no preheader: write the line shown after the subject (50 to 100 characters)",
        "fr": "pas de texte d'aperçu (preheader) : écrivez la ligne affichée après l'objet (50 à 100 caractères)",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.preheader is None:
            yield Hit(doc.subject, 0, 0) if doc.subject else Hit(None)


class SpamTrigger(Rule):
    """What spam filters score: a subject in capitals, runs of "!", "!" with "?", "free" in a subject.

    Why: SpamAssassin adds points for SUBJ_ALL_CAPS and PLING_QUERY, and content filters for
    words such as "free" or "gratuit" in a subject line, where they hurt deliverability even
    though they help in the body. A body mostly in capitals scores up to 1.5 points.
    """

    code, name, severity, source = "PP603", "spam-trigger", "warning", "norms.md §4.5"
    weight = Weight("style", 0.5, RATE)
    kinds = ("email",)
    message = {
        "en": "spam filters penalise {what}",
        "fr": "les filtres anti-spam pénalisent {what}",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        subject = doc.subject
        if subject is not None:
            text = subject.text
            letters = [c for c in text if c.isalpha()]
            if len(letters) >= 10 and len(text.split()) >= 2 and text.upper() == text:
                yield Hit.whole(subject, what={"en": "a subject in capitals", "fr": "un objet en majuscules"})
            if "!" in text and "?" in text:
                yield Hit.whole(
                    subject, what={"en": '"!" with "?" in a subject', "fr": "« ! » avec « ? » dans un objet"}
                )
            for token in ctx.words("subject-triggers").find(text):
                yield Hit(
                    subject,
                    token.start,
                    token.end,
                    {
                        "what": {
                            "en": f'"{token.text}" in a subject line',
                            "fr": f"« {token.text} » dans un objet",
                        }
                    },
                )
        for unit in [u for u in (subject, *doc.copy_units) if u is not None]:
            for match in re.finditer(r"!{2,}", unit.text):
                yield Hit(
                    unit,
                    match.start(),
                    match.end(),
                    {"what": {"en": 'runs of "!"', "fr": "les « ! » répétés"}},
                )
        body = "".join(u.plain for u in doc.body)
        letters = [c for c in body if c.isalpha()]
        if len(body) >= 200 and letters and sum(c.isupper() for c in letters) / len(letters) > 0.5:
            yield Hit(
                doc.body[0],
                0,
                0,
                {"what": {"en": "a body mostly in capitals", "fr": "un corps surtout en majuscules"}},
            )


class UnsubscribeMissing(Rule):
    """A marketing e-mail with no way to unsubscribe.

    Why: the law (GDPR/ePrivacy, CAN-SPAM) requires an opt-out in every marketing e-mail, and
    Gmail and Yahoo require one-click unsubscribe from bulk senders.
    """

    code, name, severity, source = "PP604", "unsubscribe-missing", "error", "norms.md §4.1, §5"
    weight = Weight("structure", 1.5, ONCE)
    kinds = ("email",)
    law = True
    message = {
        "en": "no unsubscribe link: every marketing e-mail must offer one",
        "fr": "pas de lien de désabonnement : tout e-mail commercial doit en offrir un",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.unsubscribe is False:
            yield Hit(None)


class PlainTextMissing(Rule):
    """An HTML e-mail with no plain-text alternative.

    Why: filters penalise HTML-only mail (MIME_HTML_ONLY) and parts that differ (MPART_ALT_DIFF);
    publipost builds the text part of campaign e-mails itself. A standalone file `offer.mjml`
    needs an `offer.txt` beside it. A warning, not an error: it costs spam points, it does not
    break the mailing, and many sending services build the text part themselves.
    """

    code, name, severity, source = "PP605", "plain-text-missing", "warning", "norms.md §4.3, §4.5"
    weight = Weight("structure", 0.5, ONCE)
    kinds = ("email",)
    message = {
        "en": "no plain-text part: add {name} beside this file",
        "fr": "pas de version texte : ajoutez {name} à côté de ce fichier",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.plain_text is False:
            yield Hit(None, args={"name": doc.path.with_suffix(".txt").name})


class LinkMissing(Rule):
    """An e-mail with no link and no call to action.

    Why: an e-mail is read on a screen: the reader who wants to act must be one tap away from the
    offer. Give the campaign a `cta:` (a button), or link the offer in the copy.
    """

    code, name, severity, source = "PP606", "link-missing", "warning", "mailing-rules.md §1; norms.md §4"
    weight = Weight("structure", 0.75, ONCE)
    kinds = ("email",)
    message = {
        "en": "no link and no call to action: the reader cannot act from the e-mail; add cta: or a link",
        "fr": "ni lien ni appel à l'action : le lecteur ne peut pas agir depuis l'e-mail ; ajoutez cta: ou un lien",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        if doc.links is False:
            yield Hit(None)


_MARKDOWN_LINK_TEXT = re.compile(r"\[([^\[\]\n]+)\]\(")


class LinkTextVague(Rule):
    """A link whose whole text says nothing of where it leads: "click here", « cliquez ici ».

    Why: readers scan links; screen readers list them out of context; spam filters score "click
    here". Say what the reader gets: [see the sizes and colours](…).
    """

    code, name, severity, source = (
        "PP607",
        "link-text-vague",
        "warning",
        "mailing-rules.md §3.3; norms.md §4.3",
    )
    weight = Weight("style", 0.25, RATE)
    kinds = ("letter", "email")
    message = {
        "en": "link text '{text}' says nothing of where it leads: say what the reader gets",
        "fr": "texte de lien « {text} » : il ne dit pas où il mène ; dites ce que le lecteur obtient",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        vague = ctx.words("vague-link-text")
        links = [
            (u, m.start(1), m.end(1)) for u in doc.copy_units for m in _MARKDOWN_LINK_TEXT.finditer(u.text)
        ]
        for unit, start, end in links + doc.anchors:
            text = unit.text[start:end].strip(" *_")
            whole = [t for t in vague.find(text) if t.start == 0 and t.end == len(text)]
            if text and whole:
                yield Hit(unit, start, end, {"text": text})


class ImageAltMissing(Rule):
    """An image with no alt text.

    Why: many mail apps block images until the reader allows them, and show the alt text instead;
    screen readers read it. A decorative image takes alt="".
    """

    code, name, severity, source = "PP608", "image-alt-missing", "warning", "norms.md §4.3"
    weight = Weight("style", 0.25, RATE)
    kinds = ("email",)
    message = {
        "en": "image {src} has no alt text: mail apps that block images show nothing in its place",
        "fr": "l'image {src} n'a pas de texte alternatif (alt) : les messageries qui bloquent les images n'affichent rien",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        for source in doc.images_without_alt:
            yield Hit(None, args={"src": source})


_UNDERLINE = later(r"(?<![\\_])__(?=\S)(.+?)(?<=\S)__")


class UnderlineInEmail(Rule):
    """Underlined text in an e-mail.

    Why: on a screen, underlined text reads as a link; readers tap it and nothing happens. Use
    bold for emphasis in e-mails (underline stays right on paper).
    """

    code, name, severity, source = "PP609", "underline-in-email", "warning", "norms.md §4.3"
    weight = Weight("style", 0.25, RATE)
    kinds = ("email",)
    message = {
        "en": "underlined text in an e-mail reads as a link: use bold",
        "fr": "un texte souligné dans un e-mail se lit comme un lien : mettez-le en gras",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        for unit in doc.units:
            for match in _UNDERLINE().finditer(unit.text):
                yield Hit(unit, match.start(), match.end())


class SubjectNoHook(Rule):
    """A subject that neither speaks to the reader nor promises anything.

    Why: the subject is the e-mail's hook: it decides whether the rest is read. It names the
    reader (you, their name) or what they get (a magic word, a figure: not an issue number).
    "Newsletter n° 47" and « Information importante » do neither.
    Example (fr): « Nouveautés de notre catalogue ». Use instead: « Claire, vos soldes commencent demain ».
    """

    code, name, severity, source = "PP610", "subject-no-hook", "warning", "mailing-rules.md §4; norms.md §4.4"
    weight = Weight("structure", 0.75, ONCE)
    kinds = ("email",)
    message = {
        "en": "the subject is the e-mail's hook: speak to the reader or say what they get",
        "fr": "l'objet est l'accroche de l'e-mail : parlez au lecteur ou dites ce qu'il y gagne",
    }

    def check(self, doc: LintDoc, ctx: Context) -> Iterator[Hit]:
        subject = doc.subject
        if subject is None or not subject.plain.strip():
            return
        if (
            uses_recipient_field(subject.raw)
            or reader_words(subject.plain, ctx, doc.language)
            or ctx.words("magic-words").find(subject.text)
            or re.search(
                r"(?<!\d)(?<!issue )(?<!n° )(?<!no\. )(?<!#)(?<!numéro )\d", subject.plain, re.IGNORECASE
            )
        ):
            return
        yield Hit.whole(subject)
