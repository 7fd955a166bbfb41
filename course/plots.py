"""Pictures the notebooks share. Each draws once on a given Axes and returns a handle
whose `update(...)` changes the picture in place (set_data / set_array), so the same
code serves a static figure and a live widget.

    fig, ax = plt.subplots()
    plane = NeuronPlane(ax, activation=sigmoid)
    plane.update(w=np.array([1.0, -2.0]), b=0.5)
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:      # matplotlib loads when a picture is drawn, not on import (grading draws none)
    from matplotlib.axes import Axes

CMAP = "RdBu_r"  # blue = low, red = high; white at the middle
FONT = 10        # points: no text in a picture is smaller
# Lines that share an Axes differ in line style and marker too, not in colour alone.
LINESTYLES = ("-", "--", "-.", ":")
MARKERS = ("o", "s", "^", "D")


def show(fig, alt: str) -> None:
    """Show a static figure in the notebook with a text alternative a screen reader reads.

        fig, ax = plt.subplots()
        ...
        plots.show(fig, alt="Loss falls from 0.69 to 0.01 over 1 500 epochs.")

    Instead of `plt.show()`: the figure is saved as a PNG with a tight bounding box (what
    the notebook's inline backend does, so no label is clipped) and displayed as an HTML
    `<img>` whose `alt` is the text; frontends without HTML show the PNG, or the text.
    The figure is closed, so pyplot does not show it a second time.
    """
    import base64
    import html
    import io

    from IPython.display import display
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", bbox_inches="tight")
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    text = html.escape(alt, quote=True)
    display({"text/html": f'<img src="data:image/png;base64,{png}" alt="{text}" title="{text}">',
             "image/png": png, "text/plain": alt}, raw=True)
    import matplotlib.pyplot as plt
    plt.close(fig)


def to_rgba(colour) -> tuple:
    from matplotlib.colors import to_rgba as rgba
    return rgba(colour)


def _Normalize(vmin: float, vmax: float):
    from matplotlib.colors import Normalize
    return Normalize(vmin, vmax)


class NeuronPlane:
    """One neuron with two inputs, seen from above: its output over a square of the
    input plane as a heat map, and its decision line w1*x1 + w2*x2 + b = 0 (where
    sigmoid's output crosses 0.5).

    activation  maps an array of pre-activations z, shape (n, 2)->(n,), to outputs.
    points      optional (X of shape (m, 2), y of shape (m,)) drawn as two marker kinds.
    legend      "inside" (upper left, over the map) or "below" (under the Axes: nothing
                covers the map, so a live widget redraws less per frame).
    interpolation  of the map's pixels (matplotlib's imshow); "nearest" draws in half the
                time of "bilinear" and, at 121 cells for ~300 pixels, looks the same.
    """

    def __init__(self, ax: Axes, activation: Callable[[np.ndarray], np.ndarray],
                 extent: float = 3.0, resolution: int = 121,
                 points: tuple[np.ndarray, np.ndarray] | None = None, legend: str = "inside",
                 interpolation: str = "bilinear"):
        self.ax, self.activation, self.extent = ax, activation, extent
        grid = np.linspace(-extent, extent, resolution)
        g1, g2 = np.meshgrid(grid, grid)
        self.grid = np.column_stack([g1.ravel(), g2.ravel()])  # (resolution², 2)
        self.shape = g1.shape
        # nearest: the same pixels either way, colour-mapping after is faster; otherwise the
        # version's default stage ("auto" exists only from matplotlib 3.9 on; the floor is 3.8)
        stage = {"interpolation_stage": "data"} if interpolation == "nearest" else {}
        self.image = ax.imshow(np.zeros(self.shape), origin="lower", cmap=CMAP,
                               norm=_Normalize(0.0, 1.0), interpolation=interpolation,
                               extent=(-extent, extent, -extent, extent), **stage)
        (self.line,) = ax.plot([], [], color="black", lw=2, label="decision line (output 0.5)")
        self.arrow = ax.annotate("", xy=(0, 0), xytext=(0, 0),
                                 arrowprops=dict(arrowstyle="->", color="black", lw=1.5))
        if points is not None:
            X, y = points
            ax.scatter(*X[y == 1].T, marker="o", facecolor="white", edgecolor="black", label="class 1")
            ax.scatter(*X[y == 0].T, marker="x", color="black", label="class 0")
        ax.set(xlim=(-extent, extent), ylim=(-extent, extent), xlabel="$x_1$", ylabel="$x_2$",
               aspect="equal")
        ax.figure.colorbar(self.image, ax=ax, label="neuron output")
        if legend == "below":
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=FONT, frameon=False)
        else:
            ax.legend(loc="upper left", fontsize=FONT)

    def update(self, w: np.ndarray, b: float) -> None:
        w = np.asarray(w, dtype=float)
        z = self.grid @ w + b
        self.image.set_data(np.asarray(self.activation(z), dtype=float).reshape(self.shape))
        self.line.set_data(*decision_line(w, b, self.extent))
        norm = np.hypot(*w)
        tip = w / norm if norm > 0 else np.zeros(2)
        self.arrow.xy = tuple(tip)
        self.ax.set_title(f"output = activation({w[0]:+.2f}·x1 {w[1]:+.2f}·x2 {b:+.2f})")


def decision_line(w: np.ndarray, b: float, extent: float) -> tuple[np.ndarray, np.ndarray]:
    """Two points of the line w[0]*x1 + w[1]*x2 + b = 0 spanning [-extent, extent]² (empty if w = 0)."""
    w1, w2 = float(w[0]), float(w[1])
    t = np.array([-extent, extent])
    if abs(w2) >= abs(w1) and w2 != 0:
        return t, -(w1 * t + b) / w2
    if w1 != 0:
        return -(w2 * t + b) / w1, t
    return np.array([]), np.array([])


class NetworkDiagram:
    """A fully connected network drawn as circles and lines.

    sizes        units per layer, e.g. (2, 3, 2).
    node_labels  one list of strings per layer (default a1, a2, ... per layer).
    update(activations, weights): activations is [x, a1, ..., aL] with one vector per layer
    (one sample); weights is [W1, ..., WL] with Wl of shape (sizes[l-1], sizes[l]).
    Node colour and text show each activation (a colour bar is the key); a line's width
    shows a weight's size, its style and colour its sign (a legend is the key), and no line
    is thinner or fainter than MIN_WIDTH / MIN_ALPHA, so a weight near 0 still shows.
    """

    MIN_WIDTH, MIN_ALPHA = 1.0, 0.45
    POSITIVE, NEGATIVE = "#b35806", "#542788"     # PuOr's ends: orange-brown, purple

    def __init__(self, ax: Axes, sizes: Sequence[int],
                 node_labels: Sequence[Sequence[str]] | None = None,
                 layer_names: Sequence[str] | None = None):
        self.ax, self.sizes = ax, tuple(sizes)
        self.pos = [np.column_stack([np.full(n, float(l)), np.linspace(1, -1, n) * (n - 1) / 2])
                    for l, n in enumerate(self.sizes)]
        segments = [[self.pos[l][i], self.pos[l + 1][j]]
                    for l in range(len(self.sizes) - 1)
                    for i in range(self.sizes[l]) for j in range(self.sizes[l + 1])]
        from matplotlib.collections import LineCollection
        self.edges = LineCollection(segments, colors=self.POSITIVE, linewidths=self.MIN_WIDTH, zorder=1)
        ax.add_collection(self.edges)
        everything = np.vstack(self.pos)
        self.nodes = ax.scatter(everything[:, 0], everything[:, 1], s=1400, c=np.zeros(len(everything)),
                                cmap=CMAP, norm=_Normalize(0, 1), edgecolors="black", zorder=2)
        ax.figure.colorbar(self.nodes, ax=ax, label="activation (node colour)", shrink=0.8)
        from matplotlib.lines import Line2D
        ax.legend(handles=[Line2D([], [], color=self.POSITIVE, lw=2.5, label="weight > 0"),
                           Line2D([], [], color=self.NEGATIVE, lw=2.5, ls="--", label="weight < 0"),
                           Line2D([], [], color="0.3", lw=self.MIN_WIDTH, label="thicker: larger |weight|")],
                  loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=3, fontsize=FONT, frameon=False)
        labels = node_labels or [[f"a{i + 1}" for i in range(n)] for n in self.sizes]
        flat_labels = [name for layer in labels for name in layer]
        self.texts = [ax.text(x, y, "", ha="center", va="center", fontsize=FONT, zorder=3,
                             bbox=dict(boxstyle="round,pad=0.15", fc="white", alpha=0.75, lw=0))
                      for x, y in everything]
        self.labels = flat_labels
        for l, name in enumerate(layer_names or ["input"] + [f"layer {l}" for l in range(1, len(self.sizes))]):
            ax.text(l, (max(self.sizes) - 1) / 2 + 0.8, name, ha="center", fontsize=FONT)
        ax.set(xlim=(-0.5, len(self.sizes) - 0.5),
               ylim=(-(max(self.sizes) - 1) / 2 - 0.8, (max(self.sizes) - 1) / 2 + 1.2))
        ax.set_axis_off()

    def update(self, activations: Sequence[np.ndarray], weights: Sequence[np.ndarray]) -> None:
        values = np.concatenate([np.ravel(a) for a in activations]).astype(float)
        self.nodes.set_array(np.clip(values, 0, 1))
        for text, label, value in zip(self.texts, self.labels, values):
            text.set_text(f"{label}\n{value:.3f}")
        w = np.concatenate([np.asarray(W, dtype=float).ravel() for W in weights])
        size = np.minimum(np.abs(w), 3) / 3                      # 0 .. 1
        colours = np.array([to_rgba(self.POSITIVE if v >= 0 else self.NEGATIVE) for v in w])
        colours[:, 3] = self.MIN_ALPHA + (1 - self.MIN_ALPHA) * size
        self.edges.set_color(colours)
        self.edges.set_linewidths(self.MIN_WIDTH + 3.0 * size)
        self.edges.set_linestyles(["-" if v >= 0 else "--" for v in w])


class Curves:
    """Several named curves on one Axes, each with a marker for "the current point".

    update_curves(x, {name: y}) replaces the curves' data; update_points({name: (x, y)})
    moves the markers. Names absent from a call keep their data. legend=False leaves the
    legend to the caller (e.g. one figure legend for several panels, outside the curves).
    """

    def __init__(self, ax: Axes, names: Sequence[str], xlabel: str, ylabel: str,
                 colors: Sequence[str] | None = None, legend: bool = True):
        self.ax = ax
        colors = colors or [f"C{i}" for i in range(len(names))]
        self.lines = {n: ax.plot([], [], color=c, lw=2, ls=ls, marker=m, markevery=[], label=n)[0]
                      for n, c, ls, m in zip(names, colors, LINESTYLES, MARKERS)}
        self.points = {n: ax.plot([], [], m, color=c, ms=7, mec="black")[0]
                       for n, c, m in zip(names, colors, MARKERS)}
        ax.axhline(0, color="grey", lw=0.6)
        ax.set(xlabel=xlabel, ylabel=ylabel)
        if legend:
            ax.legend(loc="upper center", fontsize=FONT, ncol=len(names))

    def update_curves(self, x: np.ndarray, ys: dict[str, np.ndarray]) -> None:
        for name, y in ys.items():
            self.lines[name].set_data(x if len(y) else [], y)

    def update_points(self, points: dict[str, tuple[float, float]]) -> None:
        for name, (x, y) in points.items():
            self.points[name].set_data([x], [y])

    def set_limits(self, xlim: tuple[float, float], ylim: tuple[float, float]) -> None:
        self.ax.set(xlim=xlim, ylim=ylim)


class LineFits:
    """Points in the plane (the last one highlighted) and one fitted line per name.
    legend: "inside" (upper left) or "below" (under the Axes)."""

    def __init__(self, ax: Axes, x: np.ndarray, y: np.ndarray, names: Sequence[str],
                 colors: Sequence[str] | None = None, legend: str = "inside"):
        self.ax, self.x = ax, np.asarray(x, dtype=float)
        self.dots = ax.scatter(x[:-1], y[:-1], color="black", s=18, zorder=3, label="data")
        (self.outlier,) = ax.plot([x[-1]], [y[-1]], "s", color="crimson", ms=9, zorder=4, label="the point you move")
        colors = colors or [f"C{i}" for i in range(len(names))]
        self.span = np.array([self.x.min() - 0.3, self.x.max() + 0.3])
        self.lines = {n: ax.plot([], [], color=c, lw=2, ls=ls, label=n)[0]
                      for n, c, ls in zip(names, colors, LINESTYLES)}
        ax.set(xlabel="x", ylabel="y")
        if legend == "below":         # nothing covers the lines: a live widget redraws less
            ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=3, fontsize=FONT,
                      frameon=False)
        else:
            ax.legend(loc="upper left", fontsize=FONT)

    def update(self, y_outlier: float, fits: dict[str, tuple[float, float]]) -> None:
        self.outlier.set_data([self.x[-1]], [y_outlier])
        for name, (slope, intercept) in fits.items():
            self.lines[name].set_data(self.span, slope * self.span + intercept)


class ComputationGraph:
    """The worked example's 2-2-1 network (notebook 03) as a computational graph, with values and gradients on it.

    Nodes (keys): x1 x2 z1_1 z1_2 a1_1 a1_2 z2 yhat L. update(values, grads, active) writes
    each node's value (black) and gradient dL/dnode (red) where given, and rings the nodes
    in `active`. Edge labels show the weights: `weights` maps (from, to) -> value.
    """

    POS = {"x1": (0, 1), "x2": (0, -1), "z1_1": (1.3, 1), "z1_2": (1.3, -1), "a1_1": (2.5, 1),
           "a1_2": (2.5, -1), "z2": (3.8, 0), "yhat": (5.0, 0), "L": (6.2, 0)}
    LABELS = {"x1": "$x_1$", "x2": "$x_2$", "z1_1": "$z^{(1)}_1$", "z1_2": "$z^{(1)}_2$",
              "a1_1": "$a^{(1)}_1$", "a1_2": "$a^{(1)}_2$", "z2": "$z^{(2)}$", "yhat": r"$\hat y$", "L": "$L$"}
    EDGES = [("x1", "z1_1"), ("x1", "z1_2"), ("x2", "z1_1"), ("x2", "z1_2"), ("z1_1", "a1_1"),
             ("z1_2", "a1_2"), ("a1_1", "z2"), ("a1_2", "z2"), ("z2", "yhat"), ("yhat", "L")]

    def __init__(self, ax: Axes, caption: bool = True):
        self.ax = ax
        # What never changes (arrows, node discs, their names) lies below what does (the
        # rings that mark the active nodes, values, gradients), so a live widget redraws
        # only the latter (see course.widgets).
        for a, b in self.EDGES:
            (x0, y0), (x1, y1) = self.POS[a], self.POS[b]
            ax.annotate("", xy=(x1 - 0.28, y1 + (y0 - y1) * 0.28 / max(abs(x1 - x0), 1e-9)), xytext=(x0 + 0.28, y0),
                        arrowprops=dict(arrowstyle="->", color="0.55", lw=1), zorder=1)
        xy = np.array(list(self.POS.values()))
        self.fills = ax.scatter(xy[:, 0], xy[:, 1], s=1500, facecolor="white", lw=0, zorder=2)
        self.nodes = ax.scatter(xy[:, 0], xy[:, 1], s=1500, facecolor="none", edgecolor="0.3", lw=1.5, zorder=2.5)
        for key, (x, y) in self.POS.items():
            ax.text(x, y + 0.05, self.LABELS[key], ha="center", va="center", fontsize=11, zorder=2.2)
        self.values = {k: ax.text(x, y - 0.42, "", ha="center", va="top", fontsize=FONT, zorder=2.4)
                       for k, (x, y) in self.POS.items()}
        self.grads = {k: ax.text(x, y + 0.42, "", ha="center", va="bottom", fontsize=FONT, color="crimson",
                                 zorder=2.4)
                      for k, (x, y) in self.POS.items()}
        self.edge_labels = {}
        for a, b in self.EDGES:
            if a.startswith(("x", "a1")):
                (x0, y0), (x1, y1) = self.POS[a], self.POS[b]
                t = 0.3 if a.startswith("x") else 0.45
                self.edge_labels[(a, b)] = ax.text(x0 + t * (x1 - x0), y0 + t * (y1 - y0) + 0.12, "",
                                                   fontsize=FONT, color="0.25", ha="center", zorder=2.4)
        # a caption under the graph (a live widget shows its caption as text beside the picture)
        self.caption = ax.text(3.1, -1.95, "", ha="center", va="top", fontsize=FONT, wrap=True, zorder=2.4) \
            if caption else None
        ax.set(xlim=(-0.5, 6.7), ylim=(-2.5 if caption else -1.75, 1.7))
        ax.set_axis_off()

    def update(self, values: dict[str, str], grads: dict[str, str], active: set[str],
               weights: dict[tuple[str, str], str], caption: str = "") -> None:
        for key in self.POS:
            self.values[key].set_text(values.get(key, ""))
            self.grads[key].set_text(grads.get(key, ""))
        self.nodes.set_edgecolor(["darkorange" if k in active else "0.3" for k in self.POS])
        self.nodes.set_linewidth([3.5 if k in active else 1.5 for k in self.POS])
        for edge, text in self.edge_labels.items():
            text.set_text(weights.get(edge, ""))
        if self.caption is not None:
            self.caption.set_text(caption)
