"""nbgrader's preprocessor lists with this course's steps put in, for nbgrader_config.py.

Each list starts from nbgrader's own default (the converter's trait default, read through
traitlets' `class_traits()`), so a step a future nbgrader adds is kept. CHANGES below is the
one place that says where each of our steps goes, named by the nbgrader step it goes before
or after or replaces, and why. A replaced step is the only one of theirs we drop; a named
step that nbgrader no longer has stops the configuration with an error, never silently.
"""
from __future__ import annotations

from typing import NamedTuple

from nbconvert.preprocessors import Preprocessor
from nbgrader.converters import Autograde, GenerateFeedback, GenerateSolution
from nbgrader.preprocessors import ClearHiddenTests, DeduplicateIds, Execute, GetGrades, LimitOutput, SaveAutoGrades

from .nbgrader_plugin import (
    FeedbackWithoutHiddenTests, IsolatedHiddenTests, LimitOutputSize, RepairCellMetadata, SafeExecute, ScrubPaths,
    StartHiddenTests,
)


class Change(NamedTuple):
    where: str                    # "before", "after" or "replace"
    step: type                    # nbgrader's step, found in its default list
    ours: tuple[type, ...]
    why: str


CHANGES: dict[tuple[type, str], list[Change]] = {
    (Autograde, "sanitize_preprocessors"): [
        Change("before", DeduplicateIds, (RepairCellMetadata,),
               "a student's edits to the nbgrader metadata are undone before nbgrader's own checks read it"),
    ],
    (Autograde, "autograde_preprocessors"): [
        Change("replace", Execute, (StartHiddenTests, SafeExecute),
               "only the graded part runs, a dying kernel does not stop the student's grading, and the hidden "
               "tests run in a checker process started before the kernel"),
        Change("replace", LimitOutput, (LimitOutputSize,),
               "LimitOutputSize is LimitOutput (its line limits) that also caps a single huge line and rich outputs"),
        Change("before", SaveAutoGrades, (IsolatedHiddenTests, ScrubPaths),
               "the hidden tests' verdicts land in the cells, and this machine's paths leave the outputs, before "
               "the scores and outputs are saved"),
    ],
    (GenerateSolution, "preprocessors"): [
        Change("replace", Execute, (ClearHiddenTests,),
               "solutions ship without outputs (self-learners run them) and without hidden tests"),
    ],
    (GenerateFeedback, "preprocessors"): [
        Change("before", GetGrades, (FeedbackWithoutHiddenTests,),
               "feedback never shows the hidden tests' source (ClearHiddenTests, without its config warning)"),
    ],
}


def nbgrader_default(converter: type, trait: str) -> list[type[Preprocessor]]:
    """The preprocessor list nbgrader itself would use for `converter.trait`."""
    return list(converter.class_traits()[trait].default())


def compose(default: list[type], changes: list[Change]) -> list[type]:
    """`default` with each change made; a change whose nbgrader step is not in `default` is an error."""
    steps = list(default)
    for change in changes:
        if change.step not in steps:
            raise ValueError(f"nbgrader's default list {[s.__name__ for s in default]} has no {change.step.__name__}"
                             f" to put {[s.__name__ for s in change.ours]} {change.where}: see grader/pipeline.py")
        at = steps.index(change.step)
        if change.where == "replace":
            steps[at:at + 1] = change.ours
        elif change.where in ("before", "after"):
            at += change.where == "after"
            steps[at:at] = change.ours
        else:
            raise ValueError(f"unknown change {change.where!r}: before, after or replace")
    return steps


def preprocessors(converter: type, trait: str) -> list[type]:
    """The list nbgrader_config.py sets for `converter.trait`: nbgrader's default, changed as CHANGES says."""
    return compose(nbgrader_default(converter, trait), CHANGES[converter, trait])
