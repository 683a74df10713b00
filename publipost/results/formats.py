"""The report as text (a terminal), JSON (machines) and one self-contained HTML file with plots."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from publipost.i18n import N_, _, ngettext, number, percent, speaking
from publipost.i18n import money as i18n_money
from publipost.results.report import Group, Report


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=1, ensure_ascii=False) + "\n"


def as_text(report: Report) -> str:
    with speaking(report.language):
        return _text(report)


# Group names as the report shows them: the channels and the control group are words to translate;
# variants and segments are the user's own names.
SHOWN_NAMES = {"control": N_("control"), "letter": N_("letter"), "email": N_("e-mail")}


def shown_name(name: str) -> str:
    return _(SHOWN_NAMES[name]) if name in SHOWN_NAMES else name


def _text(report: Report) -> str:
    c = report.currency
    lines = [_("{campaign} ({code}): results").format(campaign=report.campaign, code=report.code), ""]
    if report.verdict and report.verdict.sentence:
        label = _("verdict")
        lines += [*_wrapped(f"{label:<11}" + report.verdict.sentence, " " * 11), ""]
    lines += _table(_("variant"), report.variants, c)
    if report.between_variants:
        test = report.between_variants
        verdict = _("they differ (95 %)") if test["significant"] else _("no significant difference")
        p = f"p = {number(test['p_value'], 4)}" if test["p_value"] is not None else _("no responses yet")
        lines += [
            "",
            _("between the variants: {test} {p}: {verdict}").format(test=test["test"], p=p, verdict=verdict),
        ]
    lines += ["", *_table(_("channel"), report.channels, c)]
    if report.channel_rule:
        lines += _wrapped("  " + _("(each response once: {rule})").format(rule=report.channel_rule), "   ")
    if report.segments:
        lines += ["", *_table(report.segment_by or _("segment"), report.segments, c)]
    money = report.money
    if money:
        lines += [
            "",
            _line(
                _("cost"),
                _("{cost} ({letters} letters, {emails} e-mails, fixed costs)").format(
                    cost=i18n_money(money.cost, c), letters=number(money.letters), emails=number(money.emails)
                ),
            ),
            _line(
                _("revenue"),
                i18n_money(money.revenue, c)
                + (
                    _(", {amount} over the control group").format(
                        amount=i18n_money(money.incremental_revenue, c)
                    )
                    if money.incremental_revenue is not None
                    else ""
                ),
            ),
        ]
        if money.cost_per_response is not None:
            lines.append(_line(_("per response"), i18n_money(money.cost_per_response, c)))
        if money.gross_roi is not None:
            said = _("{roi} gross").format(roi=percent(money.gross_roi, signed=True))
            if money.incremental_roi is not None:
                said += _(", {roi} incremental").format(roi=percent(money.incremental_roi, signed=True))
            lines.append(_line(_("ROI"), said))
            if money.incremental_roi is not None:
                lines += _wrapped(" " * 14 + "(" + _(ROI_SAID) + ")", " " * 15)
        if money.break_even_rate is not None:
            lines.append(
                _line(
                    _("break-even"),
                    _("a response rate of {rate}").format(rate=percent(money.break_even_rate, 2)),
                )
            )
    if report.lifetime_value is not None:
        lines.append(
            _line(
                _("lifetime"),
                _("{value} a customer; {won} customers won, worth {worth}").format(
                    value=i18n_money(report.lifetime_value, c),
                    won=number(report.customers_won or 0),
                    worth=i18n_money(report.value_of_customers_won, c),
                ),
            )
        )
    return "\n".join(lines) + "\n"


ROI_SAID = N_(
    "gross: all the revenue of those mailed; incremental: only what they spent over the control group's "
    "rate, what the mailing itself brought"
)


def _line(label: str, text: str) -> str:
    return f"{label:<13} {text}"


def _wrapped(text: str, indent: str, width: int = 100) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, subsequent_indent=indent)


def _table(title: str, groups: list[Group], currency: str) -> list[str]:
    heads = (_("mailed"), _("delivered"), _("responses"), _("rate"))
    widths = [max(base, len(h) + 1) for h, base in zip(heads, (8, 10, 10, 8), strict=True)]
    head = f"{title:<14}" + "".join(f"{h:>{w}}" for h, w in zip(heads, widths, strict=True))
    interval, revenue, lift = _("95 % interval"), _("revenue"), _("lift over control")
    head += f"  {interval:<16}{revenue:>12}  {lift}"
    rows = [head]
    for g in groups:
        interval = f"{percent(g.ci_low, 1)}–{percent(g.ci_high, 1)}"
        lift = ""
        if g.lift is not None:
            lift = _("{lift} ({low} to {high})").format(
                lift=percent(g.lift, signed=True),
                low=percent(g.lift_low, signed=True),
                high=percent(g.lift_high, signed=True),
            )
        numbers = (number(g.mailed), number(g.delivered), number(g.responses), percent(g.response_rate, 1))
        rows.append(
            f"{shown_name(g.name)[:14]:<14}"
            + "".join(f"{n:>{w}}" for n, w in zip(numbers, widths, strict=True))
            + f"  {interval:<16}{i18n_money(g.revenue, currency):>12}  {lift}"
        )
    return rows


def as_html(report: Report) -> str:
    """One file: tables and plots (PNG, embedded), readable offline and attachable to a mail."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader("publipost.results", "templates"),
        autoescape=select_autoescape(default=True),
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(gettext=_, ngettext=ngettext, newstyle=False)  # type: ignore[attr-defined]
    with speaking(report.language):
        return environment.get_template("report.html.j2").render(
            report=report,
            plots=_plots(report),
            money=lambda v: i18n_money(v, report.currency),
            percent=percent,
            number=number,
            name=shown_name,
            roi_said=_(ROI_SAID),
            lang=report.language,
        )


def _plots(report: Report) -> dict[str, str]:
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    import matplotlib.pyplot as plt
    import numpy as np

    plots: dict[str, str] = {}
    groups = report.variants
    figure, axes = plt.subplots(figsize=(6, 3.2))
    rates = [g.response_rate * 100 for g in groups]
    errors = [
        [(g.response_rate - g.ci_low) * 100 for g in groups],
        [(g.ci_high - g.response_rate) * 100 for g in groups],
    ]
    axes.bar(
        [shown_name(g.name) for g in groups],
        rates,
        yerr=errors,
        capsize=6,
        color=["#1a4d8f" if g.name != "control" else "#999" for g in groups],
    )
    axes.set_ylabel(_("response rate (%)"))
    axes.set_title(_("Response rate by variant, with 95 % intervals"))
    plots["rates"] = _png(figure)
    if report.timeline:
        figure, axes = plt.subplots(figsize=(6, 3.2))
        by: dict[str, list[dict[str, Any]]] = {}
        for point in report.timeline:
            by.setdefault(point["variant"], []).append(point)
        for variant, points in by.items():
            # dates on a time axis: as text, each variant's labels would follow the import order
            dates = [np.datetime64(p["date"][:10]) for p in points]
            axes.step(dates, [p["responses"] for p in points], where="post", label=shown_name(variant))
        axes.set_ylabel(_("responses"))
        axes.set_title(_("Cumulative responses over time"))
        axes.legend()
        figure.autofmt_xdate()
        plots["timeline"] = _png(figure)
    money = report.money
    if money and money.cost:
        figure, axes = plt.subplots(figsize=(6, 3.2))
        labels = [_("cost"), _("revenue")] + (
            [_("over control")] if money.incremental_revenue is not None else []
        )
        values = [money.cost, money.revenue] + (
            [money.incremental_revenue] if money.incremental_revenue is not None else []
        )
        axes.bar(labels, values, color=["#a33", "#1a4d8f", "#2a7"][: len(values)])
        axes.set_title(
            _("Cost and revenue ({currency})").format(currency=report.currency)
            + (f": ROI {percent(money.roi, signed=True)}" if money.roi is not None else "")
        )
        plots["money"] = _png(figure)
    plt.close("all")
    return plots


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
