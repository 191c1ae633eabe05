"""Swing metrics and rule-based coaching cues.

Every cue comes from one measurement and cites it: the metric, the athlete's value, the
reference value (a typical range, or the compared swing's value) and the frame where it shows.
No measurement (NaN, or an angle the camera view cannot see) means no cue. ``junior=True``
words the same cues for players under 16. Cues are worded in metric units; ``cues_in_units``
words stored cues anew in imperial units for display.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from sideline.analytics.swing.compare import KEY_EVENTS, VIEW_ANGLES, SwingComparison, SwingFeatures

TOUR_TEMPO = 3.0  # backswing : downswing, the tour average (Novosel & Garrity, "Tour Tempo")
TEMPO_BAND = (2.5, 3.5)
LEAD_ARM_MIN_AT_TOP = 155.0  # degrees; face-on
HEAD_SWAY_MAX = 0.25  # torso lengths of head movement from address to impact
EARLY_EXTENSION_DEG = 8.0  # forward bend lost between address and impact; down the line
KNEE_FLEX_AT_ADDRESS = (10.0, 40.0)  # degrees; down the line
ANGLE_DIFFERENCE_DEG = 10.0  # against a reference swing
HAND_HEIGHT_DIFFERENCE = 0.3  # torso lengths, against a reference swing
PHASE_TIME_DIFFERENCE = 0.2  # fraction of the reference phase's duration

ANGLE_LABELS = {"spine_tilt": "spine angle", "lead_arm": "lead arm", "lead_knee_flex": "lead knee flex",
                "trail_knee_flex": "trail knee flex", "hand_height": "hand height"}


@dataclass(frozen=True)
class Cue:
    code: str
    metric: str
    value: float
    reference: float
    unit: str
    frame: int
    time_s: float
    severity: str  # "fix" (work on it) or "keep" (already good)
    message: str

    def to_json(self) -> dict:
        return asdict(self)


def _finite(*values: float) -> bool:
    return all(np.isfinite(v) for v in values)


def _at(features: SwingFeatures, angle: str, event: str) -> float:
    return float(features.angles[angle][features.events[event]])


def _times(features: SwingFeatures) -> tuple[float, float]:
    t, e, speed = features.timestamps, features.events, features.playback_speed
    return float((t[e["top"]] - t[e["address"]]) * speed), float((t[e["impact"]] - t[e["top"]]) * speed)


def swing_metrics(features: SwingFeatures) -> dict:
    """JSON-ready figures: tempo, the view's angles at the key events, head sway (NaN -> None)."""
    backswing, downswing = _times(features)
    angles = {angle: {event: _json_float(_at(features, angle, event)) for event in KEY_EVENTS}
              for angle in VIEW_ANGLES.get(features.view, ())}
    sway = features.angles["head_sway"][features.events["address"]:features.events["impact"] + 1]
    sway_frame = features.events["address"] + int(np.nanargmax(np.abs(sway))) if np.isfinite(sway).any() else None
    return {
        "tempo": {"backswing_s": round(backswing, 3), "downswing_s": round(downswing, 3),
                  "ratio": round(backswing / downswing, 2) if downswing > 0 else None},
        "angles": angles,
        "head_sway": {"max": _json_float(abs(features.angles["head_sway"][sway_frame])) if sway_frame is not None else None,
                      "frame": sway_frame},
        "events": {name: {"frame": frame, "time_s": round(float(features.timestamps[frame]), 3)}
                   for name, frame in features.events.items()},
    }


def _json_float(value: float) -> float | None:
    return round(float(value), 2) if np.isfinite(value) else None


class _Cues:
    def __init__(self, features: SwingFeatures, junior: bool):
        self.features, self.junior, self.items = features, junior, []

    def add(self, code: str, metric: str, value: float, reference: float, unit: str, frame: int, severity: str,
            adult: str, junior: str) -> None:
        self.items.append(Cue(code, metric, round(float(value), 2), round(float(reference), 2), unit, int(frame),
                              round(float(self.features.timestamps[frame]), 3), severity,
                              junior if self.junior else adult))


def coaching_cues(features: SwingFeatures, comparison: SwingComparison | None = None, *,
                  junior: bool = False, reference: SwingFeatures | None = None) -> list[Cue]:
    """Cues from this swing's measurements, and from its differences to ``comparison``'s reference."""
    cues = _Cues(features, junior)
    _tempo_cue(cues, reference)
    valid = VIEW_ANGLES.get(features.view, ())
    e = features.events
    if "lead_arm" in valid:
        arm = _at(features, "lead_arm", "top")
        if _finite(arm) and arm < LEAD_ARM_MIN_AT_TOP:
            cues.add("lead_arm_bent", "lead_arm", arm, LEAD_ARM_MIN_AT_TOP, "deg", e["top"], "fix",
                     f"Lead arm {arm:.0f}° at the top (straight is 180°; aim for at least {LEAD_ARM_MIN_AT_TOP:.0f}°): "
                     "keep the lead arm extended for a wider arc.",
                     f"Your front arm bends to {arm:.0f}° at the top. Try to keep it long and straight, "
                     f"at least {LEAD_ARM_MIN_AT_TOP:.0f}°.")
    sway = features.angles["head_sway"][e["address"]:e["impact"] + 1]
    if np.isfinite(sway).any():
        worst = int(np.nanargmax(np.abs(sway)))
        value = float(abs(sway[worst]))
        if value > HEAD_SWAY_MAX:
            cues.add("head_sway", "head_sway", value, HEAD_SWAY_MAX, "torso", e["address"] + worst, "fix",
                     f"Head moves {value:.2f} torso lengths from its address position before impact "
                     f"(keep it within {HEAD_SWAY_MAX:.2f}): stay centred over the ball.",
                     f"Your head moves quite a lot during the swing ({value:.2f} body lengths). "
                     "Try to keep it still, like looking through a window at the ball.")
    if features.view == "down_the_line":
        _down_the_line_cues(cues)
    if comparison is not None and reference is not None:
        _reference_cues(cues, comparison, reference)
    return cues.items


def _tempo_cue(cues: _Cues, reference: SwingFeatures | None) -> None:
    features = cues.features
    backswing, downswing = _times(features)
    if downswing <= 0:
        return
    ratio = backswing / downswing
    low, high = TEMPO_BAND
    if reference is not None:
        ref_back, ref_down = _times(reference)
        target, source = ref_back / ref_down, "the reference swing's"
    else:
        target, source = TOUR_TEMPO, "a typical tour"
    frame = features.events["top"]
    target_text = f"{round(target, 1):g}:1"
    figures = f"tempo {ratio:.1f}:1 — backswing {backswing:.2f} s, downswing {downswing:.2f} s"
    if low <= ratio <= high and reference is None:
        cues.add("tempo", "tempo_ratio", ratio, target, "ratio", frame, "keep",
                 f"{figures.capitalize()}; {source} tempo is near {target_text}. Good rhythm: keep it.",
                 f"Great rhythm: your backswing ({backswing:.2f} s) is about {ratio:.0f} times as long as your "
                 f"downswing ({downswing:.2f} s), just like the pros.")
    elif (abs(ratio - target) > 0.5) if reference is not None else not low <= ratio <= high:
        advice = "a slower, smoother backswing" if ratio < target else "a shorter pause at the top and a quicker backswing"
        cues.add("tempo", "tempo_ratio", ratio, target, "ratio", frame, "fix",
                 f"{figures.capitalize()}; {source} tempo is near {target_text}. Try {advice}.",
                 f"Your swing rhythm is {ratio:.1f} to 1: backswing {backswing:.2f} s, downswing {downswing:.2f} s. "
                 f"Aim for about {round(target, 1):g} to 1 — try {advice}.")


def _down_the_line_cues(cues: _Cues) -> None:
    features, e = cues.features, cues.features.events
    bend_address, bend_impact = _at(features, "spine_tilt", "address"), _at(features, "spine_tilt", "impact")
    if _finite(bend_address, bend_impact) and bend_address - bend_impact > EARLY_EXTENSION_DEG:
        cues.add("early_extension", "spine_tilt", bend_impact, bend_address, "deg", e["impact"], "fix",
                 f"Spine angle {bend_address:.0f}° at address but {bend_impact:.0f}° at impact (early extension): "
                 f"keep your posture through the ball (lose at most {EARLY_EXTENSION_DEG:.0f}°).",
                 f"You stand up during the downswing: bent {bend_address:.0f}° at the start, {bend_impact:.0f}° "
                 "when you hit. Try to stay bent over until after the ball is gone.")
    knee = _at(features, "trail_knee_flex", "address")
    low, high = KNEE_FLEX_AT_ADDRESS
    if _finite(knee) and not low <= knee <= high:
        reference = low if knee < low else high
        wording = "straight" if knee < low else "bent"
        cues.add("knee_flex_address", "trail_knee_flex", knee, reference, "deg", e["address"], "fix",
                 f"Trail knee flex {knee:.0f}° at address (too {wording}; {low:.0f}-{high:.0f}° is athletic).",
                 f"Your back knee is too {wording} at the start ({knee:.0f}°). "
                 f"Try a little bend, between {low:.0f}° and {high:.0f}°.")


def _reference_cues(cues: _Cues, comparison: SwingComparison, reference: SwingFeatures) -> None:
    for diff in comparison.at_events:
        if diff.event == "address" or not _finite(diff.difference):
            continue
        threshold = HAND_HEIGHT_DIFFERENCE if diff.angle == "hand_height" else ANGLE_DIFFERENCE_DEG
        if abs(diff.difference) < threshold:
            continue
        label = ANGLE_LABELS[diff.angle]
        unit, fmt = ("torso", ".2f") if diff.angle == "hand_height" else ("deg", ".0f")
        suffix = " torso lengths" if unit == "torso" else "°"
        event = diff.event.replace("_", " ")
        cues.add(f"reference_{diff.angle}_{diff.event}", diff.angle, diff.athlete, diff.reference, unit,
                 diff.athlete_frame, "fix",
                 f"{label.capitalize()} at {event}: {diff.athlete:{fmt}}{suffix}, reference {diff.reference:{fmt}}{suffix} "
                 f"({diff.difference:+{fmt}}).",
                 f"At {event} your {label} is {diff.athlete:{fmt}}{suffix}; in the model swing it is "
                 f"{diff.reference:{fmt}}{suffix}.")
    for phase in comparison.phases:
        if phase.reference_duration_s <= 0:
            continue
        change = phase.athlete_duration_s / phase.reference_duration_s - 1.0
        if abs(change) > PHASE_TIME_DIFFERENCE:
            name = phase.name.replace("_", "-")
            pace = "slower" if change > 0 else "faster"
            cues.add(f"reference_duration_{phase.name}", f"{phase.name}_s", phase.athlete_duration_s,
                     phase.reference_duration_s, "s", phase.athlete_frames[1], "fix",
                     f"{name.capitalize()} {phase.athlete_duration_s:.2f} s, reference {phase.reference_duration_s:.2f} s "
                     f"({abs(change):.0%} {pace}).",
                     f"Your {name} takes {phase.athlete_duration_s:.2f} s; the model swing takes "
                     f"{phase.reference_duration_s:.2f} s ({pace}).")


# --- tennis ------------------------------------------------------------------------------------

TENNIS_ROTATION_SHORTFALL = 0.6  # a stroke turning less than 60 % of the player's usual for that stroke
TENNIS_ROTATION_MIN_GAP_DEG = 15.0  # ... and at least this many degrees less
TENNIS_SPEED_SHORTFALL = 0.7  # racket-wrist speed below 70 % of the player's usual for that stroke


def tennis_cues(analysis, *, junior: bool = False) -> list[Cue]:
    """Cues for a tennis clip (``sideline.analytics.swing.tennis.TennisAnalysis``).

    The reference is the player's own other strokes of the same type (their median), since the
    rotation and speed proxies depend on the camera: a stroke is flagged when its trunk rotation
    or racket-wrist speed falls well short of it. One stroke of a type has nothing to compare
    with, so it gets no cue.
    """
    cues: list[Cue] = []
    for stroke in analysis.strokes:
        others = [s for s in analysis.strokes if s.type == stroke.type and s is not stroke]
        name = f"{stroke.type} {stroke.index}"
        turns = [s.trunk_rotation_deg for s in others if s.trunk_rotation_deg is not None]
        value = stroke.trunk_rotation_deg
        if turns and value is not None:
            usual = float(np.median(turns))
            if value < TENNIS_ROTATION_SHORTFALL * usual and usual - value >= TENNIS_ROTATION_MIN_GAP_DEG:
                cues.append(_tennis_cue(
                    junior, f"tennis_rotation_{stroke.index}", "trunk_rotation", value, usual, "deg", stroke,
                    f"{name.capitalize()} at {stroke.time_s:.2f} s: trunk rotation {value:.0f}° (2D proxy) against "
                    f"{usual:.0f}° on your other {stroke.type}s: turn the shoulders fully in the backswing.",
                    f"On this {stroke.type} ({stroke.time_s:.2f} s) your shoulders turned {value:.0f}°, on your other "
                    f"{stroke.type}s about {usual:.0f}°. Turn your back to the net a bit more before you swing."))
        speeds = [s.speed_torso_s for s in others]
        if speeds:
            usual = float(np.median(speeds))
            if stroke.speed_torso_s < TENNIS_SPEED_SHORTFALL * usual:
                unit_value, unit_usual, unit = stroke.speed_torso_s, usual, "torso/s"
                if stroke.speed_m_s is not None and analysis.metres_per_torso:
                    unit_value, unit_usual, unit = stroke.speed_m_s, usual * analysis.metres_per_torso, "m/s"
                cues.append(_tennis_cue(
                    junior, f"tennis_speed_{stroke.index}", "racket_wrist_speed", unit_value, unit_usual, unit, stroke,
                    *_speed_texts(stroke.type, stroke.index, stroke.time_s, unit_value, unit_usual, unit)))
    return cues


def _speed_texts(stroke_type: str, index: int, time_s: float, value: float, usual: float,
                 unit: str) -> tuple[str, str]:
    """The racket-wrist speed cue's adult and junior sentences (``unit``: torso/s, m/s or mph)."""
    name = f"{stroke_type} {index}"
    return (f"{name.capitalize()} at {time_s:.2f} s: racket-wrist speed {value:.1f} {unit} against "
            f"{usual:.1f} {unit} on your other {stroke_type}s: accelerate through contact.",
            f"This {stroke_type} ({time_s:.2f} s) was slower than your others ({value:.1f} against "
            f"{usual:.1f} {unit}). Swing through the ball all the way.")


# --- display units -----------------------------------------------------------------------------

UNITS = ("metric", "imperial")
MPH_PER_M_S = 3600 / 1609.344  # an international mile is 1609.344 m exactly
# Metric cue units with an imperial counterpart: (unit, factor). Degrees, seconds, ratios and
# torso-relative units are the same in both systems.
IMPERIAL = {"m/s": ("mph", MPH_PER_M_S)}


def _speed_cue_text(cue: dict, value: float, reference: float, unit: str, junior: bool,
                    stroke_types: dict[int, str]) -> str | None:
    index = int(cue["code"].rsplit("_", 1)[1])
    if index not in stroke_types:
        return None
    adult, junior_text = _speed_texts(stroke_types[index], index, cue["time_s"], value, reference, unit)
    return junior_text if junior else adult


# metric -> the function that words a cue of that metric anew from its structured fields
_RENDERERS = {"racket_wrist_speed": _speed_cue_text}


def cues_in_units(cues: list[dict], units: str, *, junior: bool = False,
                  strokes: list[dict] | None = None) -> list[dict]:
    """Stored cues (``Cue.to_json``) for display in ``units``.

    Metric: as stored (the analysis words them in metric). Imperial: a cue in a unit with an
    imperial counterpart gets its value and reference converted and its message worded anew from
    those fields by the same sentence the analysis used, so no number in prose is rewritten.
    ``strokes`` (a tennis swing's stored strokes) name the stroke a tennis cue is about.
    """
    if units not in UNITS:
        raise ValueError(f"units must be one of {', '.join(UNITS)}, not {units!r}")
    if units == "metric":
        return cues
    stroke_types = {int(s["index"]): s["type"] for s in strokes or ()}
    out = []
    for cue in cues:
        conversion, render = IMPERIAL.get(cue.get("unit")), _RENDERERS.get(cue.get("metric"))
        if conversion is None or render is None:
            out.append(cue)
            continue
        unit, factor = conversion
        value, reference = cue["value"] * factor, cue["reference"] * factor
        message = render(cue, value, reference, unit, junior, stroke_types)
        if message is None:  # nothing to word it with: keep the metric original rather than guess
            out.append(cue)
            continue
        out.append({**cue, "value": round(value, 2), "reference": round(reference, 2), "unit": unit,
                    "message": message})
    return out


def _tennis_cue(junior: bool, code: str, metric: str, value: float, reference: float, unit: str, stroke,
                adult: str, junior_text: str) -> Cue:
    return Cue(code, metric, round(float(value), 2), round(float(reference), 2), unit, int(stroke.frame),
               round(float(stroke.time_s), 3), "fix", junior_text if junior else adult)
