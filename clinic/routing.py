"""The URL converter every route with a database id uses: `<id:lead_id>`."""

from __future__ import annotations

from flask import Flask
from werkzeug.exceptions import NotFound
from werkzeug.routing import IntegerConverter, Map, ValidationError

from clinic.models.base import ID_MAX


class DatabaseIdConverter(IntegerConverter):
    """A row id as the database can hold it, 1 to ID_MAX.

    Without the bound, a longer number reaches the database, which refuses it with an error (a
    500) instead of the 404 that a lead or account that doesn't exist answers.
    """

    def __init__(self, url_map: Map) -> None:
        super().__init__(url_map, min=1, max=ID_MAX)

    def to_python(self, value: str) -> int:
        """:raise NotFound: for a number out of range. Werkzeug's own refusal would answer 405
        wherever a route for another method shares the path (a GET and a POST page)."""
        try:
            return super().to_python(value)
        except ValidationError:
            raise NotFound() from None


def init_app(app: Flask) -> None:
    """Register the converter; it must come before the blueprints whose routes name it."""
    app.url_map.converters["id"] = DatabaseIdConverter
