"""`make bench`: every benchmark, each printing its figures beside its baseline."""

from __future__ import annotations

import sys

from bench import plot, roundtrip, startup


def main() -> None:
    """Run the benchmarks in turn; `python -m bench quick` shortens each run."""
    quick = "quick" in sys.argv[1:]
    print("== round trip ==", flush=True)
    roundtrip.run(blocks=4 if quick else 10, per_block=100 if quick else 300)
    print("\n== start-up ==", flush=True)
    startup.run()
    print("\n== live plotting ==", flush=True)
    plot.main(["--long", "5", "--short", "2"] if quick else [])


if __name__ == "__main__":
    main()
