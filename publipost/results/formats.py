"""The report as text (a terminal), JSON (machines) and one self-contained HTML file with plots."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

from publipost.results.report import Group, Report


def as_json(report: Report) -> str:
    return json.dumps(report.as_dict(), indent=1, ensure_ascii=False) + "\n"


def as_text(report: Report) -> str:
    lines = [f"{report.campaign} ({report.code}): results", ""]
    if report.verdict and report.verdict.sentence:
        lines += [*_wrapped("verdict    " + report.verdict.sentence, "           "), ""]
    lines += _table("variant", report.variants, report.currency)
    if report.between_variants:
        test = report.between_variants
        verdict = "they differ (95 %)" if test["significant"] else "no significant difference"
        p = f"p = {test['p_value']:.4f}" if test["p_value"] is not None else "no responses yet"
        lines += ["", f"between the variants: {test['test']} {p}: {verdict}"]
    lines += ["", *_table("channel", report.channels, report.currency)]
    if report.channel_rule:
        lines += _wrapped(f"  (each response once: {report.channel_rule})", "   ")
    if report.segments:
        lines += ["", *_table(report.segment_by or "segment", report.segments, report.currency)]
    money = report.money
    if money:
        c = report.currency
        lines += [
            "",
            f"cost          {_money(money.cost, c)} "
            f"({money.letters} letters, {money.emails} e-mails, fixed costs)",
            f"revenue       {_money(money.revenue, c)}"
            + (
                f", {_money(money.incremental_revenue, c)} over the control group"
                if money.incremental_revenue is not None
                else ""
            ),
        ]
        if money.cost_per_response is not None:
            lines.append(f"per response  {_money(money.cost_per_response, c)}")
        if money.gross_roi is not None:
            line = f"ROI           {money.gross_roi:+.0%} gross"
            if money.incremental_roi is not None:
                line += f", {money.incremental_roi:+.0%} incremental"
            lines.append(line)
            if money.incremental_roi is not None:
                said = (
                    "              (gross: all the revenue of those mailed; incremental: only what they "
                    "spent over the control group's rate, what the mailing itself brought)"
                )
                lines += _wrapped(said, "               ")
        if money.break_even_rate is not None:
            lines.append(f"break-even    a response rate of {money.break_even_rate:.2%}")
    if report.lifetime_value is not None:
        lines.append(
            f"lifetime      {_money(report.lifetime_value, report.currency)} a customer; "
            f"{report.customers_won:.0f} customers won, "
            f"worth {_money(report.value_of_customers_won, report.currency)}"
        )
    return "\n".join(lines) + "\n"


def _wrapped(text: str, indent: str, width: int = 100) -> list[str]:
    import textwrap

    return textwrap.wrap(text, width, subsequent_indent=indent)


def _table(title: str, groups: list[Group], currency: str) -> list[str]:
    head = (
        f"{title:<14}{'mailed':>8}{'delivered':>10}{'responses':>10}{'rate':>8}  "
        f"{'95 % interval':<16}{'revenue':>12}  lift over control"
    )
    rows = [head]
    for g in groups:
        interval = f"{g.ci_low:.1%}–{g.ci_high:.1%}"
        lift = ""
        if g.lift is not None:
            lift = f"{g.lift:+.0%} ({g.lift_low:+.0%} to {g.lift_high:+.0%})"
        rows.append(
            f"{g.name[:14]:<14}{g.mailed:>8}{g.delivered:>10}{g.responses:>10}{g.response_rate:>8.1%}  "
            f"{interval:<16}{_money(g.revenue, currency):>12}  {lift}"
        )
    return rows


def _money(value: float | None, currency: str) -> str:
    if value is None:
        return "—"
    return f"{value:,.2f} {currency}"


def as_html(report: Report) -> str:
    """One file: tables and plots (PNG, embedded), readable offline and attachable to a mail."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    environment = Environment(
        loader=PackageLoader("publipost.results", "templates"), autoescape=select_autoescape(default=True)
    )
    return environment.get_template("report.html.j2").render(
        report=report, plots=_plots(report), money=lambda v: _money(v, report.currency)
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
        [g.name for g in groups],
        rates,
        yerr=errors,
        capsize=6,
        color=["#1a4d8f" if g.name != "control" else "#999" for g in groups],
    )
    axes.set_ylabel("response rate (%)")
    axes.set_title("Response rate by variant, with 95 % intervals")
    plots["rates"] = _png(figure)
    if report.timeline:
        figure, axes = plt.subplots(figsize=(6, 3.2))
        by: dict[str, list[dict[str, Any]]] = {}
        for point in report.timeline:
            by.setdefault(point["variant"], []).append(point)
        for variant, points in by.items():
            # dates on a time axis: as text, each variant's labels would follow the import order
            dates = [np.datetime64(p["date"][:10]) for p in points]
            axes.step(dates, [p["responses"] for p in points], where="post", label=variant)
        axes.set_ylabel("responses")
        axes.set_title("Cumulative responses over time")
        axes.legend()
        figure.autofmt_xdate()
        plots["timeline"] = _png(figure)
    money = report.money
    if money and money.cost:
        figure, axes = plt.subplots(figsize=(6, 3.2))
        labels = ["cost", "revenue"] + (["over control"] if money.incremental_revenue is not None else [])
        values = [money.cost, money.revenue] + (
            [money.incremental_revenue] if money.incremental_revenue is not None else []
        )
        axes.bar(labels, values, color=["#a33", "#1a4d8f", "#2a7"][: len(values)])
        axes.set_title(
            f"Cost and revenue ({report.currency})"
            + (f": ROI {money.roi:+.0%}" if money.roi is not None else "")
        )
        plots["money"] = _png(figure)
    plt.close("all")
    return plots


def _png(figure: Any) -> str:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", dpi=110)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
