"""The tree's long names end in `…` (issue 15): sanitized first, then cut, never
inside a tag, and the kind of entry (`/` of a directory) is kept."""

from cleanroom.sanitize import sanitize
from cleanroom.session.display import cell_len
from cleanroom.tui.ellipsis import fit
from cleanroom.tui.filetree import FileTree
from tests.tuikit import listed

LONG = "a_very_long_file_name_that_goes_on_and_on_and_on.c"
HOSTILE = "evil_name\u202eabcdefghijklmnopqrstuvwxyz_" * 2 + ".c"


def test_fit_cuts_after_sanitizing_and_never_inside_a_tag():
    assert fit(sanitize("short"), 10) == "short"
    assert fit(sanitize(""), 0) == "" and fit(sanitize("x"), 1) == "x"
    assert fit(sanitize("xy"), 1) == "…" and fit(sanitize("xy"), 0) == ""
    assert fit(sanitize("abcdefgh"), 5) == "abcd…"
    assert fit(sanitize("abc\u202edef"), 6) == "abc…"  # ⟨RLO⟩ would be cut: it goes whole
    assert fit(sanitize("abc\u202edef"), 9) == "abc⟨RLO⟩…"  # it fits whole: kept
    assert fit(sanitize("ab\x1b[2Jcdef"), 5) == "ab…"  # the escape is a tag, not ESC
    assert fit(sanitize("\u4e2d" * 5), 4) == "\u4e2d…"  # a wide character is not halved
    # marks stay with their letter (x́ has no precomposed form: in NFC, so not tagged;
    # an NFD é is, ADR 0306)
    assert fit(sanitize("x\u0301" * 5), 3) == "x\u0301x\u0301…"
    for width in range(0, 30):
        for name in (LONG, HOSTILE, "\u4e2d" * 20, "\udcff" * 20):
            shown = sanitize(name)
            out = fit(shown, width)
            assert cell_len(out) <= width
            assert "\u202e" not in out and "\x1b" not in out
            assert out.count("⟨") == out.count("⟩")  # whole tags only
            if cell_len(shown.text) > width > 0:
                assert out.endswith("…")


def long_names_app(kit, ledger_dir):
    from cleanroom.session.recorder import Recorder
    from cleanroom.session.review import Facts, ReviewSession
    from cleanroom.session.snapshot_source import SnapshotSource
    from cleanroom.snapshot.create import create_snapshot
    from cleanroom.tui.app import ReviewApp

    src = ledger_dir.parent / "names-src"
    src.mkdir()
    (src / LONG).write_bytes(b"int x;\n")
    (src / HOSTILE).write_bytes(b"int y;\n")
    (src / "a_directory_whose_name_is_far_too_long_for_the_tree").mkdir()
    (src / "a_directory_whose_name_is_far_too_long_for_the_tree" / "f.c").write_bytes(b"\n")
    (src / "short.c").write_bytes(b"\n")
    snap = ledger_dir.parent / "names.snapshot"
    create_snapshot(src, snap, kit.vendor, name="names", version="1", created=1)
    ledger = kit.new_ledger(ledger_dir)
    facts = Facts("Ada", "Agency", "ws-01", "names 1", str(ledger.path))
    source = SnapshotSource.from_file(snap, kit.trust)
    return ReviewApp(ReviewSession(Recorder(ledger), source, facts), countersigner=kit.reviewer)


async def test_long_names_end_in_an_ellipsis_within_the_trees_width(kit, ledger_dir):
    app = long_names_app(kit, ledger_dir)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("enter")
        await listed(pilot)
        tree = app.query_one(FileTree)

        def rows() -> list[str]:
            width = tree.scrollable_content_region.width
            return [tree.render_line(y).text[:width] for y in range(5)]

        shown = rows()
        assert any(r.rstrip().endswith("── short.c") for r in shown), shown  # short: whole
        cut = [r for r in shown if "…" in r]
        assert len(cut) == 3, shown  # the directory, the long and the hostile name
        assert any(r.rstrip().endswith("…/") for r in cut), cut  # a directory keeps its /
        assert any("⟨RLO⟩" in r or r.rstrip().endswith("…") for r in cut)
        for r in cut:
            assert r.count("⟨") == r.count("⟩"), r
            assert "\u202e" not in r
        assert tree.virtual_size.width <= tree.scrollable_content_region.width + 1
        await pilot.press("t", "t")  # hide and show: still cut to the width
        for _ in range(6):
            await pilot.press("less_than_sign")  # narrower
        await pilot.pause()
        await pilot.pause()
        narrow = rows()
        width = tree.scrollable_content_region.width
        for r in narrow:
            assert cell_len(r.rstrip()) <= width, (r, width)
        assert sum("…" in r for r in narrow) >= 3, narrow
    assert app.service.failure is None
