"""course.canvas: blitted pictures on an ipympl canvas, its one workaround for an upstream
bug (matplotlib#19116, frames_stand_alone) and the rule that course/ uses no private name
of matplotlib, ipympl or ipywidgets."""
import ast
import builtins
import importlib.util
import io
import itertools
import re
from pathlib import Path

import matplotlib
import numpy as np

from course import canvas as live

matplotlib.use("agg")
ROOT = Path(__file__).resolve().parents[1]


class Browser:
    """What ipympl's frontend receives from a canvas, and how it paints: each frame is a
    PNG; in "full" mode it replaces the picture, in "diff" mode it is drawn over it
    (unchanged pixels are transparent). A frame whose PNG is still loading when the next
    one arrives is dropped (ipympl replaces the image's source)."""

    def __init__(self, canvas):
        self.mode, self.frames = "full", []       # frames: (mode when sent, PNG bytes)
        forward = canvas.send_json

        def send_json(content):
            if content["type"] == "image_mode":
                self.mode = content["mode"]
            forward(content)

        canvas.send_json = send_json
        canvas.send_binary = lambda png: self.frames.append((self.mode, png))
        canvas.syncing_data_url = False            # what ipympl does once a browser shows it

    def screen(self, dropped=()) -> np.ndarray:
        """The picture after painting every frame but those in `dropped` (indices)."""
        from PIL import Image
        screen = None
        for k, (mode, png) in enumerate(self.frames):
            if k in dropped:
                continue
            image = np.asarray(Image.open(io.BytesIO(png)).convert("RGBA"))
            screen = image if mode == "full" or screen is None else np.where(image[..., 3:] > 0, image, screen)
        return screen


def moving_line(fig, canvas):
    """A line on an Axes, blitted by a LivePicture; returns (line, picture)."""
    ax = fig.add_subplot()
    ax.set(xlim=(0, 1), ylim=(0, 1))
    (line,) = ax.plot([0, 1], [0.2, 0.2], lw=3)
    return line, live.LivePicture(canvas, [line])


def kernel_picture(canvas) -> np.ndarray:
    return np.asarray(canvas.buffer_rgba()).copy()


def test_upstream_still_sends_diffs_so_a_dropped_frame_leaves_stale_pixels():
    """Why frames_stand_alone exists (matplotlib#19116): on an opaque figure, matplotlib's
    web canvas sends each frame as the pixels changed since the frame before, so a frame
    the browser drops leaves its pixels on screen. If this fails, upstream changed how
    frames are sent: see whether the workaround is still needed."""
    from ipympl.backend_nbagg import Canvas, FigureManager
    from matplotlib.figure import Figure
    fig = Figure(figsize=(3, 2), dpi=50)             # opaque white, as matplotlib makes it
    canvas = Canvas(fig)
    FigureManager(canvas, 0)
    browser = Browser(canvas)
    line, picture = moving_line(fig, canvas)
    picture.show()
    for y in (0.5, 0.8):
        line.set_ydata([y, y])
        picture.show()
    assert [mode for mode, _ in browser.frames] == ["full", "diff", "diff"]
    truth = kernel_picture(canvas)
    assert np.array_equal(browser.screen(), truth), "every frame painted: the right picture"
    stale = np.count_nonzero((browser.screen(dropped={1}) != truth).any(axis=2))
    assert stale > 50, "the line of the dropped frame's predecessor stays on screen"


def test_ipympl_frontend_still_replaces_a_frame_that_is_still_loading():
    """The other half of matplotlib#19116, in ipympl's frontend: each frame received
    becomes the source of the one image element, which abandons a frame still loading
    (never painted). If this fails, ipympl changed how it receives frames: see whether
    frames_stand_alone is still needed."""
    folder = Path(importlib.util.find_spec("ipympl").origin).parent / "labextension" / "static"
    receivers = [text[k:k + 600] for path in folder.glob("*.js") for text in [path.read_text(errors="replace")]
                 for k in [text.find("handle_binary(")] if k >= 0]
    assert receivers, f"no frame receiver (handle_binary) in ipympl's frontend under {folder}"
    assert all(re.search(r"this\.image\.src=\w+", r) for r in receivers), receivers


def test_every_frame_stands_alone_so_dropped_frames_leave_nothing_stale():
    """The workaround works: on course.canvas's figures every frame is sent whole, so
    whichever frames the browser drops, painting the last one shows the kernel's picture
    (and the background is white to the eye: 254/255 opaque)."""
    fig, canvas = live.figure(3, 2)
    browser = Browser(canvas)
    line, picture = moving_line(fig, canvas)
    picture.show()
    for y in (0.5, 0.8, 0.3, 0.6):
        line.set_ydata([y, y])
        picture.show()
    truth = kernel_picture(canvas)
    assert [mode for mode, _ in browser.frames] == ["full"] * 5
    for dropped in itertools.product((False, True), repeat=4):        # the last frame is always painted
        lost = {k for k, drop in enumerate(dropped) if drop}
        assert np.array_equal(browser.screen(lost), truth), f"stale pixels when frames {sorted(lost)} were dropped"
    assert tuple(truth[0, 0]) == (255, 255, 255, 254)


def test_a_picture_is_blitted_on_a_kept_background_and_drawn_in_full_for_a_new_view():
    fig, canvas = live.figure(3, 2)
    Browser(canvas)
    line, picture = moving_line(fig, canvas)
    full_draws = []
    canvas.mpl_connect("draw_event", lambda event: full_draws.append(1))
    picture.show()
    line.set_ydata([0.7, 0.7])
    picture.show()
    assert len(full_draws) == 1 and len(picture.backgrounds) == 1
    line.axes.set_ylim(0, 2)                        # new ticks: a new background
    picture.show()
    assert len(full_draws) == 2 and len(picture.backgrounds) == 2
    buf = io.BytesIO()
    fig.savefig(buf, format="rgba")
    assert np.array_equal(np.frombuffer(buf.getvalue(), np.uint8).reshape(kernel_picture(canvas).shape),
                          kernel_picture(canvas)), "the blitted picture is the one savefig draws"


# --- course/ on documented APIs -------------------------------------------------------------

LIBRARIES = ("matplotlib", "ipympl", "ipywidgets")
# IPython's documented rich-display hook: a public protocol despite its underscore
PROTOCOL = {"_repr_mimebundle_", "_render_traceback_"}   # documented IPython protocols


def private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def library_sources() -> str:
    text = []
    for library in LIBRARIES:
        folder = Path(importlib.util.find_spec(library).origin).parent
        text += [path.read_text(errors="replace") for path in folder.rglob("*.py")]
    return "\n".join(text)


def test_course_uses_no_private_name_of_matplotlib_ipympl_or_ipywidgets():
    """No `x._name` or private import in course/ that is not our own, none of our own
    private names is also a name in matplotlib, ipympl or ipywidgets (an override, or a
    collision such as `_blit_backgrounds` on a canvas), and no class of ours subclasses
    theirs (so none of their methods is overridden)."""
    ours, attributes, used, subclassing = set(), set(), [], []
    trees = {path: ast.parse(path.read_text()) for path in sorted((ROOT / "course").glob("*.py"))}
    our_classes = {node.name for tree in trees.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    for path, tree in trees.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):     # methods and class attributes: names on objects
                attributes |= {item.name for item in node.body if isinstance(item, ast.FunctionDef)}
                attributes |= {target.id for item in node.body if isinstance(item, (ast.Assign, ast.AnnAssign))
                               for target in (item.targets if isinstance(item, ast.Assign) else [item.target])
                               if isinstance(target, ast.Name)}
            where = f"{path.name}:{getattr(node, 'lineno', '?')}"
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and private(node.name):
                ours.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store) and private(node.id):
                ours.add(node.id)
            elif isinstance(node, ast.Attribute) and private(node.attr):
                if isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) and node.value.id == "self":
                    ours.add(node.attr)
                    attributes.add(node.attr)
                used.append((where, node.attr))
            elif isinstance(node, ast.ImportFrom):
                module = node.module or ""
                if any(private(part) for part in module.split(".")):
                    used.append((where, module))
                used += [(where, alias.name) for alias in node.names if private(alias.name)]
            if isinstance(node, ast.ClassDef):
                subclassing += [(where, ast.unparse(base)) for base in node.bases
                                if ast.unparse(base) not in our_classes and not hasattr(builtins, ast.unparse(base))]
    foreign = [(where, name) for where, name in used if name not in ours | PROTOCOL]
    assert not foreign, f"private names of other packages used in course/: {foreign}"
    assert not subclassing, f"course/ subclasses classes it does not own: {subclassing}"
    mine = sorted(name for name in attributes - PROTOCOL if private(name))
    shared = sorted(set(re.findall(r"\b(" + "|".join(map(re.escape, mine)) + r")\b", library_sources())))
    assert not shared, f"course/ names that {'/'.join(LIBRARIES)} also use (rename ours): {shared}"
    assert {"_wire", "_curve"} <= set(mine), "the scan sees course/'s own private names"
