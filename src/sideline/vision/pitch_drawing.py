"""Drawing pieces of the 2D match view: layout (metres -> pixels), the static pitch, sprites.

Everything slow is drawn once (Pillow, supersampled for smooth lines) and kept as NumPy
arrays; per frame the renderer only copies and blends these.
"""

from __future__ import annotations

import dataclasses
import functools
import unicodedata

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from sideline.core.football import MatchMeta

GRASS = (58, 125, 68)
LINES = (236, 242, 236)
HEADER_BG = (24, 32, 40)
HEADER_TEXT = (240, 240, 240)
DEFAULT_HOME = (220, 38, 52)
DEFAULT_AWAY = (40, 110, 220)
FALLBACK_AWAY = (250, 250, 250)
BALL = (255, 255, 255)
SUPERSAMPLE = 3  # static drawings are made this much larger, then reduced: smooth edges

# Standard markings, metres (IFAB Law 1).
CENTRE_CIRCLE_R, PENALTY_SPOT, ARC_R, CORNER_R = 9.15, 11.0, 9.15, 1.0
PENALTY_AREA = (16.5, 40.32)  # depth, width
GOAL_AREA = (5.5, 18.32)
GOAL_WIDTH, GOAL_DEPTH = 7.32, 2.0
MARGIN_M = 3.0  # grass shown around the touchlines


@dataclasses.dataclass(frozen=True, slots=True)
class PitchLayout:
    """Where the pitch lies in the image: ``px = centre_x + x * scale``, ``py = centre_y - y * scale``
    (``+y`` at the top, home attacking left to right)."""

    width: int
    height: int
    header_px: int
    scale: float  # pixels per metre
    centre_x: float
    centre_y: float
    pitch_length: float
    pitch_width: float

    def to_pixels(self, xy: np.ndarray) -> np.ndarray:
        """Pitch metres [..., 2] -> image pixels [..., 2] (x = column, y = row), float."""
        xy = np.asarray(xy, dtype=np.float32)
        return np.stack([self.centre_x + xy[..., 0] * self.scale, self.centre_y - xy[..., 1] * self.scale], axis=-1)

    @property
    def disc_radius_px(self) -> int:
        return max(5, round(1.1 * self.scale))  # a 1.1 m disc reads as a player at any size


def pitch_layout(meta: MatchMeta, width: int, height: int | None = None) -> PitchLayout:
    """The layout for an image ``width`` wide (16:9 unless ``height`` is given)."""
    if height is None:
        height = int(round(width * 9 / 16)) // 2 * 2  # even: yuv420p needs it
    header = max(24, round(height * 0.065))
    length, breadth = meta.pitch_length, meta.pitch_width
    scale = min(width / (length + 2 * MARGIN_M), (height - header) / (breadth + 2 * MARGIN_M))
    return PitchLayout(width, height, header, scale, width / 2, header + (height - header) / 2, length, breadth)


def hex_to_rgb(colour: str | None) -> tuple[int, int, int] | None:
    if not colour:
        return None
    text = colour.strip().lstrip("#")
    if len(text) != 6:
        return None
    try:
        return tuple(int(text[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
    except ValueError:
        return None


def _distance(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    return float(np.linalg.norm(np.subtract(a, b, dtype=np.float64)))


def team_colours(meta: MatchMeta) -> dict[str, tuple[int, int, int]]:
    """Kit colours from the metadata, replaced where they would vanish on the grass or clash."""
    home = hex_to_rgb(meta.home.colour) or DEFAULT_HOME
    away = hex_to_rgb(meta.away.colour) or DEFAULT_AWAY
    if _distance(home, GRASS) < 90:
        home = DEFAULT_HOME
    if _distance(away, GRASS) < 90 or _distance(away, home) < 90:
        away = DEFAULT_AWAY if _distance(DEFAULT_AWAY, home) >= 90 else FALLBACK_AWAY
    return {"home": home, "away": away}


# A system font with accents and dashes when the machine has one (Debian: fonts-dejavu-core);
# otherwise Pillow's bundled font, which covers ASCII only.
_SYSTEM_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf", "Arial.ttf")


@functools.lru_cache(maxsize=32)
def font(size: int) -> ImageFont.FreeTypeFont:
    for name in _SYSTEM_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)  # type: ignore[return-value]


def displayable(text: str, size: int) -> str:
    """``text`` as the font can draw it: ASCII ("Pique", "-") with the bundled font."""
    if font(size).getname()[0] in ("DejaVu Sans", "Liberation Sans", "Arial") or text.isascii():
        return text
    text = text.replace("\u2014", "-").replace("\u2013", "-").replace("\u00b7", "-")
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")


def draw_background(layout: PitchLayout, title: str | None) -> np.ndarray:
    """uint8 [H, W, 3]: grass, the standard markings to scale, and the header with the title."""
    s = SUPERSAMPLE
    image = Image.new("RGB", (layout.width * s, layout.height * s), GRASS)
    draw = ImageDraw.Draw(image)
    line_w = max(1, round(max(0.12 * layout.scale, 1.5) * s))
    half_l, half_w = layout.pitch_length / 2, layout.pitch_width / 2

    def px(x: float, y: float) -> tuple[float, float]:
        return (layout.centre_x + x * layout.scale) * s, (layout.centre_y - y * layout.scale) * s

    def rect(x0: float, y0: float, x1: float, y1: float) -> None:
        (a, b), (c, d) = px(min(x0, x1), max(y0, y1)), px(max(x0, x1), min(y0, y1))
        draw.rectangle((a, b, c, d), outline=LINES, width=line_w)

    def circle(x: float, y: float, r: float, *, fill: bool = False, start: float = 0, end: float = 360) -> None:
        (a, b), (c, d) = px(x - r, y + r), px(x + r, y - r)
        if fill:
            draw.ellipse((a, b, c, d), fill=LINES)
        else:
            draw.arc((a, b, c, d), start, end, fill=LINES, width=line_w)

    rect(-half_l, -half_w, half_l, half_w)
    draw.line((px(0, half_w), px(0, -half_w)), fill=LINES, width=line_w)
    circle(0, 0, CENTRE_CIRCLE_R)
    spot_r = max(0.25, 1.2 / layout.scale)
    circle(0, 0, spot_r, fill=True)
    arc_angle = np.degrees(np.arccos((PENALTY_AREA[0] - PENALTY_SPOT) / ARC_R))
    for sign in (-1, 1):  # left (sign -1) and right goal ends
        goal_line = sign * half_l
        rect(goal_line, -PENALTY_AREA[1] / 2, goal_line - sign * PENALTY_AREA[0], PENALTY_AREA[1] / 2)
        rect(goal_line, -GOAL_AREA[1] / 2, goal_line - sign * GOAL_AREA[0], GOAL_AREA[1] / 2)
        rect(goal_line, -GOAL_WIDTH / 2, goal_line + sign * GOAL_DEPTH, GOAL_WIDTH / 2)
        spot_x = goal_line - sign * PENALTY_SPOT
        circle(spot_x, 0, spot_r, fill=True)
        # Pillow angles run clockwise from +x (image y points down); the arc faces the halfway line.
        facing = 180 if sign > 0 else 0
        circle(spot_x, 0, ARC_R, start=facing - arc_angle, end=facing + arc_angle)
        for corner_y in (-half_w, half_w):
            # The quarter circle inside the pitch at each corner.
            inward_x, inward_y = -sign, -np.sign(corner_y)
            angle = np.degrees(np.arctan2(-inward_y, inward_x))  # image coordinates
            circle(goal_line, corner_y, CORNER_R, start=angle - 45, end=angle + 45)
    image = image.resize((layout.width, layout.height), Image.Resampling.LANCZOS)
    pixels = np.array(image)
    pixels[:layout.header_px] = HEADER_BG
    if title:
        strip = text_strip(title, layout.header_px, HEADER_BG, max_width=int(layout.width * 0.7))
        pad = (layout.header_px - strip.shape[0]) // 2
        pixels[pad:pad + strip.shape[0], round(layout.header_px * 0.4):][:, :strip.shape[1]] = strip
    return pixels


def text_strip(text: str, header_px: int, background: tuple[int, int, int], *, max_width: int,
               colour: tuple[int, int, int] = HEADER_TEXT) -> np.ndarray:
    """uint8 [h, w, 3]: ``text`` on ``background``, sized for the header, cut at ``max_width``."""
    size = max(10, round(header_px * 0.5))
    face = font(size)
    text = displayable(text, size)
    pad = size // 3
    if face.getlength(text) + 2 * pad > max_width:  # shorten with an ellipsis, never cut a glyph
        ellipsis = displayable("\u2026", size)  # "..." with the ASCII-only font
        while text and face.getlength(text + ellipsis) + 2 * pad > max_width:
            text = text[:-1]
        text = text.rstrip() + ellipsis
    left, top, right, bottom = face.getbbox(text)
    image = Image.new("RGB", (max(1, right - left + 2 * pad), max(1, round(size * 1.3))), background)
    ImageDraw.Draw(image).text((pad - left, (image.height - (bottom - top)) / 2 - top), text, font=face, fill=colour)
    return np.array(image)


@dataclasses.dataclass(frozen=True, slots=True)
class Sprite:
    """A small picture blended onto each frame, centred on a position."""

    rgb: np.ndarray  # float32 [h, w, 3]
    alpha: np.ndarray  # float32 [h, w, 1], 0..1

    @property
    def half(self) -> tuple[int, int]:
        return self.rgb.shape[1] // 2, self.rgb.shape[0] // 2


def disc_sprite(radius: int, colour: tuple[int, int, int], label: str | None = None,
                outline: tuple[int, int, int] = (20, 20, 20)) -> Sprite:
    """A filled disc with a thin outline and an optional centred label (shirt number)."""
    s = 4
    size = 2 * radius + 3
    image = Image.new("RGBA", (size * s, size * s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    centre = size * s / 2
    r = radius * s
    draw.ellipse((centre - r, centre - r, centre + r, centre + r), fill=colour + (255,),
                 outline=outline + (255,), width=max(1, s))
    if label:
        face = font(max(8, round(radius * 1.15 * s)))
        luminance = 0.299 * colour[0] + 0.587 * colour[1] + 0.114 * colour[2]
        ink = (15, 15, 15, 255) if luminance > 150 else (255, 255, 255, 255)
        draw.text((centre, centre), label, font=face, fill=ink, anchor="mm")
    small = np.asarray(image.resize((size, size), Image.Resampling.LANCZOS), dtype=np.float32)
    return Sprite(rgb=small[..., :3].copy(), alpha=small[..., 3:] / 255.0)


def blend_sprite(frame: np.ndarray, sprite: Sprite, x: float, y: float, top: int = 0) -> None:
    """Alpha-blend ``sprite`` centred at pixel (x, y) into ``frame`` in place, below row ``top``."""
    half_w, half_h = sprite.half
    # Pixel i covers [i, i + 1): the centre pixel is the one containing (x, y).
    x0, y0 = int(np.floor(x)) - half_w, int(np.floor(y)) - half_h
    h, w = sprite.alpha.shape[:2]
    fx0, fy0 = max(x0, 0), max(y0, top)
    fx1, fy1 = min(x0 + w, frame.shape[1]), min(y0 + h, frame.shape[0])
    if fx1 <= fx0 or fy1 <= fy0:
        return
    sx, sy = fx0 - x0, fy0 - y0
    alpha = sprite.alpha[sy:sy + fy1 - fy0, sx:sx + fx1 - fx0]
    rgb = sprite.rgb[sy:sy + fy1 - fy0, sx:sx + fx1 - fx0]
    region = frame[fy0:fy1, fx0:fx1]
    region[:] = (region + alpha * (rgb - region) + 0.5).astype(np.uint8)
