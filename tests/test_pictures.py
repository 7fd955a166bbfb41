"""Pictures a student can read: static figures stay inline and whole after a widget,
no text in a picture is cut off or under 10 points, lines differ by more than colour,
axes follow the data, and every picture has a text alternative (issue #13 §6, §7)."""
from __future__ import annotations

import base64
import io
import itertools

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course import plots, widgets
from grader.forward_pass import sigmoid
from tests.test_widgets import _all_widgets


@pytest.fixture(autouse=True)
def not_grading(monkeypatch):
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)


def png_size(b64: str) -> tuple[int, int]:
    from PIL import Image
    return Image.open(io.BytesIO(base64.b64decode(b64))).size


# --- static figures in a real kernel -------------------------------------------------

STATIC = '''fig, ax = plt.subplots(figsize=(7, 2.5))
ax.bar(range(300), np.linspace(-3, 3, 300), width=1.0)
ax.set(xlabel="word (column of X)", ylabel="weight", title="one neuron, 300 weights")
{show}'''


def test_static_figures_stay_inline_and_whole_after_a_widget_is_built(tmp_path):
    """01 §9 and 03 §10 drew a static figure after a widget: pyplot had switched to
    ipympl's backend, so plt.show() showed a canvas without the inline backend's tight
    bounding box, and the axis labels were cut off."""
    from nbclient import NotebookClient
    def run(cells):
        nb = new_notebook(cells=[new_code_cell(c) for c in cells])
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(tmp_path)}}).execute()
        return [c.outputs for c in nb.cells]

    setup = "import numpy as np, matplotlib, matplotlib.pyplot as plt\nfrom course import plots, widgets"
    widget = "widgets.neuron_explorer(lambda z: 1 / (1 + np.exp(-z)))"
    backend = "print(matplotlib.get_backend())"
    # a static figure before the widget, then after it
    out = run([setup + "\n" + backend, STATIC.format(show="plt.show()"), widget, backend,
               STATIC.format(show="plt.show()"),
               STATIC.format(show='plots.show(fig, alt="300 weights from -3 to 3 <rising>")'),
               "print(plt.get_fignums())"])
    before_backend, after_backend = out[0][0].text.strip(), out[3][0].text.strip()
    inline = ("inline", "module://matplotlib_inline.backend_inline")   # %matplotlib inline names it "inline"
    assert before_backend in inline and after_backend in inline
    assert "application/vnd.jupyter.widget-view+json" in out[2][0].data, "the widget is a live canvas"
    before, after = out[1][0].data, out[4][0].data
    assert set(after) == set(before) == {"image/png", "text/plain"}, "an inline PNG, not a canvas widget"
    # the inline backend crops to the tight bounding box: labels inside, not 700 x 250
    assert png_size(after["image/png"]) == png_size(before["image/png"]) != (700, 250)
    # plots.show: the same whole PNG, and an <img> whose alt text a screen reader reads
    shown = out[5]
    assert len(shown) == 1 and set(shown[0].data) == {"text/html", "image/png", "text/plain"}
    assert png_size(shown[0].data["image/png"]) == png_size(before["image/png"])
    html = shown[0].data["text/html"]
    assert html.startswith("<img ") and 'alt="300 weights from -3 to 3 &lt;rising&gt;"' in html
    assert shown[0].data["image/png"] in html
    assert out[6][0].text.strip() == "[]", "plots.show closes the figure: pyplot shows it no second time"
    # the widget before any figure (pyplot has not loaded its backend yet): still inline
    out = run([setup, widget, STATIC.format(show="plt.show()")])
    assert set(out[2][0].data) == {"image/png", "text/plain"}
    assert png_size(out[2][0].data["image/png"]) == png_size(before["image/png"])


# --- every widget, in the states the issue names ----------------------------------------

def texts(fig):
    from matplotlib.text import Text
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def states():
    """(name, explorer) in the states to check: as built, after its moves, and the states
    #13 reported as broken. An explorer changes in place: check each state as it comes."""
    from grader import loss_functions as L
    from grader.xor_training import predict, train
    from grader.solutions.forward_pass import mlp_forward
    for name, (explorer, moves) in _all_widgets().items():
        yield name, explorer
        for key, value in (moves.items() if isinstance(moves, dict) else moves):
            explorer.controls[key].value = value
        yield f"{name} moved", explorer
    loss = widgets.loss_explorer(L.mse, L.mse_grad, L.mae, L.mae_grad, L.huber, L.huber_grad,
                                 L.binary_cross_entropy, L.binary_cross_entropy_grad)
    loss.controls["target"].value, loss.controls["prediction"].value = -2.0, 4.0
    yield "loss regression far", loss
    loss.controls["task"].value, loss.controls["p"].value = "binary", 0.001
    yield "loss binary p=0.001", loss
    loss.controls["label"].value, loss.controls["p"].value = 0, 0.999
    yield "loss binary label 0 p=0.999", loss
    xor = widgets.xor_trainer(train, predict, mlp_forward)
    yield "xor before training", xor
    xor.controls["epochs"].value = 300
    xor.run()
    yield "xor trained", xor


def cut_off_or_overlapping(fig) -> list[str]:
    fig.canvas.draw()         # the layout the widget computed, and the texts as drawn
    renderer = fig.canvas.get_renderer()
    inside = fig.bbox.padded(1)
    found = []
    # what a draw paints of each panel (its ticks, labels, title, texts, legend), and the
    # figure's legends: all inside the figure
    for artist in [*fig.axes, *(legend for legend in fig.legends if legend.get_visible())]:
        box = artist.get_tightbbox(renderer)
        if not (inside.contains(box.x0, box.y0) and inside.contains(box.x1, box.y1)):
            found.append(f"{artist} is cut off at the figure's edge ({box} outside {fig.bbox})")
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    for a, b in itertools.combinations(panels, 2):
        if a.get_tightbbox(renderer).shrunk(0.98, 0.98).overlaps(b.get_tightbbox(renderer).shrunk(0.98, 0.98)):
            found.append(f"the labels of panels {a.get_title()!r} and {b.get_title()!r} overlap")
    return found


def test_every_widget_in_every_state_is_readable():
    """No text cut off at the figure's edge or under another panel, no text under 10 pt,
    no two lines of a panel told apart by colour alone."""
    names = []
    for name, explorer in states():
        names.append(name)
        assert not cut_off_or_overlapping(explorer.fig), f"{name}: {cut_off_or_overlapping(explorer.fig)}"
        small = [(t.get_text(), t.get_fontsize()) for t in texts(explorer.fig) if t.get_fontsize() < plots.FONT]
        assert plots.FONT == 10 and not small, f"{name}: text under 10 pt: {small}"
        for ax in explorer.fig.axes:
            named = [l for l in ax.get_lines() if not l.get_label().startswith("_")]
            looks = [(l.get_linestyle(), l.get_marker()) for l in named]
            assert len(set(looks)) == len(looks), f"{name}: lines told apart by colour only: {looks}"
        if name.startswith("loss"):
            markers = [p.get_marker() for p in explorer.loss_panel.points.values()]
            assert len(set(markers)) == len(markers), "each loss's current point has its own marker"
    assert "loss binary p=0.001" in names and "xor trained" in names


def test_static_pictures_of_course_plots_use_text_of_at_least_10_points():
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, 5, figsize=(20, 4))
    plots.NeuronPlane(axes[0], sigmoid, points=(np.zeros((2, 2)), np.array([0, 1]))).update(np.ones(2), 0.0)
    diagram = plots.NetworkDiagram(axes[1], (2, 2))
    diagram.update([np.ones(2), np.ones(2)], [np.eye(2)])
    plots.Curves(axes[2], ["MSE", "MAE"], "prediction", "loss")
    plots.LineFits(axes[3], np.arange(4.0), np.arange(4.0), ["MSE", "MAE"])
    graph = plots.ComputationGraph(axes[4])
    graph.update({"x1": "1.0"}, {"x1": "∂L=0.1"}, {"x1"}, {("x1", "z1_1"): "0.10"}, caption="a caption")
    small = [(t.get_text(), t.get_fontsize()) for t in texts(fig) if t.get_fontsize() < 10]
    plt.close(fig)
    assert not small, small


def test_the_loss_explorer_axes_follow_the_data_and_its_legend_names_the_curves_shown():
    from grader import loss_functions as L
    e = widgets.loss_explorer(L.mse, L.mse_grad, L.mae, L.mae_grad, L.huber, L.huber_grad,
                              L.binary_cross_entropy, L.binary_cross_entropy_grad)

    def legend() -> list[str]:
        shown = [l for l in e.fig.legends if l.get_visible()]
        assert len(shown) == 1
        return [t.get_text() for t in shown[0].get_texts()]

    def points_inside():
        for panel in (e.loss_panel, e.grad_panel):
            (x0, x1), (y0, y1) = panel.ax.get_xlim(), panel.ax.get_ylim()
            for point in panel.points.values():
                (x,), (y,) = point.get_data()
                if np.isfinite(y):
                    assert x0 < x < x1 and y0 < y < y1, f"{panel.ax.get_ylabel()}: ({x}, {y}) off the axes"

    assert legend() == ["MSE", "MAE", "Huber"]
    regression_ylim = e.grad_panel.ax.get_ylim()
    e.controls["target"].value, e.controls["prediction"].value = -2.0, 4.0     # MSE 36, gradient 12
    points_inside()
    e.controls["task"].value = "binary"
    assert legend() == ["BCE"]
    for label, p, gradient in ((1, 0.001, -1000.0), (0, 0.999, 1000.0), (1, 0.3, -1 / 0.3)):
        e.controls["label"].value, e.controls["p"].value = label, p
        (_,), (g,) = e.grad_panel.points["BCE"].get_data()
        assert g == pytest.approx(gradient, rel=1e-3)
        points_inside()
    assert e.grad_panel.ax.get_ylim() == (-25, 25), "a moderate gradient: the usual axis again"
    e.controls["task"].value = "regression"
    e.controls["target"].value, e.controls["prediction"].value = 0.5, 2.0
    assert legend() == ["MSE", "MAE", "Huber"] and e.grad_panel.ax.get_ylim() == regression_ylim


def test_the_xor_trainer_offers_exactly_the_learning_rates_the_text_uses():
    from grader.xor_training import predict, train
    from grader.solutions.forward_pass import mlp_forward
    t = widgets.xor_trainer(train, predict, mlp_forward)
    lr = t.controls["lr"]
    assert lr.value == 5.0 and lr.label == "5", "the notebook trains at lr = 5, and the slider reads 5"
    labels, values = zip(*lr.options)
    for rate in (0.05, 0.1, 2.0, 5.0, 200.0):           # the rates notebook 04's text and cells use
        assert rate in values and f"{rate:g}" in labels
    assert list(labels) == [f"{v:g}" for v in values], "each rate reads as itself"
    ax = t.loss_line.axes
    low, high = ax.get_ylim()
    assert ax.get_yscale() == "log" and 0 < low < high <= 1, "before training: a loss axis, not -0.04..0.04"
    lr.value = 2.0
    t.controls["epochs"].value = 200
    t.run()
    history = t.history
    low, high = ax.get_ylim()
    assert low <= history.min() and history.max() <= high and high / low < 100 * history.max() / history.min()
    assert ax.get_xlim() == (0, 200) == (0, len(history)), "the x axis spans the epochs trained"


# --- text alternatives -----------------------------------------------------------------

def test_every_widget_describes_its_picture_in_words_that_follow_the_picture():
    for name, (explorer, moves) in _all_widgets().items():
        first = explorer.description.value
        assert "Picture:" in first and len(first) > 80, f"{name}: no description of the picture: {first!r}"
        for key, value in (moves.items() if isinstance(moves, dict) else moves):
            explorer.controls[key].value = value
        if name != "xor":                          # the trainer's picture changes when it trains
            assert explorer.description.value != first, f"{name}: the description did not follow the picture"
        if name == "outlier":
            for fit, (slope, _) in explorer.fits.items():
                assert f"{fit} (" in explorer.description.value and f"slope {slope:.2f}" in explorer.description.value
        if name == "loss":                        # binary mode now: it names BCE only, at the point shown
            (_,), (loss,) = explorer.loss_panel.points["BCE"].get_data()
            text = explorer.description.value
            assert f"loss {loss:.4g}" in text and "MSE" not in text and "p = 0.200" in text
        if name == "network":
            for t in explorer.diagram.texts:
                assert t.get_text().replace("\n", " ") in explorer.description.value
    from grader.xor_training import predict, train
    from grader.solutions.forward_pass import mlp_forward
    xor = widgets.xor_trainer(train, predict, mlp_forward)
    assert "press Train" in xor.description.value
    xor.controls["epochs"].value = 200
    xor.run()
    assert f"from {xor.history[0]:.3g} to {xor.history[-1]:.3g}" in xor.description.value
    assert f"{xor.accuracy:.0%} of them right" in xor.description.value


def test_the_network_explorer_has_a_key_for_node_colours_and_for_lines():
    from grader.solutions.forward_pass import mlp_forward
    layers = [(np.ones((2, 3)), np.zeros(3)), (-np.ones((3, 2)), np.zeros(2))]
    e = widgets.network_explorer(mlp_forward, layers)
    colorbars = [ax for ax in e.fig.axes if ax.get_label() == "<colorbar>"]
    assert len(colorbars) == 1 and "activation" in colorbars[0].get_ylabel()
    legend = e.diagram.ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["weight > 0", "weight < 0", "thicker: larger |weight|"]
    (positive, negative, _) = legend.get_lines()
    assert positive.get_linestyle() == "-" and negative.get_linestyle() == "--"


# --- in the browser: what a screen reader gets -------------------------------------------

ALT = "A bar chart: 300 weights rising from -3 to 3."


@pytest.mark.browser
def test_in_jupyterlab_figures_carry_their_text_alternative_and_stay_inline(tmp_path):
    """The alt text of plots.show and a widget's description reach the page's DOM; a
    static figure drawn after a widget is an inline image, not a canvas."""
    from tests.test_browser import gate
    from tools import browser_harness as bh
    gate()
    cells = ["import numpy as np, matplotlib.pyplot as plt\nfrom course import plots, widgets\n"
             "from grader import loss_functions as L",
             "widgets.loss_explorer(L.mse, L.mse_grad, L.mae, L.mae_grad, L.huber, L.huber_grad,\n"
             "                      L.binary_cross_entropy, L.binary_cross_entropy_grad)",
             STATIC.format(show=f"plots.show(fig, alt={ALT!r})"),
             STATIC.format(show="plt.show()")]
    path = tmp_path / "pictures.ipynb"
    nbformat.write(new_notebook(cells=[new_code_cell(c) for c in cells], metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3 (ipykernel)", "language": "python"}}), path)
    with bh.JupyterLab([str(path)]) as lab, bh.chromium() as browser:
        nb = bh.LabNotebook.open(browser, lab, "pictures", width=1400, height=1000)
        try:
            nb.run_all(timeout=120)
            page = nb.page
            outputs = page.locator(".jp-Notebook .jp-CodeCell")
            img = outputs.nth(2).locator(".jp-OutputArea-output img").first
            assert img.get_attribute("alt") == ALT
            assert img.evaluate("(i) => i.complete && i.naturalWidth") > 600, "the PNG is shown"
            after_widget = outputs.nth(3).locator(".jp-OutputArea-output")
            assert after_widget.locator("img").count() == 1 and after_widget.locator("canvas").count() == 0, \
                "plt.show() after a widget: an inline image, not an ipympl canvas"
            loss = nb.widget("loss_explorer")
            description = loss.root.locator("[aria-label='what the picture shows']").first
            text = description.inner_text()
            assert text.startswith("Picture:") and "MSE (solid line)" in text
            before = loss.picture()
            loss.toggle("binary").click()
            loss.wait_for_new_picture(before)
            p = loss.slider("p")
            p.press("Home")                                     # the keyboard: p = 0.001
            page.wait_for_function("(root) => root.querySelector(\"[aria-label='what the picture shows']\")"
                                   ".innerText.includes('p = 0.001')", arg=loss.root.element_handle())
            text = loss.root.locator("[aria-label='what the picture shows']").first.inner_text()
            assert "gradient -1000" in text and "MSE" not in text
            loss.screenshot(tmp_path / "loss-binary.png")
            assert nb.console_errors == []
        finally:
            nb.close()
