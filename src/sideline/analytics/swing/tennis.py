"""Tennis strokes from pose: detection, classification (forehand, backhand, serve, volley), per-stroke metrics.

Pure functions on ``PoseSequence`` (any topology with shoulders, elbows, wrists, hips and ankles;
BlazePose adds relative depth ``z``, which the side-dependent measures use when present).

Body scale: the torso length (hip centre -> shoulder centre) per frame, a rolling median over
``SCALE_WINDOW_S`` so a player running towards or away from the camera keeps the right scale.
Speeds are in torso lengths per real second (video seconds x playback speed), so they do not
depend on the player's size in the picture; given metres per torso length they are also in m/s.

Detection: the racket wrist's speed relative to the hip centre (running does not count) has one
sharp peak per stroke, near contact. Candidates are local maxima above ``MIN_PEAK_SPEED``; a
faster peak suppresses any other within ``MIN_GAP_S``; a peak whose speed does not fall to half
of it on both sides inside the clip is a swing cut by the clip's start or end and is dropped.
The contact-time estimate is the time of the peak (the wrist is fastest at or just before the
racket meets the ball).

Classification (interpretable rules, checked in this order; thresholds in torso lengths):
  * serve: both arms raised: the other (toss) wrist above the head (height > ``HEAD_HEIGHT``), apart
    from the racket hand, in the ``SERVE_WINDOW_S`` before contact, and the racket wrist above the
    head at contact. A serve's
    contact is the racket wrist's highest point within ``SERVE_REFINE_S`` of the speed peak (the
    wrist is at full stretch when it meets the ball; its speed peaks in the racket drop or the
    pronation just after). Overheads count as serves.
  * volley: a short swing: the racket wrist never further than ``VOLLEY_BACKSWING`` from its contact
    position in the ``BACKSWING_WINDOW_S`` before contact (in x, y and, where known, depth), and,
    where depth is known, contact not behind the body.
  * forehand / backhand: which side of the body the racket wrist is on at contact, along the
    player's left-right axis (image x from behind or in front; BlazePose depth from the side),
    mirrored for left-handers; when it is within ``SIDE_AMBIGUOUS`` of the centre, the other hand
    on the racket (wrists within ``TWO_HANDS`` of each other) means a two-handed backhand, and
    otherwise the direction the wrist travels through contact decides (a forehand swings across
    towards the other side).

Per stroke: contact time and frame, peak racket-wrist speed, stance (open / neutral / closed, from
the feet line against the direction of the hit; groundstrokes and volleys), trunk rotation (the
change of the shoulder line's yaw from the most coiled moment of the backswing to contact; a 2D
proxy, see ``trunk_yaw``), backswing amplitude, swing time, contact position relative to the body.

Camera view: ``behind`` / ``front`` (shoulder line wide in the picture; the player's left shoulder
on image left means we see their back) or ``side`` (shoulder line narrow; the nose tells which
way they face), ``oblique`` in between (treated like behind/front for sides).
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass, field, replace

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from sideline.analytics.swing.angles import angle_at
from sideline.core.pose import PoseSequence
from sideline.errors import InvalidInput

STROKE_TYPES = ("forehand", "backhand", "serve", "volley")
STANCES = ("open", "neutral", "closed")
TORSO_PER_HEIGHT = 0.288  # shoulder-to-hip over stature (Drillis & Contini 1966 segment table): a default scale
SCALE_WINDOW_S = 0.5
MIN_PEAK_SPEED = 6.0  # torso lengths / s: walking with a racket reached 5.4 on the test clip, strokes 7-20
MIN_GAP_S = 0.7  # two strokes of one player are never this close
HALF_DROP = 0.5  # a complete swing slows to half its peak speed on both sides of it
HEAD_HEIGHT = 1.35  # torso lengths above the hip centre (top of the head ~1.5, nose ~1.3)
SERVE_REFINE_S = 0.5  # the serve's highest racket-wrist point is looked for this close to the speed peak
SERVE_WINDOW_S = 1.5  # the toss happens within this long before contact
BACKSWING_WINDOW_S = 0.6
VOLLEY_BACKSWING = 0.9  # torso lengths; groundstrokes take the wrist 1.5-2.5 back
SIDE_AMBIGUOUS = 0.15  # torso lengths from the body's centre line: too close to call a side
TWO_HANDS = 0.45  # wrists closer than this (torso lengths) hold the racket together
COIL_WINDOW_S = 1.0  # the backswing's most coiled moment is looked for this long before contact
WIDE_SHOULDERS = 0.45  # shoulder-line image width over torso length: behind / front at or above
NARROW_SHOULDERS = 0.3  # side at or below
STANCE_LIMITS = (25.0, 65.0)  # degrees: open below, closed at or above


@dataclass(frozen=True)
class TennisView:
    """Where the camera is. Ground directions are given in (image x, depth z), z growing away from the
    camera (BlazePose's relative depth), and mapped to the picture as x -> x, z -> -y (further away
    is higher up in the picture of a camera looking down at the court)."""

    view: str  # behind, front or side
    shoulder_width: float  # median image width of the shoulder line over torso length
    facing: int = 0  # side view: the image direction the player faces (+1 = towards +x, -1 = -x)
    oblique: bool = False  # shoulder width between the side and behind/front limits

    def forward_xz(self) -> np.ndarray:
        """Unit vector of the direction of play (the player facing the net)."""
        if self.view == "side":
            return np.array([1.0 if self.facing >= 0 else -1.0, 0.0])
        return np.array([0.0, -1.0 if self.view == "front" else 1.0])

    def right_xz(self) -> np.ndarray:
        """Unit vector of the player's right: forward turned 90 degrees clockwise seen from above."""
        f = self.forward_xz()
        return np.array([f[1], -f[0]])

    @staticmethod
    def to_image(v: np.ndarray) -> np.ndarray:
        return np.array([v[0], -v[1]])


@dataclass(frozen=True)
class Stroke:
    index: int
    type: str
    frame: int
    time_s: float  # contact-time estimate (video seconds)
    confidence: float  # pose confidence x racket-wrist visibility at contact (a quality flag)
    speed_torso_s: float  # peak racket-wrist speed, torso lengths per real second
    speed_m_s: float | None  # the same in m/s when a scale was given
    stance: str | None  # open / neutral / closed; None for serves or when the feet are not seen
    stance_angle_deg: float | None  # feet line against the hit direction: 0 = open, 90 = in line, > 90 = crossed
    trunk_rotation_deg: float | None  # shoulder-line yaw change from the most coiled frame to contact
    coil_frame: int | None
    rotation_method: str  # "depth" (image x + BlazePose depth) or "width" (projected width, unsigned)
    backswing_torso: float  # farthest the racket wrist was from its contact position in the backswing window
    swing_time_s: float  # real seconds from the wrist's last slow moment (< 25 % of peak) to contact
    contact_side: float  # racket wrist towards the racket-hand side of the body at contact, torso lengths
    contact_height: float  # racket wrist above the hip centre at contact, torso lengths
    two_handed: bool
    elbow_angle_deg: float | None  # racket arm shoulder-elbow-wrist at contact (2D), 180 = straight
    reasons: list[str] = field(default_factory=list)  # which rules decided the type

    def to_json(self) -> dict:
        out = asdict(self)
        for key, value in out.items():
            if isinstance(value, float):
                out[key] = round(value, 3) if np.isfinite(value) else None
        return out

    def label(self) -> str:
        """Unique name within the clip, e.g. ``forehand_2``."""
        return f"{self.type}_{self.index}"

    def caption(self, metres_per_torso: float | None = None) -> str:
        speed = (f"{self.speed_m_s:.1f} m/s" if self.speed_m_s is not None and metres_per_torso
                 else f"{self.speed_torso_s:.1f} torso/s")
        parts = [f"{self.type.upper()} {self.index}", speed]
        if self.stance:
            parts.append(f"{self.stance} stance")
        if self.trunk_rotation_deg is not None:
            parts.append(f"turn {self.trunk_rotation_deg:.0f}°")
        return " · ".join(parts)


@dataclass(frozen=True)
class TennisAnalysis:
    strokes: list[Stroke]
    right_handed: bool
    handedness_detected: bool
    view: TennisView
    metres_per_torso: float | None
    speed: np.ndarray  # [T] racket-wrist speed, torso lengths per real second (NaN where unknown)
    depth_scale: float = 1.0  # factor applied to the pose's depth (``depth_scale``)

    def counts(self) -> dict[str, int]:
        return {kind: sum(s.type == kind for s in self.strokes) for kind in STROKE_TYPES}

    def to_json(self) -> dict:
        """JSON-ready figures stored with the swing (NaN -> None)."""
        return {
            "counts": self.counts(), "strokes": [s.to_json() for s in self.strokes],
            "right_handed": self.right_handed, "handedness_detected": self.handedness_detected,
            "view": self.view.view, "oblique": self.view.oblique, "facing": self.view.facing,
            "shoulder_width": self.view.shoulder_width, "metres_per_torso": self.metres_per_torso,
            "depth_scale": round(self.depth_scale, 4), "min_peak_speed": MIN_PEAK_SPEED,
        }


# --- body scale and speeds ---------------------------------------------------------------------

def _frames_for(pose: PoseSequence, seconds: float) -> int:
    dt = np.diff(pose.timestamps)
    step = float(np.median(dt)) if dt.size else 1 / 30
    return max(1, int(round(seconds / max(step, 1e-6))))


def torso_scale(pose: PoseSequence, window_s: float = SCALE_WINDOW_S) -> np.ndarray:
    """[T] torso length in pixels: rolling median over ``window_s`` (NaN-aware), gaps filled with the clip median."""
    torso = np.linalg.norm(pose.midpoint("left_shoulder", "right_shoulder") - pose.midpoint("left_hip", "right_hip"), axis=1)
    if not np.isfinite(torso).any() or np.nanmax(torso) <= 0:
        raise InvalidInput("tennis strokes need shoulders and hips in the pose sequence; none were found")
    half = _frames_for(pose, window_s) // 2
    padded = np.pad(torso, half, mode="edge")
    windows = sliding_window_view(padded, 2 * half + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows stay NaN, filled below
        rolling = np.nanmedian(windows, axis=1)
    return np.where(np.isfinite(rolling) & (rolling > 0), rolling, np.nanmedian(torso))


def relative(pose: PoseSequence, name: str, scale: np.ndarray) -> np.ndarray:
    """[T, 2] a keypoint relative to the hip centre, in torso lengths (image axes: x right, y down)."""
    return (pose.xy(name) - pose.midpoint("left_hip", "right_hip")) / scale[:, None]


def wrist_speed(pose: PoseSequence, side: str, *, scale: np.ndarray | None = None,
                playback_speed: float = 1.0) -> np.ndarray:
    """[T] speed of one wrist relative to the hip centre, torso lengths per real second (timestamps, not indices)."""
    scale = torso_scale(pose) if scale is None else scale
    rel = relative(pose, f"{side}_wrist", scale)
    t = pose.timestamps
    if len(t) < 3:
        return np.full(len(t), np.nan)
    velocity = np.gradient(rel, t, axis=0)
    return np.linalg.norm(velocity, axis=1) / playback_speed


def height(pose: PoseSequence, name: str, scale: np.ndarray) -> np.ndarray:
    """[T] height of a keypoint above the hip centre in torso lengths (image up = +)."""
    return -relative(pose, name, scale)[:, 1]


def detect_handedness(pose: PoseSequence, *, scale: np.ndarray | None = None) -> bool | None:
    """True for a right-hander: the racket wrist reaches the higher speed (the toss arm and the free arm
    move steadily; the racket arm in short bursts). A 3-frame median keeps one-frame pose glitches
    (a wrist briefly given to the other arm) from deciding."""
    from scipy.ndimage import median_filter

    scale = torso_scale(pose) if scale is None else scale
    top = {}
    for side in ("left", "right"):
        s = wrist_speed(pose, side, scale=scale)
        s = median_filter(np.nan_to_num(s, nan=0.0), size=3, mode="nearest")
        top[side] = float(s.max()) if s.size else 0.0
    if top["left"] == top["right"]:
        return None
    return top["right"] > top["left"]


def detect_tennis_view(pose: PoseSequence, *, scale: np.ndarray | None = None) -> TennisView:
    """Side view when the shoulder line is narrow in the picture (median over the clip), behind or in
    front when it is wide: from behind the player's left shoulder is on the image left."""
    scale = torso_scale(pose) if scale is None else scale
    seen = (pose.confidence > 0) & np.isfinite(scale)
    dx = pose.xy("left_shoulder")[:, 0] - pose.xy("right_shoulder")[:, 0]
    known = seen & np.isfinite(dx)
    if not known.any():
        raise InvalidInput("the camera view needs both shoulders in view")
    width = float(np.median(np.abs(dx[known]) / scale[known]))
    if width <= NARROW_SHOULDERS:
        nose_dx = pose.xy("nose")[:, 0] - pose.midpoint("left_shoulder", "right_shoulder")[:, 0]
        facing = np.nanmedian(nose_dx[known]) if np.isfinite(nose_dx[known]).any() else 0.0
        return TennisView("side", round(width, 3), 1 if facing >= 0 else -1)
    back = float(np.mean(dx[known] < 0))
    return TennisView("behind" if back >= 0.5 else "front", round(width, 3), 0, oblique=width < WIDE_SHOULDERS)


def depth_scale(pose: PoseSequence, scale: np.ndarray) -> float:
    """Factor that puts BlazePose's relative depth on the image's scale.

    The model's z is far larger than x and y here (a shoulder line 0.7 torso wide swings through
    +-3 torso in depth as the player turns). A body segment keeps its 3D length, so for the shoulder
    and hip lines x^2 + y^2 = W^2 - k^2 z^2 per segment: least squares over the clip gives k (0.2-0.3
    on the test clips). 1 when the fit says nothing (no turn seen, no depth, a positive slope).
    """
    rows, targets = [], []
    for a, b, column in (("left_shoulder", "right_shoulder", 0), ("left_hip", "right_hip", 1)):
        d = (pose.landmarks[:, pose.index(b)] - pose.landmarks[:, pose.index(a)]) / scale[:, None]
        ok = np.isfinite(d).all(axis=1) & (pose.confidence > 0)
        one_hot = np.zeros((ok.sum(), 3))
        one_hot[:, column] = 1.0
        one_hot[:, 2] = -d[ok, 2] ** 2
        rows.append(one_hot)
        targets.append(d[ok, 0] ** 2 + d[ok, 1] ** 2)
    a_matrix, target = np.concatenate(rows), np.concatenate(targets)
    if len(target) < 10 or np.ptp(a_matrix[:, 2]) <= 1e-9:
        return 1.0
    solution, *_ = np.linalg.lstsq(a_matrix, target, rcond=None)
    k2 = float(solution[2])
    return float(np.clip(np.sqrt(k2), 0.05, 2.0)) if k2 > 0 else 1.0


def rescale_depth(pose: PoseSequence, scale: np.ndarray | None = None) -> tuple[PoseSequence, float]:
    """The pose with z multiplied by ``depth_scale`` (unchanged without depth), and the factor."""
    scale = torso_scale(pose) if scale is None else scale
    if not np.isfinite(pose.landmarks[..., 2]).any():
        return pose, 1.0
    k = depth_scale(pose, scale)
    landmarks = pose.landmarks.copy()
    landmarks[..., 2] *= k
    return replace(pose, landmarks=landmarks), k


# --- detection ---------------------------------------------------------------------------------

def stroke_peaks(t: np.ndarray, speed: np.ndarray, *, min_speed: float = MIN_PEAK_SPEED,
                 min_gap_s: float = MIN_GAP_S) -> list[int]:
    """Frames of the stroke speed peaks, in time order (see the module doc)."""
    s = np.where(np.isfinite(speed), speed, 0.0)
    if len(s) < 3:
        return []
    inner = (s[1:-1] >= s[:-2]) & (s[1:-1] > s[2:]) & (s[1:-1] >= min_speed)
    candidates = np.flatnonzero(inner) + 1
    chosen: list[int] = []
    for i in candidates[np.argsort(-s[candidates], kind="stable")]:  # a handful of candidates per clip
        if any(abs(t[i] - t[j]) < min_gap_s for j in chosen):
            continue
        before, after = s[:i], s[i + 1:]
        if not (before < HALF_DROP * s[i]).any() or not (after < HALF_DROP * s[i]).any():
            continue  # the swing runs into the start or the end of the clip
        chosen.append(int(i))
    return sorted(chosen)


def _window(t: np.ndarray, centre: int, before_s: float, after_s: float = 0.0) -> slice:
    lo = int(np.searchsorted(t, t[centre] - before_s, side="left"))
    hi = int(np.searchsorted(t, t[centre] + after_s, side="right"))
    return slice(lo, max(hi, centre + 1))


def trunk_yaw(pose: PoseSequence, view: TennisView, scale: np.ndarray) -> tuple[np.ndarray, str]:
    """[T] yaw of the shoulder line in degrees, and the method used.

    ``depth``: atan2 of the left->right shoulder vector's components along the direction of play and
    along the player's right, in (image x, BlazePose depth z): 0 = square to the net, +90 = right
    shoulder forward, -90 = right shoulder back. ``width`` (no depth, e.g. MoveNet): arccos(projected
    width / the clip's 95th-percentile width), unsigned, meaningful from behind or in front only.
    Both are 2D proxies of a 3D rotation (BlazePose depth is a learned estimate, not a measurement).
    """
    delta = pose.landmarks[:, pose.index("right_shoulder")] - pose.landmarks[:, pose.index("left_shoulder")]
    xz = np.stack([delta[:, 0], delta[:, 2]], axis=1)
    if np.isfinite(xz).all(axis=1).mean() > 0.5:
        return np.degrees(np.arctan2(xz @ view.forward_xz(), xz @ view.right_xz())), "depth"
    lateral = np.abs(delta[:, 0]) / scale
    reference = np.nanpercentile(lateral, 95) if np.isfinite(lateral).any() else np.nan
    return np.degrees(np.arccos(np.clip(lateral / reference, 0.0, 1.0))), "width"


def analyse_strokes(pose: PoseSequence, *, right_handed: bool | None = None, view: TennisView | None = None,
                    playback_speed: float = 1.0, metres_per_torso: float | None = None,
                    min_speed: float = MIN_PEAK_SPEED) -> TennisAnalysis:
    """Detect, classify and measure every stroke of the tracked player (see the module doc).

    ``right_handed`` None = detect (the faster wrist holds the racket); ``view`` None = detect;
    ``metres_per_torso`` (e.g. ``TORSO_PER_HEIGHT`` x the player's height) adds speeds in m/s.
    """
    if playback_speed <= 0:
        raise InvalidInput(f"playback_speed must be positive, got {playback_speed}")
    if metres_per_torso is not None and not 0.1 <= metres_per_torso <= 1.0:
        raise InvalidInput(f"metres per torso length must be 0.1-1.0 (about {TORSO_PER_HEIGHT} x the player's height), "
                           f"got {metres_per_torso}")
    scale = torso_scale(pose)
    pose, k = rescale_depth(pose, scale)
    view = view or detect_tennis_view(pose, scale=scale)
    detected = right_handed is None
    if right_handed is None:
        found = detect_handedness(pose, scale=scale)
        right_handed = True if found is None else found
    hand, other = ("right", "left") if right_handed else ("left", "right")
    hand_sign = 1.0 if right_handed else -1.0
    t = pose.timestamps
    speed = wrist_speed(pose, hand, scale=scale, playback_speed=playback_speed)
    speed = np.where(pose.confidence > 0, speed, np.nan)

    racket = relative(pose, f"{hand}_wrist", scale)
    other_rel = relative(pose, f"{other}_wrist", scale)
    h_racket, h_other = height(pose, f"{hand}_wrist", scale), height(pose, f"{other}_wrist", scale)
    # Racket wrist relative to the hip centre in (x, depth z), torso lengths; depth 0 where unknown.
    hips = pose.landmarks[:, [pose.index("left_hip"), pose.index("right_hip")]].mean(axis=1)
    wrist = pose.landmarks[:, pose.index(f"{hand}_wrist")]
    offset = np.stack([wrist[:, 0] - hips[:, 0], wrist[:, 2] - hips[:, 2]], axis=1) / scale[:, None]
    depth_known = np.isfinite(offset[:, 1])
    offset[:, 1] = np.where(depth_known, offset[:, 1], 0.0)
    side_value = (offset @ view.right_xz()) * hand_sign  # + = racket-hand side
    ahead_value = np.where(depth_known, offset @ view.forward_xz(), np.nan)
    # The backswing's reach in (x, y, depth) where depth is known: from behind or in front most of a
    # groundstroke's take-back runs along the line of sight.
    racket3 = np.concatenate([racket, np.where(depth_known, wrist[:, 2] - hips[:, 2], 0.0)[:, None] / scale[:, None]], axis=1)
    yaw, method = trunk_yaw(pose, view, scale)
    elbow = angle_at(pose.xy(f"{hand}_shoulder"), pose.xy(f"{hand}_elbow"), pose.xy(f"{hand}_wrist"))

    strokes: list[Stroke] = []
    for n, peak_frame in enumerate(stroke_peaks(t, speed, min_speed=min_speed)):  # a few strokes per clip
        # A serve meets the ball at full stretch: its contact is the racket wrist's highest point
        # around the speed peak (the peak itself can be the racket drop or the pronation after contact).
        around = _window(t, peak_frame, SERVE_REFINE_S, SERVE_REFINE_S)
        highest = around.start + int(np.nanargmax(np.nan_to_num(h_racket[around], nan=-np.inf)))
        # The toss: the other hand above the head on its own (not on the racket, as at the end of a
        # two-handed backhand) before the racket reaches its highest point.
        before = _window(t, highest, SERVE_WINDOW_S)
        before = slice(before.start, highest)
        apart = np.linalg.norm(racket[before] - other_rel[before], axis=1) >= TWO_HANDS
        tossing = np.where(apart, h_other[before], np.nan)
        toss = float(np.nanmax(tossing)) if np.isfinite(tossing).any() else np.nan
        serve = h_racket[highest] > HEAD_HEIGHT and toss > HEAD_HEIGHT
        c = highest if serve else peak_frame
        back = _window(t, c, BACKSWING_WINDOW_S)
        amplitude = float(np.nanmax(np.linalg.norm(racket3[back] - racket3[c], axis=1)))
        slow = np.flatnonzero(np.nan_to_num(speed[: peak_frame + 1], nan=0.0) < 0.25 * speed[peak_frame])
        start = int(slow[-1]) if slow.size else 0
        two_handed = bool(np.linalg.norm(racket[c] - other_rel[c]) < TWO_HANDS)
        side, ahead = float(side_value[c]), float(ahead_value[c])
        sideways_unknown = view.view == "side" and not depth_known[c]
        if serve:
            kind, reason = "serve", (f"racket wrist {h_racket[c]:.2f} torso above the hips at contact and the other "
                                     f"wrist {toss:.2f} before it (head ~{HEAD_HEIGHT})")
        elif amplitude < VOLLEY_BACKSWING and not ahead < -0.3:
            kind, reason = "volley", f"short backswing: {amplitude:.2f} torso (< {VOLLEY_BACKSWING})"
        elif not sideways_unknown and abs(side) >= SIDE_AMBIGUOUS:
            kind = "forehand" if side > 0 else "backhand"
            reason = f"contact {abs(side):.2f} torso on the {'racket' if side > 0 else 'other'}-hand side of the body"
        elif two_handed:
            kind, reason = "backhand", "both hands on the racket at contact"
        else:
            across = _velocity_right(pose, view, hand, c) * hand_sign
            kind = "forehand" if across < 0 else "backhand"
            reason = f"wrist travels towards the {'other' if across < 0 else 'racket'}-hand side through contact"
        side_sign = 1.0 if kind == "forehand" or (kind == "volley" and side >= 0) else -1.0
        stance, stance_angle = (None, None) if kind == "serve" else _stance(pose, view, right_handed, side_sign, c)
        coil_window = _window(t, c, COIL_WINDOW_S)
        turn = np.abs(yaw[coil_window] - yaw[c])
        if np.isfinite(turn).any():
            coil: int | None = coil_window.start + int(np.nanargmax(turn))
            rotation: float | None = float(np.nanmax(turn))
        else:
            coil, rotation = None, None
        peak = float(speed[peak_frame])
        strokes.append(Stroke(
            index=n + 1, type=kind, frame=int(c), time_s=float(t[c]),
            confidence=round(float(pose.confidence[c] * pose.vis(f"{hand}_wrist")[c]), 3),
            speed_torso_s=peak, speed_m_s=peak * metres_per_torso if metres_per_torso else None,
            stance=stance, stance_angle_deg=stance_angle, trunk_rotation_deg=rotation, coil_frame=coil,
            rotation_method=method, backswing_torso=amplitude, swing_time_s=float((t[c] - t[min(start, c)]) * playback_speed),
            contact_side=side, contact_height=float(h_racket[c]), two_handed=two_handed,
            elbow_angle_deg=float(elbow[c]) if np.isfinite(elbow[c]) else None, reasons=[reason]))
    return TennisAnalysis(strokes, bool(right_handed), detected, view, metres_per_torso, speed, k)


def _velocity_right(pose: PoseSequence, view: TennisView, hand: str, frame: int) -> float:
    """Racket-wrist velocity along the player's right through ``frame`` (pixels/s; depth where known)."""
    wrist = pose.landmarks[:, pose.index(f"{hand}_wrist")]
    lo, hi = max(frame - 1, 0), min(frame + 1, len(pose) - 1)
    if hi == lo:
        return 0.0
    step = np.array([wrist[hi, 0] - wrist[lo, 0], wrist[hi, 2] - wrist[lo, 2]])
    return float(np.nan_to_num(step, nan=0.0) @ view.right_xz() / (pose.timestamps[hi] - pose.timestamps[lo]))


def _stance(pose: PoseSequence, view: TennisView, right_handed: bool, side_sign: float,
            frame: int) -> tuple[str | None, float | None]:
    """Stance at contact from the ankles. The front foot is on the side away from the ball: the left
    foot on a right-hander's forehand (``side_sign`` +1), the right foot on their backhand (-1).
    Angle of the back->front foot line from the player's left-right axis towards the direction of
    play: 0 = open (feet parallel to the baseline), 45 = neutral, 90 = closed (in line with the
    hit), above 90 = crossed over. Measured in the picture: depth is foreshortened by the camera's
    elevation, so stances read more open than they are from behind or in front."""
    racket_side = "right" if right_handed else "left"
    other_side = "left" if right_handed else "right"
    front = other_side if side_sign > 0 else racket_side
    back = racket_side if front == other_side else other_side
    feet = pose.xy(f"{front}_ankle")[frame] - pose.xy(f"{back}_ankle")[frame]
    if not np.isfinite(feet).all() or not np.linalg.norm(feet) > 0:
        return None, None
    towards_front = view.right_xz() * (1.0 if front == "right" else -1.0)
    angle = float(np.degrees(np.arctan2(feet @ view.to_image(view.forward_xz()), feet @ view.to_image(towards_front))))
    low, high = STANCE_LIMITS
    return ("open" if angle < low else "neutral" if angle < high else "closed"), angle
