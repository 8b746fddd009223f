"""Make the README's screenshots of the window (docs/screenshots/*.png), the same way every time.

Everything is built in a temporary folder: the tests' tiny open_clip architecture with
seeded random weights (so the rankings shown mean nothing), 24 of scikit-image's sample
photos with a caption ending in a #hashtag (their label), a library indexed by
``hashlens index`` and a BATCH hasher trained by ``hashlens train --method batch --bits
16``. Each state is then built through the real composition root, offscreen, and grabbed
once its background work has finished.

The photos get dates taken (``DAYS``) so the grid of every photo, newest first, shows
them. Offscreen by default; with ``QT_QPA_PLATFORM=xcb`` under Xvfb the shots are of real
X11 windows: ``xvfb-run -a -s "-screen 0 1400x900x24" env QT_QPA_PLATFORM=xcb
.venv/bin/python scripts/make_screenshots.py``.

The duplicates shot uses a second library: the same photos plus an exact copy, a smaller
re-encoded copy, a cropped and brightened copy and a re-take two seconds later (a burst).
The random weights score every pair of photos 0.97-0.998, so that shot asks for cosine
≥ 0.9995 (``HASHLENS_DUPLICATES_MIN_COSINE``) instead of the default 0.95.

The RAW and video shot uses a third library: eight of the photos, a DNG developed from
``astronaut.png`` (a real Bayer mosaic, written by ``tests.media_files``) and an MP4 of
``rocket.jpg`` after three black frames; the grid marks them *RAW* and ▶.

Usage: ``.venv/bin/python scripts/make_screenshots.py [OUT_DIR] [--only-duplicates]
[--only-raw-video]`` (default docs/screenshots; ``--only-duplicates`` makes just
``main-window-duplicates``, ``--only-raw-video`` just ``main-window-raw-video``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PHOTOS: dict[str, str] = {
    "astronaut.png": "Color image of the astronaut Eileen Collins. #people",
    "camera.png": "A man with a camera on a tripod. #people",
    "chelsea.png": "Chelsea the cat. #animals",
    "horse.png": "A horse in silhouette. #animals",
    "coffee.png": "Coffee cup. #food",
    "rocket.jpg": "Launch photo of DSCOVR on Falcon 9 by SpaceX. #space",
    "hubble_deep_field.jpg": "Hubble eXtreme Deep Field. #space",
    "moon.png": "Surface of the moon. #space",
    "motorcycle_left.png": "Rectified stereo image pair with ground-truth disparities. #vehicles",
    "motorcycle_right.png": "The right view of a stereo pair of a motorcycle. #vehicles",
    "ihc.png": "Immunohistochemical (IHC) staining with hematoxylin counterstaining. #microscopy",
    "cell.png": "Cell floating in saline. #microscopy",
    "microaneurysms.png": 'Gray-level "microaneurysms" image from a retina scan. #medical',
    "retina.jpg": "Human retina. #medical",
    "phantom.png": "Shepp Logan Phantom. #medical",
    "coins.png": "Greek coins from Pompeii. #objects",
    "clock_motion.png": "A clock, blurred by motion. #objects",
    "brick.png": "Brick wall. #textures",
    "grass.png": "Grass. #textures",
    "gravel.png": "Gravel. #textures",
    "page.png": "Scanned page of a book. #documents",
    "text.png": "Text written on a photographed page. #documents",
    "logo.png": "The scikit-image logo. #graphics",
    "chessboard_RGB.png": "A chessboard pattern in colour. #graphics",
}
QUERY = "a cat on a sofa"
DAYS = {
    name: f"20{18 + i % 7:02d}-{1 + (i * 5) % 12:02d}-{1 + (i * 11) % 28:02d}T10:00:00"
    for i, name in enumerate(PHOTOS)
}
"""A date taken per photo (the samples carry none), spread over seven years."""
WIDTH, HEIGHT = 1180, 760


def build_model(folder: Path) -> dict[str, str]:
    """The tiny architecture of the tests with seeded random weights; its settings as env."""
    from tests.conftest import TINY_MODEL_CFG, TINY_MODEL_NAME, save_tiny_weights

    config = folder / f"{TINY_MODEL_NAME}.json"
    config.write_text(json.dumps(TINY_MODEL_CFG), encoding="utf-8")
    weights = save_tiny_weights(config, TINY_MODEL_NAME, folder / "tiny.pt", seed=0)
    return {
        "HASHLENS_ENCODER_MODEL": TINY_MODEL_NAME,
        "HASHLENS_ENCODER_PRETRAINED": str(weights),
        "HASHLENS_ENCODER_MODEL_CONFIG": str(config),
        "HASHLENS_ENCODER_DEVICE": "cpu",
    }


def write_photos(folder: Path) -> None:
    from tests.corpus import skimage_data_dir

    folder.mkdir(parents=True)
    for name, caption in PHOTOS.items():
        shutil.copyfile(skimage_data_dir() / name, folder / name)
        (folder / f"{Path(name).stem}.txt").write_text(caption + "\n", encoding="utf-8")


def hashlens(library: Path, *args: str) -> None:
    command = [str(Path(sys.executable).with_name("hashlens")), "--library", str(library), *args]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)


class Shooter:
    """One QApplication; each shot composes a window, drives it, waits, and saves it."""

    def __init__(self, out: Path) -> None:
        from desktop_app.__main__ import _application

        self.out = out
        self.app = _application("hashlens-gui")

    def shoot(
        self,
        name: str,
        library: Path,
        drive: Callable[..., None] | None = None,
        scheme: str = "light",
        then: Callable[..., None] | None = None,
        grab: Callable[..., object] | None = None,
    ) -> None:
        from PySide6.QtCore import QSettings

        from desktop_app.__main__ import settle
        from desktop_app.gui.app import compose
        from desktop_app.gui.appearance import apply_color_scheme

        apply_color_scheme(self.app, scheme)
        settings = QSettings(str(library.with_suffix(f".{name}.ini")), QSettings.Format.IniFormat)
        parts = compose(library, settings=settings)
        parts.window.show()
        parts.window.reset_layout()
        parts.window.resize(WIDTH, HEIGHT)
        settle(self.app, parts, parts.window)
        for step in (drive, then):  # each step's background work lands before the next
            if step is not None:
                step(parts)
                settle(self.app, parts, parts.window)
        path = self.out / f"{name}.png"
        picture = grab(parts) if grab is not None else parts.window.grab()
        if not picture.save(str(path), "PNG"):  # type: ignore[attr-defined]
            raise OSError(f"could not write {path}")
        print(f"wrote {path}")
        parts.window.close()
        parts.shut_down()


def _search(text: str) -> Callable[..., None]:
    def drive(parts: object) -> None:
        parts.window.set_query(text)  # type: ignore[attr-defined]
        parts.controllers.search.search_text_now(text)  # type: ignore[attr-defined]

    return drive


def _search_by_photo(photo: Path) -> Callable[..., None]:
    def drive(parts: object) -> None:
        parts.controllers.search.search_image(photo)  # type: ignore[attr-defined]

    return drive


def date_photos(library: Path) -> None:
    """Give the sample photos the dates of ``DAYS``, as EXIF would."""
    from core.store.database import Store

    with Store.open(library) as store, store.atomic():
        for name, day in DAYS.items():
            store.db.execute("UPDATE media SET taken_at = ? WHERE path LIKE ?", [day, f"%/{name}"])


def _filtered(parts: object) -> None:
    """A date range, smaller thumbnails, a search (then sorted newest first)."""
    from PySide6.QtCore import QDate

    bar = parts.window.search_area.filter_bar  # type: ignore[attr-defined]
    bar.after_edit.setDate(QDate(2019, 1, 1))
    bar.before_edit.setDate(QDate(2023, 12, 31))
    bar.size_slider.setValue(128)
    _search(QUERY)(parts)


def _newest_first(parts: object) -> None:
    bar = parts.window.search_area.filter_bar  # type: ignore[attr-defined]
    bar.order_combo.activated.emit(bar.order_combo.findData("newest"))


def _nothing_matches(parts: object) -> None:
    from PySide6.QtCore import QDate

    bar = parts.window.search_area.filter_bar  # type: ignore[attr-defined]
    bar.after_edit.setDate(QDate(2030, 1, 1))


def _select_some(parts: object) -> None:
    """Three photos selected, and the grid's context menu open over them."""
    from PySide6.QtCore import QItemSelectionModel

    area = parts.window.search_area  # type: ignore[attr-defined]
    view, model = area.results_view, area.results_model
    flag = QItemSelectionModel.SelectionFlag.Select
    for row in (1, 2, 5):
        view.selectionModel().select(model.index(row), flag)
    view.setCurrentIndex(model.index(5))
    view.selectionModel().select(model.index(1), flag)
    view.selectionModel().select(model.index(2), flag)
    rect = view.visualRect(model.index(5))
    menu = view.context_menu()
    menu.popup(view.viewport().mapToGlobal(rect.center()))  # the view owns the menu


def _screen_of_window(parts: object) -> object:
    """The screen where the window is, popups included (needs a real X server: Xvfb)."""
    from PySide6.QtGui import QGuiApplication

    window = parts.window  # type: ignore[attr-defined]
    frame = window.frameGeometry()
    screen = QGuiApplication.primaryScreen()
    return screen.grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())


def _view_full_size(parts: object) -> None:
    view = parts.window.search_area.results_view  # type: ignore[attr-defined]
    view.setCurrentIndex(parts.window.search_area.results_model.index(1))  # type: ignore[attr-defined]
    view.view_requested.emit(1)


def _zoom_in(parts: object) -> None:
    viewer = parts.window.viewer  # type: ignore[attr-defined]
    viewer.resize(WIDTH, HEIGHT)
    viewer.set_zoom(1.0)


def _the_viewer(parts: object) -> object:
    return parts.window.viewer.grab()  # type: ignore[attr-defined]


def _open_first_hit(parts: object) -> None:
    hits = parts.window.search_area.results_model.hits  # type: ignore[attr-defined]
    parts.controllers.detail.open(hits[0].media_id)  # type: ignore[attr-defined]


def write_duplicates(photos: Path, folder: Path) -> None:
    """The sample photos plus copies of some: exact, smaller, cropped, and a re-take."""
    from PIL import Image, ImageEnhance

    shutil.copytree(photos, folder)
    shutil.copyfile(photos / "coffee.png", folder / "coffee copy.png")
    with Image.open(photos / "chelsea.png") as image:
        image.resize((image.width * 3 // 4, image.height * 3 // 4)).save(
            folder / "chelsea small.jpg", quality=60
        )
    with Image.open(photos / "astronaut.png") as image:
        cropped = image.crop((6, 6, image.width - 6, image.height - 6))
        ImageEnhance.Brightness(cropped).enhance(1.05).save(folder / "astronaut edit.jpg")
    with Image.open(photos / "rocket.jpg") as image:
        image.save(folder / "rocket 2.jpg", quality=85)


def date_retake(library: Path) -> None:
    """The re-take of rocket.jpg was shot two seconds after it (a burst)."""
    from core.store.database import Store

    day = DAYS["rocket.jpg"]
    with Store.open(library) as store, store.atomic():
        store.db.execute(
            "UPDATE media SET taken_at = ? WHERE path LIKE ?", [day[:-2] + "02", "%/rocket 2.jpg"]
        )


def _find_duplicates(parts: object) -> None:
    parts.window.show_duplicates()  # type: ignore[attr-defined]


def _select_a_group(parts: object) -> None:
    """Both photos of the second group selected, the grid's context menu open over them."""
    from PySide6.QtCore import QItemSelectionModel

    strip = parts.window.duplicates_page.strips[1]  # type: ignore[attr-defined]
    model = strip.model()
    strip.setCurrentIndex(model.index(1, 0))
    strip.selectionModel().select(model.index(0, 0), QItemSelectionModel.SelectionFlag.Select)
    rect = strip.visualRect(model.index(1, 0))
    strip.context_menu().popup(strip.viewport().mapToGlobal(rect.center()))


def shoot_duplicates(shooter: Shooter, base: Path, photos: Path) -> None:
    folder = base / "with-copies"
    write_duplicates(photos, folder)
    library = base / "duplicates.sqlite"
    hashlens(library, "add", str(folder))
    hashlens(library, "index", "--no-progress")
    hashlens(library, "train", "--method", "batch", "--bits", "16")
    date_photos(library)
    date_retake(library)
    os.environ["HASHLENS_DUPLICATES_MIN_COSINE"] = "0.9995"
    shooter.shoot(
        "main-window-duplicates",
        library,
        _find_duplicates,
        then=_select_a_group,
        grab=_screen_of_window,
    )
    del os.environ["HASHLENS_DUPLICATES_MIN_COSINE"]


ROLL = ("chelsea.png", "coffee.png", "horse.png", "moon.png", "camera.png", "coins.png",
        "motorcycle_left.png", "brick.png")  # fmt: skip


def write_raw_and_video(photos: Path, folder: Path) -> None:
    """Some sample photos, a RAW photo of the astronaut and a video of the rocket."""
    import numpy as np
    from PIL import Image

    from tests.media_files import write_dng, write_video

    folder.mkdir(parents=True)
    for name in ROLL:
        shutil.copyfile(photos / name, folder / name)
        shutil.copyfile(photos / f"{Path(name).stem}.txt", folder / f"{Path(name).stem}.txt")
    with Image.open(photos / "astronaut.png") as image:
        scene = np.asarray(image.convert("RGB").resize((320, 320)))
    write_dng(folder / "IMG_0420.dng", scene, size=(320, 320), taken="2024:07:14 09:30:00")
    (folder / "IMG_0420.txt").write_text("The astronaut, shot in RAW. #people\n", encoding="utf-8")
    with Image.open(photos / "rocket.jpg") as image:
        rocket = np.asarray(image.convert("RGB").resize((320, 240)))
    black = np.zeros_like(rocket)
    write_video(folder / "MVI_0421.mp4", [black] * 3 + [rocket] * 47, size=(320, 240))
    (folder / "MVI_0421.txt").write_text("Launch video. #space\n", encoding="utf-8")


def shoot_raw_and_video(shooter: Shooter, base: Path, photos: Path) -> None:
    folder = base / "camera-roll"
    write_raw_and_video(photos, folder)
    library = base / "raw-video.sqlite"
    hashlens(library, "add", str(folder))
    hashlens(library, "index", "--no-progress")
    date_photos(library)
    shooter.shoot("main-window-raw-video", library)


def main() -> None:
    flags = ("--only-duplicates", "--only-raw-video")
    args = [a for a in sys.argv[1:] if a not in flags]
    only_duplicates = "--only-duplicates" in sys.argv[1:]
    only_raw_video = "--only-raw-video" in sys.argv[1:]
    out = Path(args[0]) if args else ROOT / "docs" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="hashlens-shots-") as tmp:
        base = Path(tmp)
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
        os.environ.update(HASHLENS_HOME=str(base / "home"))
        os.environ["HF_HUB_OFFLINE"] = "1"
        shooter = Shooter(out)
        if not (only_duplicates or only_raw_video):
            shooter.shoot("main-window-empty", base / "empty.sqlite")  # default model: not here
        os.environ.update(build_model(base))
        photos = base / "photos"
        write_photos(photos)
        if not only_duplicates:
            shoot_raw_and_video(shooter, base, photos)
        if not only_raw_video:
            shoot_duplicates(shooter, base, photos)
        if only_duplicates or only_raw_video:
            return
        library = base / "library.sqlite"
        hashlens(library, "add", str(photos))
        hashlens(library, "index", "--no-progress")
        hashlens(library, "train", "--method", "batch", "--bits", "16")
        date_photos(library)
        shooter.shoot("main-window-browse", library)
        shooter.shoot("main-window-filters", library, _filtered, then=_newest_first)
        shooter.shoot("main-window-tag", library, _search("#space"))
        shooter.shoot("main-window-selection", library, _select_some, grab=_screen_of_window)
        shooter.shoot("viewer", library, _view_full_size, then=_zoom_in, grab=_the_viewer)
        shooter.shoot("main-window-filter-nothing", library, _search(QUERY), then=_nothing_matches)
        shooter.shoot("main-window-search", library, _search(QUERY))
        shooter.shoot("main-window-dark", library, _search(QUERY), scheme="dark")
        by_photo = _search_by_photo(photos / "chelsea.png")
        shooter.shoot("main-window-image-search", library, by_photo)
        shooter.shoot("main-window-detail", library, by_photo, then=_open_first_hit)
        card = base / "memory-card"
        card.mkdir()
        shutil.copyfile(photos / "coffee.png", card / "coffee.png")
        hashlens(library, "add", str(card))
        hashlens(library, "index", "--no-progress")
        shutil.rmtree(card)  # unplugged
        shooter.shoot("main-window-watching", library)
        not_a_library = base / "notes.txt"
        not_a_library.write_text("shopping list\n", encoding="utf-8")
        shooter.shoot("main-window-error", not_a_library)


if __name__ == "__main__":
    main()
