"""Football analytics: pure functions on ``sideline.core.football`` types (no I/O).

- ``kinematics``: jump rejection, smoothing, speed and acceleration from positions
- ``physical``: distance, speed zones, sprints, accelerations, metabolic power
- ``shape``, ``possession``, ``passes``, ``xt``, ``pitch_control``, ``heatmaps``: team and
  tactical metrics
- ``moments``: notable moments (sprints, shots, goals, high-intensity sequences) for clips
"""
