"""One authoritative version of each exercise: the worked solutions in source/ and the
references in grader/ must agree, and every exercise must have hidden checks.

Convention: assignment NN_topic has its references and checks in grader.topic; an
exercise `f` is checked by grader.topic.check_f (and any check_f_* beside it that is
not the check of another exercise, e.g. check_sigmoid_stable but not check_mse_grad for mse);
a class exercise `Value` by check_value_*.
"""
import importlib
import inspect

import nbformat
import pytest

from tools.registry import ROOT, assignments, topic


def hidden_checks(module) -> list[str]:
    """The check_* functions a grader module defines (not those it imports)."""
    return [c for c in dir(module) if c.startswith("check_")
            and getattr(getattr(module, c), "__module__", None) == module.__name__]


def solution_namespace(name: str) -> tuple[dict, list[str]]:
    """Run the setup cell and every solution cell of source/NAME; return (namespace, functions)."""
    nb = nbformat.read(ROOT / "source" / name / f"{name}.ipynb", as_version=4)
    namespace: dict = {}
    functions: list[str] = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade_id") == "setup"):
            before = set(namespace)
            exec(compile(cell.source, f"{name}:{meta['grade_id']}", "exec"), namespace)
            if meta.get("solution"):
                functions += sorted(k for k in set(namespace) - before if callable(namespace[k]))
    return namespace, functions


@pytest.mark.parametrize("name", assignments())
def test_worked_solutions_pass_the_hidden_checks_built_on_the_references(name):
    module = importlib.import_module(f"grader.{topic(name)}")
    namespace, functions = solution_namespace(name)
    assert functions, f"{name} has no solution functions"
    for fn in functions:
        key = fn.lower()        # a class exercise (03's Value) is checked by check_value_*
        checks = [c for c in hidden_checks(module) if c == f"check_{key}" or (
            c.startswith(f"check_{key}_") and c[len("check_"):] not in functions)]
        assert checks, f"{name}: exercise {fn} has no hidden check in {module.__name__}"
        if not isinstance(namespace[fn], type):
            assert hasattr(module, fn), f"{module.__name__} has no reference for {fn}"
        # (a class has none: its checks compare each method with closed forms, themselves
        # checked against centered differences in tests/test_grader_<topic>.py)
        for check in checks:
            # a check may take more of the student's functions, by name (check_train(train, init_layers))
            others = list(inspect.signature(getattr(module, check)).parameters)[1:]
            getattr(module, check)(namespace[fn], *(namespace[name] for name in others))


@pytest.mark.parametrize("name", assignments())
def test_every_hidden_check_is_used_by_a_test_cell(name):
    module = importlib.import_module(f"grader.{topic(name)}")
    source = (ROOT / "source" / name / f"{name}.ipynb").read_text()
    unused = [c for c in hidden_checks(module) if f"hidden.{c}(" not in source]
    assert not unused, f"checks never called from {name}'s test cells: {unused}"


@pytest.mark.parametrize("name", assignments())
def test_every_hidden_block_runs_isolated_and_every_test_runs_on_graded_cells_alone(name):
    """Autograde runs the hidden checks only in the isolated process, and in the kernel only
    the setup, answer and test cells: so each hidden block must be made of its grader module's
    checks alone, and each test cell's visible part must need nothing from a plain cell."""
    from grader.isolation import isolated_topic
    from grader.nbgrader_plugin import graded_part

    nb = nbformat.read(ROOT / "source" / name / f"{name}.ipynb", as_version=4)
    module_name = topic(name)
    tests = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert tests
    for cell in tests:
        assert isolated_topic(cell.source) == module_name, f"{name}: {cell.metadata.nbgrader['grade_id']}"
    namespace: dict = {}
    for cell in nb.cells:
        if graded_part(cell):
            exec(compile(cell.source, f"{name}:{cell.metadata.nbgrader['grade_id']}", "exec"), namespace)
