"""who-viewed on an INTACT ledger holding a view that "does not fit its kind".

`forensics/fits.py`: a view of more than 10,000 rows (or last < first) is not
something Cleanroom's writer produces, so the outputs keep only its raw payload
and never act on it. But such an entry is signed by the certified workstation
key, `verify` calls the ledger INTACT without a word, and who-viewed then says
"nobody had these lines on screen" for lines the entry names, with no caveat:
the "nobody" is printed although the ledger holds a signed claim to the contrary
that was not counted. docs/who-viewed.md: "nobody" only for a checked question
over verified ledgers; every reason an empty answer would not mean nobody is a
caveat.
"""

import json

from cleanroom.ledger.events import SnapshotRef
from cleanroom.session.events import FileOpen, View
from cleanroom.snapshot.store import Snapshot
from tests.forensicskit import make_snapshot, trust_file
from tests.test_verify_cli import run

PATH = b"src/long.py"


def test_a_dropped_view_is_a_caveat_not_nobody(kit, tmp_path, ledger_dir):
    snapshot = make_snapshot(kit, tmp_path / "snap")
    with Snapshot.open(snapshot, kit.trust) as snap:
        info = snap.stat(PATH)
        blob, lines = info.blob.hex(), snap.blob(info.blob).lines
        ref = SnapshotRef(id=snap.id, root=snap.manifest.root)
    ledger = kit.new_ledger(ledger_dir, snapshot=ref)
    ledger.append(FileOpen(raw_path=PATH, blob=blob, size=info.size, lines=lines))
    ledger.append(View(raw_path=PATH, blob=blob, first=1, last=20_000, col=0, cols=80))
    ledger.seal()
    trust = trust_file(kit, tmp_path)
    assert run("verify", ledger.path, "--trust", trust).returncode == 0
    out = run("who-viewed", f"{PATH.decode()}:5-9", ledger_dir, "--trust", trust,
              "--snapshot", snapshot, "--no-cache", "--json")  # fmt: skip
    doc = json.loads(out.stdout)
    assert doc["nobody"] is False, "a signed view of lines 1-20000 was not counted"
    assert [c["code"] for c in doc["caveats"]] == ["UNFIT"], doc
    cached = run("who-viewed", f"{PATH.decode()}:5-9", ledger_dir, "--trust", trust,
                 "--snapshot", snapshot, "--json", "--cache-dir", tmp_path / "cache")  # fmt: skip
    again = run("who-viewed", f"{PATH.decode()}:5-9", ledger_dir, "--trust", trust,
                "--snapshot", snapshot, "--json", "--cache-dir", tmp_path / "cache")  # fmt: skip
    for out in (cached, again):  # built, then read back from the cache
        assert [c["code"] for c in json.loads(out.stdout)["caveats"]] == ["UNFIT"], out.stderr
