"""The feedback audit (tools/feedback_audit.py) in the test suite: every one of the course's
plausible wrong answers loses its points through the real autograde, at least 90% are named,
and the published table docs/FEEDBACK_AUDIT.md is the one this run produces."""
import pytest

from tools import feedback_audit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def rows():
    return feedback_audit.audit()


def test_there_are_at_least_three_wrong_answers_per_gradient_exercise():
    from tools.wrong_answers import WRONG_ANSWERS
    gradient_tests = ["test_mse_grad", "test_mae_grad", "test_huber_grad", "test_binary_cross_entropy_grad",
                      "test_softmax_cross_entropy_grad", "test_sigmoid_backward", "test_relu_backward",
                      "test_dense_backward", "test_numerical_gradient", "test_two_layer_backprop", "test_mlp_backward",
                      "test_value_arithmetic", "test_value_functions", "test_value_backward",
                      "test_momentum_step", "test_rmsprop_step", "test_two_layer_softmax_backprop"]
    counts = {t: sum(w.test == t for ws in WRONG_ANSWERS.values() for w in ws) for t in gradient_tests}
    assert all(n >= 3 for n in counts.values()), counts


def test_every_wrong_answer_loses_points_and_most_are_named(rows):
    missed = [(r.assignment, r.wrong.test, r.wrong.mistake) for r in rows if not r.caught]
    assert not missed, f"wrong answers that kept their points: {missed}"
    ok, summary = feedback_audit.verdict(rows)
    print(summary)
    assert ok, summary


def test_the_published_table_is_current(rows):
    assert feedback_audit.DOC.read_text() == feedback_audit.table(rows) + "\n", \
        "docs/FEEDBACK_AUDIT.md is stale: run python tools/feedback_audit.py"
