"""The import pages (admins only): upload past the app-wide size limit, match the columns,
preview with problems, dry run, refused rows, progress, undo; and who may open them."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from clinic.extensions import db
from clinic.models import ImportBatch, ImportMapping, Lead
from tests.conftest import csrf_token_from
from tests.import_helpers import HEADER
from tests.lead_helpers import audit_rows, make_lead, signed_in

ROWS = (
    "Zoë Núñez,zoe@example.com,(212) 555-0142,Lupus,,2025-03-04,,\r\n"
    "Ada Stored,ada@example.com,(212) 555-0100,COPD,,2025-05-01,,\r\n"
    ",nobody@example.com,,Lupus,,,,\r\n"
    "Hot Lead,hot@example.com,,Lupus,Hot,,,\r\n"
)


@pytest.fixture
def admin_client(app, client):
    signed_in(app, client, "admin@clinic.test", role="admin", name="Alex Admin")
    return client


def _upload(client, data: bytes, filename: str = "old-crm.csv", **fields):
    token = csrf_token_from(client.get("/staff/import").get_data(as_text=True))
    form = {"csrf_token": token, "file": (io.BytesIO(data), filename), **fields}
    return client.post("/staff/import", data=form, content_type="multipart/form-data")


def _post(client, path: str, **extra):
    page = client.get(re.sub(r"/(check|start|step|undo|discard|mapping)$", "", path))
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(path, data={"csrf_token": token, **extra})


def test_the_whole_import_in_the_browser(app, admin_client):
    with app.app_context():
        stored_id = make_lead("Ada Stored", email="ada@example.com", phone="(212) 555-0100").id
    response = _upload(admin_client, (HEADER + ROWS).encode("cp1252"))
    assert response.status_code == 302
    batch_url = response.headers["Location"]
    page = admin_client.get(batch_url).get_data(as_text=True)
    assert "Zoë Núñez" in page  # read as Windows-1252, and said so
    assert "not UTF-8: it was read as Windows-1252" in page
    link = f'<a href="/staff/leads/{stored_id}">lead #{stored_id}</a>'
    assert f"Joins a lead</span><br>{link}" in page
    assert "Name (full): no name given." in page
    assert "“Hot” is not a stage here" in page
    assert "Import 2 rows" not in page  # no import button before the dry run

    assert _post(admin_client, batch_url + "/check").status_code == 302
    page = admin_client.get(batch_url).get_data(as_text=True)
    assert re.search(r"<strong>1</strong> new leads", page)
    assert re.search(r"<strong>1</strong> rows joining a lead", page)
    assert re.search(r"<strong>2</strong> refused rows", page)
    refused = admin_client.get(batch_url + "/refused.csv")
    assert refused.mimetype == "text/csv"
    lines = refused.get_data(as_text=True).lstrip("\ufeff").splitlines()
    assert lines[0].endswith("Row,Reason") and len(lines) == 3

    assert _post(admin_client, batch_url + "/start").status_code == 302
    page = admin_client.get(batch_url).get_data(as_text=True)
    assert "<progress" in page and "import_progress.js" in page
    token = csrf_token_from(page)
    state = {"finished": False}
    while not state["finished"]:
        state = admin_client.post(
            batch_url + "/step", data={"csrf_token": token}, headers={"Accept": "application/json"}
        ).get_json()
    assert state == {"finished": True, "status": "done", "rows_done": 4, "total_rows": 4}
    page = admin_client.get(batch_url).get_data(as_text=True)
    assert "Undo import #" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 2

    assert _post(admin_client, batch_url + "/undo").status_code == 302
    page = admin_client.get(batch_url).get_data(as_text=True)
    assert "removed 1 lead, 2 inquiries and 0 notes" in page
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Lead)) == 1
        assert [row.action for row in audit_rows("import_undone")] == ["import_undone"]


def test_a_file_over_the_app_wide_limit_uploads_here(app, admin_client):
    people = "".join(f"Person {n},p{n}@example.com,,,,,,\r\n" for n in range(40_000))
    data = (HEADER + people).encode()
    assert len(data) > app.config["MAX_CONTENT_LENGTH"]
    response = _upload(admin_client, data)
    assert response.status_code == 302
    with app.app_context():
        assert db.session.execute(select(ImportBatch.total_rows)).scalar_one() == 40_000


def test_too_large_a_file_is_refused_with_words(app, admin_client):
    app.config["IMPORT_MAX_BYTES"] = 1000
    response = _upload(admin_client, (HEADER + ROWS * 20).encode())
    assert response.status_code == 413
    assert "The file is larger than 1,000 bytes, so it wasn&#39;t uploaded." in response.get_data(
        as_text=True
    )


def test_an_unreadable_file_is_refused_and_nothing_stored(app, admin_client):
    text = "Имя,Email\r\n" + "Иван Петров,ivan@example.com\r\n" * 20
    response = _upload(admin_client, text.encode("cp1251"))
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "<title>Error: Import leads" in page
    assert "isn&#39;t in UTF-8, UTF-16 or Windows-1252" in page
    forced = _upload(admin_client, (HEADER + ROWS).encode("cp1252"), encoding="utf-8")
    assert forced.status_code == 400
    assert "can&#39;t be read as UTF-8 (line 2)" in forced.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_excel_formulas_are_text_and_the_mapping_is_saved_for_reuse(app, admin_client):
    book = Workbook()
    sheet = book.active
    sheet.append(["Given name", "Family name", "Work email", "Cell", "Created"])
    sheet.append(["Kim", "=A2&B2", "kim@example.com", 447911123456, "2025-01-02"])
    buffer = io.BytesIO()
    book.save(buffer)
    response = _upload(admin_client, buffer.getvalue(), filename="export.xlsx")
    batch_url = response.headers["Location"]
    page = admin_client.get(batch_url).get_data(as_text=True)
    assert "Kim =A2&amp;B2" in page  # the formula's text, not its value
    token = csrf_token_from(page)
    mapping = {
        "csrf_token": token,
        "column_0": "first_name",
        "column_1": "last_name",
        "column_2": "email",
        "column_3": "phone",
        "column_4": "created",
        "date_order": "ymd",
        "save_as": "Spreadsheet from the fair",
    }
    assert admin_client.post(batch_url + "/mapping", data=mapping).status_code == 302
    page = admin_client.get(batch_url).get_data(as_text=True)
    assert "+44 7911 123456" in page
    with app.app_context():
        saved = db.session.execute(select(ImportMapping)).scalar_one()
        assert saved.name == "Spreadsheet from the fair"
        assert '"Work email": "email"' in saved.fields


def test_the_upload_checks_its_csrf_token_itself(app, admin_client):
    form = {"file": (io.BytesIO((HEADER + ROWS).encode()), "old-crm.csv")}
    response = admin_client.post("/staff/import", data=form, content_type="multipart/form-data")
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ImportBatch)) == 0


@pytest.mark.parametrize("role", ["coordinator", "editor"])
def test_only_admins_import(app, client, role):
    signed_in(app, client, f"{role}@clinic.test", role=role)
    assert client.get("/staff/import").status_code == 403
    assert "Import leads" not in client.get("/staff/leads").get_data(as_text=True)


def test_an_imported_lead_says_where_it_came_from(app, admin_client):
    batch_url = _upload(admin_client, (HEADER + ROWS).encode()).headers["Location"]
    _post(admin_client, batch_url + "/check")
    _post(admin_client, batch_url + "/start")
    token = csrf_token_from(admin_client.get(batch_url).get_data(as_text=True))
    while admin_client.post(batch_url + "/step", data={"csrf_token": token}).status_code == 302:
        if "Undo import" in admin_client.get(batch_url).get_data(as_text=True):
            break
    with app.app_context():
        lead = db.session.execute(
            select(Lead).where(Lead.email_key == "zoe@example.com")
        ).scalar_one()
        batch_id = lead.import_batch_id
    record = admin_client.get(f"/staff/leads/{lead.id}").get_data(as_text=True)
    assert f"Imported from old-crm.csv (batch #{batch_id})" in record
    assert f"Imported from a file (import #{batch_id})" in record
    assert f"Import #{batch_id}</a> (see the timeline); left out of speed to lead" in record
