"""Notebook 03's text against a fresh run of its worked solutions.

Every number or comparison that 03's markdown states is either printed by the cell beside it
or checked here. Each test reads the number from the authoring markdown and compares it with
the run (or with the course's own code), so it fails as soon as the text and the numbers part.

The run is in this process (`fresh`): every code cell of the built instructor notebook, top
to bottom, with the worked solutions in place, capturing what each cell prints. The stepper's
cell is left out (it only builds a widget); its questions are answered from the widget itself.
"""
import contextlib
import io
import re

import matplotlib
import numpy as np
import pytest

from course.gradcheck import BANDS, relative_error, verdict
from tools.build import ROOT, parse

matplotlib.use("agg")

NAME = "03_backprop_by_hand"
NUMBER = r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?"


@pytest.fixture(scope="module")
def nb():
    return parse(ROOT / "authoring" / f"{NAME}.py")


@pytest.fixture(scope="module")
def fresh(nb, monkeypatch_module):
    """(namespace, {index of a code cell: what it printed}) of a fresh run of the solutions."""
    import matplotlib.pyplot as plt
    monkeypatch_module.delenv("NBGRADER_EXECUTION", raising=False)
    namespace: dict = {}
    printed: dict[int, str] = {}
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code" or "widgets." in cell.source:
            continue
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(cell.source, f"{NAME} cell {index}", "exec"), namespace)
        printed[index] = out.getvalue()
    plt.close("all")
    return namespace, printed


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def markdown(nb, section: str | None = None) -> str:
    """The markdown of the notebook, or of one section ("5" for "## 5 · ..."), comment-free."""
    text, inside = [], section is None
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            continue
        heading = re.match(r"## (\S+) ·", cell.source)
        if section is not None and (heading or cell.source.startswith("## Summary")):
            inside = bool(heading) and heading.group(1) == section
        if inside:
            text.append(cell.source)
    assert text, f"no section {section}"
    return "\n\n".join(text)


def output_of(nb, fresh, anchor: str) -> str:
    """What the code cell whose source contains `anchor` printed in the fresh run."""
    _, printed = fresh
    found = [i for i, c in enumerate(nb.cells) if c.cell_type == "code" and anchor in c.source]
    assert len(found) == 1, f"{anchor!r} is in {len(found)} code cells"
    return printed[found[0]]


def find(pattern: str, text: str) -> re.Match:
    match = re.search(pattern, text, re.S)
    assert match, f"the text no longer says {pattern!r}"
    return match


def about(stated: float, measured: float, factor: float) -> bool:
    """`measured` is within `factor` of `stated` (for figures that rounding may move a little)."""
    return stated / factor <= measured <= stated * factor


# --- the introduction and the exercises ---------------------------------------------------

def test_the_points_the_text_gives_each_exercise_are_its_test_cells_points(nb):
    points = {c.metadata.nbgrader["grade_id"].removeprefix("test_"): c.metadata.nbgrader["points"]
              for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")}
    text = markdown(nb)
    rows = re.findall(r"^\| (\d+) \| (.+?) \| ([\d +]+) \|$", text, re.M)
    assert len(rows) == 8
    # §11's rows name the parts of one class, not functions: which test cells each row's points are
    value_rows = {"`Value`: the local derivatives of": ["value_arithmetic"], "`Value`: `exp`": ["value_functions"],
                  "`Value.backward`, then the whole engine": ["value_backward", "value_engine"]}

    def graded(functions):
        named = [ids for start, ids in value_rows.items() if functions.startswith(start)]
        return named[0] if named else re.findall(r"`(\w+)\(", functions)

    for _, functions, stated in rows:
        assert [points[n] for n in graded(functions)] == [int(p) for p in stated.split("+")], functions
    exercises = re.findall(r"\*\*Exercise [\d.]+ \(([\d +]+) points?\)\.\*\* Write ((?:`\w+\([^`]*\)`(?: and )?)+)", text)
    assert len(exercises) == 5
    for stated, functions in exercises:
        names = re.findall(r"`(\w+)\(", functions)
        assert [points[n] for n in names] == [int(p) for p in stated.split("+")], functions
    value_exercises = re.findall(r"\*\*Exercise 11\.(\d) \((\d+) points?\)\.\*\*", text)
    assert [(n, int(p)) for n, p in value_exercises] == [
        ("1", points["value_arithmetic"]), ("2", points["value_functions"]), ("3", points["value_backward"])]
    assert f"The test after it ({points['value_engine']} point)" in text
    assert sorted(n for _, f, _ in rows for n in graded(f)) == sorted(points)


# --- §1 ----------------------------------------------------------------------------------

class CountedMatmul(np.ndarray):
    """An array that counts the matrix products it takes part in."""
    products = 0

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if ufunc is np.matmul:
            CountedMatmul.products += 1
        plain = [np.asarray(a) if isinstance(a, CountedMatmul) else a for a in inputs]
        result = getattr(ufunc, method)(*plain, **kwargs)
        return result.view(CountedMatmul) if isinstance(result, np.ndarray) else result


def test_backward_does_two_matrix_products_per_dense_layer_where_forward_does_one(nb, fresh):
    namespace, _ = fresh
    text = markdown(nb, "1")
    find(r"forward pass does one matrix product, its backward pass does two", text)
    find(r"costs about\s+two forward passes", text)
    find(r"two forward passes \*\*per weight\*\*", text)
    rng = np.random.default_rng(0)
    sizes = [4, 5, 3, 2]
    layers = [(rng.normal(size=(a, b)).view(CountedMatmul), rng.normal(size=b)) for a, b in zip(sizes, sizes[1:])]
    X = rng.normal(size=(6, 4)).view(CountedMatmul)
    CountedMatmul.products = 0
    activations = namespace["mlp_forward"](X, layers)
    forward = CountedMatmul.products
    CountedMatmul.products = 0
    activations = [np.asarray(a).view(CountedMatmul) for a in activations]    # the worked sigmoid returns plain arrays
    namespace["mlp_backward"](activations, layers, np.ones_like(activations[-1]))
    assert (forward, CountedMatmul.products) == (3, 6)
    calls = []
    w = rng.normal(size=(3, 2))
    namespace["numerical_gradient"](lambda v: calls.append(1) or float(np.sum(v ** 2)), w)
    assert len(calls) == 2 * w.size


# --- §2 ----------------------------------------------------------------------------------

def _numbers(text: str) -> list[float]:
    return [float(v) for v in re.findall(NUMBER, text)]


def test_the_example_parameters_in_the_text_are_the_ones_the_code_uses(nb, fresh):
    namespace, _ = fresh
    text = markdown(nb, "2")
    assert _numbers(find(r"\$x = \[([^\]]+)\]\^\\top\$", text).group(1)) == namespace["x_col"].tolist()
    W1 = find(r"\$W_1 = \\begin\{bmatrix\}(.+?)\\end\{bmatrix\}\$", text).group(1)
    assert _numbers(W1) == namespace["W1_col"].ravel().tolist()
    assert _numbers(find(r"\$b_1 = \[([^\]]+)\]\^\\top\$", text).group(1)) == namespace["b1_col"].tolist()
    assert _numbers(find(r"\$W_2 = \[([^\]]+)\]\$", text).group(1)) == namespace["W2_col"].tolist()
    assert float(find(rf"\$b_2 = ({NUMBER})\$", text).group(1)) == namespace["b2_col"]
    assert float(find(rf"label \$y = ({NUMBER})\$", text).group(1)) == namespace["y_example"]


def test_the_example_forward_numbers_agree_to_their_digits_and_its_z2_is_explained(nb, fresh):
    namespace, _ = fresh
    text = markdown(nb, "2")
    find(r"All the example's forward numbers agree to the digits it shows", text)
    lines = output_of(nb, fresh, 'rows = [("z1"').strip().splitlines()[1:]
    assert len(lines) == 5 and all(line.endswith("agrees") for line in lines), lines
    m = find(rf"\$z_2 = ({NUMBER})\$ comes.*?\$({NUMBER}) \\cdot ({NUMBER}) \+ ({NUMBER}) \\cdot ({NUMBER}) \+ "
             rf"({NUMBER}) = ({NUMBER})\$.*?exact value is \$({NUMBER})\$", text)
    z2, w1, a1, w2, a2, b, total, exact = (float(v) for v in m.groups())
    assert [w1, w2, b] == [*namespace["W2_col"], namespace["b2_col"]]
    assert [a1, a2] == np.round(namespace["a1"], 2).tolist()              # the example's rounded a1
    assert z2 == total == round(w1 * a1 + w2 * a2 + b, 10)
    assert exact == round(float(namespace["z2"]), 6) != z2


def test_layer_2_has_as_many_learnable_parameters_as_the_text_says(nb, fresh):
    namespace, _ = fresh
    words = {"two": 2, "three": 3, "four": 4}
    stated = find(r"layer 2's (\w+) learnable parameters", markdown(nb, "2")).group(1)
    assert words[stated] == namespace["W2"].size + namespace["b2"].size


# --- §3 ----------------------------------------------------------------------------------

def test_the_sigmoid_derivative_is_a_quarter_at_zero_and_never_more(nb, fresh):
    namespace, _ = fresh
    find(r"\\sigma = \\tfrac12\$,\s+and step 1 gives \$\\sigma'\(0\) = \\tfrac14\$", markdown(nb, "3"))
    find(r"which is at most \$\\tfrac14\$ \(its value at \$z = 0\$", markdown(nb, "10"))
    z = np.linspace(-8, 8, 1601)[None, :]
    slope = namespace["sigmoid_backward"](np.ones_like(z), namespace["sigmoid"](z))
    assert slope.max() == pytest.approx(0.25) and z[0, slope.argmax()] == pytest.approx(0.0)
    assert np.exp(-0.0) / (1 + np.exp(-0.0)) ** 2 == 0.25                     # step 1's formula at 0


# --- §5 ----------------------------------------------------------------------------------

def test_the_relative_error_table_is_the_one_the_course_reads_by(nb):
    text = markdown(nb, "5")
    rows = re.findall(r"^\| ([<≥]) (1e-\d+) \| (.+?) \|$", text, re.M)
    assert [float(bound) for sign, bound, _ in rows[:3]] == [b for b, _ in BANDS[:3]]
    assert rows[3][:2] == ("≥", "1e-3") and BANDS[3][0] == np.inf
    for (_, _, reading), (_, course_reading) in zip(rows, BANDS):
        assert reading.split(":")[0].split(" (")[0] == course_reading.split(":")[0].split(" (")[0]


def test_the_centered_difference_straddles_relus_kink_as_the_text_says(nb, fresh):
    namespace, _ = fresh
    text = markdown(nb, "5")
    stated = float(find(rf"defined the\s+derivative there as 0, the numerical gradient says ({NUMBER})", text).group(1))
    assert namespace["numerical_gradient"](lambda v: float(np.sum(np.maximum(v, 0))), np.zeros(1))[0] == stated
    printed = output_of(nb, fresh, "at_kink = ")
    assert f"numerical [{stated:g} " in printed and "analytic [0. " in printed


def test_the_float32_table_shows_rounding_where_the_text_says(nb, fresh):
    text = markdown(nb, "5")
    m = find(r"\$h = 10\^\{-5\}\$, that is\s+\$h\^2 = 10\^\{(-\d+)\}\$ against \$h = 10\^\{(-\d+)\}\$", text)
    assert (10.0 ** int(m.group(1)), 10.0 ** int(m.group(2))) == pytest.approx((1e-5 ** 2, 1e-5))
    eps = np.finfo(np.float32).eps
    m = find(rf"about (\d+) significant digits:\s+float32's machine epsilon is ({NUMBER})\)", text)
    assert int(m.group(1)) == round(-np.log10(eps)) and m.group(2) == f"{eps:.1e}"

    printed = output_of(nb, fresh, "sum_tanh = ")
    rows = {float(h): [float(e) for e in errors] for h, *errors in
            (line.split() for line in printed.splitlines() if re.match(r"\s+1e-0\d\s", line))}
    assert sorted(rows) == [1e-5, 1e-3, 1e-2]
    (big64, big32, big_one), (small64, small32, small_one) = rows[1e-2], rows[1e-5]
    agree = float(find(rf"At \$h = 10\^\{{-2\}}\$ float64 and float32 agree \(({NUMBER})\)", text).group(1))
    assert about(agree, big64, 1.1) and about(agree, big32, 1.1)
    assert all(one > centered for centered, _, one in rows.values()), "the one-sided difference is worse"
    to64 = float(find(rf"float64's error shrinks with \$h\^2\$ to about ({NUMBER}) \(the table's \"correct\"\)", text).group(1))
    assert about(to64, small64, 3) and verdict(small64).startswith("correct")
    to32 = float(find(rf"float32's \*\*grows\*\*, to about ({NUMBER})", text).group(1))
    assert about(to32, small32, 3) and small32 > rows[1e-3][1] > 0
    find(r"the table above would call that \"suspicious: a kink or a bug\"", text)
    assert verdict(small32).startswith("suspicious: a kink")
    # the text blames rounding: same function, same h, only the precision changed
    assert small32 > 1000 * small64


# --- §6 ----------------------------------------------------------------------------------

def test_the_worked_example_backward_agrees_but_for_one_rounding_slip(nb, fresh):
    namespace, _ = fresh
    text = markdown(nb, "6")
    find(r"here \$N = n\$, one output per sample", text)
    assert namespace["y4"].shape[1] == 1
    find(r"Every backward number agrees except one", text)
    rows = output_of(nb, fresh, "delta2 = grads4").strip().splitlines()[1:5]
    differs = [row for row in rows if "DIFFERS" in row]
    assert len(differs) == 1 and differs[0].startswith("dW2") and differs[0].endswith("DIFFERS in 1 of 2")
    m = find(rf"\$dW_2 = \[({NUMBER}), ({NUMBER})\]\$ has a\s+rounding slip in the second entry", text)
    example = [row for name, row, _ in namespace["table"] if name == "dW2"][0]
    assert [float(v) for v in m.groups()] == example
    m = find(rf"= ({NUMBER}) \\times ({NUMBER}) = ({NUMBER})\$,\s+which rounds to \$({NUMBER})\$", text)
    delta2, a12, product, rounded = (float(v) for v in m.groups())
    assert delta2 == round(float(namespace["delta2"]), 6) and a12 == round(float(namespace["A1"][0, 1]), 6)
    assert product == round(float(namespace["delta2"] * namespace["A1"][0, 1]), 6)
    assert rounded == round(product, 3) != example[1]
    m = find(rf"\$({NUMBER}) \\times ({NUMBER}) = ({NUMBER})\$\)", text)
    assert float(m.group(3)) == round(float(m.group(1)) * float(m.group(2)), 4) != example[1]
    find(r"Summary.*apart from one rounding slip in its \$dW_2\$", markdown(nb))


# --- §7: the stepper's questions and their answers ------------------------------------------

def _stepper(namespace, monkeypatch):
    from course import widgets
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    return widgets.backprop_stepper(namespace["sigmoid"], namespace["sigmoid_backward"], namespace["dense_backward"],
                                    namespace["binary_cross_entropy"], namespace["binary_cross_entropy_grad"])


def test_the_stepper_answers_are_what_the_stepper_shows(nb, fresh, monkeypatch):
    namespace, _ = fresh
    text = markdown(nb, "7")
    stepper = _stepper(namespace, monkeypatch)
    assert stepper.STEPS[7].startswith("dL/dz2") and "dW1" in stepper.STEPS[9]
    find(r"At step 7 the caption shows \$\\partial L/\\partial z\^\{\(2\)\} = \\hat y - y\$", text)
    m = find(rf"From \$({NUMBER})\$ to \$({NUMBER})\$: up by exactly 1, because \$\\hat y = ({NUMBER})\$", text)
    with_1, with_0, y_hat = m.groups()
    stepper.controls["step"].value = 7
    assert f"ŷ - y = {with_1}" in stepper.caption.value
    stepper.controls["y"].value = 0
    assert f"ŷ - y = {with_0}" in stepper.caption.value
    assert f"{float(stepper.compute()['A2'][0, 0]):.4f}" == y_hat
    assert float(with_0) - float(with_1) == pytest.approx(1.0) and float(with_0) > 0
    find(r"Positive now, so gradient descent lowers \$z\^\{\(2\)\}\$", text)

    def zero_entries(x1, x2):
        """The example-layout names w_ij (hidden i, input j) whose gradient is 0 at this input."""
        stepper.controls["x1"].value, stepper.controls["x2"].value = x1, x2
        dW1 = stepper.compute()["dW1"].T                               # the example's layout
        return {f"{i + 1}{j + 1}" for i, j in zip(*np.nonzero(dW1 == 0))}

    stepper.controls["y"].value = 1
    before = find(r"has \$x_2 = 0\$, so at step 9 the gradients of \$w_\{(\d\d)\}\$ and \$w_\{(\d\d)\}\$ are 0", text)
    assert zero_entries(1.0, 0.0) == set(before.groups())
    m = find(r"Set \$x_1 = 0\$ and \$x_2 = 1\$ instead", text)
    after = find(r"The gradients of \$w_\{(\d\d)\}\$ and \$w_\{(\d\d)\}\$, the weights leaving \$x_1\$", text)
    assert zero_entries(0.0, 1.0) == set(after.groups()) and all(name.endswith("1") for name in after.groups())
    stepper.controls["step"].value = 9
    assert re.search(r"= \[\[-?0\.0000, \S+\], \[-?0\.0000, ", stepper.caption.value), stepper.caption.value


# --- §8-§10 ----------------------------------------------------------------------------------

def test_the_networks_have_the_sizes_the_text_gives(nb, fresh):
    namespace, _ = fresh
    sizes = find(r"trains a (\d(?:-\d)+) all-sigmoid network", markdown(nb, "8")).group(1)
    net3 = namespace["net3"]
    assert [int(s) for s in sizes.split("-")] == [net3[0][0].shape[0]] + [W.shape[1] for W, _ in net3]
    assert namespace["X3"].shape[1] == net3[0][0].shape[0]
    text = markdown(nb, "9")
    m = find(r"(\d+) inputs, (\d+) sigmoid hidden units, (\d+) \*\*linear\*\* output", text)
    Ws = namespace["Ws"]
    assert [int(v) for v in m.groups()] == [Ws[0].shape[0], Ws[0].shape[1], Ws[1].shape[1]]
    find(r"standardised", text)
    X = namespace["X_days"]
    assert np.allclose(X.mean(axis=0), 0, atol=0.3) and np.all(X.std(axis=0) < 1.5)


def test_the_stock_model_gradients_pass_the_check(nb, fresh):
    for printed in (output_of(nb, fresh, "half_sum_loss = "), output_of(nb, fresh, "def stock_loss")):
        verdicts = [line for line in printed.splitlines() if "relative error" in line]
        assert verdicts and all(line.endswith("correct: the difference is rounding") for line in verdicts)


def test_vanishing_gradients_as_large_as_the_text_says(nb, fresh):
    namespace, _ = fresh
    text = markdown(nb, "10")
    m = find(r"a (\d+)-layer sigmoid network of width (\d+)\s+\(weights \$\\mathcal N\(0, 1/(\d+)\)\$\)", text)
    depth, width, inverse_variance = (int(v) for v in m.groups())
    deep = namespace["deep"]
    assert len(deep) == depth and all(W.shape == (width, width) for W, _ in deep)
    weights = np.concatenate([W.ravel() for W, _ in deep])
    assert weights.var() == pytest.approx(1 / inverse_variance, rel=0.2)
    m = find(r"back to the first, that is (\w+) such factors: together at most\s+"
             r"\$4\^\{-(\d+)\} \\approx (\d) \\cdot 10\^\{(-\d+)\}\$", text)
    assert {"nine": 9}[m.group(1)] == int(m.group(2)) == depth - 1
    assert float(f"{4.0 ** -int(m.group(2)):.0e}") == int(m.group(3)) * 10.0 ** int(m.group(4))
    m = find(r"the last layer's is about \$(\d) \\cdot 10\^(\d)\$ times the first layer's", text)
    norms = namespace["norms"]
    ratio = norms[-1] / norms[0]
    assert about(int(m.group(1)) * 10.0 ** int(m.group(2)), ratio, 1.5)
    assert f"{ratio:.1e}" in output_of(nb, fresh, "norms = ")
    assert np.argmin(norms) == 0, "the first layer's gradient is the smallest"
    assert ratio > 4.0 ** (depth - 1), "at least what the sigmoid factors alone take away"


# --- §11 and §12: the Value engine ------------------------------------------------------------

def test_the_wrong_orders_give_the_gradients_the_text_says(nb, fresh):
    """u = 2x, v = -3u, L = u·v at x = 1, run with the notebook's own Value in three orders."""
    namespace, _ = fresh
    Value = namespace["Value"]

    def graph():
        x = Value(1.0)
        u = x * 2
        v = u * -3
        L = u * v
        L.grad = 1.0
        return x, L

    def run_order(order):
        x, L = graph()
        if order == "right":
            L.grad = 0.0
            L.backward()
        elif order == "first_met":                 # depth first from L, each node run when first reached
            seen = []

            def visit(node):
                if all(node is not s for s in seen):
                    seen.append(node)
                    node._backward()
                    for parent in node._prev:
                        visit(parent)
            visit(L)
        else:                                      # plain recursion, no record of visited nodes
            def recurse(node):
                node._backward()
                for parent in node._prev:
                    recurse(parent)
            recurse(L)
        return x.grad

    text = markdown(nb, "11")
    wrong, right = map(float, find(r"through \$v\$: \$(-?\d+)\$ instead of \$(-?\d+)\$", text).groups())
    twice = float(find(r"passes the first share on twice: \$(-?\d+)\$", text).group(1))
    assert (run_order("right"), run_order("first_met"), run_order("recursion")) == (right, wrong, twice)


def test_the_engine_agrees_with_the_hand_backward_pass_and_the_numerical_gradient_as_stated(nb, fresh):
    namespace, _ = fresh
    text = markdown(nb, "12")
    count = {"nine": 9}[find(r"finds all (\w+) gradients", text).group(1)]
    assert sum(np.size(v) for v in namespace["engine"].values()) == count
    gap = float(find(r"largest difference is below \$10\^\{(-\d+)\}\$", text).group(1))
    err = float(find(r"relative error below \$10\^\{(-\d+)\}\$", text).group(1))
    assert namespace["gap_hand"] < 10 ** gap
    assert namespace["err_numeric"] < 10 ** err
    printed = output_of(nb, fresh, "L_v.backward()")
    assert "largest |engine - two_layer_backprop|" in printed and verdict(namespace["err_numeric"]) in printed


def test_tanhs_slope_at_zero_and_the_order_backward_runs_are_as_the_text_says(nb, fresh):
    namespace, _ = fresh
    Value = namespace["Value"]
    text = markdown(nb, "11")
    slope = float(find(r"check it at \$z = 0\$, where the slope is (\d+)", text).group(1))
    z = Value(0.0)
    z.tanh().backward()
    assert z.grad == slope
    # "The reverse topological order runs $L$, then $v$, then $u$, then $x$."
    stated = find(r"reverse topological order runs \$(\w)\$, then \$(\w)\$, then \$(\w)\$, then \$(\w)\$", text).groups()
    x = Value(1.0)
    u = x * 2
    v = u * -3
    L = u * v
    names, ran = {id(x): "x", id(u): "u", id(v): "v", id(L): "L"}, []
    for node in (x, u, v, L):
        node._backward = (lambda node=node, inner=node._backward: (ran.append(names[id(node)]), inner()))
    L.backward()
    assert tuple(ran) == stated


def test_the_graphs_edge_names_and_the_notes_indices_are_told_apart():
    """The graph's and the stepper's w12 (unit 1 from input 2) is the notes' w^1_21 (input 2 to unit 1)."""
    import ast
    source = (ROOT / "authoring" / "03_backprop_by_hand.py").read_text()
    weights = ast.literal_eval(re.search(r"weights=(\{\(\"x1\", \"z1_1\"\): \"w11\".*?\})", source, re.S).group(1))
    assert weights[("x2", "z1_1")] == "w12" and weights[("x1", "z1_2")] == "w21"
    from tests.notebook_text import markdown, said
    said(r"their w12 runs from input 2 to unit 1, the notes' \$w\^1_\{21\}\$", markdown("03_backprop_by_hand"))
