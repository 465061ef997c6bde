"""The content folder's git repository, through the `git` command: is there one, is it on
a branch, commit one file, a file's history, a file at a revision. Nothing here writes
files other than through `git commit`; every call has a timeout and never prompts.
"""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _

TIMEOUT = 30
REVISION = re.compile(r"^[0-9a-f]{7,40}$")
SEPARATOR = "\x1f"


class GitError(Exception):
    """git refused or failed; the message says what to do."""


@dataclass(frozen=True)
class Change:
    """One commit that changed a file."""

    revision: str
    author: str
    email: str
    at: datetime
    message: str

    @property
    def short(self) -> str:
        return self.revision[:10]


def _git(root: str | os.PathLike[str], *args: str, check: bool = True) -> str:
    env = {
        **os.environ,
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_OPTIONAL_LOCKS": "0",
        "LC_ALL": "C",
    }
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, arguments as a list
            ["git", "-C", str(root), *args],  # noqa: S607 - git from PATH
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
            env=env,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git could not run: {exc}") from exc
    if check and done.returncode != 0:
        raise GitError(done.stderr.strip() or f"git {args[0]} failed")
    return done.stdout


def is_repository(root: str | os.PathLike[str]) -> bool:
    """Whether the content folder is the top of a git work tree."""
    try:
        top = _git(root, "rev-parse", "--show-toplevel").strip()
    except GitError:
        return False
    return Path(top).resolve() == Path(root).resolve()


def branch(root: str | os.PathLike[str]) -> str | None:
    """The branch checked out; None on a detached HEAD."""
    name = _git(root, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).strip()
    return name or None


def check_writable(root: str | os.PathLike[str]) -> None:
    """Raise GitError when a commit now would not land on a branch, or git is mid-way
    through a merge, rebase or cherry-pick."""
    if branch(root) is None:
        raise GitError(
            _(
                "The content repository is on a detached HEAD, so a save would be a commit on "
                "no branch. Check out a branch on the server (git switch main), then save again."
            )
        )
    git_dir = Path(_git(root, "rev-parse", "--absolute-git-dir").strip())
    for marker in ("MERGE_HEAD", "REBASE_HEAD", "CHERRY_PICK_HEAD", "rebase-merge", "rebase-apply"):
        if (git_dir / marker).exists():
            raise GitError(
                _(
                    "The content repository is in the middle of a merge or rebase. Finish or "
                    "abort it on the server, then save again."
                )
            )


def commit(
    root: str | os.PathLike[str], paths: list[str], message: str, author: str, email: str
) -> str:
    """Commit the files at `paths` (only those) as `author`; the new revision."""
    _git(root, "add", "--", *paths)
    _git(
        root,
        "-c",
        f"user.name={author}",
        "-c",
        f"user.email={email}",
        "commit",
        "--quiet",
        "--no-verify",
        f"--author={author} <{email}>",
        "-m",
        message,
        "--",
        *paths,
    )
    return _git(root, "rev-parse", "HEAD").strip()


def history(root: str | os.PathLike[str], relative: str, limit: int = 50) -> list[Change]:
    """The commits that changed a file, newest first (following renames)."""
    form = SEPARATOR.join(("%H", "%an", "%ae", "%aI", "%s"))
    out = _git(root, "log", f"-n{limit}", "--follow", f"--format={form}", "--", relative)
    changes = []
    for line in out.splitlines():
        revision, author, email, at, message = line.split(SEPARATOR, 4)
        changes.append(Change(revision, author, email, datetime.fromisoformat(at), message))
    return changes


def file_at(root: str | os.PathLike[str], revision: str, relative: str) -> str:
    """The text of a file at a revision; GitError if the revision or file is unknown."""
    if not REVISION.match(revision):
        raise GitError("That is not a revision.")
    return _git(root, "show", f"{revision}:{relative}")


def parent_of(root: str | os.PathLike[str], revision: str) -> str | None:
    """The revision's first parent; None for the first commit."""
    if not REVISION.match(revision):
        raise GitError("That is not a revision.")
    out = _git(root, "rev-parse", "--verify", "--quiet", f"{revision}^", check=False).strip()
    return out or None


def uncommitted(root: str | os.PathLike[str], relative: str) -> bool:
    """Whether the file differs from what git holds (changed on the server, not committed)."""
    return bool(_git(root, "status", "--porcelain", "--", relative, check=False).strip())
