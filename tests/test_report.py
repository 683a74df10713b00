"""`publipost report` on a synthetic campaign with known response rates: two variants and a 10 %
control group of 20,000 recipients, responses drawn with a fixed seed."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
from scipy.stats import binomtest

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
        manifest.bind("Planora 2027 launch", "PLAN27")
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
