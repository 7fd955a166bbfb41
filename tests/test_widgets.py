"""course.widgets and course.plots: built once, updated in place, driven by the student's
functions, idle while grading."""
import io
import re

import matplotlib
import numpy as np
import pytest

from course import plots, transfer, widgets
from grader.forward_pass import mlp_forward, sigmoid
from grader.solutions.loss_functions import binary_cross_entropy, binary_cross_entropy_grad

matplotlib.use("agg")


def png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def test_neuron_explorer_runs_the_given_activation_and_updates_in_place():
    calls = []
    explorer = widgets.neuron_explorer(lambda z: calls.append(z.shape) or sigmoid(z))
    image, line = explorer.plane.image, explorer.plane.line
    before_png, before_line = png(explorer.fig), np.array(line.get_data())
    n_calls = len(calls)
    explorer.controls["w1"].value = -2.0
    explorer.controls["b"].value = 1.5
    assert len(calls) == n_calls + 2, "each slider move recomputes with the student's function"
    assert explorer.plane.image is image and explorer.plane.line is line, "same artists: updated, not redrawn"
    assert len(explorer.fig.axes[0].images) == 1
    after_line = np.array(line.get_data())
    assert not np.allclose(before_line, after_line)
    # the decision line is where w.x + b = 0
    x1, x2 = after_line
    assert np.allclose(-2.0 * x1 + 1.0 * x2 + 1.5, 0.0)
    assert png(explorer.fig) != before_png


def test_network_explorer_edits_one_parameter_and_shows_activations():
    rng = np.random.default_rng(0)
    layers = [(rng.normal(size=(2, 3)), rng.normal(size=3)), (rng.normal(size=(3, 2)), rng.normal(size=2))]
    original = [(W.copy(), b.copy()) for W, b in layers]
    calls = []
    explorer = widgets.network_explorer(lambda X, L: calls.append(1) or mlp_forward(X, L), layers)
    texts_before = [t.get_text() for t in explorer.diagram.texts]
    explorer.which.value = 7            # b1[1]
    explorer.controls["value"].value = 3.0
    assert explorer.layers[0][1][1] == 3.0
    assert all(np.array_equal(W, W0) and np.array_equal(b, b0)
               for (W, b), (W0, b0) in zip(layers, original)), "the caller's layers are not modified"
    explorer.controls["x1"].value = -2.0
    texts_after = [t.get_text() for t in explorer.diagram.texts]
    assert texts_after != texts_before and texts_after[0].endswith("-2.000")
    expected = mlp_forward(np.array([[-2.0, -0.5]]), explorer.layers)
    shown = [float(t.split("\n")[1]) for t in texts_after]
    assert np.allclose(shown, np.concatenate([a.ravel() for a in expected]), atol=5e-4)
    assert len(calls) >= 3


def test_network_explorer_lists_named_parameters_in_the_order_notes_read_them():
    """Notebook 01 names W1 = M1.T's entries row by row (w1, w3, w5, w2, ...): the drop-down
    lists w1, w2, ..., w12, then b1, ..., b5, and each name still edits its own entry."""
    import ast
    from tools.build import ROOT
    source = (ROOT / "authoring" / "01_forward_pass.py").read_text()
    names = ast.literal_eval(re.search(r"notes_names = (\[.*?\])", source, re.S).group(1))
    rng = np.random.default_rng(0)
    layers = [(rng.normal(size=(2, 3)), rng.normal(size=3)), (rng.normal(size=(3, 2)), rng.normal(size=2))]
    explorer = widgets.network_explorer(mlp_forward, layers, param_names=names)
    shown = [name for name, _ in explorer.which.options]
    assert shown == [f"w{i}" for i in range(1, 13)] + [f"b{i}" for i in range(1, 6)]
    slot = dict(explorer.which.options)["w2"]
    explorer.which.value = slot
    explorer.controls["value"].value = 3.5
    assert explorer.layers[0][0].ravel()[names.index("w2")] == 3.5
    assert explorer.which.value == slot and "w1 " in explorer.describe().split("Parameters: ")[1][:4]


def test_network_explorer_rejects_a_wrong_number_of_parameter_names():
    layers = [(np.zeros((2, 3)), np.zeros(3))]
    with pytest.raises(ValueError, match="9 parameters but 2 names"):
        widgets.network_explorer(mlp_forward, layers, param_names=["a", "b"])


def test_widgets_are_idle_while_grading(monkeypatch):
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    idle = widgets.neuron_explorer(sigmoid)
    assert isinstance(idle, widgets.Idle) and "being graded" in repr(idle)
    assert isinstance(widgets.network_explorer(mlp_forward, []), widgets.Idle)


def test_decision_line_covers_the_vertical_and_degenerate_cases():
    x1, x2 = plots.decision_line(np.array([1.0, 0.0]), -0.5, 3.0)
    assert np.allclose(x1, 0.5) and np.allclose(x2, [-3, 3])
    assert plots.decision_line(np.zeros(2), 1.0, 3.0)[0].size == 0


def test_network_diagram_edge_order_matches_the_weights():
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots()
    diagram = plots.NetworkDiagram(ax, (2, 3))
    W = np.array([[-2.5, 0.05, 1.0], [-0.4, 2.0, -1.5]])
    diagram.update([np.zeros(2), np.zeros(3)], [W])
    segments = diagram.edges.get_segments()
    widths, colours, styles = diagram.edges.get_linewidths(), diagram.edges.get_colors(), diagram.edges.get_linestyle()
    # edge k joins input i to output j with weight W[i, j], row-major; its width grows with
    # |W[i, j]|, its colour and style say the sign, and even a weight near 0 stays visible
    for k, (i, j) in enumerate(np.ndindex(2, 3)):
        assert np.allclose(segments[k][0], diagram.pos[0][i]) and np.allclose(segments[k][1], diagram.pos[1][j])
        sign = diagram.POSITIVE if W[i, j] >= 0 else diagram.NEGATIVE
        assert np.allclose(colours[k][:3], plots.to_rgba(sign)[:3])
        assert (styles[k][1] is None) == (W[i, j] >= 0), "negative weights are dashed, positive solid"
        assert widths[k] >= diagram.MIN_WIDTH and colours[k][3] >= diagram.MIN_ALPHA
    order = np.argsort(np.abs(W).ravel())
    assert np.all(np.diff(np.asarray(widths)[order]) > 0), "a larger |weight| draws a thicker line"
    assert np.all(np.diff(colours[order, 3]) > 0), "...and a more opaque one"
    plt.close(fig)


def test_an_unfinished_exercise_shows_a_message_instead_of_breaking_the_widget():
    def unfinished(z):
        raise NotImplementedError()

    explorer = widgets.neuron_explorer(unfinished)
    assert "your `unfinished` is not written yet" in explorer.status.value
    assert explorer.canvas.layout.display == "none" and explorer.description.value == "", \
        "no placeholder picture that reads as a result"
    explorer.controls["w1"].value = 0.5          # moving a slider still works
    assert "your `unfinished` is not written yet" in explorer.status.value

    def wrong(z):
        return z.nope
    assert "your code raised AttributeError" in widgets.neuron_explorer(wrong).status.value
    good = widgets.neuron_explorer(sigmoid)
    assert good.status.value == "" and good.canvas.layout.display is None


def test_loss_explorer_draws_with_the_given_functions_and_moves_only_the_point():
    from grader import loss_functions as L
    calls = {"mse": 0}

    def counting_mse(y, p):
        calls["mse"] += 1
        return L.mse(y, p)

    e = widgets.loss_explorer(counting_mse, L.mse_grad, L.mae, L.mae_grad, L.huber, L.huber_grad,
                              L.binary_cross_entropy, L.binary_cross_entropy_grad)
    mse_line = e.loss_panel.lines["MSE"]
    x, y = mse_line.get_data()
    assert len(x) == 161 and np.allclose(y, (x - 0.5) ** 2)      # target 0.5
    before = calls["mse"]
    e.controls["prediction"].value = -1.0
    assert calls["mse"] == before + 1, "moving the prediction recomputes one point, not the curves"
    assert e.loss_panel.points["MSE"].get_data()[1][0] == pytest.approx(2.25)
    assert e.grad_panel.points["Huber"].get_data()[1][0] == pytest.approx(-1.0)   # clipped at delta = 1
    e.controls["delta"].value = 2.0
    assert e.grad_panel.points["Huber"].get_data()[1][0] == pytest.approx(-1.5)
    e.controls["task"].value = "binary"
    e.controls["p"].value = 0.25
    assert len(mse_line.get_data()[0]) == 0
    assert e.loss_panel.points["BCE"].get_data()[1][0] == pytest.approx(-np.log(0.25))
    assert e.controls["prediction"].layout.display == "none"


@pytest.mark.parametrize("task, control, value, top", [
    ("regression", "prediction", 0.5, 6), ("regression", "prediction", 0.6, 6), ("regression", "prediction", 2.0, 6), ("regression", "prediction", 3.0, 12),
    ("regression", "prediction", -4.0, 30), ("binary", "p", 0.95, 7.5), ("binary", "p", 0.5, 7.5)])
def test_loss_explorer_keeps_its_usual_range_near_the_target_and_widens_only_for_large_losses(
        task, control, value, top):
    """At the target (loss 0) and near it, the loss axis is its usual 0-6 (a loss close to 0 once
    fitted no range and widened it to 0-1200, every curve flat on the bottom)."""
    from grader import loss_functions as L
    e = widgets.loss_explorer(L.mse, L.mse_grad, L.mae, L.mae_grad, L.huber, L.huber_grad,
                              L.binary_cross_entropy, L.binary_cross_entropy_grad)
    e.controls["task"].value = task
    e.controls[control].value = value
    assert e.loss_panel.ax.get_ylim()[1] == pytest.approx(top)
    assert f"Axes: loss up to {top:g}," in e.describe()


def test_outlier_explorer_fits_follow_the_outlier_and_the_robust_ones_resist():
    from grader import loss_functions as L
    o = widgets.outlier_explorer(L.mse_grad, L.mae_grad, L.huber_grad)
    assert all(abs(slope - 1.5) < 0.2 for slope, _ in o.fits.values())
    line = o.picture.lines["MSE"]
    o.controls["outlier"].value = -8.0
    slopes = {name: slope for name, (slope, _) in o.fits.items()}
    assert slopes["MSE"] < 1.1 and abs(slopes["MAE"] - 1.5) < 0.15 and abs(slopes["Huber"] - 1.5) < 0.2
    assert o.picture.lines["MSE"] is line
    o.controls["delta"].value = 3.0
    assert o.fits["Huber"][0] < slopes["Huber"], "a larger delta lets the outlier pull harder"


def test_outlier_explorer_reports_a_gradient_with_the_wrong_sign():
    from grader import loss_functions as L
    o = widgets.outlier_explorer(lambda y, p: -L.mse_grad(y, p), L.mae_grad, L.huber_grad)
    assert "uphill" in o.status.value


def test_backprop_stepper_steps_through_seed_004_with_the_given_functions():
    from grader.backprop_by_hand import dense_backward, sigmoid_backward
    used = []
    stepper = widgets.backprop_stepper(sigmoid, lambda dA, A: used.append(1) or sigmoid_backward(dA, A),
                                       dense_backward, binary_cross_entropy, binary_cross_entropy_grad)
    assert stepper.graph.values["x1"].get_text() == "1.0000" and stepper.graph.values["L"].get_text() == ""
    for _ in range(5):
        stepper.next.click()
    assert stepper.controls["step"].value == 5
    assert stepper.graph.values["L"].get_text() == "0.5172"          # seed 004's loss
    for _ in range(10):
        stepper.next.click()                                           # stops at the last step
    assert stepper.controls["step"].value == 10
    assert stepper.graph.grads["z1_1"].get_text() == "∂L=-0.0200"
    stepper.controls["step"].value = 9
    assert "[[-0.0200, 0.0000], [-0.0291, 0.0000]]" in stepper.caption.value    # text under the picture
    stepper.controls["step"].value = 10
    assert used, "the backward pass runs the student's sigmoid_backward"
    stepper.controls["x2"].value = 1.0                                 # recompute everything
    assert stepper.graph.values["x2"].get_text() == "1.0000"
    assert stepper.graph.grads["z1_1"].get_text() != "∂L=-0.0200"
    stepper.back.click()
    assert stepper.controls["step"].value == 9
    stepper.which.value = 8                                            # b3
    assert stepper.controls["value"].value == pytest.approx(0.1)


def test_xor_trainer_trains_with_the_given_functions_and_updates_in_place():
    from grader.xor_training import predict, train
    from grader.solutions.forward_pass import mlp_forward
    runs = []
    trainer = widgets.xor_trainer(lambda *a: runs.append(a[4]) or train(*a), predict, mlp_forward)
    image, line = trainer.image, trainer.loss_line
    assert runs == [], "nothing trains until the button is pressed"
    trainer.controls["epochs"].value = 500
    trainer.button.click()
    assert runs == [50 * k for k in range(1, 11)], "ten growing runs of the student's train"
    assert trainer.progress.value == 10 and len(trainer.history) == 500
    assert trainer.image is image and trainer.loss_line is line
    assert len(line.get_data()[0]) == 500
    assert "100% of XOR right" in trainer.image.axes.get_title()
    trainer.controls["seed"].value = 3
    assert trainer.progress.value == 0, "a new setting invalidates the last run"


def test_xor_trainer_reports_an_unfinished_train():
    from grader.xor_training import predict
    from grader.solutions.forward_pass import mlp_forward

    def unfinished(*args):
        raise NotImplementedError()

    trainer = widgets.xor_trainer(unfinished, predict, mlp_forward)
    trainer.button.click()
    assert "your `unfinished` is not written yet" in trainer.status.value and not trainer.button.disabled


def test_fine_tuning_explorer_updates_bars_in_place_and_caches():
    from grader.fine_tuning import add_head, fit
    from grader.solutions import layers
    calls = []
    explorer = widgets.fine_tuning_explorer(layers, lambda *a: calls.append(a[3]) or fit(*a), add_head)
    bars = list(explorer.bars)
    first = [b.get_height() for b in bars]
    assert all(0.4 < h <= 1.0 for h in first) and explorer.status.value == ""
    n_calls = len(calls)
    assert explorer.controls["lr"].value == transfer.CHOSEN["fine_tune"][0], "it starts at the chosen setting"
    assert calls[-1] == transfer.CHOSEN["fine_tune"][0] and calls[:2] == [transfer.CHOSEN["scratch"][0],
                                                                          transfer.CHOSEN["head_only"][0]]
    explorer.controls["lr"].value = 1e-2
    assert len(calls) == n_calls + 1, "a new unfreeze lr retrains only the fine-tuning step"
    explorer.controls["lr"].value = transfer.CHOSEN["fine_tune"][0]
    assert len(calls) == n_calls + 1, "a setting seen before is not trained again"
    assert [b.get_height() for b in explorer.bars] == first and list(explorer.bars) == bars
    words = explorer.description.value                # its text alternative says what the bars say
    assert "30 labelled images" in words and all(f"{h:.3f}" in words for h in first), words


def test_optimiser_race_runs_the_given_steps_once_per_setting_and_updates_in_place():
    from grader.fine_tuning import adam_step
    from grader.xor_training import momentum_step, rmsprop_step
    calls = {"momentum": 0, "rmsprop": 0, "adam": 0}

    def counted(name, fn):
        def step(*args, **kwargs):
            calls[name] += 1
            return fn(*args, **kwargs)
        return step
    race = widgets.optimiser_race(counted("momentum", momentum_step), counted("rmsprop", rmsprop_step),
                                  counted("adam", adam_step))
    assert calls == {"momentum": 300, "rmsprop": 300, "adam": 300}, "one path of 300 steps each, at once"
    lines = dict(race.lines)
    assert len(race.lines["momentum"].get_xdata()) == 101, "100 steps shown, the start included"
    race.controls["steps"].value = 200
    assert calls["momentum"] == 300, "more steps of a path already computed cost nothing"
    assert len(race.lines["momentum"].get_xdata()) == 201 and race.lines == lines
    race.controls["lr"].value = 0.21
    assert calls["momentum"] == 600
    words = race.description.value
    assert "SGD diverged: it left the picture for good after 72 steps" in words, words
    assert "Adam ends at" in words and "momentum ends at" in words
    sgd_cross = race.crosses["SGD"].get_xydata()
    assert sgd_cross.tolist() == [[72, race.LOSS_TOP]] and "a cross at the top of the loss panel" in words
    assert len(race.crosses["momentum"].get_xdata()) == 0, "only a run that diverged gets a cross"
    race.controls["lr"].value = 0.15                  # where it started
    race.controls["lr"].value = 0.21
    assert calls["momentum"] == 600, "each (lr, beta) is computed once"


def test_optimiser_race_takes_any_typed_rate_and_keeps_its_legend_off_the_paths():
    from grader.xor_training import momentum_step, rmsprop_step
    race = widgets.optimiser_race(momentum_step, rmsprop_step)
    lr = race.controls["lr"]
    # a typed value is set as typed (the browser's readout sets `value`), off the slider's grid
    lr.value = 0.19
    assert lr.value == 0.19 and "at learning rate 0.19," in race.describe()
    assert lr.min <= -3 and lr.max >= 0 and lr.readout, "0.001 to 1, with a readout"
    assert race.controls["beta"].description == "β (momentum, RMSProp)", "β does not change Adam"
    # the browser moves a typed rate to the slider's nearest mark: 04 §12 says 0.15, 0.19 and 0.21 are marks
    exponents = np.arange(lr.min, lr.max + 1e-9, lr.step)
    marks = {float(f"{10 ** e:.2g}") for e in exponents}
    assert {0.15, 0.19, 0.21} <= marks and len(marks) == len(exponents), "each mark its own two-digit rate"
    assert lr.value == 0.19 and min(marks) <= 0.001 and max(10 ** exponents) > 0.9
    race.fig.canvas.draw()
    legend = race.fig.legends[0].get_window_extent()
    for ax in (race.valley, race.curve_axes):
        assert not legend.overlaps(ax.get_window_extent()), "the legend is outside both panels"
    assert not race.valley.get_legend(), "no legend inside the valley"


def test_optimiser_race_reports_an_unfinished_step():
    from grader.xor_training import momentum_step

    def rmsprop_step(param, grad, sq, lr, beta=0.9, eps=1e-8):
        raise NotImplementedError()

    race = widgets.optimiser_race(momentum_step, rmsprop_step)
    assert "your `rmsprop_step` is not written yet" in race.status.value
def _digits_explorer(monkeypatch, backprop=None):
    from grader.solutions.forward_pass import relu, softmax
    from grader.xor_training import two_layer_softmax_backprop
    monkeypatch.setattr(widgets.DigitsExplorer, "EPOCHS", 40)      # the behaviour, not the full run
    return widgets.digits_explorer(backprop or two_layer_softmax_backprop, relu, softmax)


def test_digits_explorer_trains_on_click_keeps_each_setting_and_updates_in_place(monkeypatch):
    from grader.xor_training import two_layer_softmax_backprop
    calls = []
    explorer = _digits_explorer(monkeypatch, lambda X, *a, **k: calls.append(len(X)) or two_layer_softmax_backprop(X, *a, **k))
    assert calls == [100] * 40, "the starting setting is trained with the given function when built"
    lines, image = dict(explorer.loss.lines), explorer.image
    assert len(lines["validation"].get_xdata()) == 41 and explorer.status.value == ""
    for ax in (explorer.loss.ax, explorer.acc.ax):
        assert ax.get_xlim() == (0, 40), "the x axis spans every epoch, not what the dotted line sets"
    for _, true, predicted in explorer.runs[(100, 0.0, 64)]["wrong"]:
        assert true != predicted
    explorer.controls["n"].value = 200
    assert len(calls) == 40, "a new setting does not train until Train is pressed"
    assert len(lines["validation"].get_xdata()) == 0 and "press Train" in explorer.description.value
    assert explorer.loss.ax.get_title() == "200 images, reg 0, 64 hidden units", "untrained: the setting"
    explorer.button.click()
    assert calls[40:] == [200] * 40 and not explorer.button.disabled
    assert len(lines["validation"].get_xdata()) == 41 and "200 training images" in explorer.description.value
    run = explorer.runs[(200, 0.0, 64)]
    assert explorer.loss.ax.get_title() == (f"validation loss {run['val_loss'][run['best']]:.2f} at best, "
                                            f"{run['val_loss'][-1]:.2f} at the end"), "the rise, in numbers"
    explorer.controls["n"].value = 100
    explorer.controls["n"].value = 200
    assert len(calls) == 80, "settings trained before are shown from the cache"
    assert dict(explorer.loss.lines) == lines and explorer.image is image, "same artists: updated, not redrawn"


def test_digits_explorer_reports_an_unfinished_backprop(monkeypatch):
    def two_layer_softmax_backprop(*args, **kwargs):
        raise NotImplementedError()

    explorer = _digits_explorer(monkeypatch, two_layer_softmax_backprop)
    assert "not written yet" in explorer.status.value
    explorer.button.click()
    assert "not written yet" in explorer.status.value and not explorer.button.disabled


# --- blitting: a new picture redraws only what changes, and is the same picture --------

def shown(explorer):
    """The explorer as it is once a browser shows it: every frame it sends is recorded."""
    explorer.canvas.syncing_data_url = False          # what ipympl does when a browser shows it
    explorer.sent = []
    explorer.canvas.send_binary = explorer.sent.append
    return explorer


def decoded(frame: bytes) -> np.ndarray:
    from PIL import Image
    return np.asarray(Image.open(io.BytesIO(frame)).convert("RGBA"))


def _frame_and_full_draw(explorer):
    """The frame the browser was last sent, and a full draw of the same figure (savefig)."""
    frame = decoded(explorer.sent[-1])
    buf = io.BytesIO()
    explorer.fig.savefig(buf, format="rgba")          # savefig draws every artist
    full = np.frombuffer(buf.getvalue(), dtype=np.uint8).reshape(frame.shape)
    return frame, full


def _all_widgets():
    from grader import loss_functions as L
    from grader.backprop_by_hand import dense_backward, sigmoid_backward
    from grader.xor_training import predict, train
    from grader.solutions.forward_pass import mlp_forward as forward
    rng = np.random.default_rng(0)
    layers = [(rng.normal(size=(2, 3)), rng.normal(size=3)), (rng.normal(size=(3, 2)), rng.normal(size=2))]
    return {
        "neuron": (widgets.neuron_explorer(sigmoid), {"w1": -2.0, "b": 1.5}),
        "network": (widgets.network_explorer(mlp_forward, layers), {"x1": -2.0, "value": 3.0}),
        "loss": (widgets.loss_explorer(L.mse, L.mse_grad, L.mae, L.mae_grad, L.huber, L.huber_grad,
                                       L.binary_cross_entropy, L.binary_cross_entropy_grad),
                 {"target": 1.0, "prediction": -1.0, "task": "binary", "p": 0.2}),
        "outlier": (widgets.outlier_explorer(L.mse_grad, L.mae_grad, L.huber_grad), {"outlier": -8.0}),
        "stepper": (widgets.backprop_stepper(sigmoid, sigmoid_backward, dense_backward, binary_cross_entropy,
                                             binary_cross_entropy_grad),
                    [("step", 9), ("x2", 1.0), ("step", 10), ("step", 9), ("value", 0.5), ("step", 3)]),
        "xor": (widgets.xor_trainer(train, predict, forward), [("hidden", 4), ("seed", 2), ("hidden", 3)]),
        "race": (_race(), [("lr", 0.21), ("beta", 0.5), ("steps", 300), ("lr", 0.001)]),
    }


def _race():
    from grader.solutions.xor_training import momentum_step, rmsprop_step
    from grader.fine_tuning import adam_step
    return widgets.optimiser_race(momentum_step, rmsprop_step, adam_step)


def test_every_widget_sends_after_each_move_exactly_the_picture_a_full_draw_makes(monkeypatch):
    digits = _digits_explorer(monkeypatch)
    digits.controls["hidden"].value = 32
    digits.button.click()                          # two trained settings and untrained ones
    everything = {**_all_widgets(), "digits": (digits, [("hidden", 64), ("reg", 0.01), ("hidden", 32), ("reg", 0.0),
                                                        ("n", 50)])}
    for name, (explorer, moves) in everything.items():
        shown(explorer)
        full_draws = []
        explorer.canvas.mpl_connect("draw_event", lambda event: event.canvas.is_saving() or full_draws.append(1))
        for key, value in (moves.items() if isinstance(moves, dict) else moves):
            before = len(explorer.sent)
            explorer.controls[key].value = value
            assert len(explorer.sent) == before + 1, f"{name}: {key}={value} sends one new picture at once"
            frame, full = _frame_and_full_draw(explorer)
            assert np.array_equal(frame, full), f"{name}: the picture sent after {key}={value} differs"
        # one full draw for the first picture, and one for the loss explorer's second view
        assert len(full_draws) == 1 + (name == "loss"), f"{name}: new pictures are blitted, not drawn in full"


def test_a_widget_draws_its_background_again_when_limits_change_and_reuses_it_after():
    from grader import loss_functions as L
    e = shown(widgets.loss_explorer(L.mse, L.mse_grad, L.mae, L.mae_grad, L.huber, L.huber_grad,
                                    L.binary_cross_entropy, L.binary_cross_entropy_grad))
    e.live.show()
    regression = decoded(e.sent[-1])
    e.controls["task"].value = "binary"           # new limits: new ticks in the background
    frame, full = _frame_and_full_draw(e)
    assert np.array_equal(frame, full) and not np.array_equal(frame, regression)
    assert len(e.live.backgrounds) == 2
    e.controls["task"].value = "regression"       # the first background is reused
    frame, full = _frame_and_full_draw(e)
    assert np.array_equal(frame, full) and np.array_equal(frame, regression)
    assert len(e.live.backgrounds) == 2
    e.live.forget_backgrounds()
    assert e.live.backgrounds == {}
    e.controls["prediction"].value = 1.0          # a full draw again, the same picture as a blit
    frame, full = _frame_and_full_draw(e)
    assert np.array_equal(frame, full) and len(e.live.backgrounds) == 1


def test_texts_that_did_not_change_are_copied_back_not_drawn_again(monkeypatch):
    from grader.backprop_by_hand import dense_backward, sigmoid_backward
    from matplotlib.text import Text
    stepper = shown(widgets.backprop_stepper(sigmoid, sigmoid_backward, dense_backward, binary_cross_entropy,
                                             binary_cross_entropy_grad))
    stepper.controls["step"].value = 9
    drawn = []
    original = Text.draw
    monkeypatch.setattr(Text, "draw", lambda self, renderer: drawn.append(self.get_text()) or original(self, renderer))
    stepper.controls["step"].value = 10                # reveals dL/dx; values and weights stay
    monkeypatch.undo()
    frame, full = _frame_and_full_draw(stepper)
    assert np.array_equal(frame, full)
    g = stepper.graph
    assert g.grads["x1"].get_text() in drawn and "step 10" in stepper.caption.value
    assert g.values["x1"].get_text() not in drawn and g.edge_labels[("x1", "z1_1")].get_text() not in drawn


def test_the_xor_trainer_sends_the_same_picture_after_training():
    from grader.xor_training import predict, train
    from grader.solutions.forward_pass import mlp_forward as forward
    trainer = shown(widgets.xor_trainer(train, predict, forward))
    trainer.controls["epochs"].value = 200
    trainer.button.click()
    assert len(trainer.sent) == 1 + 10, "a picture after each of the ten pieces of training"
    frame, full = _frame_and_full_draw(trainer)
    assert np.array_equal(frame, full)


def test_a_widget_no_browser_shows_yet_only_asks_for_a_draw(monkeypatch):
    explorer = widgets.neuron_explorer(sigmoid)
    calls = []
    for method in ("draw", "draw_idle", "blit"):
        monkeypatch.setattr(explorer.canvas, method, lambda *a, m=method: calls.append(m))
    explorer.controls["w1"].value = 0.5
    assert calls == ["draw_idle"], "no browser yet: it asks for the picture when it shows the widget"
    explorer.canvas.syncing_data_url = False          # what ipympl does once a browser shows it
    calls.clear()
    explorer.controls["w1"].value = 0.6               # no background yet: one full draw
    explorer.controls["w1"].value = 0.7
    assert calls == ["draw", "draw"], "the full draw did not happen (patched), so no background to blit on"
