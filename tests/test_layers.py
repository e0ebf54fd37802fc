"""Imports go one way (models → leads → automation, notify, reports → blueprints), and nothing
registers itself on import: senders and receivers are wired by create_app."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from clinic.leads import signals
from clinic.notify.senders import SENDERS

ROOT = Path(__file__).resolve().parent.parent
ABOVE_THE_DOMAIN = ("automation", "notify", "reports", "public", "staff", "demo", "content")
FORBIDDEN = {
    "clinic/models": (*ABOVE_THE_DOMAIN, "leads"),
    "clinic/leads": ABOVE_THE_DOMAIN,
}


def imported_modules(root: Path, path: Path) -> set[str]:
    """Every module a file imports, anywhere in it, as absolute dotted names; ``from a import b``
    counts as both ``a`` and ``a.b``, since b may be a module."""
    parts = path.relative_to(root).with_suffix("").parts
    package = ".".join(parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def layer_violations(root: Path, folder: str, forbidden: tuple[str, ...]) -> list[str]:
    """Each import of a file under ``folder`` that reaches a forbidden part of clinic."""
    violations = []
    for path in sorted((root / folder).rglob("*.py")):
        reported: list[str] = []
        for module in sorted(imported_modules(root, path)):
            parts = module.split(".")
            if reported and module.startswith(reported[-1] + "."):
                continue  # "from clinic.reports.sql import x": clinic.reports.sql says it
            if len(parts) > 1 and parts[0] == "clinic" and parts[1] in forbidden:
                reported.append(module)
        violations += [f"{path.relative_to(root)} imports {module}" for module in reported]
    return violations


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_imports_go_one_way(folder):
    assert layer_violations(ROOT, folder, FORBIDDEN[folder]) == []


def test_the_check_sees_every_way_of_importing(tmp_path):
    leads = tmp_path / "clinic" / "leads"
    leads.mkdir(parents=True)
    (leads / "__init__.py").write_text("")
    (leads / "sneaky.py").write_text(
        "import clinic.notify.outbox\n"
        "from clinic import automation\n"
        "from ..reports import facts\n"
        "from . import pipeline\n"
        "def later():\n"
        "    from clinic.staff.views import bp\n"
    )
    assert layer_violations(tmp_path, "clinic/leads", ABOVE_THE_DOMAIN) == [
        "clinic/leads/sneaky.py imports clinic.automation",
        "clinic/leads/sneaky.py imports clinic.notify.outbox",
        "clinic/leads/sneaky.py imports clinic.reports",
        "clinic/leads/sneaky.py imports clinic.staff.views",
    ]


IMPORT_EVERYTHING = """
import pkgutil, blinker, clinic
from clinic.leads import signals
from clinic.notify.senders import SENDERS
for module in pkgutil.walk_packages(clinic.__path__, "clinic."):
    __import__(module.name)
listened = [s.name for s in vars(signals).values() if isinstance(s, blinker.Signal) and s.receivers]
print(sorted(SENDERS), listened)
"""


def test_importing_the_code_registers_nothing():
    """Senders and receivers come from create_app, never from a module being imported."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[] []"


def test_create_app_registers_the_channels_and_receivers(app):
    assert {"email", "webhook"} <= set(SENDERS)
    for signal in (
        signals.inquiry_recorded,
        signals.lead_status_changed,
        signals.lead_assigned,
        signals.lead_erased,
    ):
        assert signal.receivers, signal.name
