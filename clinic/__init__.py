"""The clinic application factory."""

from __future__ import annotations

import sys
from pathlib import Path

from flask import Flask

from config import BASE_DIR, Config, config_from_environment


def create_app(config_class: type[Config] | None = None, **overrides) -> Flask:
    """Build the app: configuration, extensions, blueprints, error pages and CLI commands."""
    config_class = config_class or config_from_environment()
    app = Flask(
        __name__,
        template_folder=str(BASE_DIR / "templates"),
        instance_path=str(BASE_DIR / "instance"),
    )
    app.config.from_object(config_class)
    app.config.update(overrides)
    _refuse_unsafe_production(app)

    from clinic import (
        automation,
        cli,
        errors,
        health,
        limits,
        logging_setup,
        notify,
        routing,
        security,
        templating,
    )
    from clinic.api import bp as api_bp
    from clinic.database import configure_engine, engine_options_for
    from clinic.extensions import csrf, db, login_manager, migrate
    from clinic.public import bp as public_bp
    from clinic.staff import bp as staff_bp
    from clinic.staff.calendar_views import feed_bp as calendar_feed_bp

    logging_setup.init_app(app)
    security.init_app(app)
    _ensure_sqlite_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = engine_options_for(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(BASE_DIR / "migrations"))
    csrf.init_app(app)
    limits.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "staff.login"
    login_manager.login_message = "Please sign in to continue."
    with app.app_context():
        configure_engine(db.engine)

    templating.init_app(app)
    routing.init_app(app)
    app.register_blueprint(public_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(calendar_feed_bp)
    app.register_blueprint(health.bp)
    notify.init_app(app)
    automation.init_app(app)
    errors.init_app(app)
    cli.init_app(app)
    return app


def _ensure_sqlite_folder(database_url: str) -> None:
    """The embedded database needs its folder (instance/ by default) before the first connect."""
    if database_url.startswith("sqlite:///") and len(database_url) > len("sqlite:///"):
        Path(database_url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)


def _refuse_unsafe_production(app: Flask) -> None:
    if app.config.get("CLINIC_ENV") != "production":
        return
    if not app.config.get("SECRET_KEY"):
        sys.stderr.write(
            "clinic: SECRET_KEY is not set. Production refuses to start without it.\n"
            "Set SECRET_KEY to a long random value, for example the output of\n"
            "  python -c 'import secrets; print(secrets.token_urlsafe(48))'\n"
        )
        raise SystemExit(2)
