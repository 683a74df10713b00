"""Map a customer file's headers to merge field names.

Headers are matched after trimming and case/accent folding, so "Prénom",
"PRENOM " and "prenom" are one column. Common French and English headers map to
the standard fields publipost understands (first_name, email, postcode, …);
any other column keeps a field name made from its header ("Date dernier
achat" → date_dernier_achat). `target.columns` overrides both.
"""

from __future__ import annotations

import re

from publipost.errors import AudienceError, Where, did_you_mean, shown, shown_list
from publipost.folding import fold

STANDARD_FIELDS: dict[str, tuple[str, ...]] = {
    "id": (
        "id",
        "client_id",
        "customer_id",
        "id_client",
        "numero_client",
        "num_client",
        "ref_client",
        "code_client",
        "customer_number",
        "n_client",
    ),
    "civility": ("civility", "civilite", "title", "salutation", "titre", "civ", "genre", "gender"),
    "first_name": ("first_name", "firstname", "prenom", "given_name", "forename"),
    "last_name": ("last_name", "lastname", "nom", "surname", "family_name", "nom_de_famille"),
    "company": ("company", "societe", "entreprise", "raison_sociale", "organisation", "organization"),
    "email": (
        "email",
        "e_mail",
        "mail",
        "courriel",
        "adresse_email",
        "adresse_e_mail",
        "email_address",
        "adresse_mail",
    ),
    "address1": (
        "address1",
        "address",
        "address_1",
        "adresse",
        "adresse1",
        "adresse_1",
        "street",
        "rue",
        "address_line_1",
        "ligne_adresse_1",
    ),
    "address2": (
        "address2",
        "address_2",
        "adresse2",
        "adresse_2",
        "complement",
        "complement_adresse",
        "complement_d_adresse",
        "address_line_2",
        "ligne_adresse_2",
    ),
    "postcode": ("postcode", "postal_code", "post_code", "zip", "zip_code", "zipcode", "cp", "code_postal"),
    "city": ("city", "town", "ville", "commune", "localite"),
    "state": ("state", "region", "province", "etat"),
    "country": ("country", "pays"),
}

# The columns of a complaints file (kind: complaint-reply), recognised in such files only: in a
# customer file, "Objet" or "Téléphone" keep the field names campaigns already use.
COMPLAINT_FIELDS: dict[str, tuple[str, ...]] = {
    "phone": ("phone", "telephone", "tel", "phone_number", "numero_de_telephone", "portable", "mobile"),
    "received": (
        "received",
        "received_on",
        "date_received",
        "complaint_date",
        "date_reception",
        "date_de_reception",
        "recu_le",
        "date_reclamation",
        "date_de_la_reclamation",
    ),
    "reference": ("reference", "ref", "votre_reference", "ref_reclamation", "reference_reclamation"),
    "subject": ("subject", "objet", "motif", "sujet"),
    "severity": ("severity", "gravite", "priorite", "priority", "urgence"),
    "received_by": ("received_by", "canal", "channel", "recu_par"),
    "measure": ("measure", "mesure", "mesure_corrective", "corrective_measure", "corrective_action"),
    "gesture": ("gesture", "geste", "geste_commercial", "commercial_gesture"),
    "handler": ("handler", "gestionnaire", "traite_par", "handled_by", "charge_de_clientele"),
    # the customer's own e-mail: an e-mail reply threads under it (In-Reply-To, References)
    "message_id": ("message_id", "id_du_message", "identifiant_du_message", "id_message", "in_reply_to"),
}
SYNONYMS = {alias: name for name, aliases in STANDARD_FIELDS.items() for alias in aliases}
COMPLAINT_SYNONYMS = {
    **SYNONYMS,
    **{alias: name for name, aliases in COMPLAINT_FIELDS.items() for alias in aliases},
}


def snake(header: str) -> str:
    """'Date dernier achat' → 'date_dernier_achat'; 'E-mail' → 'e_mail'."""
    name = re.sub(r"[^a-z0-9]+", "_", fold(header)).strip("_")
    if not name:
        return ""
    return name if not name[0].isdigit() else f"f_{name}"


def map_headers(
    headers: list[str], explicit: dict[str, str], where: Where, *, complaints: bool = False
) -> dict[str, str]:
    """header → field name, for every header of the file (of a complaints file, with its columns)."""
    synonyms = COMPLAINT_SYNONYMS if complaints else SYNONYMS
    by_snake: dict[str, str] = {}
    for header in headers:
        by_snake.setdefault(snake(header), header)
    mapping: dict[str, str] = {}
    for wanted, field_name in explicit.items():
        found = by_snake.get(snake(wanted))
        if found is None:
            suggestion = did_you_mean(wanted, headers) or did_you_mean(snake(wanted), list(by_snake))
            raise AudienceError(
                f"target.columns names a column '{wanted}' that the customer file does not have",
                where,
                (suggestion + " " if suggestion else "") + f"the file's columns are: {shown_list(headers)}",
            )
        mapping[found] = field_name
    taken = set(mapping.values())
    for index, header in enumerate(headers, start=1):
        if header in mapping:
            continue
        key = snake(header) or f"column_{index}"
        name = synonyms.get(key, key)
        if name in taken:
            name = key if key not in taken else f"{key}_{index}"
        mapping[header] = name
        taken.add(name)
    return mapping


def suggest_field(name: str, headers: dict[str, str]) -> str:
    """A hint for an unknown field: the closest field, by its name or by its column's header."""
    by_header = {snake(header): field for field, header in headers.items()}
    key = snake(name)
    if key in by_header:
        field = by_header[key]
        return f"the column '{shown(headers[field])}' is the field '{field}'"
    suggestion = did_you_mean(key, list(headers)) or did_you_mean(key, list(by_header))
    if suggestion:
        field = by_header.get(suggestion.split("'")[1], suggestion.split("'")[1])
        return f"did you mean '{field}' (column '{shown(headers[field])}')?"
    if not headers:
        return "the customer file has no columns publipost could read"
    return "fields in the customer file: " + shown_list(list(headers))
