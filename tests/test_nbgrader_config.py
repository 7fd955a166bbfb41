"""nbgrader_config.py's preprocessor lists: nbgrader's own defaults with our steps put in where
grader/pipeline.py says. Every step of nbgrader's is kept unless a named change replaces it,
so a step a future nbgrader adds is never dropped; and one preprocessor caps the output."""
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_output
from nbgrader.converters import Autograde, GenerateFeedback, GenerateSolution
from nbgrader.preprocessors import (
    CheckCellMetadata, ClearHiddenTests, DeduplicateIds, Execute, GetGrades, LimitOutput, NbGraderPreprocessor,
    OverwriteCells, SaveAutoGrades,
)
from traitlets.config.loader import PyFileConfigLoader

from grader.nbgrader_plugin import (
    IsolatedHiddenTests, LimitOutputSize, RepairCellMetadata, SafeExecute, ScrubPaths, StartHiddenTests,
)
from grader.pipeline import CHANGES, Change, compose, nbgrader_default, preprocessors
from tools.build import ROOT

LISTS = list(CHANGES)
IDS = [f"{converter.__name__}.{trait}" for converter, trait in LISTS]


@pytest.fixture(scope="module")
def config():
    """What nbgrader reads from nbgrader_config.py (it also puts ROOT on PYTHONPATH: undone after)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONPATH", "")
        yield PyFileConfigLoader("nbgrader_config.py", str(ROOT)).load_config()


def names(steps):
    return [step.__name__ for step in steps]


@pytest.mark.parametrize("converter, trait", LISTS, ids=IDS)
def test_every_step_of_nbgraders_default_is_kept_in_order_or_replaced_by_a_named_change(converter, trait):
    default, composed = nbgrader_default(converter, trait), preprocessors(converter, trait)
    replaced = {change.step for change in CHANGES[converter, trait] if change.where == "replace"}
    dropped = [step for step in default if step not in composed and step not in replaced]
    assert not dropped, f"{converter.__name__}.{trait} drops nbgrader's {names(dropped)} without saying why"
    assert [s for s in composed if s in default] == [s for s in default if s not in replaced]
    assert all(change.why for change in CHANGES[converter, trait])


@pytest.mark.parametrize("converter, trait", LISTS, ids=IDS)
def test_nbgrader_config_sets_the_composed_lists(config, converter, trait):
    assert names(config[converter.__name__][trait]) == names(preprocessors(converter, trait))


def test_a_step_a_future_nbgrader_adds_is_kept():
    class NewStep(NbGraderPreprocessor):
        pass
    composed = compose([Execute, NewStep, LimitOutput, SaveAutoGrades], CHANGES[Autograde, "autograde_preprocessors"])
    assert NewStep in composed and composed.index(NewStep) == composed.index(SafeExecute) + 1


def test_a_step_nbgrader_no_longer_has_stops_the_configuration():
    with pytest.raises(ValueError, match=r"has no GetGrades to put \['ClearHiddenTests'\] before"):
        compose([ClearHiddenTests], [Change("before", GetGrades, (ClearHiddenTests,), "why")])


def test_autograde_runs_our_steps_where_they_must_be():
    steps = preprocessors(Autograde, "sanitize_preprocessors")
    assert steps.index(RepairCellMetadata) < min(map(steps.index, (DeduplicateIds, OverwriteCells, CheckCellMetadata)))
    steps = preprocessors(Autograde, "autograde_preprocessors")
    assert Execute not in steps and steps.index(StartHiddenTests) + 1 == steps.index(SafeExecute)
    assert [s for s in steps if issubclass(s, LimitOutput)] == [LimitOutputSize]      # one output cap
    assert steps.index(LimitOutputSize) < steps.index(IsolatedHiddenTests) < steps.index(ScrubPaths) \
        < steps.index(SaveAutoGrades)


def test_solutions_and_feedback_never_show_hidden_tests_and_solutions_are_not_run():
    steps = preprocessors(GenerateSolution, "preprocessors")
    assert ClearHiddenTests in steps and not any(issubclass(s, Execute) for s in steps)
    steps = preprocessors(GenerateFeedback, "preprocessors")
    clear = [i for i, step in enumerate(steps) if issubclass(step, ClearHiddenTests)]
    assert len(clear) == 1 and clear[0] < steps.index(GetGrades)


def test_one_output_cap_configured_once(config):
    assert "LimitOutput" not in config and config.LimitOutputSize.max_lines == 200
    assert config.LimitOutputSize.max_traceback == 40


def test_the_output_cap_cuts_lines_a_single_huge_line_tracebacks_and_huge_images():
    cell = new_code_cell("print(...)")
    cell.outputs = [
        new_output("stream", name="stdout", text="x" * 5_000_000 + "\n" + "".join(f"{i}\n" for i in range(10_000))),
        new_output("error", ename="E", evalue="y" * 100_000, traceback=[f"line {i}" for i in range(500)]),
        new_output("display_data", data={"image/png": "A" * 3_000_000, "text/plain": "<Figure>"}),
        new_output("execute_result", data={"text/plain": "z" * 100_000}, execution_count=1),
    ]
    cap = LimitOutputSize(max_lines=200, max_traceback=40)
    cell, _ = cap.preprocess_cell(nbformat.from_dict(cell), {}, 0)
    stream, error, image, result = cell.outputs
    assert stream.text.count("\n") <= 202 and len(stream.text) < 21_000
    assert len(error.evalue) < 21_000 and len(error.traceback) == 40
    assert image.data["image/png"] == "" and "removed by the grader" in image.data["text/plain"]
    assert len(result.data["text/plain"]) < 21_000
