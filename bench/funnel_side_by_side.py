"""The module funnel and the module list, from the module steps (`cocourse.reports.funnel`) and
computed on demand from the activity log, completions and attempts as before migration 0021
(tests/funnel_on_demand.py), timed side by side on one database in one process.

The database must hold data already, such as the one `bench/reports.py --sqlite FILE` keeps or
the PostgreSQL database it filled. Each is called straight on a session (no request, no
template): one untimed call, then the median of `--reps` calls, for everyone and for the
biggest cohort. Usage: python bench/funnel_side_by_side.py DATABASE_URL [--reps N]
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def median_ms(call: Callable[[], Any], reps: int) -> float:
    """The median time of `reps` calls after an untimed one, in milliseconds."""
    call()
    times = []
    for _ in range(reps):
        began = time.perf_counter()
        call()
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    """Print a line per report: the time from the module steps and on demand."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url", help="a database with data, e.g. sqlite:////path/reports.sqlite3")
    parser.add_argument("--reps", type=int, default=10)
    args = parser.parse_args()

    from sqlalchemy import func, select

    from cocourse import create_app
    from cocourse.db import get_session
    from cocourse.models import CohortMember
    from cocourse.reports import funnel
    from tests import funnel_on_demand as on_demand

    app = create_app(
        {
            "DATABASE_URL": args.url,
            "INSTANCE_PATH": tempfile.mkdtemp(prefix="cocourse-side-by-side-"),
            "SECRET_KEY": secrets.token_urlsafe(48),
        }
    )
    with app.app_context():
        session = get_session()
        course = app.extensions["cocourse.course"].course
        module = course.modules[0]
        biggest = session.scalar(
            select(CohortMember.cohort_id)
            .group_by(CohortMember.cohort_id)
            .order_by(func.count().desc())
            .limit(1)
        )
        cohort = select(CohortMember.user_id).where(CohortMember.cohort_id == biggest)
        for scope, learners in (("everyone", None), ("biggest cohort", cohort)):
            cases = {
                f"module funnel `{module.slug}`": (
                    partial(funnel.funnel, session, module, learners),
                    partial(on_demand.funnel, session, module, learners),
                ),
                "module list": (
                    partial(funnel.headlines, session, course, learners),
                    partial(on_demand.headlines, session, course, learners),
                ),
            }
            for name, (steps, old) in cases.items():
                new_ms, old_ms = median_ms(steps, args.reps), median_ms(old, args.reps)
                print(
                    f"{name}, {scope}: {new_ms:,.1f} ms from the module steps, "
                    f"{old_ms:,.1f} ms on demand (median of {args.reps})",
                    flush=True,
                )
    app.extensions["cocourse.engine"].dispose()


if __name__ == "__main__":
    main()
