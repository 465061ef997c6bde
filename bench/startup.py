"""Startup time with a large generated course: `create_app` and `load_course` in fresh processes.

Run alone with `python bench/startup.py` (prints JSON) or through `bench/run.py`.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TRACKS = [
    ("tasting", "Tasting", []),
    ("facilitator-training", "Facilitator training", ["tasting"]),
    ("certification", "Certification", ["facilitator-training"]),
]
VOCABULARY = """
people question answer session idea group facilitator listen share draft prototype feedback
round agenda stakeholder meeting outcome decision trust voice map journey workshop insight
theme cluster vote harvest reflect practice invite space time team together open careful
honest small first next every clear shared common useful
"""
WORDS = VOCABULARY.split()
CODE = {
    "python": 'def agenda(rounds):\n    """Plan the rounds."""\n'
    "    for number, name in enumerate(rounds, start=1):\n"
    '        print(f"{number}. {name}")\n\n\nagenda(["check-in", "ideas", "vote"])\n',
    "yaml": "session:\n  length: 90\n  rounds: [check-in, ideas, vote]\n  roles:\n"
    "    facilitator: 1\n    note_taker: 1\n",
    "bash": "mkdir -p harvest\ncp notes/*.md harvest/\nwc -w harvest/*.md | sort -n\n",
}
TARGET_WORDS = 800

# Runs in a fresh interpreter; prints one JSON line of timings.
CREATE_APP = """
import json, time
t0 = time.perf_counter()
from cocourse import create_app
t1 = time.perf_counter()
app = create_app()
t2 = time.perf_counter()
n = sum(len(m.lessons) for m in app.extensions["cocourse.course"].course.modules)
print(json.dumps({"imports": t1 - t0, "seconds": t2 - t1, "lessons": n}))
"""
LOAD_COURSE = """
import json, sys, time
t0 = time.perf_counter()
from cocourse.content.loader import load_course
t1 = time.perf_counter()
result = load_course(sys.argv[1])
t2 = time.perf_counter()
assert result.course is not None, [str(p) for p in result.errors]
n = sum(len(m.lessons) for m in result.course.modules)
print(json.dumps({"imports": t1 - t0, "seconds": t2 - t1, "lessons": n}))
"""


def sentence(rng: random.Random) -> str:
    """A sentence of 8 to 18 words from the pool, capitalized and ended with a full stop."""
    words = rng.choices(WORDS, k=rng.randint(8, 18))
    return " ".join(words).capitalize() + "."


def paragraph(rng: random.Random, extra: str = "") -> str:
    """Three to five sentences, with some inline formatting and an optional extra sentence."""
    parts = [sentence(rng) for _ in range(rng.randint(3, 5))]
    first, _, rest = parts[0].partition(" ")
    parts[0] = f"**{first}** {rest}"
    parts[-1] = parts[-1][:-1] + f" with `{rng.choice(WORDS)}` in *{rng.choice(WORDS)}*."
    return " ".join(parts + ([extra] if extra else []))


def lesson_text(rng: random.Random, title: str, links: list[tuple[str, str]]) -> str:
    """A ~800-word lesson: headings, lists, a table, code fences, a callout, links."""
    blocks = [f"# {title}", paragraph(rng)]
    link_text = " ".join(f"See [{text}]({target})." for text, target in links)
    section = 0
    while len(re.findall(r"\w+", "\n".join(blocks))) < TARGET_WORDS:
        section += 1
        blocks.append(f"## Step {section}: {rng.choice(WORDS)} and {rng.choice(WORDS)}")
        blocks.append(paragraph(rng, link_text if section == 1 else ""))
        kind = section % 4
        if kind == 1:
            blocks.append("\n".join(f"- {sentence(rng)}" for _ in range(5)))
            blocks.append(f"### Check the {rng.choice(WORDS)}")
            blocks.append("\n".join(f"{i}. {sentence(rng)}" for i in range(1, 5)))
        elif kind == 2:
            rows = ["| Round | Minutes | Who | Outcome |", "|---|---:|---|---|"]
            rows += [
                f"| {rng.choice(WORDS)} | {rng.randint(5, 30)} | {rng.choice(WORDS)} "
                f"| {sentence(rng)} |"
                for _ in range(5)
            ]
            blocks.append("\n".join(rows))
        elif kind == 3:
            lang = rng.choice(sorted(CODE))
            blocks.append(f"```{lang}\n{CODE[lang]}```")
        else:
            blocks.append(f"> [!TIP]\n> {sentence(rng)} {sentence(rng)}")
            blocks.append(
                f"Read more on [the project site](https://example.org/{rng.choice(WORDS)})."
            )
        blocks.append(paragraph(rng))
    return "\n\n".join(blocks) + "\n"


def generate(root: Path, modules: int = 50, lessons: int = 10, seed: int = 1) -> Path:
    """Write a course of `modules` x `lessons` lessons under `root`; return the folder."""
    rng = random.Random(seed)
    root.mkdir(parents=True, exist_ok=True)
    tracks_yml = ["tracks:"]
    for slug, title, needs in TRACKS:
        tracks_yml += [f"  - slug: {slug}", f"    title: {title}", f"    summary: {title} modules."]
        tracks_yml += [f"    prerequisites: [{', '.join(needs)}]"] if needs else []
    (root / "tracks.yml").write_text("\n".join(tracks_yml) + "\n", encoding="utf-8")
    names = [[f"{n:02d}-lesson-{n}" for n in range(1, lessons + 1)] for _ in range(modules)]
    for m in range(modules):
        track = TRACKS[m * len(TRACKS) // modules][0]
        first_in_track = m == 0 or TRACKS[(m - 1) * len(TRACKS) // modules][0] != track
        folder = root / f"module-{m + 1:02d}"
        folder.mkdir(exist_ok=True)
        front = [
            "---",
            f"title: Module {m + 1}",
            f"track: {track}",
            f"order: {m + 1}",
            f"summary: {sentence(rng)}",
            f"estimated_minutes: {lessons * 4}",
            f"prerequisites: [{'' if first_in_track else f'module-{m:02d}'}]",
            "audience: [recruits, employees]",
            "---",
            paragraph(rng),
        ]
        (folder / "module.md").write_text("\n".join(front) + "\n", encoding="utf-8")
        for i, name in enumerate(names[m]):
            other = rng.randrange(modules)
            links = [
                ("the next lesson", f"{names[m][(i + 1) % lessons]}.md"),
                ("a related lesson", f"../module-{other + 1:02d}/{rng.choice(names[other])}.md"),
                ("that module", f"../module-{other + 1:02d}/module.md"),
            ]
            text = lesson_text(rng, f"Lesson {m + 1}.{i + 1}: {rng.choice(WORDS)}", links)
            (folder / f"{name}.md").write_text(text, encoding="utf-8")
    return root


def clean_env(content: Path, database_url: str) -> dict[str, str]:
    """The environment for a child: no inherited COCOURSE_* settings, only ours."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("COCOURSE_")}
    env.update(
        DATABASE_URL=database_url,
        COCOURSE_SECRET_KEY=secrets.token_urlsafe(48),
        COCOURSE_CONTENT_DIR=str(content),
    )
    return env


def time_child(code: str, args: list[str], env: dict[str, str]) -> dict[str, float]:
    """Run `code` in a fresh interpreter; return its JSON timings plus the process wall time."""
    start = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    wall = time.perf_counter() - start
    if out.returncode != 0:
        raise RuntimeError(f"child failed:\n{out.stderr}")
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    result["process"] = wall
    return result


def measure(content: Path, reps: int = 5) -> dict[str, float]:
    """Median `create_app` and `load_course` times over `reps` fresh processes (after a warm-up)."""
    with tempfile.TemporaryDirectory(prefix="cocourse-startup-") as tmp:
        env = clean_env(content, f"sqlite:///{tmp}/bench.sqlite3")
        runs: dict[str, list[dict[str, float]]] = {"create_app": [], "load_course": []}
        for rep in range(reps + 1):  # the first round warms the file cache and .pyc files
            app = time_child(CREATE_APP, [], env)
            load = time_child(LOAD_COURSE, [str(content)], env)
            if rep:
                runs["create_app"].append(app)
                runs["load_course"].append(load)
    return {
        "lessons": runs["create_app"][0]["lessons"],
        "reps": reps,
        "create_app_s": statistics.median(r["seconds"] for r in runs["create_app"]),
        "create_app_max_s": max(r["seconds"] for r in runs["create_app"]),
        "process_s": statistics.median(r["process"] for r in runs["create_app"]),
        "load_course_s": statistics.median(r["seconds"] for r in runs["load_course"]),
    }


def run(reps: int = 5, modules: int = 50, lessons: int = 10) -> dict[str, float]:
    """Generate the course in a temporary folder and measure it."""
    with tempfile.TemporaryDirectory(prefix="cocourse-content-") as tmp:
        content = generate(Path(tmp) / "modules", modules, lessons)
        words = [len(re.findall(r"\w+", p.read_text())) for p in content.glob("*/[0-9]*.md")]
        result = measure(content, reps)
    result["words_per_lesson"] = statistics.mean(words)
    return result


def main() -> None:
    """Command line: print the startup figures as JSON, or write the course with --write."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=5, help="measured runs (median is reported)")
    parser.add_argument("--modules", type=int, default=50)
    parser.add_argument("--lessons", type=int, default=10, help="lessons per module")
    parser.add_argument("--write", metavar="DIR", help="only generate the course into DIR")
    args = parser.parse_args()
    if args.write:
        print(generate(Path(args.write), args.modules, args.lessons))
        return
    print(json.dumps(run(args.reps, args.modules, args.lessons), indent=2))


if __name__ == "__main__":
    main()
