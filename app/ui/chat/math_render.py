"""LaTeX math drawn as an image a Qt text document can hold.

ziamath (pure Python, MIT) turns LaTeX into SVG with its own STIX Two Math font, so no TeX
installation and no matplotlib; QtSvg draws that SVG into a PNG. A rich-text QLabel loads
``data:`` image URLs itself, which is how the picture reaches the label without a resource
loader. The image is drawn at the screen's pixel ratio and shown at its logical size, sized
to the text's x-height and aligned (and padded) so that the formula's baseline is the
line's: ``x`` in a formula sits where, and is as large as, ``x`` in the text.

Drawing runs on one background thread (:class:`MathRenderer`): ziamath's time grows about
threefold with each level of nesting (a formula eight braces deep takes half a second here,
twelve deep half a minute), so the window never waits for it. Until a formula is drawn, and
for good if it is too deep or too long, cannot be parsed or fails to draw, the caller shows
its LaTeX source.
"""

from __future__ import annotations

import base64
import threading
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QObject, QRectF, Signal
from PySide6.QtGui import QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

_MAX_LATEX = 1000  # longer is not a formula but a runaway reply; shown as text
_MAX_NESTING = 8  # braces or \left…\right inside each other; deeper takes seconds to draw
_CACHE_SIZE = 512
_DISPLAY_SCALE = 1.15  # display math a little larger than the text, as in print
_STIX_X_HEIGHT = 0.48  # STIX Two Math's x-height, in ems
_NO_DEPTH_PX = 0.6  # less below the baseline than this is not worth a taller line


@dataclass(frozen=True)
class MathImage:
    url: str  # a data: URL of the PNG
    width: float  # logical pixels
    height: float
    on_baseline: bool  # align the image's bottom with the baseline (else its middle)


@dataclass(frozen=True)
class MathRequest:
    """One formula to draw, with everything its picture depends on."""

    latex: str
    display: bool
    x_height: int  # of the text around it, in pixels
    line_height: int
    color: str  # "#rrggbb"
    pixel_ratio: float = 1.0


class MathRenderer(QObject):
    """Draws formulas on one background thread and remembers the last few hundred."""

    sig_drawn = Signal(object)
    """A formula was drawn, or found undrawable. Argument: its :class:`MathRequest`."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._done: OrderedDict[MathRequest, MathImage | None] = OrderedDict()
        self._queued: set[MathRequest] = set()
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="math")

    def image(self, request: MathRequest) -> tuple[MathImage | None, bool]:
        """``(picture, False)`` once the formula is drawn (the picture None if it cannot
        be); ``(None, True)`` while it is being drawn, and ``sig_drawn`` follows."""
        if too_complex(request.latex):
            return None, False
        with self._lock:
            if request in self._done:
                self._done.move_to_end(request)
                return self._done[request], False
            if request in self._queued:
                return None, True
            self._queued.add(request)
        self._pool.submit(self._draw, request)
        return None, True

    def _draw(self, request: MathRequest) -> None:
        try:
            image = render_math(request.latex, request.display, request.x_height,
                                request.line_height, request.color, request.pixel_ratio)
        except Exception:  # noqa: BLE001 - a thread's exception would be lost; show the source
            image = None
        with self._lock:
            self._done[request] = image
            if len(self._done) > _CACHE_SIZE:
                self._done.popitem(last=False)
            self._queued.discard(request)
        self.sig_drawn.emit(request)  # queued to the labels, which live on the UI thread


_renderer: MathRenderer | None = None


def math_renderer() -> MathRenderer:
    """The one renderer every reply shares (made on first use, on the UI thread)."""
    global _renderer
    if _renderer is None:
        _renderer = MathRenderer()
    return _renderer


def too_complex(latex: str) -> bool:
    """Longer or more deeply nested than can be drawn in a reasonable time."""
    if len(latex) > _MAX_LATEX:
        return True
    depth = deepest = 0
    i = 0
    while i < len(latex):
        if latex.startswith(("\\{", "\\}"), i):
            i += 2  # a literal brace
            continue
        if latex[i] == "{" or latex.startswith("\\left", i):
            depth += 1
            deepest = max(deepest, depth)
        elif latex[i] == "}" or latex.startswith("\\right", i):
            depth -= 1
        i += 1
    return deepest > _MAX_NESTING


def render_math(latex: str, display: bool, x_height: int, line_height: int, color: str,
                pixel_ratio: float = 1.0) -> MathImage | None:
    """``latex`` drawn in ``color`` (``#rrggbb``) beside text whose x-height and line
    height are given in pixels; None if it cannot be drawn. Safe on any thread."""
    if not latex.strip() or too_complex(latex) or x_height <= 0:
        return None
    # The same x-height as the text around it, so "x" and $x$ look the same size.
    size = x_height / _STIX_X_HEIGHT * (_DISPLAY_SCALE if display else 1.0)
    svg = _svg(latex, display, size, color)
    if svg is None:
        return None
    renderer = QSvgRenderer(QByteArray(svg.encode()))
    box = renderer.viewBoxF()
    if not renderer.isValid() or box.width() <= 0 or box.height() <= 0:
        return None
    # ziamath puts the baseline at y = 0: the box starts `above` it and ends `below` it.
    above, below = -box.top(), box.bottom()
    if below <= _NO_DEPTH_PX:
        # Qt sets a baseline-aligned image's bottom on the baseline: exact, and the line
        # keeps its height.
        top = bottom = 0.0
        baseline = True
    else:
        # Qt gives a middle-aligned image of height h (not shorter than the line) an ascent
        # of (h + x_height // 2) / 2: padding makes that ascent exactly `above`.
        lift = above - below - x_height // 2
        top, bottom = max(0.0, -lift), max(0.0, lift)
        short = max(0.0, line_height - (above + below + top + bottom))
        top, bottom = top + short / 2, bottom + short / 2
        baseline = False
    width, height = box.width(), above + below + top + bottom
    image = QImage(max(1, round(width * pixel_ratio)), max(1, round(height * pixel_ratio)),
                   QImage.Format.Format_ARGB32_Premultiplied)
    image.fill(0)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.scale(pixel_ratio, pixel_ratio)
    renderer.render(painter, QRectF(0, top, width, above + below))
    painter.end()
    return MathImage(_png_url(image), width, height, baseline)


def _svg(latex: str, display: bool, size: float, color: str) -> str | None:
    with warnings.catch_warnings():
        # ziamath 0.13 finds its font with importlib.resources.path, deprecated since
        # Python 3.11 but working; the warning says nothing to a user.
        warnings.simplefilter("ignore", DeprecationWarning)
        # Imported here: it loads its font, which only a reply with math needs.
        from ziamath.config import config
        from ziamath.zmath import Latex

    # SVG 1.1 paths: QtSvg does not draw SVG 2's <symbol>/<use> glyphs.
    config.svg2 = False
    try:
        return str(Latex(latex, size=size, color=color, inline=not display, margin=0).svg())
    except Exception:  # noqa: BLE001 - any parse failure of any kind means "show the source"
        return None


def _png_url(image: QImage) -> str:
    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    # PySide's stub says bytes, but at run time only str is accepted for the format.
    image.save(buffer, "PNG")  # type: ignore[call-overload]
    return "data:image/png;base64," + base64.b64encode(bytes(buffer.data().data())).decode()
