"""Re-link broken tracks: join a track that ended to one that started later when motion (and,
when given, kit appearance) says they are the same person.

Offline, after tracking: each track fragment's end is extrapolated with its last velocity to the
start of every later fragment within ``max_gap_frames``; pairs inside a gate that widens with the
gap are scored, the best one-to-one assignment (Hungarian) is taken, and linked fragments share
the earliest fragment's id. Across a camera cut positions mean nothing, so such links are decided
by appearance alone (and refused when no appearance is given).
"""

from __future__ import annotations

import numpy as np
from scipy.optimize import linear_sum_assignment

from sideline.errors import InvalidInput
from sideline.vision.track.evaluate import BoxTable


def _fragment_summaries(table: BoxTable, velocity_frames: int):
    ids, inverse = np.unique(table.track_id, return_inverse=True)
    order = np.lexsort((table.frame, inverse))
    first = np.searchsorted(inverse[order], np.arange(len(ids)), side="left")
    last = np.searchsorted(inverse[order], np.arange(len(ids)), side="right") - 1
    centre = (table.xyxy[:, :2] + table.xyxy[:, 2:]) / 2
    height = table.xyxy[:, 3] - table.xyxy[:, 1]
    start_row, end_row = order[first], order[last]
    # Velocity from the fragment's last few boxes (first few for the start), pixels per frame.
    back = order[np.maximum(last - velocity_frames, first)]
    ahead = order[np.minimum(first + velocity_frames, last)]
    span_end = np.maximum(table.frame[end_row] - table.frame[back], 1)
    span_start = np.maximum(table.frame[ahead] - table.frame[start_row], 1)
    end_velocity = (centre[end_row] - centre[back]) / span_end[:, None]
    start_velocity = (centre[ahead] - centre[start_row]) / span_start[:, None]
    return ids, inverse, table.frame[start_row], table.frame[end_row], centre[start_row], centre[end_row], \
        end_velocity, start_velocity, np.maximum(height[start_row], height[end_row]), last - first + 1


def relink(table: BoxTable, *, appearance: np.ndarray | None = None, max_gap_frames: int = 75,
           gate_heights: float = 1.0, speed_heights_per_frame: float = 0.06, max_appearance_distance: float = 0.35,
           appearance_weight: float = 1.0, cut_frames: np.ndarray | None = None, min_fragment_rows: int = 3) -> BoxTable:
    """The same boxes with fragment ids merged; rows with id -1 pass through untouched.

    ``appearance`` [rows, K]: a per-row normalised colour histogram (see ``teams.kit_histograms``).
    Gates scale with box height so one setting works for near and far players.
    """
    if appearance is not None and len(appearance) != len(table):
        raise InvalidInput(f"relink: {len(appearance)} appearance rows for {len(table)} boxes")
    tracked = table.track_id >= 0
    part = table.select(tracked)
    if len(part) == 0:
        return table
    ids, inverse, start, end, start_pos, end_pos, end_vel, start_vel, height, rows = _fragment_summaries(part, 5)
    n = len(ids)
    gap = start[None, :] - end[:, None]  # [ender, starter]
    # Meet in the middle: extrapolate the ender forward and the starter backward by half the gap
    # each, which is less brittle than trusting one noisy velocity for the whole gap.
    half = gap[:, :, None] / 2
    ender_at = end_pos[:, None, :] + end_vel[:, None, :] * half
    starter_at = start_pos[None, :, :] - start_vel[None, :, :] * half
    distance = np.linalg.norm(ender_at - starter_at, axis=2)
    scale = np.maximum(height[:, None], height[None, :])
    radius = scale * (gate_heights + speed_heights_per_frame * gap)
    motion_cost = distance / radius
    feasible = (gap > 0) & (gap <= max_gap_frames) & (rows[:, None] >= min_fragment_rows) & (rows[None, :] >= min_fragment_rows)
    crosses_cut = np.zeros_like(feasible)
    if cut_frames is not None and len(cut_frames):
        cuts = np.sort(np.asarray(cut_frames))
        crosses_cut = np.searchsorted(cuts, end[:, None], side="right") != np.searchsorted(cuts, start[None, :], side="right")
    cost = np.where(crosses_cut, 0.0, motion_cost)
    feasible &= crosses_cut | (motion_cost <= 1.0)
    if appearance is not None:
        mean_hist = np.zeros((n, appearance.shape[1]))
        np.add.at(mean_hist, inverse, appearance[tracked])
        mean_hist /= np.maximum(mean_hist.sum(axis=1, keepdims=True), 1e-12)
        # Hellinger distance between mean histograms: 0 same, 1 disjoint.
        root = np.sqrt(mean_hist)
        hellinger = np.sqrt(np.clip(1 - root @ root.T, 0, 1))
        feasible &= hellinger <= max_appearance_distance
        cost = cost + appearance_weight * hellinger / max_appearance_distance
    else:
        feasible &= ~crosses_cut
    big = 1e6
    enders, starters = linear_sum_assignment(np.where(feasible, cost, big))
    links = [(a, b) for a, b in zip(enders, starters) if feasible[a, b]]
    # Follow chains so A->B->C all take A's id.
    parent = np.arange(n)
    successor = dict(links)
    has_predecessor = {b for _, b in links}
    for head in (i for i in range(n) if i not in has_predecessor):
        node = head
        while node in successor:
            node = successor[node]
            parent[node] = head
    new_ids = table.track_id.copy()
    new_ids[tracked] = ids[parent[inverse]]
    return BoxTable(table.frame, new_ids, table.xyxy, table.confidence)
