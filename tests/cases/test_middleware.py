"""Every middleware of the project lives in one module, cases/middleware.py; cases/web, the bottom layer,
knows nothing of the rest of the catalogue. What each middleware does is tested where its behaviour is:
the security headers (test_security_headers.py), the refusals (web/test_bad_input.py), the page cache
(test_caching.py), the 503 (test_faults.py, web/test_error_pages.py)."""

import ast
import importlib.util
from pathlib import Path

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

import cases

OUR_PACKAGES = ("cases", "observatory")
# The database layer's own, installed only with read replicas (settings/base.py): it routes the request's
# reads, and knows nothing of the catalogue.
DATABASE_LAYER = {"observatory.replicas.ReplicaRoutingMiddleware"}
WEB = Path(cases.__file__).parent / "web"


def test_every_middleware_of_ours_is_in_cases_middleware():
    ours = [
        path
        for path in settings.MIDDLEWARE
        if path.split(".")[0] in OUR_PACKAGES and path not in DATABASE_LAYER
    ]

    assert ours  # the project has middlewares of its own
    assert [path.rpartition(".")[0] for path in ours] == ["cases.middleware"] * len(ours)


def test_every_middleware_setting_names_a_class_that_exists():
    for path in settings.MIDDLEWARE:
        assert callable(import_string(path)), path


def test_there_is_no_second_middleware_module():
    assert importlib.util.find_spec("observatory.middleware") is None


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function, as absolute dotted names."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path.name}: relative import"
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


@pytest.mark.parametrize("module", sorted(WEB.glob("*.py")), ids=lambda path: path.name)
def test_cases_web_imports_nothing_of_cases_outside_it(module):
    outside = {name for name in imported_modules(module) if name.split(".")[0] == "cases"}
    outside = {name for name in outside if not name.startswith("cases.web.")}

    assert not outside, f"cases/web/{module.name} imports {sorted(outside)}"
