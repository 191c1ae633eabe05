"""Pose estimation backends (BlazePose on LiteRT, MoveNet MultiPose on onnxruntime)."""
