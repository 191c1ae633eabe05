"""F1 race predictions: pre-race winner/podium model (LightGBM), baselines, evaluation, in-race win probability."""
