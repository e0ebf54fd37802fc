"""`make run` in development says how to sign in on every start; production refuses the demo
password."""

from __future__ import annotations

import re

import pytest

from clinic import create_app
from clinic.demo.team import DEMO_COORDINATORS, DEMO_EDITOR, DEMO_PASSWORD, DEMO_REVIEWER
from clinic.extensions import db
from clinic.staff import accounts
from config import ProductionConfig
from tests.staff_helpers import make_staff, sign_in

COORDINATOR_EMAILS = [email for _, email in DEMO_COORDINATORS]


@pytest.fixture
def development(app):
    app.config.update(
        CLINIC_ENV="development", DEMO_ADMIN=True, CLINIC_PUBLIC_URL="http://127.0.0.1:5077"
    )
    return app


def start(runner):
    """What `make run` prints before serving."""
    result = runner.invoke(args=["users", "ensure-demo-admin"])
    assert result.exit_code == 0, result.output
    return result.output


def test_a_new_database_gets_an_admin_and_the_way_to_demo_data(development, runner):
    output = start(runner)
    assert "Sign in at http://127.0.0.1:5077/staff/login" in output
    password = re.search(r"password:  (\S+)", output).group(1)
    assert "users set-password admin@clinic.local" in output
    assert "No leads yet" in output and "demo seed --leads 5000" in output
    assert "Coordinators" not in output
    assert sign_in(development.test_client(), "admin@clinic.local", password).status_code == 302


def test_every_start_names_the_demo_accounts_and_the_coordinators_password(development, runner):
    first = start(runner)
    admin_password = re.search(r"password:  (\S+)", first).group(1)
    assert runner.invoke(args=["demo", "seed", "--leads", "20", "--workers", "0"]).exit_code == 0
    output = start(runner)
    assert admin_password not in output
    assert "Admin: admin@clinic.local (staff accounts already exist)" in output
    assert "users set-password admin@clinic.local" in output
    assert f"password {DEMO_PASSWORD}:" in output
    assert all(email in output for email in COORDINATOR_EMAILS)
    assert "No leads yet" not in output
    client = development.test_client()
    assert sign_in(client, COORDINATOR_EMAILS[0], DEMO_PASSWORD).status_code == 302


def test_a_coordinator_with_a_password_of_their_own_is_not_offered(development, runner):
    assert runner.invoke(args=["demo", "coordinators"]).exit_code == 0
    with development.app_context():
        amara = accounts.find_by_email(COORDINATOR_EMAILS[0])
        accounts.set_password(amara, "amaras own passphrase")
        db.session.commit()
    output = start(runner)
    assert COORDINATOR_EMAILS[0] not in output and COORDINATOR_EMAILS[1] in output
    with development.app_context():
        for email in [*COORDINATOR_EMAILS[1:], DEMO_EDITOR[1], DEMO_REVIEWER[1]]:
            accounts.set_password(accounts.find_by_email(email), "a passphrase of their own")
        db.session.commit()
    output = start(runner)
    assert DEMO_PASSWORD not in output
    assert "give them the demo" in output and "demo coordinators" in output


def test_other_staff_get_no_demo_hints(development, runner):
    with development.app_context():
        make_staff()
    output = start(runner)
    assert "already exist" in output and "password" not in output


def test_production_refuses_and_names_accounts_with_the_demo_password(runner, database_url):
    assert runner.invoke(args=["demo", "coordinators"]).exit_code == 0
    production = create_app(
        ProductionConfig, SQLALCHEMY_DATABASE_URI=database_url, SECRET_KEY="x" * 40
    )
    result = production.test_cli_runner().invoke(args=["users", "ensure-demo-admin"])
    assert result.exit_code == 1
    assert "never runs in production" in result.output
    assert "still sign in with the demo password" in result.output
    assert all(email in result.output for email in COORDINATOR_EMAILS)
    assert DEMO_PASSWORD not in result.output
    refused = production.test_cli_runner().invoke(args=["demo", "coordinators"])
    assert refused.exit_code == 1 and "never created in production" in refused.output
    with production.app_context():
        db.engine.dispose()
