"""End to end: the real window on a real X server (Xvfb) indexes real photos, searches, and
is captured from the screen.

The test starts Xvfb and runs this file as a script in a child process (the xcb platform
must be chosen before Qt starts; the rest of the suite runs offscreen). The child drops
the folder on the window, waits for indexing, types a query, and grabs the window from
the X server's framebuffer, so the PNG is what a user would see.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.xvfb, pytest.mark.pipeline]

ROOT = Path(__file__).resolve().parents[2]
SESSION_TIMEOUT_S = 120
STEP_TIMEOUT_MS = 30_000
QUERY = "a cat"


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    read_fd, write_fd = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", "1280x860x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as reader:
        display = reader.readline().strip()
    if not display:
        server.kill()
        pytest.fail("Xvfb did not report a display number")
    return server, f":{display}"


@pytest.fixture
def display() -> object:
    if shutil.which("Xvfb") is None:
        pytest.skip("Xvfb is not installed (CI installs it: scripts/install_system_packages.sh)")
    server, name = _start_xvfb()
    yield name
    server.terminate()
    server.wait(10)


def test_real_window_indexes_real_photos_and_shows_results_on_screen(
    display: str, tmp_path: Path, tiny_clip: object
) -> None:
    from PySide6.QtGui import QImage

    from tests.corpus import copy_real_photos

    photos = copy_real_photos(tmp_path / "photos")
    shot = tmp_path / "window.png"
    env = {
        **os.environ,
        "DISPLAY": display,
        "QT_QPA_PLATFORM": "xcb",
        "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]),
        "HASHLENS_ENCODER_MODEL": tiny_clip.model_name,  # type: ignore[attr-defined]
        "HASHLENS_ENCODER_PRETRAINED": str(tiny_clip.weights_path),  # type: ignore[attr-defined]
        "HASHLENS_ENCODER_MODEL_CONFIG": str(tiny_clip.config_path),  # type: ignore[attr-defined]
        "HASHLENS_ENCODER_DEVICE": "cpu",
    }
    args = [str(tmp_path / "library.sqlite"), str(photos[0].parent), QUERY, str(shot)]

    done = subprocess.run(
        [sys.executable, __file__, *args],
        env=env, capture_output=True, text=True, timeout=SESSION_TIMEOUT_S, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr[-3000:]
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["platform"] == "xcb"
    assert outcome["encoded_images"] == len(photos)
    assert outcome["hits"] == len(photos)
    assert outcome["thumbnails"] >= 6
    image = QImage(str(shot))
    assert (image.width(), image.height()) == tuple(outcome["window_size"])
    colors = {image.pixel(x, y) for x in range(0, image.width(), 7) for y in range(0, 500, 7)}
    assert len(colors) > 500  # photos on screen, not a blank or a single-colour window


def _session(library: str, folder: str, query: str, shot: str) -> dict[str, object]:
    """Runs in the child process, on the X server."""
    from PySide6.QtCore import QEventLoop, QMimeData, QPointF, Qt, QTimer, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from desktop_app.gui.app import compose

    app = QApplication([sys.argv[0]])
    parts = compose(Path(library))
    window, controllers = parts.window, parts.controllers
    assert controllers is not None
    window.show()
    QTest.qWaitForWindowExposed(window)

    def wait_for(signal: object, action: object = None) -> list[object]:
        loop, got = QEventLoop(), []
        signal.connect(lambda *a: (got.extend(a), loop.quit()))  # type: ignore[attr-defined]
        QTimer.singleShot(STEP_TIMEOUT_MS, loop.quit)
        if callable(action):
            action()
        loop.exec()
        if not got:
            raise TimeoutError(f"no {signal} within {STEP_TIMEOUT_MS} ms")
        return got

    if controllers.library.overview is None:  # may have arrived while the window was exposed
        wait_for(controllers.library.overview_changed)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(folder)])
    where, buttons = window.rect().center(), Qt.MouseButton.LeftButton
    copy, no_keys = Qt.DropAction.CopyAction, Qt.KeyboardModifier.NoModifier
    # QDragEnterEvent takes an integer QPoint, QDropEvent a QPointF
    enter = QDragEnterEvent(where, copy, mime, buttons, no_keys)
    drop = QDropEvent(QPointF(where), copy, mime, buttons, no_keys)

    def drop_folder() -> None:  # the enter makes the window the drop target
        app.sendEvent(window, enter)
        app.sendEvent(window, drop)

    [report] = wait_for(controllers.indexing.finished, drop_folder)
    window.query_edit.setFocus()
    [outcome] = wait_for(
        controllers.search.results_changed, lambda: QTest.keyClicks(window.query_edit, query)
    )
    model = window.search_area.results_model
    for _ in range(50):  # thumbnails load as the grid paints
        QTest.qWait(50)
        if model.thumbnail_count() >= 6:
            break
    QTest.qWait(100)
    screen = window.screen()
    screen.grabWindow(window.winId()).save(shot, "PNG")
    result = {
        "platform": app.platformName(),
        "encoded_images": report.encoded_images,  # type: ignore[attr-defined]
        "hits": len(outcome.photos),  # type: ignore[attr-defined]
        "thumbnails": window.search_area.results_model.thumbnail_count(),
        "window_size": [window.width(), window.height()],
    }
    window.close()
    parts.shut_down()
    return result


if __name__ == "__main__":
    print(json.dumps(_session(*sys.argv[1:5])))  # noqa: T201
