"""The README's curl tour (readme_tour.sh) runs verbatim against a fresh cluster."""

import os
import subprocess
from pathlib import Path

TOUR = Path(__file__).with_name("readme_tour.sh")
TOUR_TIMEOUT_SECONDS = 180
# curl reads $CURL_HOME/.curlrc: the README's commands stay as they are while the test rides out
# an election on a loaded machine (curl retries a 503, the node's "no leader right now, retry").
CURL_RETRIES = "retry = 8\nretry-max-time = 30\n"


def test_readme_tour_runs_verbatim(cluster, tmp_path):
    (tmp_path / ".curlrc").write_text(CURL_RETRIES)
    environment = dict(os.environ, WARDEN=cluster.urls[0], NODES=" ".join(cluster.urls), KEY=cluster.admin_key,
                       CURL_HOME=str(tmp_path))
    result = subprocess.run(["bash", str(TOUR)], capture_output=True, text=True, env=environment,
                            timeout=TOUR_TIMEOUT_SECONDS, cwd=tmp_path)
    assert result.returncode == 0, f"tour failed ({result.returncode}):\n{result.stdout[-4000:]}\n{result.stderr[-6000:]}"
    assert result.stdout.count("true") >= 5, result.stdout


def test_readme_shows_the_tour_verbatim():
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    shown = readme.split("<!-- tour:begin -->\n```sh\n", 1)[1].split("\n```\n<!-- tour:end -->", 1)[0]
    script = TOUR.read_text().split("set -x\n", 1)[1].strip("\n")
    assert shown == script, "README.md's tour differs from Tests/integration/readme_tour.sh"
