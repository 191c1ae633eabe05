"""Domain types shared by every sport: tracking frames, events, pose sequences, timing;
units and coordinate systems (metres, seconds, pitch orientation). No I/O, no database."""
