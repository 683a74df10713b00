"""Customer files in parts (a folder or a glob of Parquet or CSV files): the audience of the
same rows in one CSV, row for row, with each rejected row's part named."""

from __future__ import annotations

import csv
import shutil
from collections import Counter

import pandas as pd
import pytest

import publipost
from publipost.campaigns.table import ROW, read_table
from tests.conftest import EXAMPLES


@pytest.fixture
def couette(tmp_path):
    folder = tmp_path / "vente-couette"
    shutil.copytree(EXAMPLES / "vente-couette", folder, ignore=shutil.ignore_patterns("out"))
    return folder


def _with_source(folder, source: str, name: str):
    text = (folder / "campaign.yaml").read_text(encoding="utf-8")
    path = folder / name
    path.write_text(text.replace("source: data/clients.csv", f"source: {source}"), encoding="utf-8")
    return path


def _audience(campaign):
    audience = publipost.prepare(campaign).audience
    ids = [r.id for r in audience]
    return audience, Counter(audience.counts), ids


def _rejects(path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as file:
        return list(csv.DictReader(file, delimiter=";"))


def test_a_folder_of_four_parquet_parts_is_the_one_csv(couette, run, tmp_path):
    rows = read_table(couette / "data" / "clients.csv").frame.drop(columns=[ROW])
    rows = pd.concat([rows, rows.iloc[[3]]], ignore_index=True)  # a customer again in the last part
    quarter = -(-len(rows) // 4)
    (couette / "data" / "parts").mkdir()
    for number in range(4):
        part = rows.iloc[number * quarter : (number + 1) * quarter]
        part.to_parquet(couette / "data" / "parts" / f"part-{number:05d}.parquet", index=False)
    (couette / "data" / "parts" / "_SUCCESS").write_text("")  # Spark's marker: not a part
    rows.to_csv(couette / "data" / "one.csv", sep=";", index=False, encoding="utf-8")

    _, one_counts, one_ids = _audience(_with_source(couette, "data/one.csv", "one.yaml"))
    parts, part_counts, part_ids = _audience(_with_source(couette, "data/parts", "parts.yaml"))
    assert part_counts == one_counts and one_counts["duplicate"] >= 1
    assert part_ids == one_ids and len(part_ids) > 100
    assert [p.path.name for p in parts.source.parts] == [f"part-{n:05d}.parquet" for n in range(4)]

    for name, out in (("one.yaml", "o1"), ("parts.yaml", "o2")):
        assert run("validate", couette / name, "--out", tmp_path / out).code == 0
    single, parted = _rejects(tmp_path / "o1" / "rejects.csv"), _rejects(tmp_path / "o2" / "rejects.csv")
    assert [r["row"] for r in parted] == [r["row"] for r in single] and single
    for row in parted:  # each rejected row named in its part: its values are that part's row
        part = pd.read_parquet(couette / "data" / "parts" / row["part"])
        assert part.iloc[int(row["part row"]) - 2]["N° client"] == row["N° client"]
    last = parted[-1]
    assert last["part"] == "part-00003.parquet" and last["outcome"] == "duplicate"


def test_a_glob_of_csv_parts_keeps_a_malformed_rows_place(couette, tmp_path):
    header = "id;prenom;nom;adresse;code postal;ville;email\n"
    parts = [
        [
            "A1;Léa;Martin;1 rue A;75001;Paris;lea@exemple.fr\n",
            "A2;Paul;Durand;2 rue B;69001;Lyon;paul@exemple.fr\n",
        ],
        [
            "B1;Anne;Petit;3 rue C;13001;Marseille;anne@exemple.fr\n",
            "B2;Luc;Roux;4 rue D;33000;Bordeaux;x;y;z\n",
        ],
        ["C1;Marc;Blanc;5 rue E;59000;Lille;marc@exemple.fr\n"],
    ]
    (couette / "data" / "lake").mkdir()
    for number, lines in enumerate(parts):
        (couette / "data" / "lake" / f"clients-{number}.csv").write_text(
            header + "".join(lines), encoding="utf-8"
        )
    (couette / "data" / "one.csv").write_text(
        header + "".join(line for lines in parts for line in lines), encoding="utf-8"
    )
    text = (couette / "campaign.yaml").read_text(encoding="utf-8")
    text = text.replace(
        "  where:\n    opt_in_courrier: true           # seuls les clients qui acceptent le courrier\n"
        "    dernier_achat: {gte: 2022-01-01}\n",
        "",
    )
    (couette / "campaign.yaml").write_text(text, encoding="utf-8")
    one, one_counts, one_ids = _audience(_with_source(couette, "data/one.csv", "one.yaml"))
    lake, lake_counts, lake_ids = _audience(_with_source(couette, "data/lake/clients-*.csv", "lake.yaml"))
    assert lake_counts == one_counts and lake_ids == one_ids == ["A1", "A2", "B1", "C1"]
    assert lake.source.malformed == one.source.malformed and one.source.malformed[0][0] == 5
    assert lake.source.part_of(5) == ("clients-1.csv", 3)


@pytest.mark.parametrize(
    ("layout", "said"),
    [
        ("mismatch", "the part part-1.csv has no column 'ville' where the first part (part-0.csv) has"),
        ("mixed", "the parts mix Parquet (part-1.parquet) and CSV (part-0.csv)"),
        ("empty", "no customer file parts (.parquet, .csv, .tsv) found"),
    ],
)
def test_bad_parts_are_refused_before_anything_is_written(couette, run, tmp_path, layout, said):
    lake = couette / "data" / "lake"
    lake.mkdir()
    if layout != "empty":
        (lake / "part-0.csv").write_text("id;nom;code postal;ville\n1;Martin;75001;Paris\n", encoding="utf-8")
    if layout == "mismatch":
        (lake / "part-1.csv").write_text("id;nom;code postal\n2;Durand;69001\n", encoding="utf-8")
    if layout == "mixed":
        pd.DataFrame({"id": ["2"]}).to_parquet(lake / "part-1.parquet")
    campaign = _with_source(couette, "data/lake", "lake.yaml")
    result = run("render", campaign, "--format", "pdf", "--out", tmp_path / "out")
    assert result.code == 2 and said in result.err, result.err
    assert result.out == "" and not (tmp_path / "out").exists()


def test_a_glob_matching_nothing(couette, run):
    result = run("validate", _with_source(couette, "data/nowhere-*.parquet", "lake.yaml"))
    assert result.code == 2 and "no customer file parts" in result.err and "lake.yaml:" in result.err


def test_urls_are_refused_as_sources_and_output_folders(couette, run, tmp_path, capsys):
    campaign = _with_source(couette, "s3://bucket/clients/", "lake.yaml")
    result = run("validate", campaign)
    assert (
        result.code == 2
        and "target.source: s3://bucket/clients/: publipost reads files, not URLs" in result.err
    )
    good = couette / "campaign.yaml"
    from publipost.cli import main

    with pytest.raises(SystemExit) as refused:
        main(["render", str(good), "--format", "pdf", "--out", "gs://bucket/run"])
    err = capsys.readouterr().err
    assert refused.value.code == 2 and "gs://bucket/run: publipost writes to a folder, not to a URL" in err
    assert not (couette / "out").exists()
