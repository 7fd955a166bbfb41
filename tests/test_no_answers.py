"""No answers in what students receive (issue #15 §2).

For every assignment in the registry: neither the installed `course` package nor any `.py` in
`release/<assignment>/` holds a working solution of an exercise of that assignment or a later
one. (`course` reaches students with the first assignment, so it must hold none at all.)

Two tests per module, because a name proves nothing either way:

* by name: no callable or class is named like such an exercise (the name the hidden check
  takes, `check_X` -> `X`, and the object it is given, e.g. `Value`);
* by behaviour: every function and class the module defines is handed, whenever its signature
  accepts the exercise's arguments, to that exercise's own hidden check (`grader.<topic>.
  check_X`), which must not pass. A worked solution under any other name passes its check;
  anything else fails it. A check that needs a second function (check_train's init_layers)
  is given the grader's reference.

The release tree is the committed one: tests/test_build.py fails when it is stale.
"""
from __future__ import annotations

import ast
import importlib
import importlib.util
import inspect
import pkgutil
import signal
import sys
import types
from pathlib import Path

import matplotlib
import pytest

import course
from tools.registry import ROOT, assignments, builds_on, topic

matplotlib.use("agg")
NAMES = assignments()
LIMIT = 20          # seconds for one check against one candidate (a wrong candidate may loop)


def exercises(name: str) -> list[tuple[str, str, str, int]]:
    """(check, object, topic, arity) of every hidden check assignment `name`'s notebook calls:
    `hidden.check_sigmoid(sigmoid)` -> ("check_sigmoid", "sigmoid", "forward_pass", 1);
    arity: the number of required parameters of the object's `def` in the notebook (for a
    class, of its __init__ without self)."""
    text = (ROOT / "authoring" / f"{name}.py").read_text(encoding="utf-8")
    tree = ast.parse("\n".join("" if line.lstrip().startswith(("%", "!")) else line   # IPython magics
                               for line in text.splitlines()))
    defs: dict[str, int] = {}
    for node in tree.body:
        if isinstance(node, ast.FunctionDef):
            defs[node.name] = len(node.args.args) - len(node.args.defaults)
        elif isinstance(node, ast.ClassDef):
            init = next((n for n in node.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            defs[node.name] = 0 if init is None else len(init.args.args) - len(init.args.defaults) - 1
    found = []
    for node in ast.walk(tree):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and isinstance(node.func.value, ast.Name) and node.func.value.id == "hidden"
                and node.func.attr.startswith("check_") and node.args and isinstance(node.args[0], ast.Name)):
            obj = node.args[0].id
            found.append((node.func.attr, obj, topic(name), defs[obj]))
    return sorted(set(found))


EXERCISES = {name: exercises(name) for name in NAMES}


def from_on(name: str) -> list[tuple[str, str, str, int]]:
    """The exercises of assignment `name` and of every later one."""
    return [e for later in NAMES[NAMES.index(name):] for e in EXERCISES[later]]


def forbidden_names(name: str) -> set[str]:
    return {n for check, obj, _, _ in from_on(name) for n in (check.removeprefix("check_"), obj)}


def course_modules() -> list[types.ModuleType]:
    return [course] + [importlib.import_module(info.name)
                       for info in pkgutil.walk_packages(course.__path__, "course.")]


def release_modules(name: str) -> list[types.ModuleType]:
    """Each .py of release/<name>/, imported from there as a student's kernel imports it."""
    folder = ROOT / "release" / name
    files = sorted(folder.glob("*.py"))
    local = {f.stem for f in files}
    saved = {m: sys.modules.pop(m) for m in list(sys.modules) if m in local}
    sys.path.insert(0, str(folder))
    try:
        return [importlib.import_module(stem) for stem in sorted(local)]
    finally:
        sys.path.remove(str(folder))
        for m in local:
            sys.modules.pop(m, None)
        sys.modules.update(saved)


def own_objects(module: types.ModuleType) -> list[tuple[str, object]]:
    """The functions and classes `module` defines (not those it imports)."""
    return [(n, obj) for n, obj in vars(module).items()
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and getattr(obj, "__module__", None) == module.__name__]


def fits(candidate, arity: int) -> bool:
    """Whether `candidate` can be called with `arity` positional arguments."""
    try:
        target = candidate.__init__ if inspect.isclass(candidate) else candidate
        signature = inspect.signature(target)
        if inspect.isclass(candidate):
            return bool(signature.bind(None, *range(arity)))
        return bool(signature.bind(*range(arity)))
    except (TypeError, ValueError):
        return False


class _Slow(BaseException):
    pass


def passes(check: str, where: str, candidate) -> bool:
    """Whether the hidden check `grader.<where>.<check>` passes `candidate` (within LIMIT s)."""
    grader_module = importlib.import_module(f"grader.{where}")
    function = getattr(grader_module, check)
    extra = [getattr(grader_module, p.name) for p in list(inspect.signature(function).parameters.values())[1:]
             if p.default is inspect.Parameter.empty]          # e.g. check_train's init_layers: the reference

    def slow(_signum, _frame):
        raise _Slow()
    previous = signal.signal(signal.SIGALRM, slow)
    signal.alarm(LIMIT)
    try:
        function(candidate, *extra)
        return True
    except (Exception, _Slow):
        return False
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def working_solutions(modules: list[types.ModuleType], name: str) -> list[tuple[str, str]]:
    """("module.object", "check_X") for every object of `modules` that passes the hidden check
    (grader.<topic>.check_X) of an exercise of assignment `name` or later."""
    found = []
    for module in modules:
        for attribute, candidate in own_objects(module):
            for check, obj, where, arity in from_on(name):
                if inspect.isclass(candidate) != (obj[:1].isupper()) or not fits(candidate, arity):
                    continue
                if passes(check, where, candidate):
                    found.append((f"{module.__name__}.{attribute}", check))
    return found


def named_like_exercises(modules: list[types.ModuleType], name: str) -> list[str]:
    forbidden = forbidden_names(name)
    return [f"{m.__name__}.{n}" for m in modules for n, obj in vars(m).items()
            if n in forbidden and (callable(obj) or inspect.isclass(obj))]


def test_every_assignment_has_exercises_and_every_check_exists():
    for name in NAMES:
        assert EXERCISES[name], name
        module = importlib.import_module(f"grader.{topic(name)}")
        for check, *_ in EXERCISES[name]:
            assert callable(getattr(module, check, None)), (name, check)


def test_the_hidden_checks_recognise_a_worked_solution_under_any_name():
    """The detector works: the grader's worked versions, renamed and placed in a module of their
    own, are found by behaviour for every exercise that has one in grader.solutions."""
    from grader import solutions
    planted = types.ModuleType("planted")
    expected = set()
    for info in pkgutil.iter_modules(solutions.__path__, "grader.solutions."):
        worked = importlib.import_module(info.name)
        for attribute, obj in own_objects(worked):
            if inspect.isfunction(obj):
                clone = types.FunctionType(obj.__code__, obj.__globals__, f"renamed_{attribute}", obj.__defaults__)
                clone.__module__ = "planted"
                setattr(planted, f"renamed_{attribute}", clone)
                expected.add(attribute)
    solved = {check for _, check in working_solutions([planted], NAMES[0])}
    checks = {check for check, obj, _, _ in from_on(NAMES[0]) if obj in expected}
    assert len(checks) >= 14 and checks <= solved, sorted(checks - solved)


def test_the_course_package_holds_no_exercise_by_name():
    assert named_like_exercises(course_modules(), NAMES[0]) == []


def test_the_course_package_holds_no_working_solution():
    """Every function and class of every course module, against every exercise's hidden check."""
    assert working_solutions(course_modules(), NAMES[0]) == []


@pytest.mark.parametrize("name", NAMES)
def test_the_release_holds_no_answer_of_this_assignment_or_a_later_one(name):
    modules = release_modules(name)
    assert sorted(m.__name__ for m in modules) == sorted(builds_on(name))
    assert named_like_exercises(modules, name) == []
    assert working_solutions(modules, name) == []


@pytest.mark.parametrize("name", NAMES)
def test_a_release_builds_only_on_earlier_assignments(name):
    """Every module beside a notebook is named after an earlier notebook, or built only from
    earlier notebooks' modules, and starts with its header for students."""
    from tools.registry import origin
    for module in builds_on(name):
        assert origin(module) and all(NAMES.index(a) < NAMES.index(name) for a in origin(module)), (name, module)
        text = (ROOT / "release" / name / f"{module}.py").read_text(encoding="utf-8")
        assert text.startswith(f"# {module}.py: ") and "do not edit" in text.split('"""')[0], text[:300]
