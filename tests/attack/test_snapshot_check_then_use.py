"""A snapshot file written in place after a file's content was checked.

`review --help` says each file's content is checked "before any of it is shown".
The check (`SnapshotSource.refusal`) runs once per content per session and is
then remembered, on the ground that "a content never changes under an open
connection". The connection is `immutable=1` and memory-mapped, so a write to the
file by another process is read straight through: whoever can write the snapshot
file during a session changes the lines on screen after the check, while the
ledger records the genuine blob hash.
"""

from cleanroom.session.snapshot_source import SnapshotSource
from cleanroom.session.source import ContentRefused
from cleanroom.snapshot.store import SnapshotError
from tests.test_review_signed_content import FILES, build

GENUINE = b"def f7(): return 7  # genuine"
CHANGED = b"def f7(): return 7  # EVIL!!!"


def test_a_write_after_the_check_is_never_shown(kit, tmp_path):
    path = build(kit, tmp_path)
    path.chmod(0o644)
    source = SnapshotSource.from_file(path, kit.trust)
    opened = source.open(b"src/app.py")
    assert opened.document.lines(7, 8) == [GENUINE]
    data = path.read_bytes()
    assert data.count(GENUINE) == 1 and len(CHANGED) == len(GENUINE)
    with open(path, "r+b") as f:  # in place, as another process with write access would
        f.seek(data.index(GENUINE))
        f.write(CHANGED)
    try:
        shown = opened.document.lines(7, 8)
    except (ContentRefused, SnapshotError):
        return  # refused: nothing changed is shown
    assert shown == [GENUINE] and FILES[b"src/app.py"]
