"""Ids in URLs: one converter bounds them to what the database holds, so a number too long for
a row id answers 404 like any id that names nothing, never an error from the database."""

from __future__ import annotations

import re

import pytest

from clinic.models.base import ID_MAX
from tests.lead_helpers import make_lead, signed_in

HUGE = "99999999999999999999"
# <converter(arguments):name> or <name> in a rule's path.
ARGUMENT = re.compile(r"<(?:(?P<converter>\w+)(?:\((?P<options>[^)]*)\))?:)?(?P<name>\w+)>")


def names_a_row(argument: str) -> bool:
    return argument == "id" or argument.endswith("_id")


def id_rules(app) -> list:
    return [rule for rule in app.url_map.iter_rules() if any(map(names_a_row, rule.arguments))]


def path_with(rule, row_id: str) -> str:
    """The rule's path with `row_id` for every id and a plausible value for anything else."""

    def value(match: re.Match) -> str:
        if names_a_row(match["name"]):
            return row_id
        if match["converter"] == "any":
            return match["options"].split(",")[0].strip()
        return "x"

    return ARGUMENT.sub(value, rule.rule)


def test_every_id_in_a_route_uses_the_database_id_converter(app):
    rules = id_rules(app)
    endpoints = {rule.endpoint for rule in rules}
    assert {"staff.lead", "staff.user_detail", "staff.webhook"} <= endpoints, endpoints
    for rule in rules:
        converters = {match["name"]: match["converter"] for match in ARGUMENT.finditer(rule.rule)}
        for name in filter(names_a_row, rule.arguments):
            assert converters[name] == "id", f"{rule.rule}: use <id:{name}>"


@pytest.mark.parametrize("row_id", [HUGE, str(ID_MAX + 1), "0"])
def test_an_id_no_row_can_have_is_404_on_every_route(app, client, row_id):
    signed_in(app, client, "boss@clinic.test", role="admin")
    app.config["PROPAGATE_EXCEPTIONS"] = False
    for rule in id_rules(app):
        path = path_with(rule, row_id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 404, f"{method} {path}"


def test_the_largest_id_is_an_ordinary_missing_row(app, client):
    signed_in(app, client, "boss@clinic.test", role="admin")
    with app.app_context():
        lead_id = make_lead().id
    assert client.get(f"/staff/leads/{ID_MAX}").status_code == 404
    assert client.get(f"/staff/users/{ID_MAX}").status_code == 404
    assert client.get(f"/staff/leads/{lead_id}").status_code == 200
