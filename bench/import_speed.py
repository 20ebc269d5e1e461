"""Import speed: every seed notice, repeatedly, through the importer (read, parse, extract).

    python bench/import_speed.py [--rounds 20]

ends with ``import notices_per_s=<n> kb_per_s=<k>``.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plans.importer import extract  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=20)
    ap.add_argument("--seeds", type=Path, default=ROOT.parent / "shared" / "seeds")
    args = ap.parse_args()
    seeds = sorted(args.seeds.glob("*.txt")) or sorted((ROOT / "plans" / "notices").glob("*.txt"))
    if not seeds:
        sys.exit(f"没有找到通知样本：{args.seeds}")
    size = sum(p.stat().st_size for p in seeds)
    extract(seeds[0])  # warm up (OpenCC dictionaries)
    for p in seeds:
        started = time.perf_counter()
        extract(p)
        print(
            f"{p.name}: {p.stat().st_size / 1024:.0f} KB in "
            f"{(time.perf_counter() - started) * 1000:.0f} ms"
        )
    started = time.perf_counter()
    for _ in range(args.rounds):
        for p in seeds:
            extract(p)
    took = time.perf_counter() - started
    n = args.rounds * len(seeds)
    print(f"import notices_per_s={n / took:.1f} kb_per_s={args.rounds * size / 1024 / took:.0f}")


if __name__ == "__main__":
    main()
