import pytest

from _paths import SPECS

from docgen.spec import parse_spec


@pytest.fixture(scope="session")
def specs():
    if not SPECS.is_dir():
        pytest.fail(f"../shared/specs not found at {SPECS}: the filter tests read the real specs from there")
    return {p.name: parse_spec(p) for p in sorted(SPECS.glob("*.txt"))}
