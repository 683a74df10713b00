"""Write clients.csv and desabonnes.csv: 214 customers of a Lyon bedding shop.

Deterministic (fixed seed), so the example and its tests always see the same file.
It is a French Excel export: cp1252, ';'-separated, with the messy rows real files
have: bad e-mails, duplicates, ALL-CAPS and lower-case names, missing fields,
postcodes that lost their leading zero, mojibake, a line break inside a value,
markup and template syntax typed into a field, a row with a stray separator,
and customers who asked not to be written to again.

    python data/make_customers.py
"""

import csv
import random
from pathlib import Path

HERE = Path(__file__).parent
FIRST = {
    "Mme": [
        "Jeanne",
        "Élodie",
        "Marie-Ève",
        "Camille",
        "Françoise",
        "Léa",
        "Inès",
        "Chloé",
        "Hélène",
        "Sophie",
        "Anaïs",
        "Zoé",
    ],
    "M.": [
        "Jean-Pierre",
        "Lucas",
        "François",
        "Mathis",
        "Noël",
        "Hugo",
        "Raphaël",
        "Loïc",
        "Gaël",
        "Thomas",
        "Benoît",
        "Jérôme",
    ],
}
LAST = [
    "Dupont",
    "Martin",
    "Lefèvre",
    "Moreau",
    "Girard",
    "Bonnet",
    "Mercier",
    "de La Fontaine",
    "Rousseau",
    "Faure",
    "Garnier",
    "Chevalier",
    "Lambert",
    "d'Artagnan",
    "Le Bris",
    "Müller",
    "Nguyen",
    "Benoît",
]
STREETS = [
    "rue des Lilas",
    "avenue Jean Jaurès",
    "boulevard de la Croix-Rousse",
    "place Bellecour",
    "chemin des Vignes",
    "rue Victor Hugo",
    "allée des Tilleuls",
    "quai Saint-Antoine",
]
CITIES = [
    ("69001", "Lyon"),
    ("69003", "Lyon"),
    ("69100", "Villeurbanne"),
    ("01000", "Bourg-en-Bresse"),
    ("06000", "Nice"),
    ("38000", "Grenoble"),
    ("42000", "Saint-Étienne"),
    ("05000", "Gap"),
    ("73000", "Chambéry"),
    ("02100", "Saint-Quentin"),
]
YEARS = [2021, 2023, 2024, 2025, 2026]
HEADER = [
    "N° client",
    "Civilité",
    "Prénom",
    "NOM",
    "Adresse",
    "Complément",
    "Code postal",
    "Ville",
    "E-mail",
    "Segment",
    "Dernier achat",
    "Opt-in courrier",
]


def slug(text: str) -> str:
    table = str.maketrans("éèêëàâäîïôöùûüçÉ' -", "eeeeaaaiioouuucE...")
    return text.lower().translate(table).replace("..", ".").strip(".")


def customers(rng: random.Random) -> list[list[str]]:
    rows = []
    for number in range(1, 201):
        civility = rng.choice(["Mme", "M."])
        first, last = rng.choice(FIRST[civility]), rng.choice(LAST)
        postcode, city = rng.choice(CITIES)
        email = f"{slug(first)}.{slug(last)}{number}@exemple.fr"
        rows.append(
            [
                f"C{number:05d}",
                civility,
                first,
                last,
                f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                rng.choice(["", "", "", "Bâtiment B", "Appartement 12", "Résidence Les Cèdres"]),
                postcode,
                city,
                email,
                rng.choice(["fidèle", "fidèle", "occasionnel", "prospect"]),
                f"{rng.randint(1, 28):02d}/{rng.randint(1, 12):02d}/{rng.choice(YEARS)}",
                rng.choice(["oui", "oui", "oui", "non"]),
            ]
        )
    return rows


def make_messy(rows: list[list[str]]) -> list[list[str]]:
    rows[3][2], rows[3][3] = "JEAN-PIERRE", "DE LA FONTAINE"  # ALL CAPS
    rows[4][2], rows[4][3] = "élodie", "d'artagnan"  # all lower case
    rows[5][8] = "jeanne.dupont@"  # bad e-mail, letter still goes
    rows[6][8] = "pas d'adresse"
    rows[7][4], rows[7][6], rows[7][7] = "", "", ""  # no postal address: rejected
    rows[8][3] = ""  # no last name: a letter cannot be addressed, rejected
    rows[9][6] = rows[9][6].lstrip("0") if rows[9][6].startswith("0") else "1000"  # lost leading zero
    rows[9][7] = "Bourg-en-Bresse"
    rows[10][2] = "FranÃ§oise"  # mojibake from a double conversion
    rows[11][5] = "Bâtiment C\nescalier 2"  # line break inside a value
    rows[12][3] = "<b>Moreau</b>"  # markup typed into a field
    rows[13][2] = "{{ 7*7 }}"  # template syntax typed into a field
    rows[14][2] = "  Camille  "  # stray spaces
    rows[15][1] = "Madame"
    rows[16][1] = ""  # no civility: "Bonjour Prénom,"
    rows[17][1], rows[17][2] = "", ""  # nothing to greet with: "Madame, Monsieur,"
    rows[20][10], rows[20][11] = "03/02/2026", "oui"
    return rows


def main() -> None:
    rng = random.Random(2026)
    rows = make_messy(customers(rng))
    for source in (21, 22, 23, 24, 25, 30, 31, 40, 41, 50):  # the same customers entered twice
        twin = list(rows[source])
        twin[0] = f"C{900 + source:05d}"
        twin[2] = twin[2].upper() if source % 2 else twin[2]
        rows.append(twin)
    for number in range(201, 205):
        rows.append(
            [
                f"C{number:05d}",
                "M.",
                "Paul",
                "Arnaud",
                "3 rue Neuve",
                "",
                "69002",
                "Lyon",
                f"paul.arnaud{number}@exemple.fr",
                "fidèle",
                "01/09/2026",
                "oui",
            ]
        )
    with (HERE / "clients.csv").open("w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(rows)
        # A row with a stray ';' in the street: one field too many, rejected with its row number.
        out.write(
            "C00999;M.;Luc;Perrin;5 rue Haute; bis;;69004;Lyon;luc.perrin@exemple.fr;fidèle;"
            "01/10/2026;oui\r\n"
        )
    with (HERE / "desabonnes.csv").open("w", encoding="cp1252", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(["E-mail", "Date de la demande"])
        writer.writerow([rows[30][8].upper(), "12/03/2026"])
        writer.writerow([rows[60][8], "02/05/2026"])
        writer.writerow(["inconnu@exemple.fr", "02/05/2026"])


if __name__ == "__main__":
    main()
