"""Regenerate docs/payslip-sample.png: a real payslip as a person sees it.

Run from the repository root: ``.venv/bin/python docs/make_sample.py [--lang en]``.
Runs the demo month (simulator → client → cn-payroll → WeasyPrint) for a small company
and turns the payslip of the API page's example employee (ZhangSan 张三) into a PNG with
``pdftoppm -png -r 80 -singlefile`` (poppler-utils).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from engine.pipeline import demo_month  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lang", choices=("zh", "en"), default="zh")
    parser.add_argument("--month", default="2026-10")
    parser.add_argument("--out", type=Path, default=None, help="PNG path (without .png is fine)")
    args = parser.parse_args()
    suffix = "" if args.lang == "zh" else f"-{args.lang}"
    out = args.out or ROOT / "docs" / f"payslip-sample{suffix}.png"
    with tempfile.TemporaryDirectory() as tmp:
        run = Path(tmp) / "run"
        demo_month(run, employees=5, month=args.month, workers=1, lang=args.lang,
                   rules=ROOT / "rules" / "cn-payroll.yaml")
        stem = out.with_suffix("")
        subprocess.run(["pdftoppm", "-png", "-r", "80", "-singlefile",
                        str(run / "payslips" / "ZhangSan.pdf"), str(stem)], check=True)
    print(f"wrote {stem.with_suffix('.png')}")


if __name__ == "__main__":
    main()
