"""Score a campaign's e-mails with SpamAssassin's local rules (network tests off).

Run by hand, with Debian's spamassassin package installed (apt-get install spamassassin):

    python bench/spam_score.py examples/launch-planner/campaign.yaml [SAMPLE]

Renders the campaign's messages as .eml files, scores a sample of them with
`spamassassin -L -t` and prints each score and the rules that fired. The alert
threshold is 5.0; publipost aims under 2.0.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> None:
    if shutil.which("spamassassin") is None:
        sys.exit("spamassassin is not installed: apt-get install spamassassin")
    campaign = Path(sys.argv[1])
    sample = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "publipost", "render", str(campaign), "--format", "eml", "--out", tmp],
            check=True,
            capture_output=True,
        )
        scores = []
        for path in sorted(Path(tmp, "emails").glob("*.eml"))[:sample]:
            report = subprocess.run(
                ["spamassassin", "-L", "-t"], input=path.read_bytes(), capture_output=True, check=True
            ).stdout.decode(errors="replace")
            score = float(re.search(r"Content analysis details:\s+\((-?[\d.]+) points", report).group(1))
            rules = re.findall(
                r"^\s*-?[\d.]+ ([A-Z0-9_]+)", report.split("Content analysis details", 1)[1], re.M
            )
            scores.append(score)
            print(f"{path.name:<20} {score:5.1f}  {' '.join(rules)}")
        mean = sum(scores) / len(scores)
        print(f"{len(scores)} messages: max {max(scores):.1f}, mean {mean:.2f} (alert at 5.0)")


if __name__ == "__main__":
    main()
