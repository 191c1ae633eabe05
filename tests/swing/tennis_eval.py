"""Tennis stroke evaluation against the hand labels in tests/swing/labels/*.json (``"sport": "tennis"``).

Every label file names a clip under SIDELINE_SHARED_DATA and, per player (``near``, ``far`` or
``auto``: the job's ``athlete`` option), the strokes with their contact time and type. The clip is
run through the same pose stage as the swing job (BlazePose full landmarks on a PlayerTracker,
MoveNet MultiPose to find the player, at the job's tennis size) and ``analyse_strokes`` with the
handedness detected, as the product runs by default. A detection matches a label within the
file's tolerance (each used once, nearest first): precision, recall and type accuracy (over the
matched strokes). Add a clip by adding a label file.

    SIDELINE_SHARED_DATA=... SIDELINE_MODEL_DIR=... .venv/bin/python -m tests.swing.tennis_eval
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

LABELS = Path(__file__).parent / "labels"


def label_files(folder: Path = LABELS) -> list[dict]:
    files = []
    for path in sorted(folder.glob("*.json")):
        label = json.loads(path.read_text())
        if label.get("sport") == "tennis":
            files.append(dict(label, file=path.name))
    return files


def match(detected: list[tuple[float, str]], labelled: list[tuple[float, str]],
          tolerance_s: float) -> list[tuple[int, int]]:
    """(detected index, label index) pairs within the tolerance, nearest pairs first, each used once."""
    pairs = sorted((abs(d[0] - lab[0]), i, j) for i, d in enumerate(detected) for j, lab in enumerate(labelled)
                   if abs(d[0] - lab[0]) <= tolerance_s)
    used_d, used_l, out = set(), set(), []
    for _, i, j in pairs:
        if i not in used_d and j not in used_l:
            used_d.add(i)
            used_l.add(j)
            out.append((i, j))
    return sorted(out)


@dataclass
class Score:
    detected: int = 0
    labelled: int = 0
    matched: int = 0
    typed_right: int = 0
    timing_errors: list[float] = field(default_factory=list)
    handedness_right: int = 0
    players: int = 0

    def add(self, other: Score) -> None:
        for name in ("detected", "labelled", "matched", "typed_right", "handedness_right", "players"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.timing_errors += other.timing_errors

    @property
    def precision(self) -> float:
        return self.matched / self.detected if self.detected else 1.0

    @property
    def recall(self) -> float:
        return self.matched / self.labelled if self.labelled else 1.0

    @property
    def accuracy(self) -> float:
        return self.typed_right / self.matched if self.matched else 0.0


def score_player(analysis, player_label: dict, tolerance_s: float) -> Score:
    detected = [(s.time_s, s.type) for s in analysis.strokes]
    labelled = [(s["contact_s"], s["type"]) for s in player_label["strokes"]]
    pairs = match(detected, labelled, tolerance_s)
    return Score(detected=len(detected), labelled=len(labelled), matched=len(pairs),
                 typed_right=sum(detected[i][1] == labelled[j][1] for i, j in pairs),
                 timing_errors=[detected[i][0] - labelled[j][0] for i, j in pairs],
                 handedness_right=int(("right" if analysis.right_handed else "left") == player_label["handedness"]),
                 players=1)


def player_pose(clip: Path, player: str, model: str = "full"):
    """The swing job's pose stage for tennis (sideline.jobs.swing.estimate_pose)."""
    from sideline.jobs.swing import estimate_pose

    return estimate_pose(clip, sport="tennis", model=model, athlete=player)


def evaluate(data: Path, *, poses: dict | None = None, players: set[str] | None = None) -> dict[tuple[str, str], Score]:
    """Score per (label file, player); ``poses`` caches PoseSequences by (video, player)."""
    from sideline.analytics.swing.tennis import analyse_strokes

    poses = {} if poses is None else poses
    scores = {}
    for label in label_files():
        for player, player_label in label["players"].items():
            if players is not None and player not in players:
                continue
            key = (label["video"], player)
            if key not in poses:
                poses[key] = player_pose(data / label["video"], player)
            analysis = analyse_strokes(poses[key])
            scores[(label["file"], player)] = score_player(analysis, player_label, label["tolerance_s"])
    return scores


def main() -> None:
    import os

    repo = Path(__file__).resolve().parents[2]
    data = Path(os.environ.get("SIDELINE_SHARED_DATA", repo / ".." / "shared" / "data")).resolve()
    scores = evaluate(data)
    total = Score()
    print(f"{'clip':44s} {'player':6s} det lab hit typed  P     R     acc   timing (s)")
    for (file, player), s in scores.items():
        total.add(s)
        timing = ", ".join(f"{e:+.3f}" for e in s.timing_errors)
        print(f"{file:44s} {player:6s} {s.detected:3d} {s.labelled:3d} {s.matched:3d} {s.typed_right:5d}  "
              f"{s.precision:.2f}  {s.recall:.2f}  {s.accuracy:.2f}  {timing}")
    print(f"{'all':44s} {'':6s} {total.detected:3d} {total.labelled:3d} {total.matched:3d} {total.typed_right:5d}  "
          f"{total.precision:.2f}  {total.recall:.2f}  {total.accuracy:.2f}  handedness {total.handedness_right}/{total.players}")


if __name__ == "__main__":
    main()
