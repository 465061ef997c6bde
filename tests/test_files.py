"""Files are served only from inside their folder: no links, hard links, special files."""

from __future__ import annotations

import os

import pytest

from cocourse.certification import attachments
from cocourse.web import files
from cocourse.web.files import open_safe_file, safe_file

from .conftest import make_app

SVG = b'<svg xmlns="http://www.w3.org/2000/svg"></svg>'


@pytest.fixture
def secret(tmp_path):
    """A fake secret key outside the served folder."""
    key = tmp_path / "instance" / "secret_key"
    key.parent.mkdir(parents=True, exist_ok=True)
    key.write_text("top-secret-key")
    return key


@pytest.fixture
def root(tmp_path):
    folder = tmp_path / "root"
    (folder / "images").mkdir(parents=True)
    (folder / "images" / "ok.svg").write_bytes(SVG)
    return folder


def test_a_plain_file_inside_the_root_is_found(root):
    assert safe_file(root, "images/ok.svg") == (root / "images" / "ok.svg").resolve()


@pytest.mark.parametrize(
    "relative",
    ["", "/etc/passwd", "../root/images/ok.svg", "images/../images/ok.svg", ".env", "a/.b/c.png"],
)
def test_odd_paths_are_refused(root, relative):
    assert safe_file(root, relative) is None


def test_a_link_to_a_file_outside_is_refused(root, secret):
    (root / "images" / "key.svg").symlink_to(secret)
    assert safe_file(root, "images/key.svg") is None


def test_a_link_inside_the_root_is_refused_too(root):
    # Content is served as stored: a link is refused even when it stays inside the root.
    (root / "images" / "alias.svg").symlink_to(root / "images" / "ok.svg")
    assert safe_file(root, "images/alias.svg") is None


def test_a_linked_folder_is_refused(root, tmp_path, secret):
    (root / "outside").symlink_to(secret.parent, target_is_directory=True)
    assert safe_file(root, "outside/secret_key") is None


def test_a_hard_link_is_refused(root, secret):
    os.link(secret, root / "images" / "key.svg")
    assert safe_file(root, "images/key.svg") is None


def test_a_fifo_and_a_folder_are_refused(root):
    os.mkfifo(root / "images" / "pipe.svg")
    assert safe_file(root, "images/pipe.svg") is None
    assert safe_file(root, "images") is None


def test_the_root_itself_may_be_a_link(root, tmp_path):
    (tmp_path / "alias").symlink_to(root, target_is_directory=True)
    assert safe_file(tmp_path / "alias", "images/ok.svg") == (root / "images" / "ok.svg")


def _served_app(engine, database_url, tmp_path, course_copy):
    return make_app(database_url, tmp_path, CONTENT_DIR=str(course_copy))


def test_module_files_refuse_a_link_to_the_secret_key(
    engine, database_url, tmp_path, course_copy, secret
):
    client = _served_app(engine, database_url, tmp_path, course_copy).test_client()
    # Added after the course was loaded: lint would refuse it, but the files are on disk.
    images = course_copy / "intro" / "images"
    (images / "key.svg").symlink_to(secret)
    (images / "same.svg").symlink_to(images / "dot.svg")
    os.link(secret, images / "hard.svg")
    os.mkfifo(images / "pipe.svg")
    for name in ["key.svg", "same.svg", "hard.svg", "pipe.svg"]:
        response = client.get(f"/modules/intro/files/images/{name}")
        assert response.status_code == 404, name
        assert b"top-secret-key" not in response.data
    with client.get("/modules/intro/files/images/dot.svg") as ok:
        assert ok.status_code == 200 and ok.data.startswith(b"<svg")


def test_module_files_refuse_a_linked_module_folder_entry(
    engine, database_url, tmp_path, course_copy, secret
):
    client = _served_app(engine, database_url, tmp_path, course_copy).test_client()
    (course_copy / "intro" / "keys").symlink_to(secret.parent, target_is_directory=True)
    (secret.parent / "key.svg").write_text("top-secret-key")
    assert client.get("/modules/intro/files/keys/key.svg").status_code == 404


def test_attachments_are_found_only_as_plain_files_in_their_folder(tmp_path, secret):
    folder = tmp_path / "uploads"
    store = attachments.FolderStore(folder)
    key = store.put(b"%PDF-1.4 notes")
    assert store.read(key) == b"%PDF-1.4 notes"
    linked = "ab" * 16
    (folder / linked).symlink_to(secret)
    hard = "cd" * 16
    os.link(secret, folder / hard)
    for bad in [linked, hard, "ef" * 16, "../instance/secret_key", ""]:
        assert store.read(bad) is None, bad
    store.discard("../instance/secret_key")
    assert secret.exists()


def _swapping(monkeypatch, swap):
    """Make the check see the file as it was, then `swap` it before it is opened."""
    checked = files._checked

    def check_then_swap(root, relative):
        found = checked(root, relative)
        swap()
        return found

    monkeypatch.setattr(files, "_checked", check_then_swap)


def test_a_link_swapped_in_after_the_check_is_not_opened(root, secret, monkeypatch):
    target = root / "images" / "ok.svg"

    def to_link():
        target.unlink()
        target.symlink_to(secret)

    _swapping(monkeypatch, to_link)
    assert open_safe_file(root, "images/ok.svg") is None


def test_another_file_moved_in_after_the_check_is_not_opened(root, monkeypatch):
    other = root / "other.svg"
    other.write_bytes(b"<svg>other</svg>")
    _swapping(monkeypatch, lambda: os.replace(other, root / "images" / "ok.svg"))
    assert open_safe_file(root, "images/ok.svg") is None


def test_the_checked_file_is_opened(root):
    opened = open_safe_file(root, "images/ok.svg")
    assert opened is not None
    file, info = opened
    with file:
        assert file.read() == SVG and info.st_size == len(SVG)


def test_module_files_answer_conditional_requests(engine, database_url, tmp_path, course_copy):
    client = _served_app(engine, database_url, tmp_path, course_copy).test_client()
    with client.get("/modules/intro/files/images/dot.svg") as first:
        assert first.status_code == 200
        assert first.content_length == (course_copy / "intro" / "images" / "dot.svg").stat().st_size
        assert first.headers["Content-Type"].startswith("image/svg+xml")
        etag = first.headers["ETag"]
    with client.get(
        "/modules/intro/files/images/dot.svg", headers={"If-None-Match": etag}
    ) as again:
        assert again.status_code == 304
