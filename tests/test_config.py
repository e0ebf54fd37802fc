"""Configuration: production refuses unsafe settings; environment variables are honoured."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run_flask(args, **env):
    environment = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "CLINIC_CONFIG")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("args", [["routes"], ["content", "sync"], ["db", "current"]])
def test_production_without_secret_key_refuses_to_start(args, tmp_path):
    result = run_flask(args, CLINIC_CONFIG="production", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_wsgi_import_in_production_without_secret_key_exits_nonzero(tmp_path):
    environment = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    environment.update(CLINIC_CONFIG="production", DATABASE_URL=f"sqlite:///{tmp_path}/x.db")
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_unknown_config_name_is_a_clear_error(tmp_path):
    result = run_flask(["routes"], CLINIC_CONFIG="staging")
    assert result.returncode != 0
    assert "CLINIC_CONFIG='staging' is not known" in result.stderr


def test_production_cookies_are_secure_httponly_lax(tmp_path):
    from clinic import create_app
    from config import ProductionConfig

    app = create_app(
        ProductionConfig, SECRET_KEY="x" * 64, SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path}/p.db"
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_production_keeps_cookies_secure_whatever_the_environment_says(tmp_path):
    """README: SESSION_COOKIE_SECURE can't be turned off in production; the variable is ignored."""
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from config import ProductionConfig as c;"
            "print(c.SESSION_COOKIE_SECURE, c.REMEMBER_COOKIE_SECURE)",
        ],
        cwd=ROOT,
        env={**os.environ, "SESSION_COOKIE_SECURE": "false", "REMEMBER_COOKIE_SECURE": "0"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["True", "True"], result.stderr


def test_phone_region_is_configurable(app, client):
    from tests.conftest import csrf_token_from, form_token_from, valid_inquiry

    app.config["CLINIC_PHONE_REGION"] = "GB"
    html = client.get("/inquire").get_data(as_text=True)
    data = valid_inquiry(
        phone="020 7946 0958", csrf_token=csrf_token_from(html), form_token=form_token_from(html)
    )
    assert client.post("/inquire", data=data).status_code == 303
    from clinic.extensions import db
    from clinic.models import Lead

    with app.app_context():
        assert db.session.execute(db.select(Lead.phone)).scalar_one() == "+442079460958"


@pytest.mark.parametrize("config_name", ["development", "production"])
def test_staff_passwords_are_hashed_with_scrypt_outside_the_test_suite(app, client, config_name):
    """The test configuration's one-round hash (for speed) never reaches a real deployment."""
    from clinic.staff import accounts
    from config import CONFIGS
    from tests.staff_helpers import DEFAULT_PASSWORD, make_staff, sign_in

    with app.app_context():
        assert make_staff("cheap@clinic.test").password_hash.startswith("pbkdf2:sha256:1$")
        app.config["PASSWORD_HASH_METHOD"] = CONFIGS[config_name].PASSWORD_HASH_METHOD
        user = make_staff("real@clinic.test")
        assert user.password_hash.startswith("scrypt:32768:8:1$")
        assert accounts.password_matches(user, DEFAULT_PASSWORD)
        assert not accounts.password_matches(user, DEFAULT_PASSWORD + "!")
    assert sign_in(client, "real@clinic.test").status_code == 302
