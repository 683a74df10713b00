"""Features turned into benefits (PP403) and tone hints for a targeted social profile (PP404)."""

from __future__ import annotations

import shutil

import pytest

from publipost.errors import PublipostError
from publipost.linter import lint_paths
from tests.lintkit import GOOD, lint_text

FR_FEATURE = "Mais ce n'est pas tout. Votre couette se lave à 60 °C, dans votre machine."


def test_a_feature_with_no_benefit_in_its_paragraph(tmp_path):
    assert FR_FEATURE in GOOD["fr"]
    feature = "Mais ce n'est pas tout. La couette dispose d'un traitement anti-acarien."
    text = GOOD["fr"].replace(FR_FEATURE, feature)
    (finding,) = [f for f in lint_text(tmp_path, text).active if f.name == "feature-not-benefit"]
    assert finding.message.startswith("« dispose d'un » : une caractéristique")
    benefit = feature.replace("anti-acarien.", "anti-acarien : vous respirez mieux la nuit.")
    linted = lint_text(tmp_path, GOOD["fr"].replace(FR_FEATURE, benefit))
    assert not [f for f in linted.active if f.name == "feature-not-benefit"]


def _letter(tmp_path, language, profile, replace=None):
    text = GOOD[language].replace("---\n", f"---\nprofile: {profile}\n", 1)
    for old, new in (replace or {}).items():
        assert old in text
        text = text.replace(old, new)
    return [f for f in lint_text(tmp_path, text).active if f.name == "tone-for-profile"]


@pytest.mark.parametrize(
    ("profile", "replace", "advice"),
    [
        ("analytical", {"60 °C": "haute température", "89,90 €": "un bon prix", "119 €": "plus"}, "chiffres"),
        ("analytique", {"la nuit ?": "la nuit !"}, "drame"),
        ("driver", {}, "options"),
        ("meneur", {"Votre prix :": "Au choix, en 140 ou en 200 cm. Votre prix :"}, None),
        ("amiable", {"Renvoyez le coupon": "Dépêchez-vous : renvoyez le coupon"}, "pression"),
        (
            "expressive",
            {"une taie en lin.": "une taie en lin, 2 housses, 3 draps et 4 oreillers."},
            "chiffres",
        ),
    ],
)
def test_tone_hints_follow_the_profile(tmp_path, profile, replace, advice):
    found = _letter(tmp_path, "fr", profile, replace)
    if advice is None:
        assert not found, [f.message for f in found]
    else:
        assert any(advice in f.message for f in found), [f.message for f in found]
        assert all(f.severity == "info" for f in found)


def test_no_profile_no_hint_and_a_wrong_one_is_an_error(tmp_path):
    assert not [f for f in lint_text(tmp_path, GOOD["fr"]).active if f.name == "tone-for-profile"]
    with pytest.raises(PublipostError, match="unknown profile 'bavard'"):
        _letter(tmp_path, "fr", "bavard")
    text = GOOD["fr"].replace("language: fr\n", "language: fr\nprofile: bavard\n", 1)
    with pytest.raises(PublipostError) as raised:
        lint_text(tmp_path, text)
    assert str(raised.value).startswith(f"{tmp_path / 'letter.md'}:3: unknown profile 'bavard'")  # its line


def test_a_variant_targets_a_profile(tmp_path):
    """The launch campaign's variant B targets drivers: its copy gets the drivers' hints, A none."""
    folder = tmp_path / "c"
    shutil.copytree("examples/launch-planner", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    yaml = campaign.read_text(encoding="utf-8")
    line = next(line for line in yaml.splitlines() if line.startswith("  - name: B"))
    campaign.write_text(yaml.replace(line, line + "\n    profile: driver"), encoding="utf-8")
    found = [f for f in lint_paths([campaign], isolated=True).active if f.name == "tone-for-profile"]
    assert found and all(f.variant == "B" for f in found), [(f.variant, f.message) for f in found]


def test_a_campaign_names_its_profile_in_french_or_is_told_what_it_may_be(tmp_path, run):
    folder = tmp_path / "c"
    shutil.copytree("examples/vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    campaign = folder / "campaign.yaml"
    yaml = campaign.read_text(encoding="utf-8")
    campaign.write_text(yaml.replace("letter:\n", "profile: meneur\n\nletter:\n", 1), encoding="utf-8")
    found = [f for f in lint_paths([campaign], isolated=True).active if f.name == "tone-for-profile"]
    assert found and all("meneur" in f.message for f in found)  # the driver's hints, named in French
    campaign.write_text(yaml.replace("letter:\n", "profile: bavard\n\nletter:\n", 1), encoding="utf-8")
    bad = run("lint", campaign, "--isolated")
    assert bad.code == 2 and "profile" in bad.err and "campaign.yaml" in bad.err
