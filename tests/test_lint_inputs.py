"""Lint inputs other than Markdown letters: MJML/HTML e-mails, campaigns (inline and file copy), folders."""

from __future__ import annotations

import shutil

from publipost.linter.engine import lint_paths
from tests.conftest import EXAMPLES
from tests.lintkit import lint_text, position

MJML = """\
<mjml lang="en">
  <mj-head>
    <mj-title>{subject}</mj-title>
    {preview}
  </mj-head>
  <mj-body>
    <mj-section><mj-column>
      <mj-text><h1>Discover the new planner that plans your week with you</h1></mj-text>
      <mj-text><p>Dear {{{{ first_name }}}},</p>
        <p>Its pages are <b>undated</b>. As a result, you start any week. We refund you within 60 days.</p>
        <p>Your price is $34 until 15 January, with a free gift:
          <a href="https://planora.example/launch">see the planner</a>.</p>
        <p>Dana Brooks<br>Founder</p>
        <p>P.S. Order now: your gift ships free.</p>
        <p><a href="{{{{ unsubscribe_url }}}}">Unsubscribe</a></p>
      </mj-text>
    </mj-column></mj-section>
  </mj-body>
</mjml>
"""


def _mjml(
    subject="New: the planner that starts when you do", preview="<mj-preview>Undated pages</mj-preview>"
):
    return MJML.format(subject=subject, preview=preview)


def test_clean_mjml_with_text_part(tmp_path):
    (tmp_path / "offer.txt").write_text("text part")
    assert [f.name for f in lint_text(tmp_path, _mjml(), "offer.mjml").active] == []


def test_mjml_email_rules(tmp_path):
    text = _mjml(subject="FREE PLANNER FOR YOU, ACT NOW!!", preview="").replace(
        '<p><a href="{{ unsubscribe_url }}">Unsubscribe</a></p>', ""
    )
    findings = lint_text(tmp_path, text, "offer.mjml").active
    names = [f.name for f in findings]
    assert names.count("spam-trigger") >= 3  # capitals, "!!", "free" in the subject
    for name in ("preheader-missing", "unsubscribe-missing", "plain-text-missing"):
        assert name in names
    caps = next(f for f in findings if f.name == "spam-trigger")
    assert (caps.line, caps.column) == position(text, "FREE PLANNER")
    free = next(f for f in findings if f.name == "spam-trigger" and '"FREE"' in f.message)
    assert (free.line, free.column) == position(text, "FREE")


def test_subject_too_long(tmp_path):
    (tmp_path / "offer.txt").write_text("text part")
    subject = "Discover the new planner that starts when you do, and plans your week"
    findings = [f for f in lint_text(tmp_path, _mjml(subject=subject), "offer.mjml").active]
    (finding,) = [f for f in findings if f.name == "subject-too-long"]
    assert "69 characters (max 50)" in finding.message
    assert (finding.line, finding.column) == position(_mjml(subject=subject), subject)


def _campaign(tmp_path, example="vente-couette"):
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder, ignore=shutil.ignore_patterns("out"))
    return folder


def test_examples_lint_clean():
    result = lint_paths([EXAMPLES])
    assert result.active == []
    assert result.files == 3  # the copy files and data files of the campaigns are not linted twice


def test_campaign_inline_copy_positions_point_into_the_yaml(tmp_path):
    folder = _campaign(tmp_path)
    yaml = (folder / "campaign.yaml").read_text(encoding="utf-8")
    yaml = yaml.replace(
        "  ps: >-\n    Répondez avant le {{ offer.deadline | date }} : votre cadeau, {{ offer.gift }},\n"
        "    part avec votre couette.",
        "  ps: |\n    Merci.\n    Bonne journée à vous.",
    )
    (folder / "campaign.yaml").write_text(yaml, encoding="utf-8")
    (finding,) = lint_paths([folder / "campaign.yaml"]).active
    assert finding.name == "ps-weak" and finding.path == str(folder / "campaign.yaml")
    assert (finding.line, finding.column) == position(yaml, "Merci.")


def test_campaign_rules_date_place_and_offer(tmp_path):
    folder = _campaign(tmp_path)
    yaml = (folder / "campaign.yaml").read_text(encoding="utf-8").replace("  place: Lyon\n", "")
    (folder / "campaign.yaml").write_text(yaml, encoding="utf-8")
    letter = (folder / "lettre.md").read_text(encoding="utf-8")
    letter = (
        letter.replace("la {{ offer.product }}", "la couette")
        .replace("**{{ offer.price | money }}** au lieu de 119,00 €", "**un prix doux**")
        .replace(", vous recevez en cadeau {{ offer.gift }}", ", vous avez un cadeau")
    )
    (folder / "lettre.md").write_text(letter, encoding="utf-8")
    findings = {f.name: f for f in lint_paths([folder / "campaign.yaml"]).active}
    assert findings["date-place-missing"].path == str(folder / "campaign.yaml")
    assert "le produit, le prix" in findings["offer-not-in-copy"].message
    assert "le cadeau" not in findings["offer-not-in-copy"].message  # the YAML's P.S. names the gift


def test_longest_values_decide_printed_lines(tmp_path):
    """A paragraph that fits with short names overflows with the file's longest value merged in."""
    folder = _campaign(tmp_path)
    paragraph = "Votre couette vous attend. Elle garde la chaleur. " * 4
    letter = (
        (folder / "lettre.md")
        .read_text(encoding="utf-8")
        .replace("Je vous souhaite de douces nuits.", f"{paragraph}Votre profil : {{{{ segment }}}}.")
    )
    (folder / "lettre.md").write_text(letter, encoding="utf-8")
    data = (
        (folder / "data" / "clients.csv")
        .read_bytes()
        .replace(
            ";fidèle;".encode("cp1252"),
            (";fidèle, " + "client depuis longtemps et très attaché, " * 12 + ";").encode("cp1252"),
        )
    )
    (folder / "data" / "clients.csv").write_bytes(data)
    (finding,) = [f for f in lint_paths([folder / "campaign.yaml"]).active if f.name == "paragraph-too-long"]
    assert "avec les valeurs les plus longues" in finding.message
    assert finding.context == {"recipient": "longest value of each field in the customer file"}
    assert finding.path == str(folder / "lettre.md")
    assert (finding.line, finding.column) == position(letter, paragraph[:30])


def test_folder_walk_skips_output_and_data(tmp_path):
    folder = _campaign(tmp_path)
    (folder / "out").mkdir()
    (folder / "out" / "old.md").write_text("no hook here\n")
    (folder / "README.md").write_text("# Notes\n")
    result = lint_paths([tmp_path])
    assert result.files == 1 and result.active == []


FRENCH_MJML = """\
<mjml lang="fr">
  <mj-head><mj-title>{subject}</mj-title>{preview}</mj-head>
  <mj-body><mj-section><mj-column><mj-text>
    <h1>Découvrez maintenant la couette qui vous garde au chaud</h1>
    <p>Chère {{{{ first_name }}}},</p>
    <p>Votre couette se lave <b>à 60 °C</b>. En effet, son duvet est recyclé.
      <a href="https://literie-martin.example/c">Voyez la couette</a>.</p>
    <p>Claire Martin<br>Directrice commerciale</p>
    <p>P.S. Répondez avant le 31 décembre : votre cadeau vous attend.</p>
    {unsubscribe}
  </mj-text></mj-column></mj-section></mj-body>
</mjml>
"""


def test_french_email_rules(tmp_path):
    clean = FRENCH_MJML.format(
        subject="Votre couette vous attend",
        preview="<mj-preview>Lavable à 60 °C</mj-preview>",
        unsubscribe='<p><a href="{{ url }}">Se désabonner</a></p>',
    )
    (tmp_path / "offre.txt").write_text("version texte")
    assert lint_text(tmp_path, clean, "offre.mjml").active == []
    bad = FRENCH_MJML.format(subject="GRATUIT : VOTRE COUETTE ?!", preview="", unsubscribe="")
    (tmp_path / "offre.txt").unlink()
    findings = lint_text(tmp_path, bad, "offre.mjml").active
    messages = [f.message for f in findings if f.name == "spam-trigger"]
    assert "les filtres anti-spam pénalisent un objet en majuscules" in messages
    assert "les filtres anti-spam pénalisent « ! » avec « ? » dans un objet" in messages
    assert "les filtres anti-spam pénalisent « GRATUIT » dans un objet" in messages
    names = {f.name for f in findings}
    assert {"preheader-missing", "unsubscribe-missing", "plain-text-missing"} <= names
    assert all(f.language == "fr" for f in findings)


def test_english_campaign_rules_and_campaign_lint_key(tmp_path):
    folder = _campaign(tmp_path, "launch-planner")
    yaml = (folder / "campaign.yaml").read_text(encoding="utf-8").replace("  place: Austin\n", "")
    (folder / "campaign.yaml").write_text(yaml, encoding="utf-8")
    letter = (
        (folder / "letter.md")
        .read_text(encoding="utf-8")
        .replace("The new {{ offer.product }} fixes that.", "The new planner fixes that.")
        .replace("**{{ offer.price | money }}**", "**low**")
    )
    (folder / "letter.md").write_text(letter, encoding="utf-8")
    findings = {f.name: f for f in lint_paths([folder / "campaign.yaml"]).active}
    assert findings["date-place-missing"].language == "en"
    assert "the offer's product, price never appears" in findings["offer-not-in-copy"].message
    yaml += "lint:\n  ignore: [date-place-missing, offer-not-in-copy]\n"
    (folder / "campaign.yaml").write_text(yaml, encoding="utf-8")
    assert lint_paths([folder / "campaign.yaml"]).active == []


def test_an_unknown_field_in_a_campaign_names_the_closest_column(campaign_dir, run):
    from tests.conftest import BASE_CAMPAIGN

    path = campaign_dir(BASE_CAMPAIGN, letter="**Découvrez**\n\nBonjour {{ prenom }}, voici votre offre.\n")
    result = run("lint", path)
    assert result.code == 2 and "the column 'Prénom' is the field 'first_name'" in result.err


def test_yaml_that_is_not_a_campaign_is_left_alone(tmp_path, run):
    """pre-commit hands .pre-commit-config.yaml over with the changed copy: not a campaign."""
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text("repos:\n  - repo: local\n    hooks: []\n")
    letter = tmp_path / "lettre.md"
    letter.write_text("Bonjour,\n\nMerci.\n", encoding="utf-8")
    result = run("lint", config, letter, "--isolated")
    assert (
        result.code == 1 and "in 1 file" in result.out and "lettre.md:" in result.out
    )  # the letter's findings
    assert ".pre-commit-config.yaml" not in result.out + result.err
    broken = tmp_path / "campaign.yaml"
    broken.write_text("name: x\nlanguage: fr\noffer: {product: y}\n")  # a campaign without objective
    refused = run("lint", broken, "--isolated")
    assert refused.code == 2 and "objective" in refused.err


def test_files_named_together_list_their_folder_once(tmp_path, monkeypatch):
    """pre-commit names every changed file (all of them with --all-files): each named copy file
    looks for the campaign that owns it in its folder and above, and a folder of 3,000 letters
    was listed (and its campaign file read) 3,000 times in one run."""
    import os

    campaign = tmp_path / "couette"
    shutil.copytree(EXAMPLES / "vente-couette", campaign, ignore=shutil.ignore_patterns("out"))
    letter = (campaign / "lettre.md").read_text(encoding="utf-8")
    named = [campaign / "lettre.md"]
    for number in range(40):
        (campaign / f"brouillon-{number}.md").write_text(letter, encoding="utf-8")
        named.append(campaign / f"brouillon-{number}.md")
    listed = []
    listdir = os.listdir
    monkeypatch.setattr(
        os, "listdir", lambda folder=".": listed.append(os.fsdecode(folder)) or listdir(folder)
    )
    result = lint_paths(named)
    assert listed.count(str(campaign)) == 1
    assert result.files == 41  # the campaign (for lettre.md), and each draft on its own
    assert {f.path for f in result.findings if f.path.endswith("lettre.md")} <= {str(campaign / "lettre.md")}


def test_a_copy_file_in_a_subfolder_is_linted_in_its_campaign_up_to_the_repository(tmp_path):
    """A named copy file is linted in the campaign that uses it, found in its folder or a folder
    above, up to the repository's root: `copy/lettre.md` of a campaign one folder up, in a git
    work tree two folders up. Above the root, no campaign is looked for."""
    repository = tmp_path / "repo"
    (repository / ".git").mkdir(parents=True)
    campaign = repository / "campagnes" / "couette"
    shutil.copytree(EXAMPLES / "vente-couette", campaign, ignore=shutil.ignore_patterns("out"))
    (campaign / "copy").mkdir()
    (campaign / "lettre.md").rename(campaign / "copy" / "lettre.md")
    yaml = (campaign / "campaign.yaml").read_text(encoding="utf-8")
    (campaign / "campaign.yaml").write_text(
        yaml.replace("body: lettre.md", "body: copy/lettre.md"), encoding="utf-8"
    )

    result = lint_paths([campaign / "copy" / "lettre.md"])
    assert list(result.scores) and all(
        key.startswith(str(campaign / "campaign.yaml")) for key in result.scores
    )

    # The same campaign above the repository's root owns nothing inside it.
    outside = tmp_path / "above"
    shutil.copytree(campaign, outside)
    (outside / "copy" / ".git").mkdir()  # the letter's own folder is now a work tree's root
    alone = lint_paths([outside / "copy" / "lettre.md"])
    assert list(alone.scores) == [f"{outside / 'copy' / 'lettre.md'}#letter"]
