"""campaign.yaml → a validated Campaign, or an error that says where and what to do."""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from publipost.campaigns.copy import Copy
from publipost.campaigns.model import PRICED_OBJECTIVES, VARIANT_SECTIONS, Campaign
from publipost.campaigns.paths import check_path, check_size, is_partitioned
from publipost.campaigns.sections import BUILT_IN, registered
from publipost.campaigns.yamlsource import Loc, YamlDoc, load_yaml
from publipost.errors import AudienceError, CampaignError, Where, did_you_mean

BUILTIN_TEMPLATES = {"classic"}
COPY_FILE_SUFFIXES = (".md", ".markdown", ".txt", ".j2", ".jinja", ".jinja2", ".html", ".mjml")


def load_campaign(
    source: str | Path | Mapping[str, Any], *, base: Path | None = None, boundary: Path | None = None
) -> Campaign:
    """The campaign in the YAML file `source`, or in a mapping of the same keys (paths in it
    relative to `base`), checked. With a `boundary` (lint, validate), every file it names must
    lie inside that folder (see campaigns/paths.py)."""
    if isinstance(source, Mapping):
        doc = YamlDoc(path=(base or Path.cwd()) / "<campaign>", data=dict(source))
    else:
        doc = load_yaml(Path(source))
    campaign = _checked(doc, boundary)
    _check_variants(campaign, doc)
    for index, variant in enumerate(campaign.variants):
        view = _variant_doc(doc, index)
        campaign._by_variant[variant.name] = _checked(view, boundary)
        campaign._by_variant[variant.name]._variant = variant.name
    return campaign


def _checked(doc: YamlDoc, boundary: Path | None) -> Campaign:
    data, own = doc.data, {}
    kinds = registered()
    if isinstance(data, dict) and kinds.keys() & data.keys():  # a registered channel's section
        own = {name: value for name, value in data.items() if name in kinds}
        data = {name: value for name, value in data.items() if name not in kinds}
    try:
        campaign = Campaign.model_validate(data)
    except ValidationError as exc:
        raise _schema_error(doc, exc, _sales_keys_missing(doc)) from None
    for name, value in own.items():
        try:
            campaign._sections[name] = kinds[name].model.model_validate(value)
        except ValidationError as exc:
            raise _schema_error(doc, exc, [], (name,), kinds[name].model) from None
    campaign._path = doc.path.resolve()
    campaign._doc = doc
    campaign._boundary = boundary
    _check_offer(campaign, doc)
    _check_files(campaign, doc)
    campaign._copies = _load_copies(campaign, doc)
    return campaign


def _check_variants(campaign: Campaign, doc: YamlDoc) -> None:
    """Variants that split the audience one way, completely, and change only what the campaign has."""
    variants = campaign.variants
    if campaign.variant_by is not None and not variants:
        raise CampaignError(
            "variant_by names a column, but the campaign has no variants",
            doc.where(("variant_by",), key=True),
            "list the variants under 'variants:', each with the column values it takes",
        )
    if not variants:
        return
    if len(variants) == 1:
        raise CampaignError(
            "one variant is not a test: the campaign itself is the copy everyone gets",
            doc.where(("variants",), key=True),
            "add a second variant, or merge this one's changes into the campaign",
        )
    seen: dict[str, int] = {}
    for index, variant in enumerate(variants):
        where = doc.where(("variants", index, "name"))
        if variant.name.casefold() in seen:
            raise CampaignError(
                f"variant name '{variant.name}' is used twice", where, "give each variant its own name"
            )
        seen[variant.name.casefold()] = index
        for section in variant.changes:
            if section in ("letter", "email", "cta") and getattr(campaign, section) is None:
                raise CampaignError(
                    f"variant '{variant.name}' changes the {section}, "
                    f"but the campaign has no '{section}:' section",
                    doc.where(("variants", index, section), key=True),
                    f"add the '{section}:' section to the campaign; a variant changes parts of it",
                )
    if campaign.variant_by is None:
        _check_weights(campaign, doc)
    else:
        _check_values(campaign, doc)


def _check_weights(campaign: Campaign, doc: YamlDoc) -> None:
    for index, variant in enumerate(campaign.variants):
        if variant.values or variant.default:
            key = "values" if variant.values else "default"
            raise CampaignError(
                f"variant '{variant.name}' has '{key}', which only a split by column uses",
                doc.where(("variants", index, key), key=True),
                "name the column with 'variant_by: COLUMN', or give each variant a weight instead",
            )
        if variant.weight is None:
            raise CampaignError(
                f"variant '{variant.name}' has no weight",
                doc.where(("variants", index), key=True),
                "give each variant its share of the audience, e.g. 'weight: 50%' (the weights sum to 100 %), "
                "or split by a column with 'variant_by: COLUMN'",
            )
    total = sum(v.weight or 0 for v in campaign.variants)
    if abs(total - 100) > 1e-6:
        shares = " + ".join(f"{v.weight:g}" for v in campaign.variants)
        raise CampaignError(
            f"the variants' weights sum to {total:g} %, not 100 % ({shares})",
            doc.where(("variants",), key=True),
            "weights are shares of the mailed audience (the control group is set apart first)",
        )


def _check_values(campaign: Campaign, doc: YamlDoc) -> None:
    from publipost.folding import fold

    owner: dict[str, str] = {}
    defaults = [v.name for v in campaign.variants if v.default]
    if len(defaults) > 1:
        raise CampaignError(
            f"{len(defaults)} variants are the default ({', '.join(defaults)})",
            doc.where(("variants",), key=True),
            "one variant at most takes the values no variant names",
        )
    for index, variant in enumerate(campaign.variants):
        if variant.weight is not None:
            raise CampaignError(
                f"variant '{variant.name}' has a weight, "
                f"but the variants are chosen by '{campaign.variant_by}'",
                doc.where(("variants", index, "weight"), key=True),
                "remove the weight: each customer gets the variant of their column's value",
            )
        if not variant.values and not variant.default:
            raise CampaignError(
                f"variant '{variant.name}' names no values of '{campaign.variant_by}'",
                doc.where(("variants", index), key=True),
                "list the column values it takes, e.g. 'values: [analytical]', or make it the default",
            )
        for value in variant.values:
            key = fold(value.strip())
            if key in owner:
                raise CampaignError(
                    f"the value '{value}' is given to variants '{owner[key]}' and '{variant.name}'",
                    doc.where(("variants", index, "values")),
                    "each value chooses one variant",
                )
            owner[key] = variant.name


def _variant_doc(doc: YamlDoc, index: int) -> YamlDoc:
    """The campaign as variant `index` reads: its data with the variant's sections merged over the
    campaign's, and positions pointing into the variant where it changes something."""
    raw = doc.data["variants"][index]
    data = {k: v for k, v in doc.data.items() if k not in ("variants", "variant_by")}
    for section in VARIANT_SECTIONS:
        if raw.get(section):
            data[section] = {**(data.get(section) or {}), **raw[section]}
    if raw.get("profile"):
        data["profile"] = raw["profile"]
    view = YamlDoc(
        path=doc.path,
        data=data,
        values=dict(doc.values),
        keys=dict(doc.keys),
        block_scalars=set(doc.block_scalars),
        lines=doc.lines,
    )
    prefix = ("variants", index)
    for source, target in ((doc.values, view.values), (doc.keys, view.keys)):
        for loc, position in source.items():
            if loc[:2] == prefix and len(loc) > 2:
                target[loc[2:]] = position
                view.block_scalars.discard(loc[2:])
    view.block_scalars |= {loc[2:] for loc in doc.block_scalars if loc[:2] == prefix and len(loc) > 2}
    return view


def _sales_keys_missing(doc: YamlDoc) -> list[CampaignError]:
    """A sales campaign's objective and offer, reported with the schema's other errors."""
    data = doc.data if isinstance(doc.data, dict) else {}
    if data.get("kind") == "complaint-reply":
        return []
    return [
        CampaignError(
            f"missing required key '{key}' in the top level",
            doc.where(()),
            "a sales mailing serves one objective with one offer (see the README); "
            "a reply to complaints says kind: complaint-reply",
        )
        for key in ("objective", "offer")
        if key not in data
    ]


def _schema_error(
    doc: YamlDoc,
    exc: ValidationError,
    more: list[CampaignError],
    prefix: Loc = (),
    model: type[BaseModel] = Campaign,
) -> CampaignError:
    """The schema's errors, first in the file first; `prefix` and `model` for a registered
    channel's section, validated apart (its errors' places are inside that section)."""
    errors = [
        _one_error(doc, {**err, "loc": prefix + tuple(err["loc"])}, prefix, model) for err in exc.errors()
    ]
    errors += more
    errors.sort(key=lambda e: (e.where.line or 0, e.where.column or 0) if e.where else (0, 0))
    first = errors[0]
    first.others.extend(errors[1:])
    return first


def _one_error(
    doc: YamlDoc, err: dict[str, Any], prefix: Loc = (), model: type[BaseModel] = Campaign
) -> CampaignError:
    loc: Loc = tuple(err["loc"])
    dotted = ".".join(str(part) for part in loc)
    kind = err["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _fields_at(model, loc[len(prefix) : -1])
        if not prefix and len(loc) == 1:
            allowed |= set(registered())
        parent = ".".join(map(str, loc[:-1])) or "the top level"
        suggestion = did_you_mean(key, allowed)
        hint = suggestion or f"keys allowed here: {', '.join(sorted(allowed))}"
        return CampaignError(f"unknown key '{key}' in {parent}", doc.where(loc, key=True), hint)
    if kind == "missing":
        parent = ".".join(map(str, loc[:-1])) or "the top level"
        return CampaignError(
            f"missing required key '{loc[-1]}' in {parent}",
            doc.where(loc[:-1], key=True),
            "see the YAML reference in the README for what it holds",
        )
    message = f"{dotted}: " + err["msg"].removeprefix("Value error, ")
    if kind == "literal_error" and loc == ("language",):
        message = f"language is 'fr' or 'en', not '{err['input']}'"
    return CampaignError(message, doc.where(loc))


def _fields_at(model: type[BaseModel], loc: Loc) -> set[str]:
    """The keys the schema allows at `loc`, as the file writes them (`print`, `code`: a field's
    alias, not its Python name), for 'did you mean' suggestions."""
    for part in loc:
        if isinstance(part, int):
            continue
        annotation = _keys(model)[str(part)].annotation
        nested = [a for a in getattr(annotation, "__args__", (annotation,)) if _is_model(a)]
        nested += [
            inner
            for a in getattr(annotation, "__args__", ())
            for inner in getattr(a, "__args__", ())
            if _is_model(inner)
        ]
        if not nested:
            return set()
        model = nested[0]  # a model class, checked by _is_model
    return set(_keys(model))


def _keys(model: type[BaseModel]) -> dict[str, Any]:
    return {field.alias or name: field for name, field in model.model_fields.items()}


def _is_model(obj: Any) -> bool:
    return isinstance(obj, type) and issubclass(obj, BaseModel)


def _check_offer(campaign: Campaign, doc: YamlDoc) -> None:
    if not campaign.reply:
        for key in ("objective", "offer"):
            if getattr(campaign, key) is None:
                raise CampaignError(
                    f"missing required key '{key}' in the top level",
                    doc.where(()),
                    "a sales mailing serves one objective with one offer (see the README); "
                    "a reply to complaints says kind: complaint-reply",
                )
    elif campaign.letter is not None:
        campaign.letter.coupon = False  # a reply carries no order coupon
    if campaign.objective in PRICED_OBJECTIVES and campaign.offer and campaign.offer.price is None:
        raise CampaignError(
            f"offer.price is required for a '{campaign.objective}' campaign",
            doc.where(("offer",), key=True),
            "a mailing that sells says at what price: add e.g. 'price: 49.90' under offer",
        )
    if campaign.email is not None and not campaign.sender.email:
        raise CampaignError(
            "the campaign sends e-mails, but sender.email is missing",
            doc.where(("sender",), key=True),
            "add the From address under sender:, e.g. 'email: claire.martin@literie-martin.fr'",
        )
    if not campaign.channels:  # a channel of one's own (an SMS) counts as the others do
        raise CampaignError(
            "the campaign has neither a letter nor an e-mail",
            doc.where(()),
            "add a 'letter:' section (printed letters), an 'email:' section, or both",
        )


def _check_files(campaign: Campaign, doc: YamlDoc) -> None:
    """Every file the campaign names must exist before anything else runs."""
    if campaign.target.source is None and doc.lines:  # a file, not a mapping handed over in Python
        raise CampaignError(
            "missing required key 'source' in target",
            doc.where(("target",), key=True),
            "name the customer file: source: data/clients.csv",
        )
    paths = named_files(campaign)
    for loc, relative in paths:
        name = ".".join(map(str, loc))
        if loc == ("target", "source") and re.match(r"^[A-Za-z][A-Za-z0-9+.-]+://", relative):
            raise CampaignError(
                f"target.source: {relative}: publipost reads files, not URLs",
                doc.where(loc),
                "mount the bucket (s3fs, gcsfuse) or copy the parts locally, and give their folder",
            )
        if loc == ("target", "source") and is_partitioned(campaign.path.parent, relative):
            _check_parts(campaign.path.parent, relative, campaign.boundary, doc.where(loc))
            continue
        resolved = check_path(campaign.resolve(relative), campaign.boundary, doc.where(loc), name)
        if not resolved.is_file():
            raise CampaignError(
                f"{'.'.join(map(str, loc))}: file not found: {resolved}",
                doc.where(loc),
                "paths are relative to the folder of the campaign file; check the name and the folder",
            )
        if loc == ("letter", "leaflet"):
            _check_leaflet(resolved, doc.where(loc))


def _check_leaflet(path: Path, where: Where) -> None:
    """A leaflet is a PDF with pages: found out here, not after every letter was drawn."""
    import pikepdf

    try:
        with pikepdf.open(path) as pdf:
            pages = len(pdf.pages)
    except pikepdf.PasswordError:
        raise CampaignError(
            f"letter.leaflet: {path.name} is protected by a password",
            where,
            "export the leaflet again without a password",
        ) from None
    except pikepdf.PdfError as exc:
        raise CampaignError(
            f"letter.leaflet: {path.name} is not a PDF that can be read ({str(exc).split(': ')[-1]})",
            where,
            "export the leaflet again as PDF (PDF/X if the print shop asks for it)",
        ) from None
    if not pages:
        raise CampaignError(f"letter.leaflet: {path.name} has no page", where, "export the leaflet again")


def named_files(campaign: Campaign) -> list[tuple[Loc, str]]:
    """Every file the campaign names, with its key: what a run reads besides the YAML."""
    paths: list[tuple[Loc, str]] = []
    if campaign.target.source is not None:
        paths.append((("target", "source"), campaign.target.source))
    paths += [(("target", "exclude", i, "path"), e.path) for i, e in enumerate(campaign.target.exclude)]
    if campaign.sender.signature:
        paths.append((("sender", "signature"), campaign.sender.signature))
    for section in ("letter", "email"):
        part = getattr(campaign, section)
        if part is None:
            continue
        if part.template not in BUILTIN_TEMPLATES:
            paths.append(((section, "template"), part.template))
        if _is_copy_file(part.body):
            paths.append(((section, "body"), part.body))
    if campaign.email and campaign.email.dkim and campaign.email.dkim.key_file:
        paths.append((("email", "dkim", "key_file"), campaign.email.dkim.key_file))
    if campaign.letter and campaign.letter.leaflet:
        paths.append((("letter", "leaflet"), campaign.letter.leaflet))
    if campaign.letter and campaign.letter.design.lower().endswith(".toml"):
        paths.append((("letter", "design"), campaign.letter.design))
    if campaign.brand.logo:
        paths.append((("brand", "logo"), campaign.brand.logo))
    if campaign.brand.font:
        paths += [
            (("brand", "font", style), getattr(campaign.brand.font, style)) for style in ("regular", "bold")
        ]
    return paths


def _check_parts(base: Path, source: str, boundary: Path | None, where: Where) -> None:
    """A customer file in parts (a folder or a glob): inside the boundary, with parts to read."""
    from publipost.campaigns.parts import part_paths

    try:
        parts = part_paths(base, source)
    except AudienceError as exc:
        raise CampaignError(f"target.source: {exc.message}", where, exc.hint) from None
    for part in parts:
        check_path(part, boundary, where, "target.source")


def _is_copy_file(value: str) -> bool:
    return "\n" not in value.strip() and value.strip().lower().endswith(COPY_FILE_SUFFIXES)


def _load_copies(campaign: Campaign, doc: YamlDoc) -> dict[str, Copy]:
    copies: dict[str, Copy] = {}
    kinds = registered()
    sections = {**BUILT_IN, **{name: kind.copy for name, kind in kinds.items()}}
    for section, keys in sections.items():
        if campaign.section(section) is None:
            continue
        plain = section in kinds and kinds[section].plain
        for key in keys:
            value = doc.data[section].get(key)  # unstripped, so positions hold
            if value is None:
                continue
            name = f"{section}.{key}"
            if key == "body" and _is_copy_file(value):
                copies[name] = _read_copy_file(name, campaign.resolve(value.strip()), plain)
            else:
                origin, indent = doc.text_start((section, key))
                copies[name] = Copy(name, str(value), origin, indent, plain)
    return copies


def _read_copy_file(name: str, path: Path, plain: bool = False) -> Copy:
    check_size(path, Where(path), name)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CampaignError(
            f"{name}: {path.name} is not UTF-8 (byte {exc.start})",
            Where(path),
            "save the copy file as UTF-8",
        ) from None
    return Copy(name, text, Where(path, 1, 1), plain=plain)
