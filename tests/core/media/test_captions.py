"""Tests for core.media.captions: sidecars, folder caption files, hashtags, signatures."""

from __future__ import annotations

import codecs
import json
import logging
import os
from pathlib import Path

import pytest

from core.errors import CaptionFileError
from core.media.caption_files import FolderCaptions, read_folder_captions
from core.media.captions import (
    CAPTION_FILE_NAMES,
    MAX_CAPTION_CHARS,
    Caption,
    caption_file_signature,
    decode_caption_bytes,
    extract_hashtags,
    read_sidecar_captions,
    sidecar_signature,
    sidecar_text_paths,
)


def texts(captions: tuple[Caption, ...] | list[Caption]) -> list[str]:
    return [caption.text for caption in captions]


# --- hashtags -----------------------------------------------------------------------------


def test_extract_hashtags_finds_tags_lowercased_without_trailing_punctuation():
    text = "Sunset at #Brighton beach #summer2024, with #dog!"
    assert extract_hashtags(text) == ["brighton", "summer2024", "dog"]


@pytest.mark.parametrize(
    "text",
    [
        "I write C# and F# daily",
        "we came #1 and #2024",
        "see http://x.com/#frag",
        "see https://example.org/page#Section",
        "see www.example.org/#top",
        "it&#x27;s quoted",
        "no tags here",
        "##double",
    ],
)
def test_extract_hashtags_ignores_non_tags(text: str):
    assert extract_hashtags(text) == []


def test_extract_hashtags_deduplicates_case_insensitively_and_keeps_order():
    assert extract_hashtags("#Cat #dog #CAT #bird") == ["cat", "dog", "bird"]


def test_extract_hashtags_accepts_unicode_letters_hyphens_and_underscores():
    text = "(#Zürich) #東京 #well-known- #snake_case_ #café"
    assert extract_hashtags(text) == ["zürich", "東京", "well-known", "snake_case", "café"]


def test_extract_hashtags_normalises_decomposed_accents():
    assert extract_hashtags("#cafe\u0301") == ["caf\u00e9"]


def test_extract_hashtags_keeps_tags_next_to_urls():
    assert extract_hashtags("#trip http://x.com/#frag #beach") == ["trip", "beach"]


# --- sidecars ----------------------------------------------------------------------------


def test_sidecar_text_paths_offers_both_naming_schemes(tmp_path: Path):
    image = tmp_path / "IMG_1.jpg"
    assert sidecar_text_paths(image) == (tmp_path / "IMG_1.txt", tmp_path / "IMG_1.jpg.txt")


@pytest.mark.parametrize("sidecar_name", ["IMG_1.txt", "IMG_1.jpg.txt"])
def test_read_sidecar_captions_reads_each_non_blank_line(tmp_path: Path, sidecar_name: str):
    path = tmp_path / sidecar_name
    path.write_bytes(b"  A red kite over the dunes  \r\n\r\n   \nTwo dogs on a beach\n")
    assert path in sidecar_text_paths(tmp_path / "IMG_1.jpg")
    captions = read_sidecar_captions(path)
    assert captions == [
        Caption("A red kite over the dunes", "sidecar"),
        Caption("Two dogs on a beach", "sidecar"),
    ]


def test_read_sidecar_captions_returns_nothing_for_missing_file(tmp_path: Path):
    assert read_sidecar_captions(tmp_path / "absent.txt") == []


def test_read_sidecar_captions_strips_utf8_bom(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_bytes(codecs.BOM_UTF8 + "Crème brûlée\n".encode())
    assert texts(read_sidecar_captions(path)) == ["Crème brûlée"]


def test_read_sidecar_captions_falls_back_to_cp1252(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"caf\xe9 \x93quoted\x94\n")
    assert texts(read_sidecar_captions(path)) == ["café \u201cquoted\u201d"]


def test_read_sidecar_captions_never_raises_on_undefined_cp1252_bytes(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_bytes(b"odd \x81 byte \xff")
    assert texts(read_sidecar_captions(path)) == ["odd \ufffd byte ÿ"]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_read_sidecar_captions_reads_utf16_with_bom(tmp_path: Path, encoding: str):
    path = tmp_path / "a.txt"
    data = "Ünïcode line\r\nsecond\r\n".encode(encoding)
    if encoding == "utf-16-be":
        data = codecs.BOM_UTF16_BE + data
    path.write_bytes(data)
    assert texts(read_sidecar_captions(path)) == ["Ünïcode line", "second"]


def test_read_sidecar_captions_cuts_long_caption_at_word_boundary(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text("word " * 1000, encoding="utf-8")
    (caption,) = read_sidecar_captions(path)
    assert len(caption.text) <= MAX_CAPTION_CHARS
    assert caption.text.endswith("word")
    assert len(caption.text) > MAX_CAPTION_CHARS - 10


def test_read_sidecar_captions_hard_cuts_a_single_huge_word(tmp_path: Path):
    path = tmp_path / "a.txt"
    path.write_text("x" * (MAX_CAPTION_CHARS + 50), encoding="utf-8")
    assert len(read_sidecar_captions(path)[0].text) == MAX_CAPTION_CHARS


def test_read_sidecar_captions_rejects_a_directory_with_user_message(tmp_path: Path):
    folder = tmp_path / "IMG_1.txt"
    folder.mkdir()
    with pytest.raises(CaptionFileError) as info:
        read_sidecar_captions(folder)
    assert "IMG_1.txt" in info.value.user_message


def test_read_sidecar_captions_rejects_files_over_one_mebibyte(tmp_path: Path):
    path = tmp_path / "big.txt"
    path.write_bytes(b"a" * (1024 * 1024 + 1))
    with pytest.raises(CaptionFileError) as info:
        read_sidecar_captions(path)
    assert "big.txt" in info.value.user_message


@pytest.mark.skipif(os.name == "nt" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_read_sidecar_captions_reports_unreadable_file(tmp_path: Path):
    path = tmp_path / "locked.txt"
    path.write_text("secret", encoding="utf-8")
    path.chmod(0)
    try:
        with pytest.raises(CaptionFileError, match=r"locked\.txt"):
            read_sidecar_captions(path)
    finally:
        path.chmod(0o644)


def test_read_sidecar_captions_wraps_permission_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    path = tmp_path / "locked.txt"
    path.write_text("secret", encoding="utf-8")

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(CaptionFileError) as info:
        read_sidecar_captions(path)
    assert "locked.txt" in info.value.user_message
    assert "Permission denied" in info.value.details


def test_decode_caption_bytes_prefers_utf8():
    assert decode_caption_bytes("naïve".encode()) == "naïve"


# --- folder caption files: CSV / TSV -----------------------------------------------------


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_read_folder_captions_handles_csv_quotes_commas_and_newlines(tmp_path: Path):
    write(
        tmp_path,
        "captions.csv",
        'file,caption\r\n"a.jpg","Fish, chips, and ""mushy"" peas"\r\n'
        'b.jpg,"first line\nsecond line"\r\nc.jpg,plain\r\n',
    )
    result = read_folder_captions(tmp_path)
    assert result.problems == ()
    assert texts(result.by_name["a.jpg"]) == ['Fish, chips, and "mushy" peas']
    assert texts(result.by_name["b.jpg"]) == ["first line\nsecond line"]
    assert result.by_name["c.jpg"] == (Caption("plain", "captions-file"),)


def test_read_folder_captions_collects_several_rows_per_file(tmp_path: Path):
    write(tmp_path, "captions.csv", "image,text\na.jpg,one\nb.jpg,other\na.jpg,two\n")
    assert texts(read_folder_captions(tmp_path).by_name["a.jpg"]) == ["one", "two"]


@pytest.mark.parametrize(
    ("file_column", "caption_column"),
    [
        ("File", "Caption"),
        ("FILENAME", "text"),
        ("file_name", "Description"),
        ("image", "title"),
        ("path", "caption"),
        ("Name", "TEXT"),
    ],
)
def test_read_folder_captions_recognises_header_variants(
    tmp_path: Path, file_column: str, caption_column: str
):
    write(tmp_path, "captions.csv", f"id,{caption_column},{file_column}\n7,A cat,cat.png\n")
    result = read_folder_captions(tmp_path)
    assert texts(result.by_name["cat.png"]) == ["A cat"]
    assert result.problems == ()


def test_read_folder_captions_reads_headerless_csv_as_file_then_caption(tmp_path: Path):
    write(tmp_path, "captions.csv", "a.jpg,A harbour at dawn,ignored\nb.jpg,Boats\n")
    result = read_folder_captions(tmp_path)
    assert texts(result.by_name["a.jpg"]) == ["A harbour at dawn"]
    assert texts(result.by_name["b.jpg"]) == ["Boats"]


def test_read_folder_captions_reads_tsv_with_tab_separator(tmp_path: Path):
    write(tmp_path, "captions.tsv", "filename\tcaption\na.jpg\tA, b; c\n")
    assert texts(read_folder_captions(tmp_path).by_name["a.jpg"]) == ["A, b; c"]


def test_read_folder_captions_reads_label_columns(tmp_path: Path):
    write(
        tmp_path,
        "captions.csv",
        'file,caption,Keywords\na.jpg,Beach,"sea; sand, sun"\na.jpg,Again,sea;gull\nb.jpg,,tag\n',
    )
    result = read_folder_captions(tmp_path)
    assert result.labels_by_name["a.jpg"] == ("sea", "sand", "sun", "gull")
    assert result.labels_by_name["b.jpg"] == ("tag",)
    assert "b.jpg" not in result.by_name
    assert result.problems == ()


def test_read_folder_captions_reports_bad_rows_with_line_numbers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    write(
        tmp_path,
        "captions.csv",
        'file,caption\na.jpg,fine\nb.jpg\n,orphan caption\n"c.jpg","multi\nline"\nd.jpg,  \n'
        "e.jpg,ok\n",
    )
    with caplog.at_level(logging.WARNING, logger="core.media.captions"):
        result = read_folder_captions(tmp_path)
    assert result.problems == (
        "captions.csv line 3: no caption",
        "captions.csv line 4: no file name",
        "captions.csv line 7: no caption",
    )
    assert sorted(result.by_name) == ["a.jpg", "c.jpg", "e.jpg"]
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 1
    assert "captions.csv" in caplog.records[0].getMessage()


def test_read_folder_captions_skips_oversized_csv_field_and_keeps_going(tmp_path: Path):
    huge = "x" * 200_000
    write(tmp_path, "captions.csv", f'file,caption\na.jpg,ok\nb.jpg,"{huge}"\nc.jpg,fine\n')
    result = read_folder_captions(tmp_path)
    assert sorted(result.by_name) == ["a.jpg", "c.jpg"]
    assert len(result.problems) == 1
    assert result.problems[0].startswith("captions.csv line 3:")


def test_read_folder_captions_matches_caption_file_names_case_insensitively(tmp_path: Path):
    write(tmp_path, "Captions.JSONL", '{"path": "a.jpg", "text": "hi", "keywords": ["k", 3]}\n')
    result = read_folder_captions(tmp_path)
    assert texts(result.by_name["a.jpg"]) == ["hi"]
    assert result.labels_by_name["a.jpg"] == ("k",)
    assert caption_file_signature({"Captions.JSONL": (1, 1)}) != ""


@pytest.mark.parametrize(
    "bad_name", ["/etc/passwd", "../outside.jpg", "sub/../../x.jpg", "C:\\photos\\a.jpg"]
)
def test_read_folder_captions_rejects_absolute_and_parent_paths(tmp_path: Path, bad_name: str):
    write(tmp_path, "captions.csv", f'file,caption\n"{bad_name}",nope\nok.jpg,yes\n')
    result = read_folder_captions(tmp_path)
    assert list(result.by_name) == ["ok.jpg"]
    assert len(result.problems) == 1
    assert result.problems[0].startswith("captions.csv line 2:")


def test_read_folder_captions_normalises_subfolder_names(tmp_path: Path):
    decomposed = "cafe\u0301.jpg"
    write(
        tmp_path,
        "captions.csv",
        f"file,caption\nsub/dir/x.jpg,one\nsub\\dir\\x.jpg,two\n./sub//y.jpg,three\n{decomposed},four\n",
    )
    result = read_folder_captions(tmp_path)
    assert texts(result.by_name["sub/dir/x.jpg"]) == ["one", "two"]
    assert texts(result.by_name["sub/y.jpg"]) == ["three"]
    assert texts(result.by_name["caf\u00e9.jpg"]) == ["four"]


def test_read_folder_captions_decodes_cp1252_caption_file(tmp_path: Path):
    write(tmp_path, "captions.csv", b"file,caption\nx.jpg,caf\xe9 au lait\n")
    assert texts(read_folder_captions(tmp_path).by_name["x.jpg"]) == ["café au lait"]


def test_read_folder_captions_decodes_utf16_caption_file(tmp_path: Path):
    write(tmp_path, "captions.tsv", "file\tcaption\r\nx.jpg\tÜber\r\n".encode("utf-16"))
    assert texts(read_folder_captions(tmp_path).by_name["x.jpg"]) == ["Über"]


# --- folder caption files: JSONL and merging ---------------------------------------------


def test_read_folder_captions_reads_jsonl_and_reports_broken_lines(tmp_path: Path):
    lines = [
        json.dumps({"file": "a.jpg", "caption": "Alpha", "tags": ["x", "y"]}),
        json.dumps({"image": "b.jpg", "captions": ["Beta one", "Beta two"], "labels": "p; q"}),
        "{not json",
        "",
        json.dumps({"file": "c.jpg", "caption": 42}),
        json.dumps(["a list"]),
        json.dumps({"caption": "no file"}),
        json.dumps({"File": "d.jpg", "Captions": ["Delta"]}),
    ]
    write(tmp_path, "captions.jsonl", "\n".join(lines) + "\n")
    result = read_folder_captions(tmp_path)
    assert texts(result.by_name["a.jpg"]) == ["Alpha"]
    assert texts(result.by_name["b.jpg"]) == ["Beta one", "Beta two"]
    assert texts(result.by_name["d.jpg"]) == ["Delta"]
    assert result.labels_by_name["a.jpg"] == ("x", "y")
    assert result.labels_by_name["b.jpg"] == ("p", "q")
    assert result.problems == (
        "captions.jsonl line 3: invalid JSON",
        "captions.jsonl line 5: caption is not a string",
        "captions.jsonl line 6: not a JSON object",
        "captions.jsonl line 7: no file name",
    )


def test_read_folder_captions_merges_all_caption_files(tmp_path: Path):
    write(tmp_path, "captions.csv", "file,caption\na.jpg,from csv\n")
    write(tmp_path, "captions.tsv", "a.jpg\tfrom tsv\n")
    write(tmp_path, "captions.jsonl", '{"file": "a.jpg", "caption": "from jsonl"}\n')
    write(tmp_path, "notes.csv", "a.jpg,not a caption file\n")
    result = read_folder_captions(tmp_path)
    assert texts(result.by_name["a.jpg"]) == ["from csv", "from tsv", "from jsonl"]


def test_read_folder_captions_returns_empty_result_for_folder_without_caption_files(
    tmp_path: Path,
):
    result = read_folder_captions(tmp_path)
    assert result == FolderCaptions({}, {}, ())


def test_read_folder_captions_skips_unreadable_caption_file_with_problem(tmp_path: Path):
    (tmp_path / "captions.csv").mkdir()
    write(tmp_path, "captions.jsonl", '{"file": "a.jpg", "caption": "still read"}\n')
    result = read_folder_captions(tmp_path)
    assert texts(result.by_name["a.jpg"]) == ["still read"]
    assert len(result.problems) == 1
    assert result.problems[0].startswith("captions.csv: skipped")


def test_read_folder_captions_reports_missing_folder_without_raising(tmp_path: Path):
    result = read_folder_captions(tmp_path / "absent")
    assert result.by_name == {}
    assert len(result.problems) == 1


def test_lookup_is_case_sensitive_first_then_falls_back(tmp_path: Path):
    write(tmp_path, "captions.csv", "file,caption\nIMG_1.JPG,upper\nimg_1.jpg,lower\nSub/B.jpg,b\n")
    result = read_folder_captions(tmp_path)
    assert texts(result.lookup("IMG_1.JPG")) == ["upper"]
    assert texts(result.lookup("img_1.jpg")) == ["lower"]
    assert texts(result.lookup("Img_1.Jpg")) == ["upper", "lower"]
    assert texts(result.lookup("sub\\b.JPG")) == ["b"]
    assert result.lookup("missing.jpg") == ()
    assert "Img_1.Jpg" not in result.by_name


def test_lookup_labels_uses_the_same_fallback(tmp_path: Path):
    write(tmp_path, "captions.csv", "file,caption,tags\nA.jpg,x,red;blue\n")
    assert read_folder_captions(tmp_path).lookup_labels("a.jpg") == ("red", "blue")


# --- signatures --------------------------------------------------------------------------


def test_caption_file_signature_changes_with_size_or_mtime_only():
    entries = {"a.jpg": (10, 1), "captions.csv": (100, 5), "captions.jsonl": (7, 9)}
    base = caption_file_signature(entries)
    assert base
    assert caption_file_signature(dict(entries)) == base
    assert caption_file_signature({**entries, "a.jpg": (11, 2), "b.jpg": (1, 1)}) == base
    assert caption_file_signature({**entries, "captions.csv": (101, 5)}) != base
    assert caption_file_signature({**entries, "captions.csv": (100, 6)}) != base
    without_jsonl = {k: v for k, v in entries.items() if k != "captions.jsonl"}
    assert caption_file_signature(without_jsonl) != base


def test_caption_file_signature_is_empty_without_caption_files():
    assert caption_file_signature({"a.jpg": (1, 1), "notes.csv": (1, 1)}) == ""


def test_caption_file_signature_ignores_listing_order():
    names = list(CAPTION_FILE_NAMES)
    forward = {name: (i, i) for i, name in enumerate(names)}
    backward = dict(reversed(list(forward.items())))
    assert caption_file_signature(forward) == caption_file_signature(backward)


@pytest.mark.parametrize(
    "sidecar", ["IMG_1.txt", "IMG_1.jpg.txt", "IMG_1.xmp", "IMG_1.jpg.xmp", "IMG_1.XMP"]
)
def test_sidecar_signature_tracks_each_sidecar_name(sidecar: str):
    entries = {"IMG_1.jpg": (5, 5), sidecar: (10, 100), "IMG_2.txt": (3, 3)}
    base = sidecar_signature("IMG_1.jpg", entries)
    assert base
    assert sidecar_signature("IMG_1.jpg", dict(entries)) == base
    assert sidecar_signature("IMG_1.jpg", {**entries, sidecar: (11, 100)}) != base
    assert sidecar_signature("IMG_1.jpg", {**entries, sidecar: (10, 101)}) != base
    assert sidecar_signature("IMG_1.jpg", {**entries, "IMG_2.txt": (4, 4)}) == base


def test_sidecar_signature_is_empty_without_sidecars():
    entries = {"IMG_1.jpg": (5, 5), "IMG_10.txt": (1, 1), "captions.csv": (1, 1)}
    assert sidecar_signature("IMG_1.jpg", entries) == ""


def test_signatures_work_from_a_real_folder_listing(tmp_path: Path):
    write(tmp_path, "captions.csv", "a.jpg,x\n")
    write(tmp_path, "a.jpg.txt", "x\n")

    def listing() -> dict[str, tuple[int, int]]:
        stats = {e.name: e.stat() for e in os.scandir(tmp_path)}
        return {name: (st.st_size, st.st_mtime_ns) for name, st in stats.items()}

    before = (caption_file_signature(listing()), sidecar_signature("a.jpg", listing()))
    assert before == (caption_file_signature(listing()), sidecar_signature("a.jpg", listing()))
    write(tmp_path, "captions.csv", "a.jpg,changed\n")
    assert caption_file_signature(listing()) != before[0]
    assert sidecar_signature("a.jpg", listing()) == before[1]
