"""`flask check-deploy`: every unsafe production setting is reported with its fix."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from clinic import create_app
from clinic.deploy_checks import check_settings, check_sqlite, filesystem_type, find_problems
from clinic.extensions import db
from config import ProductionConfig

ROOT = Path(__file__).resolve().parent.parent
GOOD_KEY = "k" * 64


def good_environment(tmp_path) -> dict[str, str]:
    return {
        "CLINIC_CONFIG": "production",
        "SECRET_KEY": GOOD_KEY,
        "DATABASE_URL": f"sqlite:///{tmp_path}/clinic.db",
        "TRUSTED_HOSTS": "clinic.example.org",
        "CLINIC_PUBLIC_URL": "https://clinic.example.org",
        "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0",
        "MAIL_SERVER": "smtp.example.org",
        "MAIL_PORT": "587",
        "MAIL_USE_TLS": "true",
        "MAIL_DEFAULT_SENDER": "clinic@clinic.example.org",
        "CLINIC_NOTIFY_EMAILS": "coordinators@clinic.example.org",
    }


def run_check(env: dict[str, str]) -> subprocess.CompletedProcess:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("CLINIC_", "MAIL_"))}
    for name in ("SECRET_KEY", "DATABASE_URL", "TRUSTED_HOSTS", "FLASK_DEBUG", "WEB_CONCURRENCY"):
        keep.pop(name, None)
    keep.update(env)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "check-deploy"],
        cwd=ROOT,
        env=keep,
        capture_output=True,
        text=True,
        timeout=60,
    )


def good_config() -> dict:
    return {
        **{k: getattr(ProductionConfig, k) for k in dir(ProductionConfig) if k.isupper()},
        "SECRET_KEY": GOOD_KEY,
        "TRUSTED_HOSTS": ["clinic.example.org"],
        "CLINIC_PUBLIC_URL": "https://clinic.example.org",
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "WEB_CONCURRENCY": 1,
        "MAIL_SERVER": "smtp.example.org",
        "MAIL_USE_TLS": True,
        "MAIL_DEFAULT_SENDER": "clinic@clinic.example.org",
        "CLINIC_NOTIFY_EMAILS": ["coordinators@clinic.example.org"],
    }


def test_a_correct_production_configuration_has_no_findings(tmp_path):
    result = run_check(good_environment(tmp_path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check-deploy: no problems found." in result.stdout


def test_development_defaults_are_reported_each_with_a_fix(tmp_path):
    result = run_check(
        {"DATABASE_URL": f"sqlite:///{tmp_path}/dev.db", "RATELIMIT_ENABLED": "false"}
    )
    assert result.returncode == 1
    out = result.stdout
    for text in (
        "not production",
        "SECRET_KEY is missing, a known default",
        "SESSION_COOKIE_SECURE is off",
        "TRUSTED_HOSTS is not set",
        "Rate limiting is off",
        "No mail server is configured",
        "No notification recipients",
    ):
        assert text in out, text
    assert out.count("   Fix: ") == int(out.split(" problem(s)")[0].split()[-1])


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"SECRET_KEY": "dev-only-not-secret"}, "SECRET_KEY"),
        ({"DEBUG": True}, "Debug mode is on"),
        ({"SESSION_COOKIE_SECURE": False}, "SESSION_COOKIE_SECURE is off"),
        ({"SESSION_COOKIE_HTTPONLY": False}, "SESSION_COOKIE_HTTPONLY is off"),
        ({"SESSION_COOKIE_SAMESITE": None}, "SESSION_COOKIE_SAMESITE"),
        ({"HSTS_SECONDS": 3600}, "Strict-Transport-Security"),
        ({"TRUSTED_HOSTS": None}, "TRUSTED_HOSTS is not set"),
        ({"CLINIC_PUBLIC_URL": "http://clinic.example.org"}, "CLINIC_PUBLIC_URL"),
        ({"RATELIMIT_ENABLED": False}, "Rate limiting is off"),
        ({"WEB_CONCURRENCY": 4}, "counted in memory"),
        ({"WEB_CONCURRENCY": 0}, "counted in memory"),
        ({"RATELIMIT_STORAGE_URI": "redis://127.0.0.1:1/0"}, "does not answer"),
        ({"MAIL_SERVER": ""}, "No mail server is configured"),
        ({"MAIL_USE_TLS": False}, "without STARTTLS"),
        ({"MAIL_DEFAULT_SENDER": "clinic@localhost"}, "MAIL_DEFAULT_SENDER"),
        ({"CLINIC_NOTIFY_EMAILS": []}, "No notification recipients"),
    ],
)
def test_each_unsafe_setting_is_one_finding(change, expected):
    assert check_settings(good_config(), debug=False) == []
    findings = check_settings({**good_config(), **change}, debug=False)
    assert len(findings) == 1, findings
    assert expected in findings[0].problem
    assert findings[0].fix


def test_debug_mode_of_the_app_is_reported():
    findings = check_settings(good_config(), debug=True)
    assert [f.problem for f in findings] == [
        "Debug mode is on: an error page would show code and let a visitor run commands."
    ]


def test_webhooks_to_private_networks_are_noted_without_failing_the_check(tmp_path):
    [finding] = check_settings({**good_config(), "WEBHOOK_ALLOW_PRIVATE": True}, debug=False)
    assert "WEBHOOK_ALLOW_PRIVATE is on" in finding.problem
    assert not finding.blocking
    result = run_check({**good_environment(tmp_path), "WEBHOOK_ALLOW_PRIVATE": "true"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert "check-deploy: no problems found." in result.stdout
    assert "Note: WEBHOOK_ALLOW_PRIVATE is on" in result.stdout


def write_mounts(tmp_path, fs_type: str) -> str:
    mounts = tmp_path / "mounts"
    mounts.write_text(
        "/dev/sda1 / ext4 rw,relatime 0 0\n"
        f"server:/export {tmp_path}/shared {fs_type} rw,relatime 0 0\n"
    )
    return str(mounts)


def test_sqlite_on_a_network_filesystem_is_reported(tmp_path):
    mounts = write_mounts(tmp_path, "nfs4")
    assert filesystem_type(f"{tmp_path}/shared/db", mounts) == "nfs4"
    assert filesystem_type("/var/lib/clinic", mounts) == "ext4"
    [finding] = check_sqlite(f"{tmp_path}/shared/clinic.db", "wal", mounts)
    assert "network filesystem (nfs4)" in finding.problem
    assert check_sqlite("/var/lib/clinic/clinic.db", "wal", mounts) == []


def test_sqlite_without_wal_or_in_memory_is_reported(tmp_path):
    mounts = write_mounts(tmp_path, "nfs")
    [finding] = check_sqlite("/var/lib/clinic/clinic.db", "delete", mounts)
    assert "not WAL" in finding.problem
    [finding] = check_sqlite(":memory:", None, mounts)
    assert "in memory" in finding.problem


def test_a_local_sqlite_file_is_in_wal_mode(tmp_path):
    app = create_app(
        ProductionConfig,
        **{**good_config(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/wal.db"},
    )
    with app.app_context():
        assert find_problems(app) == []


def test_an_unreachable_database_is_reported():
    app = create_app(
        ProductionConfig,
        **{
            **good_config(),
            "SQLALCHEMY_DATABASE_URI": "postgresql+psycopg://nobody@127.0.0.1:1/none",
        },
    )
    with app.app_context():
        [finding] = find_problems(app)
    assert "The database does not answer" in finding.problem


def test_every_setting_in_config_is_documented_in_the_readme():
    names = set(
        re.findall(
            r'(?:env_int|env_bool|env_list|os\.environ\.get)\("([A-Z_]+)"',
            (ROOT / "config.py").read_text(),
        )
    )
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    documented = set(re.findall(r"^\| `([A-Z_]+)` \|", table, re.M))
    assert names - documented == set(), "add these to README.md's configuration table"


def publish_a_service() -> None:
    from clinic.models import Service

    db.session.add(
        Service(
            name="Consultation",
            kind="consultation",
            price_min_cents=350_00,
            regulatory_standing="fda_approved",
            published=True,
        )
    )
    db.session.commit()


def test_demo_coordinators_with_the_published_password_are_a_problem(tmp_path):
    from clinic.demo.team import DEMO_COORDINATORS, DEMO_PASSWORD
    from clinic.staff import accounts

    app = create_app(
        ProductionConfig,
        **{**good_config(), "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/copied.db"},
    )
    with app.app_context():
        db.create_all()
        publish_a_service()  # a published service is checked too (tests/test_services.py)
        name, email = DEMO_COORDINATORS[0]
        # A database copied from a development machine, demo accounts and all.
        user = accounts.create_user(email, name, "coordinator", DEMO_PASSWORD, by="test")
        db.session.commit()
        [finding] = find_problems(app)
        assert finding.blocking
        assert email in finding.problem and "published demo password" in finding.problem
        accounts.set_password(user, "a new and private passphrase", by="test")
        db.session.commit()
        assert find_problems(app) == []
