"""Track players (ByteTrack + offline re-linking), the ball (Kalman bridging) and kit colours."""
