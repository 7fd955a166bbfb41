"""The dependency rules of the repository's layout (README.md "For contributors")."""
import ast

import pytest

from tools.build import ROOT


def imported_modules(path):
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level:
            yield node.module


@pytest.mark.parametrize("folder", ["tools", "benchmarks"])
def test_tools_and_benchmarks_import_nothing_from_tests(folder):
    offending = [f"{path.relative_to(ROOT)} imports {module}" for path in sorted((ROOT / folder).glob("*.py"))
                 for module in imported_modules(path) if module == "tests" or module.startswith("tests.")]
    assert offending == []


def test_the_rule_sees_an_import_from_tests(tmp_path):
    path = tmp_path / "x.py"
    path.write_text("import os\ndef f():\n    from tests.wrong_answers import WRONG_ANSWERS\n")
    assert "tests.wrong_answers" in list(imported_modules(path))
