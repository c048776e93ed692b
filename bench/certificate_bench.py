"""Benchmark the bulk certificate ZIP: N certificates rendered into one ZIP in memory.

    .venv/bin/python bench/certificate_bench.py [--count 2000] [--seed 7] [--out FILE.zip]

Issue 24's target: an exam's 2,000 certificates as one ZIP in at most 60 s on the
2-core machine, in one process (as a Huey task would make it). The facts vary the
way a real exam's do: names in Uzbek Latin (with o‘ g‘), Cyrillic and English;
a third of them DTM block tests with five section scores; some provisional. Each
certificate has its own verification URL, so every QR code is encoded afresh.
PDFs are stored in the ZIP without recompression (they are already deflated).

Prints the wall and CPU time, the per-certificate time, the ZIP's size and the
mean certificate size. The CPU time is the figure to compare across runs when
other work shares the machine.
"""

from __future__ import annotations

import argparse
import io
import random
import string
import sys
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mockexam.certificates import CertificateFacts, SectionScore, render_certificate

TARGET_SECONDS = 60.0

FIRST = {
    "uz": ["G‘ayrat", "Oʻktam", "Dilnoza", "Shahzoda", "Jasur", "Gulnoza", "Sardor", "Mo‘mina"],
    "ru": ["Шахноза", "Ёкуб", "Дмитрий", "Анастасия", "Ўлмас", "Ғайрат", "Мария", "Қодир"],
    "en": ["Alisher", "Madina", "John", "Aziza", "Timur", "Laylo", "Bekzod", "Sevara"],
}
LAST = {
    "uz": ["Ismoilov", "Qo‘chqorova", "Yo‘ldoshev", "G‘ulomova", "Toshpo‘latov", "Karimova"],
    "ru": ["Ёкубова", "Петров", "Умарова", "Ҳасанов", "Ким", "Рахимова"],
    "en": ["Karimov", "Yusupova", "Smith", "Abdullaeva", "Nazarov", "Saidova"],
}
TITLES = {
    "uz": "DTM blok testi №{n}: matematika — fizika",
    "ru": "Пробный экзамен по математике №{n}",
    "en": "Mathematics certificate mock #{n}",
}
SECTIONS = (
    ("Ona tili va adabiyot", 11),
    ("Matematika", 11),
    ("O‘zbekiston tarixi", 11),
    ("Matematika (asosiy)", 93),
    ("Fizika", 63),
)


def make_facts(index: int, rng: random.Random) -> tuple[CertificateFacts, str]:
    """The `index`-th student's facts and language."""
    lang = ("uz", "ru", "en")[index % 3]
    name = f"{rng.choice(FIRST[lang])} {rng.choice(LAST[lang])}"
    if rng.random() < 0.3:
        name += f" {rng.choice(FIRST[lang])}ovich"
    code = "-".join(
        "".join(rng.choices(string.ascii_uppercase + string.digits, k=4)) for _ in range(3)
    )
    provisional = rng.random() < 0.05
    block = index % 3 == 0
    sections: list[SectionScore] = []
    points = None
    if block:
        sections = [
            SectionScore(title, round(rng.uniform(0, top), 1), top) for title, top in SECTIONS
        ]
        points = round(sum(s.points for s in sections), 1)
    facts = CertificateFacts(
        student_name=name,
        exam_title=TITLES[lang].format(n=1 + index % 40),
        exam_date=date(2026, 9, 5) + timedelta(days=7 * (index % 12)),
        verify_code=code,
        scaled_score=round(rng.uniform(5, 98), 2),
        scaled_score_se=None if provisional else round(rng.uniform(2.4, 4.5), 2),
        official_kind="points" if block else "scaled",
        points=points,
        max_points=189 if block else None,
        on_linked_scale=not provisional and rng.random() < 0.8,
        is_provisional=provisional,
        grade=rng.choice(["A+", "A", "B+", "B", "C+", "C", None]),
        percentile=None if provisional else rng.randint(1, 99),
        sections=sections,
    )
    return facts, lang


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=Path, help="also write the ZIP here")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    students = [make_facts(i, rng) for i in range(args.count)]

    wall, cpu = time.perf_counter(), time.process_time()
    buffer = io.BytesIO()
    pdf_bytes = 0
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for index, (facts, lang) in enumerate(students, start=1):
            url = f"https://mockexam.example.uz/verify/{facts.verify_code}"
            pdf = render_certificate(facts, lang=lang, verify_url=url)
            pdf_bytes += len(pdf)
            archive.writestr(f"{index:04d}-{facts.verify_code}.pdf", pdf)
    wall = time.perf_counter() - wall
    cpu = time.process_time() - cpu
    size = buffer.getbuffer().nbytes
    if args.out:
        args.out.write_bytes(buffer.getvalue())

    verdict = "within" if wall <= TARGET_SECONDS else "OVER"
    print(f"certificates      {args.count:,} (uz/ru/en, a third DTM blocks with 5 sections)")
    print(f"wall time         {wall:.1f} s  ({verdict} the {TARGET_SECONDS:.0f} s target)")
    print(f"CPU time          {cpu:.1f} s")
    print(
        f"per certificate   {1000 * wall / args.count:.1f} ms wall, {1000 * cpu / args.count:.1f} ms CPU"
    )
    print(f"ZIP size          {size / 2**20:.1f} MiB")
    print(f"mean certificate  {pdf_bytes / args.count / 1024:.1f} KiB")


if __name__ == "__main__":
    main()
