"""Arbitrary input against every parser and validator: a value, or a clean refusal in French.

Not repeated here: the name normalisation and scoring (tests/leads/test_dedup.py) and the
identifiers' quick paths on digit strings (tests/leads/test_identifiers.py).
"""

from __future__ import annotations

import csv
import io
import json
import re
import string
from decimal import Decimal
from urllib.parse import urlencode

import phonenumbers
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from marshmallow import ValidationError
from PIL import Image
from stdnum.fr import siren as siren_number
from stdnum.fr import siret as siret_number
from werkzeug.datastructures import MultiDict

from hosting_app.backoffice import bulk, geometry, images
from hosting_app.backoffice.forms import PremisesForm, SiteForm, parse_accesses
from hosting_app.exports import cnig, cnig_import
from hosting_app.inquiries.forms import InquiryForm
from hosting_app.leads import identifiers, imports
from hosting_app.leads.forms import LeadForm
from hosting_app.leads.models import Firm
from hosting_app.sites import filters

QUICK = settings(max_examples=150, deadline=None, database=None)
SLOW = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# marshmallow's and WTForms' English defaults: a French user must never read them.
ENGLISH = re.compile(
    r"Not a valid|Unknown field|Missing data|may not be null|Must be one of|Length must|"
    r"Must be greater|Must be less|Number too large|does not match|Invalid value|"
    r"Not a valid decimal|This field is required|Number must be",
    re.IGNORECASE,
)
digits_and_noise = st.text(alphabet="0123456789 .-\t\u00a0/+x\u0661\uff13", max_size=22)
any_text = st.text(max_size=40) | digits_and_noise


def refused(clean, value):
    """``clean(value)``, or ("refused", message) when it raises InvalidIdentifier."""
    try:
        return clean(value)
    except identifiers.InvalidIdentifier as error:
        return ("refused", str(error))


# --- SIREN, SIRET, phone, email and website -------------------------------------------------


@QUICK
@given(any_text)
def test_siren_and_siret_any_text_as_python_stdnum_says(value):
    for clean, module, kind in (
        (identifiers.clean_siren, siren_number, "SIREN"),
        (identifiers.clean_siret, siret_number, "SIRET"),
    ):
        ours = refused(clean, value)
        if not value.strip():
            assert ours is None
        elif module.is_valid(value):
            assert ours == module.validate(value)
            assert ours.isascii() and ours.isdigit()
        else:
            assert ours[0] == "refused" and ours[1].startswith(f"{kind} invalide : ")


@QUICK
@given(any_text)
def test_phone_any_text_as_phonenumbers_says(value):
    ours = refused(identifiers.clean_phone, value)
    if not value.strip():
        assert ours is None
        return
    try:
        number = phonenumbers.parse(value, "FR")
        valid = phonenumbers.is_valid_number(number)
    except phonenumbers.NumberParseException:
        valid = False
    if valid:
        assert ours == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        assert re.fullmatch(r"\+[1-9][0-9]{1,14}", ours)
        assert identifiers.clean_phone(ours) == ours  # E.164 reads back as itself
    else:
        assert ours == ("refused", f"Numéro de téléphone invalide : {value}.")


@QUICK
@given(st.text(max_size=30), st.text(max_size=30))
def test_email_domain(local, domain):
    found = identifiers.email_domain(f"{local}@{domain}")
    if found is not None:
        assert "@" not in found and found == found.strip().lower().rstrip(".")
        assert found not in identifiers.WEBMAIL_DOMAINS
    for webmail in identifiers.WEBMAIL_DOMAINS:
        assert identifiers.email_domain(f"{local}@{webmail.upper()}.") is None
        break
    assert identifiers.email_domain(local.replace("@", "")) is None  # no @, no domain


@QUICK
@given(st.text(max_size=60))
def test_website_domain(url):
    found = identifiers.website_domain(url)
    if found is not None:
        assert not {"/", ":"} & set(found) and not found.startswith("www.")
        assert found == found.lower()


# --- The premises search filters ----------------------------------------------------------

PARAMETERS = sorted(
    set(filters.PageFilterSchema().fields) | set(filters.ApiPremisesSchema().fields)
)
parameter_values = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e400",
            "nan",
            "inf",
            "-0",
            "77251",
            "2.5,48.5,2.7,48.7",
            "99999999999999999999",
            "1" * 40,
            "workshop",
            "-distance",
            "2031-02-30",
        ]
    ),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
)
query_pairs = st.lists(
    st.tuples(st.sampled_from(PARAMETERS) | st.text(max_size=6), parameter_values), max_size=8
)


@QUICK
@given(query_pairs)
def test_filter_parsing_gives_filters_or_french_messages(pairs):
    for schema in (filters.PageFilterSchema(), filters.PremisesFilterSchema()):
        try:
            parsed, _data = filters.parse(MultiDict(pairs), schema=schema, max_per_page=100)
        except ValidationError as error:
            messages = filters.messages(error)
            assert messages and all(isinstance(m, str) for ms in messages.values() for m in ms)
            assert not any(ENGLISH.search(m) for ms in messages.values() for m in ms), messages
        else:
            assert 1 <= parsed.per_page <= 100 and parsed.page >= 1


def _french_api_error(response) -> None:
    body = response.get_json()
    assert isinstance(body, dict) and isinstance(body.get("error"), str) and body["error"]
    texts = [body["error"], *(m for ms in body.get("fields", {}).values() for m in ms)]
    assert not any(ENGLISH.search(text) for text in texts), body


@SLOW
@given(query_pairs)
def test_search_urls_answer_200_or_a_french_400(client, pairs):
    query = urlencode(pairs)
    page = client.get(f"/locaux?view=liste&{query}")
    assert page.status_code in (200, 400), (query, page.status_code)
    for path in ("/api/premises", "/api/sites"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query, response.status_code)
        if response.status_code == 400:
            _french_api_error(response)


@SLOW
@given(st.binary(max_size=60))
def test_raw_query_strings(client, raw):
    """Bytes that are not even UTF-8, percent-encoded or not, in the query string."""
    for path in ("/locaux", "/api/premises"):
        response = client.get(path, environ_overrides={"QUERY_STRING": raw.decode("latin-1")})
        assert response.status_code in (200, 400), (path, raw, response.status_code)


# --- Importing firms from CSV -------------------------------------------------------------

cell = st.text(alphabet=string.printable + "éÉàç;,\"'\u00a0", max_size=16)


@QUICK
@given(
    st.lists(
        st.sampled_from(
            [
                *imports.PROJECT_COLUMNS,
                *imports.SIRENE_COLUMNS,
                "",
                "Name",
                "datefin",
                "denominationUniteLegale",
            ]
        )
        | cell,
        max_size=8,
    )
)
def test_header_detection_names_a_format_or_says_why(header):
    try:
        found = imports.detect_format(header)
    except imports.ImportFormatError as error:
        assert str(error) and not ENGLISH.search(str(error))
    else:
        assert found in (imports.PROJECT, imports.SIRENE)


@QUICK
@given(st.dictionaries(st.sampled_from(imports.PROJECT_COLUMNS), cell | any_text, max_size=8))
def test_a_project_row_is_cleaned_or_refused_column_by_column(raw):
    try:
        values = imports.clean_firm(raw)
    except imports.RowInvalid as invalid:
        assert invalid.problems
        for column, message in invalid.problems:
            assert column in (*imports.STAGED, "email") and message
            assert not ENGLISH.search(message), message
    else:
        assert values["name"] and values["name_normalised"] is not None
        if values.get("siret"):
            assert len(values["siret"]) == 14 and values["siren"] == values["siret"][:9]


@QUICK
@given(st.dictionaries(st.sampled_from(imports.SIRENE_COLUMNS), cell, max_size=10))
def test_a_sirene_row_gives_values_or_is_closed(row):
    row = {column: row.get(column, "") for column in imports.SIRENE_COLUMNS}
    values, skipped = imports.sirene_values(row)
    assert (values is None) == (skipped == "closed")
    if values is not None:
        assert all(isinstance(v, str) for v in values.values() if v is not None)


csv_files = st.one_of(
    st.binary(max_size=300),
    st.lists(st.lists(cell, min_size=1, max_size=6), min_size=1, max_size=6).map(
        lambda rows: "\n".join(";".join(row) for row in rows).encode()
    ),
    st.tuples(
        st.permutations(list(imports.PROJECT_COLUMNS)).map(lambda c: c[:5] + ["name"]),
        st.lists(st.lists(cell, min_size=4, max_size=7), max_size=6),
        st.sampled_from([",", ";"]),
    ).map(lambda t: "\n".join(t[2].join(r) for r in [list(dict.fromkeys(t[0])), *t[1]]).encode()),
)


def _read_all(path) -> list[imports.ParsedRow] | str:
    try:
        with imports.FirmFile(path) as firms:
            return list(firms.rows(workers=0))
    except imports.ImportFormatError as error:
        return str(error)


@QUICK
@given(csv_files)
@example(b"\xff\xfename\n")
@example("name\n" + "x" * 200_000 + "\n")
def test_any_file_is_read_row_by_row_or_refused_whole(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("firms") / "entreprises.csv"
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    result = _read_all(path)
    if isinstance(result, str):
        assert result and not ENGLISH.search(result)
        return
    for row in result:
        assert row.line >= 2
        assert (row.staged is not None) + bool(row.errors) + (row.skipped is not None) == 1
        assert all(error.message for error in row.errors)


@SLOW
@given(csv_files)
def test_an_import_with_errors_writes_nothing(app, session, tmp_path_factory, data):
    path = tmp_path_factory.mktemp("import") / "entreprises.csv"
    path.write_bytes(data)
    count = sa.select(sa.func.count()).select_from(Firm)
    savepoint = session.begin_nested()
    try:
        before = session.scalar(count)
        try:
            report = imports.import_firms(session, path, workers=0)
        except imports.ImportFormatError as error:
            assert str(error) and not ENGLISH.search(str(error))
            return
        if not report.ok:
            assert report.errors and session.scalar(count) == before
            assert all(e.line >= 2 and e.message for e in report.errors)
        else:
            assert session.scalar(count) == before + report.created
    finally:
        savepoint.rollback()


# --- The CNIG import ----------------------------------------------------------------------

CNIG_FIELDS = [
    (resource, spec)
    for resource in cnig_import.IMPORTED
    for spec in cnig.schema(resource)["fields"]
]
geojson_text = st.one_of(
    st.text(max_size=30),
    st.recursive(
        st.none()
        | st.booleans()
        | st.floats()
        | st.integers()
        | st.text(max_size=8)
        | st.sampled_from(
            ["Point", "Polygon", "MultiPolygon", "EPSG:2154", "urn:ogc:def:crs:EPSG::4326"]
        ),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "type",
                        "coordinates",
                        "crs",
                        "properties",
                        "name",
                        "geometry",
                        "features",
                        "geometries",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    ).map(json.dumps),
)


GEOMETRY_FIELD = next(
    (resource, spec) for resource, spec in CNIG_FIELDS if spec["name"] == "site_geomsurf"
)


@QUICK
@given(st.sampled_from(CNIG_FIELDS), st.text(max_size=30) | geojson_text)
@example(GEOMETRY_FIELD, '{"type": []}')
@example(GEOMETRY_FIELD, '{"type": "Point", "coordinates": [700000, 6600000], "crs": "x"}')
@example(GEOMETRY_FIELD, '{"type": "Point", "coordinates": [1, 2], "crs": {"properties": [1]}}')
def test_a_cnig_cell_is_accepted_or_explained(field_spec, value):
    resource, spec = field_spec
    problem = cnig_import.check_cell(resource, spec, value)
    assert problem is None or (isinstance(problem, str) and problem)


@QUICK
@given(
    st.dictionaries(
        st.text(max_size=8).map(lambda n: n + ".csv") | st.just("cnig.zip"),
        st.binary(max_size=120),
        max_size=3,
    )
)
def test_uploaded_cnig_files_are_read_or_refused(uploads):
    try:
        texts = cnig_import.read_files(uploads=uploads)
    except cnig_import.CnigFormatError as error:
        assert str(error)
    else:
        assert set(texts) <= {"site-eco", "terrain-eco", "pole-eco"}


@pytest.fixture
def cnig_rows(app) -> dict[str, list[list[str]]]:
    """The current export's rows of site-eco and terrain-eco, header first."""
    from hosting_app.extensions import db

    with app.app_context():
        export = cnig.collect(db.session)
        rows = {"site-eco": export.sites, "terrain-eco": export.terrains}
        return {
            resource: [cnig.field_names(resource)]
            + [[row[name] for name in cnig.field_names(resource)] for row in rows[resource]]
            for resource in cnig_import.IMPORTED
        }


@SLOW
@given(st.data())
def test_a_cnig_import_with_errors_writes_nothing(app, session, _isolated, cnig_rows, data):
    resource = data.draw(st.sampled_from(cnig_import.IMPORTED))
    header, *rows = cnig_rows[resource]
    rows = rows or [[""] * len(header)]  # no land plot exported: cells drawn below
    rows = [list(r) for r in data.draw(st.lists(st.sampled_from(rows), min_size=1, max_size=3))]
    for row in rows:  # some cells changed, some rows cut or lengthened
        for _ in range(data.draw(st.integers(0, 3))):
            row[data.draw(st.integers(0, len(row) - 1))] = data.draw(st.text(max_size=12))
        cut = data.draw(st.integers(0, 2))
        if cut == 1:
            del row[data.draw(st.integers(0, len(row) - 1)) :]
        elif cut == 2:
            row.extend(data.draw(st.lists(st.text(max_size=5), min_size=1, max_size=2)))
    out = io.StringIO()
    csv.writer(out, delimiter=";").writerows([header, *rows])
    writes = sa.text(
        "SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0) FROM pg_stat_xact_user_tables"
    )
    savepoint = session.begin_nested()
    try:
        before = _isolated.execute(writes).scalar_one()
        try:
            report = cnig_import.import_files(session, {resource: out.getvalue()}, user=None)
        except cnig_import.CnigFormatError as error:
            assert str(error)
            return
        if not report.ok:
            session.flush()
            assert report.errors and _isolated.execute(writes).scalar_one() == before
    finally:
        savepoint.rollback()


# --- Back-office uploads: photos, perimeters, the bulk CSV, accesses ----------------------


def _image(fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (24, 16), (10, 200, 90)).save(out, fmt)
    return out.getvalue()


VALID_IMAGES = [_image(fmt) for fmt in ("JPEG", "PNG", "WEBP")]


@QUICK
@given(
    st.binary(max_size=200)
    | st.tuples(st.sampled_from(VALID_IMAGES), st.integers(0, 400), st.binary(max_size=8)).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] + len(t[2]) :]
    )
)
def test_an_upload_is_a_photo_or_refused(data):
    try:
        processed = images.process(data, max_width=64, thumb_width=16)
    except images.ImageRefused as error:
        assert str(error) and not ENGLISH.search(str(error))
    else:
        assert processed.image.startswith(b"\xff\xd8") and processed.thumb.startswith(b"\xff\xd8")


@QUICK
@given(geojson_text)
@example('{"type": "FeatureCollection", "features": "abc"}')
@example('{"type": "FeatureCollection", "features": [1, 2]}')
@example('{"type": "Polygon", "coordinates": [[[2, 48], [3, 48], [3, 49], [2, 48]]], "crs": "x"}')
@example('{"type": "Feature", "geometry": {"type": "Point"}, "crs": {"properties": 3}}')
def test_a_perimeter_is_parsed_or_refused(text):
    for allowed in (geometry.PERIMETER_TYPES, geometry.PREMISES_TYPES):
        try:
            parsed = geometry.parse_geojson(text, allowed=allowed)
        except geometry.GeometryError as error:
            assert str(error) and not ENGLISH.search(str(error))
        else:
            assert parsed.srid in (geometry.WGS84, geometry.LAMBERT93)
            assert parsed.geometry.geom_type in allowed


@QUICK
@given(st.lists(st.lists(cell | geojson_text, max_size=4), max_size=4), st.booleans())
def test_a_cnig_perimeter_row_is_read_or_refused(rows, with_header):
    header = ["site_nom", "site_geomsurf"] if with_header else ["nom"]
    text = "\n".join(";".join(row) for row in [header, *rows])
    try:
        found = geometry.cnig_site_geojson(text, site_name="Site d'essai")
    except geometry.GeometryError as error:
        assert str(error)
    else:
        assert isinstance(found, str) and found.strip()


@QUICK
@given(st.binary(max_size=200) | csv_files)
def test_a_bulk_file_is_planned_row_by_row_or_refused(data):
    text = bulk.decode(data if isinstance(data, bytes) else data.encode())
    try:
        rows = bulk.read_rows(text)
    except bulk.BulkError as error:
        assert str(error) and not ENGLISH.search(str(error))
        return
    report = bulk.plan(rows, {})
    assert len(report.rows) == len(rows) and not report.ok  # no premises: every row refused


bulk_cells = (
    st.sampled_from(
        [
            "",
            "Aucun",
            "-",
            "12,5",
            "1 200 €",
            "NaN",
            "sNaN",
            "Infinity",
            "1e9",
            "0",
            "-3",
            "31/12/2030",
            "2030-02-30",
            "disponible",
            "Occupé",
            "x",
        ]
    )
    | cell
)


@QUICK
@given(st.lists(st.tuples(bulk_cells, bulk_cells, bulk_cells, bulk_cells), min_size=1, max_size=4))
def test_bulk_values_are_parsed_or_explained(cells):
    lines = ["local;disponibilite;disponible_le;loyer_eur_m2_an;prix_vente_eur_m2"]
    lines += [";".join(["Lot " + str(i), *row]) for i, row in enumerate(cells)]
    try:
        rows = bulk.read_rows("\n".join(lines))
    except bulk.BulkError as error:
        assert str(error)
        return
    for row in bulk.plan(rows, {}).rows:
        assert all(isinstance(e, str) and e for e in row.errors)


@QUICK
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["Route", "gare", "Aéroport", "autoroute", "x", ""]),
            st.text(max_size=8),
            bulk_cells,
        ),
        max_size=4,
    )
)
def test_accesses_are_parsed_or_explained(lines):
    text = "\n".join(" ; ".join(parts) for parts in lines)
    try:
        accesses = parse_accesses(text)
    except ValueError as error:
        assert str(error).startswith("Ligne ")
    else:
        assert all(Decimal(0) <= distance < 10_000 for _kind, _name, distance in accesses)


# --- Numbers typed in the forms fit their database columns --------------------------------

NUMBERS = (
    st.sampled_from(
        [
            "NaN",
            "sNaN",
            "-NaN",
            "Infinity",
            "-inf",
            "1e9",
            "1e20",
            "1E+400",
            "99999999999",
            "123456789,99",
            "1 234,5",
            "0,001",
            "-0",
            "12",
        ]
    )
    | cell
)
# (form, field, largest value its column holds)
NUMERIC_FIELDS = [
    (LeadForm, "surface_min_m2", Decimal("99999999.99")),
    (LeadForm, "surface_max_m2", Decimal("99999999.99")),
    (LeadForm, "budget_eur_year", Decimal("9999999999.99")),
    (LeadForm, "jobs_planned", Decimal(2**31 - 1)),
    (PremisesForm, "surface_m2", Decimal("99999999.99")),
    (PremisesForm, "rent_eur_m2_year", Decimal("99999999.99")),
    (PremisesForm, "sale_price_eur_m2", Decimal("99999999.99")),
    (PremisesForm, "ceiling_height_m", Decimal("999.99")),
    (SiteForm, "total_area_ha", Decimal("99999999.99")),
    (SiteForm, "saleable_area_ha", Decimal("99999999.99")),
    (SiteForm, "latitude", Decimal(90)),
    (SiteForm, "longitude", Decimal(180)),
    (InquiryForm, "surface_min_m2", Decimal(2**31 - 1)),
    (InquiryForm, "surface_max_m2", Decimal(2**31 - 1)),
]


@QUICK
@given(st.sampled_from(NUMERIC_FIELDS), NUMBERS)
def test_a_typed_number_is_refused_or_fits_its_column(app, form_field, text):
    form_class, name, largest = form_field
    with app.test_request_context(method="POST", data={name: text}):
        form = form_class(meta={"csrf": False})
        form.validate()
        field = form[name]
        if field.errors or field.data is None:
            assert all(not ENGLISH.search(str(e)) for e in field.errors), field.errors
            return
        value = Decimal(field.data)
        assert value.is_finite() and abs(value) <= largest, (name, text, value)
