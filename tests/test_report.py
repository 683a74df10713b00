"""`publipost report` on a synthetic campaign with known response rates: two variants and a 10 %
control group of 20,000 recipients, responses drawn with a fixed seed."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from scipy.stats import binomtest

from publipost.results.identity import Identity
from publipost.results.manifest import FILE, Mailing, Manifest, Response
from tests.browser import browser
from tests.conftest import EXAMPLES

RATES = {"A": 0.02, "B": 0.03, "control": 0.01}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """The English example's campaign file (its costs and lifetime value), over a manifest of
    20,000 synthetic recipients."""
    folder = tmp_path_factory.mktemp("report") / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    rng = np.random.default_rng(7)
    groups = rng.choice(["A", "B", "control"], size=20_000, p=[0.45, 0.45, 0.10])
    mailings, responses = [], []
    for index, group in enumerate(groups):
        rid = f"R{index:05d}"
        if group == "control":
            mailings.append(Mailing(rid, index + 2, "none", "control", None, "held out"))
        else:
            mailings.append(Mailing(rid, index + 2, "letter", group, f"PLAN27-{rid}-X", "printed"))
        if rng.random() < RATES[group]:
            responses.append(
                Response(
                    "synthetic", index, "orders.csv", rid, "id", "2026-12-10", 34.0, f"{rid}|2026-12-10|#1"
                )
            )
    with Manifest(folder / "out" / FILE) as manifest:
        manifest.bind(Identity("Planora 2027 launch", "PLAN27"))
        manifest.record(mailings)
        manifest.add_import("orders.csv", "synthetic", len(responses), 0, responses, replace=False)
    return campaign, groups, {r.id for r in responses}


def test_the_report_recovers_the_rates_and_finds_the_difference(synthetic, run):
    campaign, groups, responded = synthetic
    result = run("report", campaign, "--format", "json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    by = {v["name"]: v for v in report["variants"]}
    assert list(by) == ["A", "B", "control"]
    for name, rate in RATES.items():
        v = by[name]
        assert v["ci_low"] < rate < v["ci_high"]  # the true rate lies within the interval
        # an independent computation: counts from the synthetic data, Wilson's interval from scipy
        n = int((groups == name).sum())
        k = sum(1 for i, g in enumerate(groups) if g == name and f"R{i:05d}" in responded)
        assert (v["mailed"], v["responses"], v["revenue"]) == (n, k, k * 34.0)
        interval = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert v["ci_low"] == pytest.approx(interval.low) and v["ci_high"] == pytest.approx(interval.high)
        assert v["response_rate"] == pytest.approx(k / n)
    assert report["between_variants"]["significant"] and report["between_variants"]["p_value"] < 0.01
    assert by["B"]["lift"] > by["A"]["lift"] > 0  # both beat doing nothing; B more
    assert by["B"]["lift_low"] < by["B"]["lift"] < by["B"]["lift_high"]
    money = report["money"]
    mailed = by["A"]["mailed"] + by["B"]["mailed"]
    assert money["cost"] == pytest.approx(mailed * 0.95 + 250)  # letters only here
    assert money["roi"] == pytest.approx((money["incremental_revenue"] - money["cost"]) / money["cost"])
    assert report["lifetime_value"] == 34 * 1.5 * 3
    text = run("report", campaign)
    assert "between the variants: chi-square p = " in text.out and "they differ (95 %)" in text.out


@pytest.mark.slow
def test_the_html_report_opens_with_its_plots(synthetic, run, tmp_path):
    campaign, _, _ = synthetic
    target = tmp_path / "report.html"
    assert run("report", campaign, "--format", "html", "--out", target).code == 0
    with browser() as chromium:
        page = chromium.new_page()
        page.route(
            "**/*",
            lambda route: (
                route.continue_() if route.request.url.startswith(("file:", "data:")) else route.abort()
            ),
        )
        page.goto(target.as_uri())
        for plot in ("#plot-rates", "#plot-timeline", "#plot-money"):
            assert page.eval_on_selector(plot, "img => img.complete && img.naturalWidth > 300"), plot
        assert "they differ at 95 %" in page.inner_text("#test")
        assert page.inner_text("#verdict").startswith("Verdict. B leads (")
        assert "incremental: only what they spent over the control group" in page.inner_text("#roi-said")
        assert "ROI" in page.inner_text("#money")


def test_report_without_a_manifest_or_with_a_bad_column(tmp_path, run):
    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    missing = run("report", folder / "campaign.yaml")
    assert missing.code == 2 and "no mailing manifest yet" in missing.err
    assert run("render", folder / "campaign.yaml", "--format", "pdf").code == 0
    bad = run("report", folder / "campaign.yaml", "--by", "Segmnt")
    assert bad.code == 2 and "--by Segmnt: the customer file has no such column" in bad.err
    by = run("report", folder / "campaign.yaml", "--by", "Segment")
    assert by.code == 0 and "customer" in by.out and "subscriber" in by.out


def test_report_by_a_column_starts_from_the_audience_the_run_accounted(tmp_path, run, monkeypatch):
    """`report --by` after a run reads no customer file: the audience kept in the output folder
    is taken while nothing it depends on changed."""
    import publipost.campaigns.audience as audience

    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    assert run("render", folder / "campaign.yaml", "--format", "pdf").code == 0
    expected = run("report", folder / "campaign.yaml", "--by", "Segment").out

    def not_again(*args, **kwargs):
        raise AssertionError("the customer file was read again")

    monkeypatch.setattr(audience, "_read_and_check", not_again)
    by = run("report", folder / "campaign.yaml", "--by", "Segment")
    assert by.code == 0 and by.out == expected


def test_report_by_a_column_counts_each_recipient_once(tmp_path, run):
    """Issue 25, 14: an id also on rejected rows (the same customer exported twice, once without
    an address) was counted once per row in `report --by`."""
    import json

    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    data = folder / "data" / "customers.csv"
    lines = data.read_text(encoding="utf-8").splitlines()
    first = lines[1].split(",")
    again = [*first[:5], "", "", "", "", "", "not-an-address", first[11], first[12]]
    data.write_text("\n".join([*lines, ",".join(again), ",".join(again)]) + "\n", encoding="utf-8")
    assert run("render", folder / "campaign.yaml", "--format", "pdf").code == 0
    plain = json.loads(run("report", folder / "campaign.yaml", "--format", "json").out)
    by = json.loads(run("report", folder / "campaign.yaml", "--by", "Segment", "--format", "json").out)
    mailed = sum(v["mailed"] for v in plain["variants"] if v["name"] != "control")
    assert sum(s["mailed"] for s in by["segments"]) == mailed


def _probability_better(leader, runner):
    """P(leader's rate > runner's) for Beta(1 + k, 1 + n - k) posteriors, by numerical integration."""
    from scipy import integrate
    from scipy.stats import beta

    a = beta(1 + leader["responses"], 1 + leader["mailed"] - leader["responses"])
    b = beta(1 + runner["responses"], 1 + runner["mailed"] - runner["responses"])
    value, _ = integrate.quad(lambda x: a.pdf(x) * b.cdf(x), 0, 0.2, limit=200, points=[0.02, 0.03])
    return value


def _needed(p1, p2):
    """Per group, two-sided 95 %, power 80 %: 2 ((z_.975 + z_.8) / h)^2, h = Cohen's h (each arcsine
    has variance 1/(4n), their difference doubled: Cohen 1988, table 6.4.1, h = 0.2 needs 392)."""
    from scipy.stats import norm

    h = abs(2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2)))
    assert round(2 * ((norm.ppf(0.975) + norm.ppf(0.8)) / 0.2) ** 2) == 392  # the table's value
    return 2 * ((norm.ppf(0.975) + norm.ppf(0.8)) / h) ** 2


def test_the_verdict_says_who_leads_how_surely_and_what_it_would_take(synthetic, run, tmp_path):
    """Issue 26, 5: at the top of the report, which variant leads, the probability it is better,
    whether it is significant, the sample size a difference this size needs; ROI gross and
    incremental, said which is which."""
    campaign, _, _ = synthetic
    report = json.loads(run("report", campaign, "--format", "json").out)
    verdict = report["verdict"]
    by = {v["name"]: v for v in report["variants"]}
    assert verdict["leader"] == "B" and verdict["significant"] is True
    assert verdict["probability_better"] == pytest.approx(_probability_better(by["B"], by["A"]), abs=0.003)
    expected = _needed(by["B"]["response_rate"], by["A"]["response_rate"])
    assert verdict["needed_per_variant"] == int(np.ceil(expected))
    assert "beta-binomial" in verdict["method"]
    text = run("report", campaign).out
    assert text.splitlines()[2].startswith("verdict    B leads (")
    text = " ".join(text.split())  # the verdict is wrapped
    assert "of being the better one. The difference is significant (95 %)." in text
    money = report["money"]
    assert money["gross_roi"] == pytest.approx((money["revenue"] - money["cost"]) / money["cost"])
    assert money["incremental_roi"] == pytest.approx(
        (money["incremental_revenue"] - money["cost"]) / money["cost"]
    )
    assert "ROI " in text and " gross, " in text and " incremental" in text
    assert "(gross: all the revenue of those mailed; incremental:" in text


def test_a_small_test_says_it_is_not_sure_and_a_small_control_group_says_so(tmp_path, run):
    """300 recipients a variant and a control group of 20: the verdict says how many it would
    take, and that the control group cannot measure a lift of the size observed."""
    folder = tmp_path / "launch-planner"
    shutil.copytree(EXAMPLES / "launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    mailings, responses = [], []
    for index in range(620):
        rid = f"S{index:04d}"
        group = "control" if index < 20 else ("A" if index % 2 else "B")
        channel = "none" if group == "control" else "letter"
        mailings.append(
            Mailing(rid, index + 2, channel, group, None, "held out" if group == "control" else "printed")
        )
        responded = {"A": index % 25 == 1, "B": index % 40 == 0, "control": index == 7}[group]  # 4 % and 5 %
        if responded:
            responses.append(
                Response("s", index, "o.csv", rid, "id", "2026-12-10", 30.0, f"{rid}|2026-12-10|#1")
            )
    with Manifest(folder / "out" / FILE) as manifest:
        manifest.bind(Identity("Planora 2027 launch", "PLAN27"))
        manifest.record(mailings)
        manifest.add_import("o.csv", "s", len(responses), 0, responses, replace=False)
    report = json.loads(run("report", campaign, "--format", "json").out)
    verdict = report["verdict"]
    assert verdict["significant"] is False and verdict["needed_per_variant"] > 300
    assert verdict["control_too_small"] is True and verdict["control_detectable_lift"] > 1
    # independently: the arcsine difference h two groups of n1 and n2 detect at 95 % and 80 %
    # (z_.975 + z_.8) / sqrt(n1 n2 / (n1 + n2)), turned back into a rate over the control's
    from scipy.stats import norm

    by = {v["name"]: v for v in report["variants"]}
    n1, n2 = by[verdict["leader"]]["mailed"], by["control"]["mailed"]
    base = by["control"]["responses"] / n2
    h = (norm.ppf(0.975) + norm.ppf(0.8)) / np.sqrt(n1 * n2 / (n1 + n2))
    expected = np.sin(np.arcsin(np.sqrt(base)) + h / 2) ** 2 / base - 1
    assert verdict["control_detectable_lift"] == pytest.approx(expected, rel=0.01)
    text = " ".join(run("report", campaign).out.split())
    assert "The difference is not yet significant (95 %)" in text and "mail about" in text
    assert "The control group is too small to measure a lift of the size observed" in text


def test_the_timeline_runs_forward_whatever_the_import_order(synthetic, run, tmp_path):
    """Issue 26, 5: B's cumulative line ran backwards, its dates drawn in import order."""
    campaign, _, _ = synthetic
    report = json.loads(run("report", campaign, "--format", "json").out)
    for variant in ("A", "B"):
        points = [p for p in report["timeline"] if p["variant"] == variant]
        dates = [p["date"] for p in points]
        assert dates == sorted(dates)
        assert [p["responses"] for p in points] == sorted(p["responses"] for p in points)
