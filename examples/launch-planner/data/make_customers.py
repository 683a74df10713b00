"""Write customers.csv and unsubscribed.txt for the Planora launch (UTF-8, comma-separated).

Deterministic (fixed seed). 212 rows from a US web shop's CRM export, with the
usual mess: invalid and missing e-mails, duplicates differing only in case,
names typed in capitals or lower case, ZIP codes whose leading zero matters,
missing street addresses, a quoted value holding a line break, HTML in a name,
and a customer who unsubscribed.

    python data/make_customers.py
"""

import csv
import random
from pathlib import Path

HERE = Path(__file__).parent
PEOPLE = [
    ("Ms", "Emma"),
    ("Mr", "Liam"),
    ("Mrs", "Olivia"),
    ("Mr", "Noah"),
    ("Ms", "Ava"),
    ("Mr", "Ethan"),
    ("Ms", "Sophia"),
    ("Mr", "Mason"),
    ("Mrs", "Isabella"),
    ("Mr", "Lucas"),
    ("", "Riley"),
    ("Mx", "Sam"),
]
SURNAMES = [
    "Smith",
    "Johnson",
    "O'Brien",
    "McDonald",
    "Garcia",
    "Nguyen",
    "Miller",
    "Davis",
    "Rodriguez",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "van der Berg",
]
PLACES = [
    ("Boston", "MA", "02108"),
    ("Hoboken", "NJ", "07030"),
    ("Portland", "ME", "04101"),
    ("Austin", "TX", "78701"),
    ("Denver", "CO", "80202"),
    ("Seattle", "WA", "98101"),
    ("Chicago", "IL", "60601"),
    ("Burlington", "VT", "05401"),
]
STREETS = ["Maple Ave", "Oak St", "Washington Blvd", "Lakeview Dr", "2nd St", "Elm St", "Park Pl"]
HEADER = [
    "Customer ID",
    "Title",
    "First Name",
    "Last Name",
    "Company",
    "Address Line 1",
    "Address Line 2",
    "City",
    "State",
    "ZIP",
    "Email",
    "Segment",
    "Email Opt-in",
]


def main() -> None:
    rng = random.Random(27)
    rows = []
    for number in range(1, 201):
        title, first = rng.choice(PEOPLE)
        last = rng.choice(SURNAMES)
        city, state, zip_code = rng.choice(PLACES)
        rows.append(
            [
                f"PL-{number:04d}",
                title,
                first,
                last,
                rng.choice(["", "", "", "Northwind LLC", "Acme Corp"]),
                f"{rng.randint(10, 9999)} {rng.choice(STREETS)}",
                rng.choice(["", "", "Apt 4B", "Suite 210"]),
                city,
                state,
                zip_code,
                f"{first}.{last}{number}@example.com".lower().replace("'", "").replace(" ", ""),
                rng.choice(["customer", "customer", "subscriber", "lead"]),
                rng.choice(["yes", "yes", "yes", "no"]),
            ]
        )
    rows[2][2], rows[2][3] = "MARY-KATE", "O'BRIEN"  # all caps
    rows[3][2], rows[3][3] = "ian", "mcdonald"  # all lower case
    rows[4][10] = "ava.nguyen@@example.com"  # invalid: letter only
    rows[5][10] = ""  # no e-mail: letter only
    rows[6][5], rows[6][9] = "", ""  # no street, no ZIP: e-mail only
    rows[7][5], rows[7][10] = "", "not-an-email"  # neither: rejected
    rows[8][6] = "Floor 3\nReception"  # a line break inside a quoted value
    rows[9][2] = "<script>alert(1)</script>"  # markup typed into a field
    rows[10][3] = "{% raw %}Lee"  # template syntax typed into a field
    rows[11][1] = ""  # no title: "Dear First,"
    for source in (20, 21, 22, 35, 36, 60, 61, 80, 81, 99, 100, 120):  # the same people twice
        twin = list(rows[source])
        twin[0] = f"PL-{9000 + source:04d}"
        twin[10] = twin[10].upper()
        rows.append(twin)
    with (HERE / "customers.csv").open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADER)
        writer.writerows(rows)
    (HERE / "unsubscribed.txt").write_text(f"{rows[40][10]}\n{rows[41][10].upper()}\nformer@example.com\n")
    # What came back (for `publipost responses import`): coupons keyed in from the reply cards,
    # one with a typo (PL-0017 for PL-0010), and an order by customer id from a member of the
    # control group (held out by the campaign code PLAN27, so their ids are fixed).
    (HERE / "responses.csv").write_text(
        "response_code,id,date,amount\n"
        "PLAN27-PL-0001-9,,2026-12-02,34.00\n"
        "PLAN27-PL-0004-3,,2026-12-03,68.00\n"
        "PLAN27-PL-0009-U,,2026-12-03,34.00\n"
        "PLAN27-PL-0012-3,,2026-12-05,34.00\n"
        "PLAN27-PL-0017-7,,2026-12-06,34.00\n"
        ",PL-0016,2026-12-04,34.00\n"
    )


if __name__ == "__main__":
    main()
