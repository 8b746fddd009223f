"""RAW photos (LibRaw) and videos (one frame, PyAV) through ``open_image``, on real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.errors import UnsupportedImageError
from core.media.image_io import open_image
from core.media.media_kinds import media_kind
from core.media.video_frame import open_video_frame
from tests.media_files import (
    RGB,
    distinct_colours,
    truncate,
    turn_quarter_clockwise,
    write_dng,
    write_video,
)

BIG = 10**9
RED: RGB = (200, 30, 30)


def mean_colour(image: object) -> np.ndarray:
    return np.asarray(image, dtype=np.float64).reshape(-1, 3).mean(axis=0)


def nearest(colour: np.ndarray, palette: list[RGB]) -> int:
    return int(np.argmin([np.abs(colour - np.array(c)).sum() for c in palette]))


def blue_preview(width: int, height: int) -> np.ndarray:
    pixels = np.zeros((height, width, 3), np.uint8)
    pixels[..., 2] = 220
    return pixels


@pytest.mark.parametrize(
    ("name", "kind"),
    [("a.JPG", "photo"), ("IMG_1.CR2", "raw"), ("x.dng", "raw"), ("clip.MOV", "video"),
     ("c.webm", "video"), ("notes.txt", None), ("noext", None)],
)  # fmt: skip
def test_the_kind_is_judged_by_the_extension(name: str, kind: str | None) -> None:
    assert media_kind(name) == kind


def test_a_dng_without_preview_is_developed_with_its_colour_size_and_exif(tmp_path: Path) -> None:
    dng = write_dng(tmp_path / "IMG_0001.dng", RED, size=(96, 64))

    decoded = open_image(dng, max_pixels=BIG)

    red, green, blue = mean_colour(decoded.image)
    assert red > 150  # the sensor's red, developed
    assert max(green, blue) < 60
    assert (decoded.width, decoded.height) == (96, 64)
    assert decoded.image.mode == "RGB"
    assert decoded.metadata.taken_at == "2021-06-05T10:11:12"
    assert decoded.metadata.camera == "Canon EOS 5D"


def test_the_embedded_preview_is_used_when_large_enough_else_the_sensor_data(
    tmp_path: Path,
) -> None:
    # a blue preview over a red sensor tells which one was decoded
    dng = write_dng(tmp_path / "b.dng", RED, size=(96, 64), preview=blue_preview(72, 48))

    small = open_image(dng, max_pixels=BIG, min_side=32)  # a thumbnail: 48 >= 32
    large = open_image(dng, max_pixels=BIG, min_side=60)  # the encoder wants more than 48
    viewer = open_image(dng, max_pixels=BIG, min_side=None)  # 72 is over half of 96

    assert nearest(mean_colour(small.image), [(0, 0, 220), RED]) == 0  # the blue preview
    assert nearest(mean_colour(large.image), [(0, 0, 220), RED]) == 1  # the red sensor
    assert nearest(mean_colour(viewer.image), [(0, 0, 220), RED]) == 0
    assert (small.width, small.height) == (large.width, large.height) == (96, 64)
    assert small.metadata.camera == "Canon EOS 5D"


def test_a_truncated_raw_is_skipped_with_a_clear_reason(tmp_path: Path) -> None:
    dng = truncate(write_dng(tmp_path / "cut.dng", RED), keep=0.5)

    with pytest.raises(UnsupportedImageError) as caught:
        open_image(dng, max_pixels=BIG)

    assert caught.value.user_message == "cut.dng is truncated or its image data is corrupt."
    assert str(dng) in caught.value.details


def test_a_raw_over_the_pixel_limit_is_refused_before_decoding(tmp_path: Path) -> None:
    dng = write_dng(tmp_path / "big.dng", RED, size=(96, 64))

    with pytest.raises(UnsupportedImageError, match=r"big\.dng is too large"):
        open_image(dng, max_pixels=96 * 64 - 1)


def test_the_frame_at_a_tenth_of_the_video_is_indexed_not_the_black_intro(
    tmp_path: Path,
) -> None:
    colours = distinct_colours(20, black_intro=1)  # 2 s at 10 fps: 10 % is frame 2
    video = write_video(tmp_path / "clip.mp4", colours, fps=10, gop=5)

    decoded = open_image(video, max_pixels=BIG)

    assert nearest(mean_colour(decoded.image), colours) == 2
    assert (decoded.width, decoded.height) == (64, 48)
    assert decoded.metadata.taken_at == "2022-03-04T05:06:07"


def test_a_far_keyframe_is_decoded_forward_to_the_frame_and_no_further(tmp_path: Path) -> None:
    colours = distinct_colours(50, black_intro=1)  # one keyframe; 10 % of 5 s is frame 5
    video = write_video(tmp_path / "long-gop.mkv", colours, fps=10, gop=100)

    reached = open_video_frame(video, max_pixels=BIG, min_side=None)
    bounded = open_video_frame(video, max_pixels=BIG, min_side=None, max_frames=3)

    assert nearest(mean_colour(reached.image), colours) == 5
    assert nearest(mean_colour(bounded.image), colours) == 2  # stopped after 3 frames


def test_a_video_past_its_time_limit_is_skipped_with_a_reason(tmp_path: Path) -> None:
    video = write_video(tmp_path / "slow.mp4", distinct_colours(10))

    with pytest.raises(UnsupportedImageError) as caught:
        open_video_frame(video, max_pixels=BIG, min_side=None, time_limit_s=0)

    assert caught.value.user_message.startswith("slow.mp4 took longer than 0 seconds")


def test_a_truncated_video_is_skipped_with_a_clear_reason(tmp_path: Path) -> None:
    video = truncate(write_video(tmp_path / "cut.mp4", distinct_colours(20)), keep=0.5)

    with pytest.raises(UnsupportedImageError) as caught:
        open_image(video, max_pixels=BIG)

    assert caught.value.user_message == "cut.mp4 is truncated or its image data is corrupt."


def test_a_video_over_the_pixel_limit_is_refused(tmp_path: Path) -> None:
    video = write_video(tmp_path / "big.mp4", distinct_colours(5))

    with pytest.raises(UnsupportedImageError, match=r"big\.mp4 is too large"):
        open_image(video, max_pixels=64 * 48 - 1)


def test_a_video_frame_is_scaled_down_for_the_encoder(tmp_path: Path) -> None:
    video = write_video(tmp_path / "hd.mp4", distinct_colours(5), size=(320, 240))

    decoded = open_image(video, max_pixels=BIG, min_side=100)

    assert decoded.image.size == (160, 120)  # box-reduced by 2, the shorter side stays >= 100
    assert (decoded.width, decoded.height) == (320, 240)


def test_the_decoder_seeks_to_the_keyframe_instead_of_decoding_from_the_start(
    tmp_path: Path,
) -> None:
    colours = distinct_colours(150, black_intro=1)  # 15 s: 10 % is frame 15, a keyframe
    video = write_video(tmp_path / "seek.mp4", colours, fps=10, gop=5)

    decoded = open_video_frame(video, max_pixels=BIG, min_side=None, max_frames=3)

    # from the start, three frames would end at frame 2
    assert nearest(mean_colour(decoded.image), colours) == 15


def test_a_portrait_phone_video_gives_an_upright_frame(tmp_path: Path) -> None:
    left_white = np.zeros((48, 64, 3), np.uint8)
    left_white[:, :32] = 255
    video = turn_quarter_clockwise(write_video(tmp_path / "portrait.mp4", [left_white] * 5))

    decoded = open_image(video, max_pixels=BIG, min_side=None)

    assert (decoded.width, decoded.height) == (48, 64)  # portrait
    pixels = np.asarray(decoded.image)
    assert pixels[:24].mean() > 230  # turned clockwise: the left half is now on top
    assert pixels[-24:].mean() < 25


@pytest.mark.parametrize("min_side", [16, 60])  # the preview (24 x 48 is enough), developed
def test_a_raw_shot_in_portrait_is_turned_upright_from_preview_or_sensor(
    tmp_path: Path, min_side: int
) -> None:
    left_white = np.zeros((64, 96, 3), np.uint8)
    left_white[:, :48] = 255
    dng = write_dng(
        tmp_path / "portrait.dng", left_white, size=(96, 64), preview=left_white[::2, ::2],
        orientation=6,  # turn 90 degrees clockwise to view
    )  # fmt: skip

    decoded = open_image(dng, max_pixels=BIG, min_side=min_side)

    assert (decoded.width, decoded.height) == (64, 96)
    pixels = np.asarray(decoded.image, dtype=np.float64)
    height = pixels.shape[0]
    assert pixels.shape[0] > pixels.shape[1]
    assert pixels[: height // 3].mean() > 200  # the left half is now on top
    assert pixels[-height // 3 :].mean() < 50
