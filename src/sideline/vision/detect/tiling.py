"""Tiled inference: run a detector on overlapping crops so distant players and the ball keep
enough pixels at the network's input size, then merge the boxes with NMS.

Boxes cut by a tile edge are dropped when another tile (or the full frame) sees them whole; the
overlap must exceed the largest object you care about for that to work.
"""

from __future__ import annotations

import numpy as np

from sideline.errors import InvalidInput
from sideline.vision.detect.base import Detections, Detector, check_image, non_max_suppression


def tile_origins(length: int, tile: int, overlap: int) -> np.ndarray:
    """Start offsets along one axis covering [0, length) with tiles of ``tile`` overlapping by ``overlap``."""
    if tile >= length:
        return np.array([0])
    step = tile - overlap
    count = int(np.ceil((length - tile) / step)) + 1
    # Spread evenly so the last tile ends exactly at the border instead of hanging over it.
    return np.round(np.linspace(0, length - tile, count)).astype(int)


class TiledDetector:
    def __init__(self, inner: Detector, *, tile_size: int = 416, overlap: int = 96, include_full_frame: bool = True,
                 iou_threshold: float = 0.5, edge_margin: int = 2) -> None:
        if not 0 <= overlap < tile_size:
            raise InvalidInput(f"tiling: overlap must be in [0, tile_size), got {overlap} for tile {tile_size}")
        self.inner = inner
        self.tile_size = tile_size
        self.overlap = overlap
        self.include_full_frame = include_full_frame
        self.iou_threshold = iou_threshold
        self.edge_margin = edge_margin

    def detect(self, image: np.ndarray) -> Detections:
        image = check_image(image)
        height, width = image.shape[:2]
        parts = [self.inner.detect(image)] if self.include_full_frame else []
        for top in tile_origins(height, self.tile_size, self.overlap):
            for left in tile_origins(width, self.tile_size, self.overlap):
                bottom, right = min(top + self.tile_size, height), min(left + self.tile_size, width)
                found = self.inner.detect(image[top:bottom, left:right])
                if not len(found):
                    continue
                # A box touching an inner tile edge is probably a cut-off body; a neighbour sees it whole.
                inner_edges = np.array([left > 0, top > 0, right < width, bottom < height])
                local = found.xyxy
                touches = np.column_stack([
                    local[:, 0] <= self.edge_margin, local[:, 1] <= self.edge_margin,
                    local[:, 2] >= (right - left) - self.edge_margin, local[:, 3] >= (bottom - top) - self.edge_margin,
                ])
                found = found[~(touches & inner_edges).any(axis=1)]
                found.xyxy = found.xyxy + np.array([left, top, left, top])
                parts.append(found)
        merged = Detections.concat(parts)
        kept = non_max_suppression(merged.xyxy, merged.confidence, merged.class_id, self.iou_threshold)
        return merged[kept]
