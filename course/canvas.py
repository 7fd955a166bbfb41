"""A matplotlib figure in the notebook whose new pictures cost milliseconds, not a redraw.

    fig, canvas = figure(5.6, 4.4)             # a Figure on an ipympl canvas widget
    ...                                         # draw it: lines, images, texts
    picture = LivePicture(canvas, [line, ax.title])
    line.set_data(x, y); ax.set_title("new")   # change the artists...
    picture.show()                              # ...and the browser shows the new picture

This is matplotlib's blitting pattern (its tutorial "Faster rendering by using blitting"):
the artists that change are `animated`, so a full draw (`canvas.draw()`, what the browser
asks for when it first shows the canvas) paints everything else, and on its `draw_event`
that background is kept (`canvas.copy_from_bbox`) and the changing artists are drawn over
it. A new picture restores the background (`canvas.restore_region`), draws the changing
artists (`Figure.draw_artist`) and sends the frame (`canvas.blit`).

One upstream bug needs a workaround, kept in `frames_stand_alone`: the browser can drop a
frame, and matplotlib's frames only carry what changed since the frame before.
"""
from __future__ import annotations


def figure(width: float, height: float):
    """A matplotlib Figure (inches, 90 dpi, constrained layout) on an ipympl canvas widget
    without header, footer, toolbar or resize handle, outside pyplot's state."""
    Canvas, FigureManager = ipympl_canvas()
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=90, layout="constrained")
    frames_stand_alone(fig)
    canvas = Canvas(fig)
    FigureManager(canvas, 0)  # gives the canvas its toolbar (hidden below), as pyplot would
    canvas.header_visible = False
    canvas.footer_visible = False
    canvas.toolbar_visible = False
    canvas.resizable = False
    return fig, canvas


def ipympl_canvas():
    """ipympl's Canvas and FigureManager classes, leaving pyplot's backend as it was.

    Importing ipympl makes pyplot use ipympl's backend (its package `__init__` calls
    `matplotlib.use`): after the first widget, `plt.show()` would show a live canvas
    instead of the notebook's inline PNG, which loses the inline backend's tight bounding
    box and so clips axis labels. The widgets need ipympl's classes, not pyplot's backend,
    so the backend in use before the import is put back, once: the inline backend with
    IPython's `%matplotlib inline` (which also makes IPython show figures as PNGs: a bare
    `matplotlib.use` does not when no figure was drawn before), any other with `matplotlib.use`.
    """
    import sys

    import matplotlib
    first_time = "ipympl" not in sys.modules
    before = matplotlib.get_backend() if first_time else None
    from ipympl.backend_nbagg import Canvas, FigureManager
    if first_time and matplotlib.get_backend() != before:
        from IPython import get_ipython
        shell = get_ipython()
        if shell is not None and before in ("inline", "module://matplotlib_inline.backend_inline"):
            shell.run_line_magic("matplotlib", "inline")
        else:
            matplotlib.use(before)
    return Canvas, FigureManager


def frames_stand_alone(fig) -> None:
    """WORKAROUND for matplotlib#19116 ("Stale information drawn by nbAgg"), still open.

    matplotlib's web canvas (which ipympl uses) sends each frame as a diff: only the
    pixels that changed since the frame before. ipympl's frontend drops a frame whose PNG
    has not finished loading when the next one arrives (it replaces the image's source),
    and a diff applied without the frame before it leaves that frame's pixels stale:
    doubled markers, overprinted titles, after a fast drag of a slider.

    A frame with any pixel that is not opaque is sent whole instead (documented at
    `FigureCanvasWebAggCore.set_image_mode`: diff frames cannot carry transparency), and a
    whole frame owes nothing to the frames before it. So the figure's background is made
    opaque to 254/255: the same white to the eye, every frame whole, any of them can be
    dropped. It costs the kernel a PNG of the whole canvas per frame instead of one of the
    changed pixels: about twice the encoding time (benchmarks/NOTES.md). tests/test_canvas.py
    says when this is no longer needed or no longer works.
    """
    fig.patch.set_facecolor((1.0, 1.0, 1.0, 254 / 255))


class LivePicture:
    """The picture of a figure on an ipympl canvas, kept up to date by blitting.

    changing  the artists the caller changes between pictures. What a full draw paints
              over them in their Axes (a legend over a heat map, points over an image,
              the Axes' frame) is redrawn with them, in the order a full draw uses.

    `show()` sends the browser the current picture. The background (everything else) is
    rendered once per view: a change of the figure's size, dpi or any Axes' limits makes a
    full draw (the last few backgrounds are kept, so toggling between two views costs one
    full draw each); after any other change to a static part call `forget_backgrounds()`.
    Saving the figure (savefig) draws everything, as usual.
    """

    BACKGROUNDS_KEPT = 4

    def __init__(self, canvas, changing):
        self.canvas, self.figure = canvas, canvas.figure
        self.artists = drawing_order(self.figure, changing, canvas.get_renderer())
        for artist in self.artists:
            artist.set_animated(True)
        self.backgrounds: dict = {}        # view -> pixels of everything but the artists, newest last
        self.sprites: dict = {}            # text -> ((view, text_key), its pixels when last drawn)
        canvas.mpl_connect("draw_event", self.on_full_draw)

    def view(self) -> tuple:
        """What the background depends on besides the static artists themselves."""
        return (self.canvas.get_width_height(physical=True), self.figure.dpi,
                tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.figure.axes))

    def on_full_draw(self, event) -> None:
        """A full draw painted the background: keep it, then paint the changing artists."""
        if event.canvas is not self.canvas or self.canvas.is_saving():
            return                                      # savefig drew everything itself
        self.backgrounds[self.view()] = self.canvas.copy_from_bbox(self.figure.bbox)
        while len(self.backgrounds) > self.BACKGROUNDS_KEPT:
            self.backgrounds.pop(next(iter(self.backgrounds)))
        self.draw_changing()

    def draw_changing(self) -> None:
        """Draw the changing artists in order. A plain text whose pixels would come out as
        last time (same text, place, font and colour, on the same background, with nothing
        drawn under it this frame) is copied back instead: a text costs ~1 ms to lay out
        and render, a copy ~0.02 ms."""
        renderer = self.canvas.get_renderer()
        view = self.view()
        painted = []             # where the artists drawn so far this frame may have painted
        for artist in self.artists:
            if not artist.get_visible():
                continue
            key = text_key(artist)
            if key is None:
                self.figure.draw_artist(artist)
                painted.append(painted_extent(artist, renderer))
                continue
            box = artist.get_window_extent(renderer).padded(2)     # antialiased glyph edges
            alone = not any(box.overlaps(other) for other in painted)
            kept = self.sprites.get(artist)
            if alone and kept is not None and kept[0] == (view, key):
                self.canvas.restore_region(kept[1])
            else:
                self.figure.draw_artist(artist)
                if alone:
                    self.sprites[artist] = ((view, key), self.canvas.copy_from_bbox(box))
            painted.append(box)

    def show(self) -> None:
        """Bring the picture in the browser up to date with the artists."""
        if not shown_in_browser(self.canvas):
            self.canvas.draw_idle()             # the browser asks for a picture when it shows one
            return
        background = self.backgrounds.pop(self.view(), None)
        if background is None:
            self.canvas.draw()                  # a new view: on_full_draw keeps its background
            return
        self.backgrounds[self.view()] = background            # the most recently used
        self.canvas.restore_region(background)
        self.draw_changing()
        self.canvas.blit(self.figure.bbox)

    def forget_backgrounds(self) -> None:
        """A static part changed: the next picture is a full draw."""
        self.backgrounds.clear()
        self.sprites.clear()


def shown_in_browser(canvas) -> bool:
    """True once a browser shows the canvas (ipympl then stops saving each frame as the
    notebook's image, `syncing_data_url`); before that, pictures are made on request."""
    return not getattr(canvas, "syncing_data_url", True)


def drawing_order(figure, changing, renderer) -> list:
    """The artists to redraw for a picture of `changing`: each of them, and whatever a full
    draw paints over them in their Axes, in a full draw's order (by zorder, ties in the
    order they were added). Artists outside any Axes come last, in the order given."""
    from matplotlib.axis import Axis
    from matplotlib.spines import Spine

    changing = [a for a in changing if a is not None]
    ordered = []
    for ax in figure.axes:
        mine = [a for a in changing if a.axes is ax or a is ax.get_legend()]
        if not mine:
            continue
        lowest = min(a.get_zorder() for a in mine)

        def painted_over(c):
            if c is ax.patch or isinstance(c, Axis) or c in ax.child_axes or c.get_zorder() < lowest:
                return False
            if isinstance(c, Spine):         # the Axes' frame: on the edge of the data area
                return ax.axison and ax.get_frame_on()
            return c.get_window_extent(renderer).overlaps(ax.bbox)

        chosen = {id(a) for a in mine} | {id(c) for c in ax.get_children() if painted_over(c)}
        ordered += sorted((c for c in ax.get_children() if id(c) in chosen), key=lambda a: a.get_zorder())
    placed = {id(a) for a in ordered}
    return ordered + [a for a in changing if id(a) not in placed]


def text_key(artist):
    """Everything that decides the pixels of a plain Text artist, or None for any other
    artist (a text with a box around it, an empty one, a line, ...). The text's line
    spacing and multi-line alignment are left out: no widget changes them once built."""
    from matplotlib.text import Text
    if type(artist) is not Text or artist.get_bbox_patch() is not None or not artist.get_text():
        return None
    x, y = artist.get_transform().transform(artist.get_unitless_position())
    return (artist.get_text(), float(x), float(y), artist.get_color(), artist.get_alpha(), artist.get_rotation(),
            artist.get_rotation_mode(), artist.get_horizontalalignment(), artist.get_verticalalignment(),
            artist.get_fontproperties(), artist.get_wrap(), artist.get_usetex(), artist.get_antialiased(),
            artist.get_clip_on(), artist.get_clip_box(), artist.get_clip_path())


def painted_extent(artist, renderer):
    """Where an artist may have painted: its clip box when clipped, a text's extent, else
    anywhere in the figure."""
    from matplotlib.text import Text
    if artist.get_clip_on() and artist.get_clip_box() is not None:
        return artist.get_clip_box()
    if isinstance(artist, Text):
        return artist.get_window_extent(renderer).padded(2)
    return artist.figure.bbox
