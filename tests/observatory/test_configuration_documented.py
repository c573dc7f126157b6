"""Every environment variable the code reads is in README.md's configuration table, so that whoever deploys
the Observatory finds each setting in one place (issue 17: "every environment variable")."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# env_str("NAME", ...), env_int(...), env_bool(...), env_list(...), os.environ.get("NAME") and the like.
READ = re.compile(
    r"""(?:env_(?:str|int|bool|list|float)|os\.environ\.get|getenv)\(\s*["']([A-Z][A-Z0-9_]+)["']"""
)
# Read by the code, set by the machinery around it: not configuration.
NOT_CONFIGURATION = {"PYTEST_XDIST_WORKER", "DJANGO_SETTINGS_MODULE", "CI"}


def variables_read() -> set[str]:
    names = set()
    for folder in ("observatory", "cases"):
        for path in (ROOT / folder).rglob("*.py"):
            names |= set(READ.findall(path.read_text()))
    return names - NOT_CONFIGURATION


def configuration_table() -> str:
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    return "\n".join(line for line in section.splitlines() if line.startswith("|"))


def test_every_environment_variable_read_is_in_the_configuration_table():
    table = configuration_table()
    assert len(variables_read()) > 40  # the pattern finds what the settings read
    assert sorted(name for name in variables_read() if f"`{name}`" not in table) == []
