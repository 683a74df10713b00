"""What variants cost: the same campaign with and without an A/B test (B changes the P.S., the
e-mail's subject and the offer's price), printed and its e-mails composed.

Run by hand (not in CI):

    python bench/variants_bench.py [LETTERS] [ROUNDS]      # default 2,000 letters, best of 4

Prints, for each, in CPU seconds (wall time on a shared machine varies by ±10 %), the
audience accounting (which assigns the variants), the print run (one
process) and the e-mails composed as a send composes them (.eml files), and the overhead of
variants in per cent. The relay, not composing, bounds a real send: this is the upper bound.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
from print_bench import make_campaign  # noqa: E402

AB = """\
variants:
  - name: A
    weight: 50%
  - name: B
    weight: 50%
    email:
      subject: "Dernier rappel pour votre couette, {{ first_name }}"
    letter:
      ps: "Répondez avant le {{ offer.deadline | date }} : votre taie en lin vous attend."
    offer:
      price: 79.90

"""


def timed(path: Path) -> tuple[float, float, float, int]:
    """Seconds: audience, print run, e-mails; and the letters printed."""
    from publipost.api import prepare
    from publipost.channels.email import eml_files
    from publipost.channels.printing import render_pdf
    from publipost.run.executor import InProcess

    out = path.parent / "out"
    shutil.rmtree(out, ignore_errors=True)
    clock = time.process_time  # CPU seconds: what the work costs, whatever else the machine runs
    started = clock()
    prepared = prepare(path)
    loaded = clock()
    letters = render_pdf(prepared, out, jobs=1).letters
    printed = clock()
    eml_files(prepared, out, InProcess())
    composed = clock()
    return loaded - started, printed - loaded, composed - printed, letters


def best(runs: list[tuple[float, float, float, int]]) -> tuple[float, float, float, int]:
    return min(r[0] for r in runs), min(r[1] for r in runs), min(r[2] for r in runs), runs[0][3]


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 4
    with tempfile.TemporaryDirectory() as tmp:
        plain = make_campaign(Path(tmp) / "plain", count)
        tested = make_campaign(Path(tmp) / "ab", count)
        text = tested.read_text(encoding="utf-8")
        tested.write_text(text.replace("email:\n", AB + "email:\n", 1), encoding="utf-8")
        timed(plain)  # warm up: fonts, QR encoder, templates
        runs: dict[Path, list[tuple[float, float, float, int]]] = {plain: [], tested: []}
        for round_ in range(rounds):  # interleaved, alternating which goes first
            for path in (plain, tested) if round_ % 2 == 0 else (tested, plain):
                runs[path].append(timed(path))
        without, with_ab = best(runs[plain]), best(runs[tested])
    print(f"{without[3]:,} letters and e-mails, best of {rounds}, one process, CPU seconds")
    print(f"{'':24}{'no variants':>12}{'A/B':>10}{'overhead':>10}")
    total_without, total_with = sum(without[:3]), sum(with_ab[:3])
    for label, a, b in (
        ("audience (assignment)", without[0], with_ab[0]),
        ("print run", without[1], with_ab[1]),
        ("e-mails composed", without[2], with_ab[2]),
        ("all", total_without, total_with),
    ):
        print(f"  {label:<22}{a:>10.2f} s{b:>8.2f} s{(b / a - 1) * 100:>+9.1f}%")
    print(f"  per recipient, choosing the variant's copy: {dispatch() * 1e9:.0f} ns")


def dispatch() -> float:
    """Seconds per `Prepared.of(recipient)`: the only work variants add per letter or e-mail."""
    from publipost.campaigns.audience import Recipient
    from publipost.prepared import Prepared

    prepared = Prepared.__new__(Prepared)
    prepared.variants = {"A": prepared, "B": prepared}
    people = [Recipient(i, str(i), {}, None, frozenset(), "AB"[i % 2]) for i in range(100_000)]
    started = time.perf_counter()
    for person in people:
        prepared.of(person)
    return (time.perf_counter() - started) / len(people)


if __name__ == "__main__":
    main()
