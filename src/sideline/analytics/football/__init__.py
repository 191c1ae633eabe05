"""Football analytics: pure functions on ``sideline.core.football`` types (no I/O).

- ``kinematics``: jump rejection, smoothing, speed and acceleration from positions
- ``physical``: distance, speed zones, sprints, accelerations, metabolic power
- ``shape``, ``formation``, ``possession``, ``passes``, ``xt``, ``pitch_control`` (numerical
  core in ``pitch_control_model``), ``heatmaps``: team and tactical metrics
- ``moments``: notable moments (sprints, shots, goals, high-intensity sequences) for clips
- ``sync``: events from one provider linked to another provider's tracking of the match
- ``report``: everything stored for a match, computed in one pass (what the jobs save)
"""
