"""`sideline import`: a match from local files through the same job as an upload, and one clear
line (no traceback, nothing imported) when something is wrong."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import SHARED_DATA

STATSBOMB = SHARED_DATA / "football" / "events" / "statsbomb_15986"


def test_cli_imports_a_match_and_refuses_bad_input_in_one_line(tmp_path):
    env = {**os.environ, "SIDELINE_HOME": str(tmp_path / "home"), "SIDELINE_SECRET_KEY": "cli-secret-" + "q" * 40}
    cli = [sys.executable, "-m", "sideline.cli"]
    subprocess.run([*cli, "demo", "--no-match"], env=env, check=True, capture_output=True)
    files = [f"event_data={STATSBOMB / 'statsbomb_15986_event.json'}", f"lineup_data={STATSBOMB / 'statsbomb_15986_lineup.json'}"]

    done = subprocess.run([*cli, "import", "statsbomb", *files, "--org", "demo-club", "--name", "CLI import"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("imported CLI import as match ")

    for args, message in ((["statsbomb", *files, "--org", "no-such-club"], "no organisation with slug 'no-such-club'"),
                          (["statsbomb", "event_data=/no/such/file.json", "--org", "demo-club"], "no such file"),
                          (["statsbomb", files[1], "--org", "demo-club"], "event_data")):
        bad = subprocess.run([*cli, "import", *args], env=env, capture_output=True, text=True, timeout=300)
        assert bad.returncode != 0 and message in bad.stderr, (args, bad.stderr)
        assert "Traceback" not in bad.stderr
