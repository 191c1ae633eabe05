"""Video: decode, detect, track, calibrate, pose and render, producing ``sideline.core`` types."""
