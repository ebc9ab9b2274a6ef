"""chessweb.fide is pure: no Flask, no SQLAlchemy, nothing from the rest of the app."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "chessweb" / "fide"
FORBIDDEN = ("flask", "flask_sqlalchemy", "flask_login", "flask_sock", "sqlalchemy", "werkzeug")

# Load chessweb.fide without running chessweb/__init__.py (the app factory imports Flask): a bare package
# object stands in for `chessweb`, then every module of the fide package is imported for real.
PROBE = """
import importlib, json, pkgutil, sys, types
root, package = sys.argv[1], sys.argv[2]
stub = types.ModuleType("chessweb")
stub.__path__ = [root]
sys.modules["chessweb"] = stub
fide = importlib.import_module("chessweb.fide")
names = [m.name for m in pkgutil.iter_modules(fide.__path__, "chessweb.fide.")]
for name in names:
    importlib.import_module(name)
print(json.dumps({"modules": names, "loaded": sorted(sys.modules)}))
"""


def test_importing_every_fide_module_loads_no_web_or_database_library():
    result = subprocess.run([sys.executable, "-c", PROBE, str(PACKAGE.parent), "chessweb.fide"],
                            capture_output=True, text=True, timeout=60, check=True)
    report = json.loads(result.stdout)
    assert {"chessweb.fide.crosstable", "chessweb.fide.dutch", "chessweb.fide.tiebreaks"} <= set(report["modules"])
    loaded = [name for name in report["loaded"] if name.split(".")[0] in FORBIDDEN]
    assert loaded == []


def test_fide_sources_import_nothing_from_the_app():
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in FORBIDDEN, f"{path.name} imports {name}"
                assert not name.startswith("..") and not name.startswith("chessweb."), f"{path.name} imports {name}"
