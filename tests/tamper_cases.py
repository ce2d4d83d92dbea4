"""The tamper cases of /work/shared/notes/tamper-cases.md, as code.

Each `Case` builds a genuine ledger through the real writer (`build`), then plays
the attacker of its row in the table (`tamper`): editing rows with sqlite,
deleting or copying them, re-signing with keys the attacker could hold, swapping
files, receipts or the trust root. `expect` says what the verifier must answer,
reasoned from docs/ledger-format.md, never copied from a run. Cases without a
`tamper` are genuine ledgers that must not raise an alarm.

What the attacker may hold follows spec §3.3: the workstation key (stolen), the
one-use key for the *next* entry at the moment of theft (`kit.signer_of`), and
keys of their own. Keys of entries already written are gone; using one (as some
cases do, via the Kit that remembers them) is marked as a theft before the fact.

"First bad seq" is the lowest seq named by a non-warning finding (None when no
such finding names an entry); `Expect.first` lists the codes expected there, and
the first finding at that seq must be one of them. Within one seq the order of
codes is not specified, so `first` holds every code expected at that seq. Where
the spec leaves a secondary finding open, the case says `exact=False` and why.

Sets of ledgers (spec §5.4, `cleanroom.ledger.sessions.check_sessions`) cover
#12 and #25 only in part. Deleting a session's file is seen when a later session
names it (SESSION_MISSING); deleting the newest or the only session leaves no
trace in any file, so only paper records or a receipt kept elsewhere can show
it. A fork is seen when both branches reach one verifier (SESSION_FORK) or when
the other party's receipt and paper codes are checked against the branch shown.
Cases tagged 12 also show what one-file verification says of a file that is
still there with its contents destroyed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom.ledger.clock import SteppingClock
from cleanroom.ledger.encoding import (
    CERT_DOMAIN,
    ZERO32,
    Body,
    canonical_json,
    countersign_message,
    decode_body,
    entry_hash,
    signed_message,
)
from cleanroom.ledger.events import Head, Reviewer
from cleanroom.ledger.findings import Severity
from cleanroom.ledger.keys import Certificate, key_id, raw_public
from cleanroom.ledger.sessions import check_sessions
from cleanroom.ledger.verdict import Verdict
from cleanroom.ledger.verify import verify_path
from cleanroom.ledger.witness import Receipt, Witness, witness_code
from cleanroom.ledger.writer import Ledger, Workstation
from tests.ledgerkit import (
    CERT_END,
    CERT_START,
    Alert,
    Kit,
    SeededKeys,
    View,
    body_of,
    forge,
    read_rows,
    seeded_key,
    writable,
)

TAMPERED, INCOMPLETE, INTACT = "TAMPERED", "INCOMPLETE", "INTACT"
HOUR_US = 3_600 * 1_000_000

# -- what the verifier must answer ---------------------------------------------


@dataclass(frozen=True)
class Expect:
    status: str
    seq: int | None = None  # first bad seq
    first: frozenset[str] = frozenset()  # codes at the first bad seq (no others, if exact)
    codes: frozenset[str] = frozenset()  # codes that must be present (no others, if exact)
    exact: bool = True
    alerts: int | None = None  # alert_count in the summary, when it matters

    def problems(self, verdict: Verdict) -> list[str]:
        """How `verdict` differs from this expectation (empty when it matches)."""
        out = []
        if verdict.status.value != self.status:
            out.append(f"status {verdict.status.value}, expected {self.status}")
        seq = first_bad_seq(verdict)
        if seq != self.seq:
            out.append(f"first bad seq {seq}, expected {self.seq}")
        lead = [f.code for f in verdict.findings if _bad(f) and f.seq == seq]
        at_first = set(lead) == self.first if self.exact else self.first <= set(lead)
        if self.first and (not lead or lead[0] not in self.first or not at_first):
            out.append(f"findings at the first bad seq are {lead}, expected {sorted(self.first)}")
        if not self.first and lead:
            out.append(f"unexpected findings {lead}")
        found = set(verdict.codes())
        if (found != self.codes) if self.exact else not self.codes <= found:
            want = "exactly" if self.exact else "at least"
            out.append(f"codes {sorted(found)}, expected {want} {sorted(self.codes)}")
        if self.alerts is not None and verdict.summary.get("alert_count") != self.alerts:
            out.append(f"alert_count {verdict.summary.get('alert_count')}, expected {self.alerts}")
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "first_bad_seq": self.seq,
            "first_codes": sorted(self.first),
            "codes": sorted(self.codes),
            "exact": self.exact,
            "alert_count": self.alerts,
        }

    @classmethod
    def from_json(cls, doc: dict[str, Any]) -> Expect:
        return cls(
            doc["status"],
            doc["first_bad_seq"],
            frozenset(doc["first_codes"]),
            frozenset(doc["codes"]),
            doc["exact"],
            doc["alert_count"],
        )


def _bad(finding: Any) -> bool:
    return finding.severity is not Severity.WARNING


def first_bad_seq(verdict: Verdict) -> int | None:
    return min((f.seq for f in verdict.findings if _bad(f) and f.seq is not None), default=None)


def expect(
    status: str, seq: int | None, first: tuple[str, ...], *others: str, exact: bool = True
) -> Expect:
    return Expect(status, seq, frozenset(first), frozenset(first) | frozenset(others), exact)


def tampered(
    seq: int | None, *first: str, also: tuple[str, ...] = (), exact: bool = True
) -> Expect:
    return expect(TAMPERED, seq, first, *also, exact=exact)


INTACT_CLEAN = Expect(INTACT)
UNSEALED_ONLY = expect(INCOMPLETE, None, ("UNSEALED",))

# -- the situation a verifier is handed -----------------------------------------


@dataclass
class Scene:
    """A ledger file and what the verifier is given with it."""

    root: Path  # the case's own directory, for scratch files
    path: Path
    good: Expect  # what the genuine ledger verifies as, before any tampering
    trust: dict[str, bytes]  # name of the key file -> raw vendor public key
    witnesses: list[Witness] = field(default_factory=list)
    receipts: list[Receipt] = field(default_factory=list)
    saved: dict[str, Path] = field(default_factory=dict)  # material kept for the attacker
    others: list[Path] = field(default_factory=list)  # more sessions, verified as one set

    def verify(self) -> Verdict:
        paths = [self.path, *self.others]
        return verify_set(paths, list(self.trust.values()), self.witnesses, self.receipts)


def verify_set(
    paths: list[Path], trust: list[bytes], witnesses: list[Witness], receipts: list[Receipt]
) -> Verdict:
    """One ledger: its verdict. Several (one workstation's sessions, spec §5.4): a verdict
    holding the cross-session findings and every ledger's own."""
    if len(paths) == 1:
        return verify_path(paths[0], trust, witnesses, receipts)
    assert not witnesses and not receipts, "a set of ledgers is verified without witnesses"
    verdicts = [verify_path(p, trust) for p in paths]
    findings = check_sessions(verdicts) + [f for v in verdicts for f in v.findings]
    return Verdict.from_findings("sessions", findings, {})


Build = Callable[[Kit, Path], Scene]
Tamper = Callable[[Kit, Scene], None]


@dataclass(frozen=True)
class Case:
    name: str
    numbers: tuple[int, ...]  # rows of tamper-cases.md
    build: Build
    tamper: Tamper | None
    expect: Expect

    def make(self, kit: Kit, directory: Path) -> Scene:
        scene = self.build(kit, directory)
        if self.tamper is not None:
            self.tamper(kit, scene)
        return scene


def scratch_parent() -> str | None:
    """A RAM-backed directory for building cases, where there is one. The writer
    fsyncs every append, which costs seconds per case on a busy shared disk and
    proves nothing here; None means the system default."""
    shm = "/dev/shm"
    return shm if os.path.isdir(shm) and os.access(shm, os.W_OK | os.X_OK) else None


# -- genuine ledgers ------------------------------------------------------------


def _ledger_id(directory: Path) -> bytes:
    """Fixed by the case's directory names, so vectors regenerate identically."""
    return hashlib.sha256(f"{directory.parent.name}/{directory.name}".encode()).digest()[:16]


def view(i: int) -> View:
    return View("ab" * 32, i * 10, i * 10 + 40)


def write(
    kit: Kit,
    directory: Path,
    views: int = 3,
    alerts: tuple[str, ...] = (),
    prev_session: Head | None = None,
) -> tuple[Ledger, list[bytes]]:
    """A new ledger with `views` views then `alerts`; returns it and every entry hash."""
    directory.mkdir(parents=True, exist_ok=True)
    lid = _ledger_id(directory)
    ledger = kit.new_ledger(directory, ledger_id=lid, prev_session=prev_session)
    hashes = [ledger.last.hash]
    hashes += [ledger.append(view(i)).hash for i in range(views)]
    hashes += [ledger.append(Alert(what)).hash for what in alerts]
    return ledger, hashes


def paper(hashes: list[bytes], seqs: tuple[int, ...]) -> list[Witness]:
    """Witness codes the reviewer copied onto paper during the session."""
    return [Witness(s, witness_code(hashes[s]), f"paper {s}") for s in seqs]


def trust_of(kit: Kit) -> dict[str, bytes]:
    return {"vendor": raw_public(kit.vendor)}


def seal(kit: Kit, ledger: Ledger) -> Receipt:
    """Seal as the reviewer does: countersigned with the key named at the start."""
    return ledger.seal(countersigner=kit.reviewer)


def sealed(
    kit: Kit,
    root: Path,
    views: int = 3,
    alerts: tuple[str, ...] = (),
    countersign: bool = True,
    receipt: bool = True,
    witness: tuple[int, ...] = (),
) -> Scene:
    ledger, hashes = write(kit, root / "ws", views, alerts)
    r = seal(kit, ledger) if countersign else ledger.seal()
    receipts = [r] if receipt else []
    return Scene(root, ledger.path, INTACT_CLEAN, trust_of(kit), paper(hashes, witness), receipts)


def unsealed(
    kit: Kit,
    root: Path,
    views: int = 3,
    alerts: tuple[str, ...] = (),
    witness: tuple[int, ...] = (),
) -> Scene:
    """A session stopped without a seal: the writer closed the file cleanly."""
    ledger, hashes = write(kit, root / "ws", views, alerts)
    ledger.close()
    return Scene(root, ledger.path, UNSEALED_ONLY, trust_of(kit), paper(hashes, witness))


def copy_ledger(path: Path, directory: Path) -> Path:
    """Copy a ledger with its sidecars, as the disk holds them at this instant."""
    directory.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-journal"):
        if os.path.exists(f"{path}{suffix}"):
            shutil.copyfile(f"{path}{suffix}", f"{directory / path.name}{suffix}")
    return directory / path.name


def crashed(kit: Kit, root: Path, views: int = 3, witness: tuple[int, ...] = ()) -> Scene:
    """The disk after a power cut mid-session: main file plus -wal, no seal."""
    ledger, hashes = write(kit, root / "ws", views)
    disk = copy_ledger(ledger.path, root / "disk")
    ledger.close()
    return Scene(root, disk, UNSEALED_ONLY, trust_of(kit), paper(hashes, witness))


def resumed_then_sealed(kit: Kit, root: Path) -> Scene:
    scene = crashed(kit, root)
    ledger = kit.resume(scene.path)
    ledger.append(view(9))
    scene.receipts = [seal(kit, ledger)]
    return scene


def resumed_after_reboot(kit: Kit, root: Path) -> Scene:
    scene = crashed(kit, root)
    kit.clock.boot = b"\x43" * 16  # a new boot: monotonic time starts again
    kit.clock.mono_us = 7_000_000
    ledger = kit.resume(scene.path)
    ledger.append(view(9))
    ledger.close()
    return scene


def clock_stepped(kit: Kit, root: Path) -> Scene:
    """Someone set the workstation clock an hour ahead during the session (#17)."""
    ledger, _ = write(kit, root / "ws", views=1)
    kit.clock.wall_us += HOUR_US
    ledger.append(view(1))
    return Scene(root, ledger.path, INTACT_CLEAN, trust_of(kit), receipts=[seal(kit, ledger)])


def sealed_with_empty_wal(kit: Kit, root: Path) -> Scene:
    scene = sealed(kit, root)
    Path(f"{scene.path}-wal").touch()
    return scene


def sessions(kit: Kit, root: Path, count: int = 3) -> Scene:
    """`count` sealed sessions of one workstation, each naming the head of the one before."""
    paths: list[Path] = []
    head = None
    for i in range(count):
        ledger, _ = write(kit, root / f"s{i + 1}", prev_session=head)
        seal(kit, ledger)
        head = ledger.head
        paths.append(ledger.path)
    return Scene(root, paths[0], INTACT_CLEAN, trust_of(kit), others=paths[1:])


def with_older_copy(kit: Kit, root: Path) -> Scene:
    """A sealed session of which a copy was taken at entry 2 (#10)."""
    ledger, hashes = write(kit, root / "ws", views=2)
    old = copy_ledger(ledger.path, root / "old")
    hashes.append(ledger.append(view(2)).hash)
    r = seal(kit, ledger)
    scene = Scene(root, ledger.path, INTACT_CLEAN, trust_of(kit), paper(hashes, (3,)), [r])
    scene.saved["old"] = old
    return scene


# -- the attacker's tools -------------------------------------------------------


def attacker_key(label: str) -> Ed25519PrivateKey:
    return seeded_key(f"attacker/{label}")


def rows_of(path: Path) -> list[tuple[int, bytes, bytes]]:
    return read_rows(path)


def hash_of(path: Path, seq: int) -> bytes:
    _, body, sig = next(r for r in rows_of(path) if r[0] == seq)
    return entry_hash(body, sig)


def put_row(path: Path, seq: int, body: bytes, sig: bytes) -> None:
    with writable(path) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO entries (seq, body, sig) VALUES (?, ?, ?)", (seq, body, sig)
        )


def delete_rows(path: Path, *seqs: int) -> None:
    with writable(path) as conn:
        conn.executemany("DELETE FROM entries WHERE seq = ?", [(s,) for s in seqs])


def move_row(path: Path, old: int, new: int) -> None:
    with writable(path) as conn:
        conn.execute("UPDATE entries SET seq = ? WHERE seq = ?", (new, old))


def run_sql(kit: Kit, scene: Scene, sql: str) -> None:
    with writable(scene.path) as conn:
        conn.executescript(sql)


def next_body(path: Path, kind: str, payload: dict[str, Any], next_key: bytes) -> Body:
    """The fields a genuine writer would give the entry after the last row."""
    seq, body, sig = rows_of(path)[-1]
    last = decode_body(body)
    return Body(
        seq + 1,
        last.ledger,
        entry_hash(body, sig),
        last.wall_us + 1_000,
        last.mono_us + 1_000,
        last.boot,
        next_key,
        kind,
        payload,
    )


def append_forged(
    path: Path, kind: str, payload: dict[str, Any], signer: Ed25519PrivateKey
) -> Ed25519PrivateKey | None:
    """Append an entry signed by `signer`; return the attacker's key it names for the next."""
    seq = rows_of(path)[-1][0] + 1
    held = None if kind == "session_end" else attacker_key(f"{path.name}/{seq}")
    body = next_body(path, kind, payload, ZERO32 if held is None else raw_public(held)).encode()
    put_row(path, seq, body, signer.sign(signed_message(body)))
    if held is None:  # a forged seal finishes the file as the writer's seal does
        with writable(path) as conn:
            conn.execute("PRAGMA journal_mode = DELETE")
    return held


def end_payload(path: Path, countersign: dict[str, str] | None = None) -> dict[str, Any]:
    """A session_end whose totals are right for the rows in the file."""
    kinds = Counter(decode_body(body).kind for _, body, _ in rows_of(path))
    entries = rows_of(path)[-1][0] + 1
    return {
        "reason": "reviewer",
        "entries": entries,
        "by_kind": dict(sorted(kinds.items())),
        "countersign": countersign,
    }


FORGED_VIEW = {"blob": "cd" * 32, "first": 0, "last": 9}


def forge_tail(path: Path, keep: int, signer: Ed25519PrivateKey, views: int = 1) -> None:
    """Drop entries from `keep` on and write a sealed tail of forged views instead."""
    delete_rows(path, *[s for s, _, _ in rows_of(path) if s >= keep])
    key: Ed25519PrivateKey | None = signer
    for _ in range(views):
        assert key is not None
        key = append_forged(path, "view", FORGED_VIEW, key)
    assert key is not None
    append_forged(path, "session_end", end_payload(path), key)


def rechain(path: Path, seq: int, signer: Ed25519PrivateKey | None, **changes: Any) -> None:
    """Apply `changes` to entry `seq` and sign it with `signer` (None keeps its signature),
    then re-sign every later entry with keys of the attacker's, so the chain links again.
    A countersignature cannot be redone without the reviewer: it is dropped."""
    rows = rows_of(path)
    prev = ZERO32 if seq == 0 else entry_hash(rows[seq - 1][1], rows[seq - 1][2])
    key = signer
    for s, body, sig in rows[seq:]:
        old = decode_body(body)
        is_end = old.kind == "session_end"
        held = None if is_end else attacker_key(f"{path.name}/rechain/{s}")
        fields: dict[str, Any] = {
            "prev": prev,
            "next_key": ZERO32 if held is None else raw_public(held),
        }
        if is_end:
            fields["payload"] = {**old.payload, "countersign": None}
        if s == seq:
            fields.update(changes)
        new = replace(old, **fields).encode()
        new_sig = sig if key is None else key.sign(signed_message(new))
        put_row(path, s, new, new_sig)
        prev, key = entry_hash(new, new_sig), held


def set_payload_bytes(
    path: Path, seq: int, payload: bytes, signer: Ed25519PrivateKey | None = None
) -> None:
    """Replace entry `seq`'s payload with raw bytes (canonical or not)."""
    header = replace(body_of(path, seq), payload={}).encode()[: -len(b"{}")]
    body = header + payload
    sig = rows_of(path)[seq][2] if signer is None else signer.sign(signed_message(body))
    put_row(path, seq, body, sig)


def replace_file(scene: Scene, source: Path) -> None:
    """Put another ledger file (and its sidecars) where the genuine one was."""
    for suffix in ("", "-wal", "-journal"):
        Path(f"{scene.path}{suffix}").unlink(missing_ok=True)
        if os.path.exists(f"{source}{suffix}"):
            shutil.copyfile(f"{source}{suffix}", f"{scene.path}{suffix}")


def other_ledger(kit: Kit, scene: Scene) -> tuple[Path, Receipt]:
    """A second genuine session from the same workstation and reviewer."""
    ledger, _ = write(kit, scene.root / "other")
    return ledger.path, seal(kit, ledger)


# -- tampering, one function per attack -----------------------------------------


def edit_payload(kit: Kit, scene: Scene, seq: int) -> None:
    forge(scene.path, seq, None, payload={**body_of(scene.path, seq).payload, "first": 999})


def edit_reviewer(kit: Kit, scene: Scene) -> None:
    p = body_of(scene.path, 0).payload
    forge(scene.path, 0, None, payload={**p, "reviewer": {**p["reviewer"], "name": "Mallory"}})


def shift_times(kit: Kit, scene: Scene, seqs: tuple[int, ...], wall: int, mono: int) -> None:
    for s in seqs:
        b = body_of(scene.path, s)
        forge(scene.path, s, None, wall_us=b.wall_us + wall, mono_us=b.mono_us + mono)


def flip_sig_bit(kit: Kit, scene: Scene, seq: int) -> None:
    _, body, sig = rows_of(scene.path)[seq]
    put_row(scene.path, seq, body, bytes([sig[0] ^ 1]) + sig[1:])


def zero_signatures(kit: Kit, scene: Scene) -> None:
    for s, body, _ in rows_of(scene.path):
        put_row(scene.path, s, body, bytes(64))


def drop_rows(kit: Kit, scene: Scene, seqs: tuple[int, ...]) -> None:
    delete_rows(scene.path, *seqs)


def delete_and_renumber(kit: Kit, scene: Scene) -> None:
    delete_rows(scene.path, 2)
    for s in (3, 4):
        move_row(scene.path, s, s - 1)


def swap_rows(kit: Kit, scene: Scene, a: int, b: int) -> None:
    rows = rows_of(scene.path)
    put_row(scene.path, a, rows[b][1], rows[b][2])
    put_row(scene.path, b, rows[a][1], rows[a][2])


def copy_row(kit: Kit, scene: Scene, source: int, target: int) -> None:
    _, body, sig = rows_of(scene.path)[source]
    put_row(scene.path, target, body, sig)


def insert_forged_entry(kit: Kit, scene: Scene) -> None:
    """Shift entries 2.. up by one and slip a forged view in at 2. It names the key of
    the original entry 2, so that entry's signature still checks out."""
    for s in (4, 3, 2):
        move_row(scene.path, s, s + 1)
    one = body_of(scene.path, 1)
    body = replace(
        one,
        seq=2,
        prev=hash_of(scene.path, 1),
        wall_us=one.wall_us + 1,
        mono_us=one.mono_us + 1,
        payload=FORGED_VIEW,
    ).encode()
    put_row(scene.path, 2, body, attacker_key("insert").sign(signed_message(body)))


def splice_other_session(kit: Kit, scene: Scene) -> None:
    other, _ = other_ledger(kit, scene)
    for s, body, sig in rows_of(other)[2:]:
        put_row(scene.path, s, body, sig)


def restore_older_copy(kit: Kit, scene: Scene) -> None:
    replace_file(scene, scene.saved["old"])


def truncate_and_forge(kit: Kit, scene: Scene, keep: int, stolen: bool) -> None:
    """Cut the ledger at `keep` and write a new tail, signing its first entry with the
    one-use key stolen for it (a fork) or, without it, with a key of the attacker's."""
    signer = kit.signer_of(scene.path, keep) if stolen else attacker_key("tail")
    forge_tail(scene.path, keep, signer)


def fabricate_with_own_vendor(kit: Kit, scene: Scene) -> None:
    """A whole new ledger from the attacker's own vendor, workstation and entry keys."""
    mallory = Kit("mallory")
    ledger_id = body_of(scene.path, 0).ledger
    d = scene.root / "forgery"
    d.mkdir()
    ledger = mallory.new_ledger(d, views=3, ledger_id=ledger_id)
    ledger.seal(countersigner=mallory.reviewer)  # their own reviewer, key and all
    replace_file(scene, ledger.path)


def forged_certificate(
    issuer_of: Ed25519PrivateKey, signer: Ed25519PrivateKey, ws: Ed25519PrivateKey
) -> Certificate:
    """A certificate naming `issuer_of`'s key id as issuer but signed by `signer`."""
    body = canonical_json(
        {
            "format": "cleanroom.cert.v1",
            "workstation": "ws-01",
            "key": raw_public(ws).hex(),
            "issuer": key_id(issuer_of.public_key()),
            "not_before": CERT_START,
            "not_after": CERT_END,
        }
    )
    return Certificate.parse(body, signer.sign(CERT_DOMAIN + body))


def fabricate(kit: Kit, scene: Scene, workstation: Workstation, clock: SteppingClock) -> None:
    d = scene.root / "forgery"
    d.mkdir()
    ledger = Ledger.create(
        d,
        workstation,
        Reviewer("Ada Reviewer", "Agency", None),  # no key: no countersignature is due
        clock=clock,
        keygen=SeededKeys("attacker/entries"),
        ledger_id=body_of(scene.path, 0).ledger,
    )
    for i in range(3):
        ledger.append(view(i))
    ledger.seal()
    replace_file(scene, ledger.path)


def fabricate_with_claimed_issuer(kit: Kit, scene: Scene) -> None:
    ws = attacker_key("workstation")
    cert = forged_certificate(kit.vendor, attacker_key("vendor"), ws)
    fabricate(kit, scene, Workstation(ws, cert), SteppingClock())


def fabricate_after_expiry(kit: Kit, scene: Scene) -> None:
    """The genuine workstation key and certificate, used a day after the certificate ended."""
    late = SteppingClock(wall_us=(CERT_END + 86_400) * 1_000_000)
    fabricate(kit, scene, kit.workstation, late)


def swap_cert_key(kit: Kit, scene: Scene) -> None:
    """Put the attacker's workstation key into the certificate inside session_start."""
    ws = attacker_key("workstation")
    p = body_of(scene.path, 0).payload
    real = raw_public(kit.workstation.key).hex()
    cert = p["cert"].replace(real, raw_public(ws).hex())
    rechain(scene.path, 0, ws, payload={**p, "cert": cert})


def swap_next_key(kit: Kit, scene: Scene, seq: int) -> None:
    """Point entry `seq`'s next_key at the attacker's key (its signature cannot be redone)."""
    rechain(scene.path, seq, None)


def resign_payload(kit: Kit, scene: Scene, seq: int, signer: str) -> None:
    """Rewrite entry `seq` and re-sign it with a key stolen later: the workstation key or
    the one-use key that was live at the time of theft."""
    live = len(rows_of(scene.path))
    key = kit.workstation.key if signer == "workstation" else kit.signer_of(scene.path, live)
    payload = {**body_of(scene.path, seq).payload, "first": 999}
    rechain(scene.path, seq, key, payload=payload)


def resign_with_key_of(kit: Kit, scene: Scene, seq: int, owner: int) -> None:
    """Sign entry `seq` (and re-chain after it) with the key that signed entry `owner`."""
    rechain(scene.path, seq, kit.signer_of(scene.path, owner), payload=FORGED_VIEW)


def forge_resume(kit: Kit, scene: Scene, at: int) -> None:
    """With the stolen workstation key, replace entries from `at` by a well-formed
    session_resume and forged views (spec §5.3: a resume is vouched for by that key)."""
    delete_rows(scene.path, *[s for s, _, _ in rows_of(scene.path) if s >= at])
    before = at - 1
    resume = {
        "after_seq": before,
        "after_head": hash_of(scene.path, before).hex(),
        "reason": "crash",
    }
    key = append_forged(scene.path, "session_resume", resume, kit.workstation.key)
    for _ in range(2):
        assert key is not None
        key = append_forged(scene.path, "view", FORGED_VIEW, key)


def zero_next_key(kit: Kit, scene: Scene, seq: int) -> None:
    """Entry `seq` re-signed with its own (stolen) key, now naming no successor."""
    forge(scene.path, seq, kit.signer_of(scene.path, seq), next_key=ZERO32)


def seal_with_stolen_key(kit: Kit, scene: Scene, how: str) -> None:
    """A thief holding the live one-use key seals the session, faking the reviewer."""
    path = scene.path
    seq = len(rows_of(path))
    live = kit.signer_of(path, seq)
    ledger, prev = body_of(path, 0).ledger, hash_of(path, seq - 1)
    message = countersign_message(ledger, seq, prev)
    mallory = attacker_key("reviewer")
    reviewer_pub = raw_public(kit.reviewer).hex()
    if how == "own_key":
        cs = {"key": raw_public(mallory).hex(), "sig": mallory.sign(message).hex()}
    elif how == "bad_sig":
        cs = {"key": reviewer_pub, "sig": mallory.sign(message).hex()}
    else:  # replay the reviewer's real countersignature of another session
        other, _ = other_ledger(kit, scene)
        cs = decode_body(rows_of(other)[-1][1]).payload["countersign"]
    append_forged(path, "session_end", end_payload(path, cs), live)


def seal_hiding_alerts(kit: Kit, scene: Scene) -> None:
    """A thief with the live key seals with totals that leave the alert out."""
    seq = len(rows_of(scene.path))
    payload = end_payload(scene.path)
    payload["by_kind"] = {k: n for k, n in payload["by_kind"].items() if k != "alert"}
    append_forged(scene.path, "session_end", payload, kit.signer_of(scene.path, seq))


def append_second_start(kit: Kit, scene: Scene) -> None:
    p = body_of(scene.path, 0).payload
    start = {**p, "reviewer": {"name": "Mallory", "org": "Other", "key": None}}
    append_forged(scene.path, "session_start", start, kit.workstation.key)


def swap_reviewer_with_stolen_workstation_key(kit: Kit, scene: Scene) -> None:
    """Rewrite session_start with another reviewer, signed by the stolen workstation key,
    and re-chain everything after it: only what others hold can tell."""
    p = body_of(scene.path, 0).payload
    reviewer = {"name": "Mallory", "org": "Other", "key": None}
    rechain(scene.path, 0, kit.workstation.key, payload={**p, "reviewer": reviewer})


def shift_bytes_into_body(kit: Kit, scene: Scene, seq: int) -> None:
    """Move the first signature byte onto the end of the body: body ‖ sig, and so the
    entry hash, are unchanged (#21's boundary confusion). The CHECK is switched off."""
    _, body, sig = rows_of(scene.path)[seq]
    with writable(scene.path) as conn:
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute(
            "UPDATE entries SET body = ?, sig = ? WHERE seq = ?", (body + sig[:1], sig[1:], seq)
        )


def add_rewriting_wal(kit: Kit, scene: Scene) -> None:
    """Beside a sealed ledger, leave a -wal that rewrites entry 2 when SQLite applies it."""
    path, stash = scene.path, scene.root / "stash"
    edited = replace(body_of(path, 2), payload=FORGED_VIEW).encode()
    with writable(path) as conn:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("UPDATE entries SET body = ? WHERE seq = 2", (edited,))
        kept = copy_ledger(path, stash)  # before close() checkpoints the -wal away
    replace_file(scene, kept)


def delete_wal(kit: Kit, scene: Scene) -> None:
    Path(f"{scene.path}-wal").unlink()


def tear_wal(kit: Kit, scene: Scene) -> None:
    """The crash hit mid-frame: the last frame of the -wal is only partly on disk."""
    wal = Path(f"{scene.path}-wal")
    os.truncate(wal, wal.stat().st_size - 100)


def empty_file(kit: Kit, scene: Scene) -> None:
    os.chmod(scene.path, 0o644)
    os.truncate(scene.path, 0)


def overwrite_page(kit: Kit, scene: Scene, page: int) -> None:
    """Scribble over one database page (1-based) with a fixed pattern."""
    os.chmod(scene.path, 0o644)
    with open(scene.path, "r+b") as f:
        f.seek((page - 1) * 4096)
        f.write(b"\xa5" * 4096)


def set_trust(kit: Kit, scene: Scene, which: str) -> None:
    keys = {
        "other-vendor": {"other-vendor": raw_public(seeded_key("other/vendor"))},
        "workstation": {"workstation": raw_public(kit.workstation.key)},
        "none": {},
    }
    scene.trust = keys[which]


def swap_receipt_and_truncate(kit: Kit, scene: Scene) -> None:
    """Cut the tail, and hand over another session's receipt as if it were this one's."""
    _, receipt = other_ledger(kit, scene)
    delete_rows(scene.path, 3, 4)
    scene.receipts = [receipt]


def head_of(path: Path) -> Head:
    seq = rows_of(path)[-1][0]
    return Head(body_of(path, 0).ledger.hex(), seq, hash_of(path, seq).hex())


def delete_session(kit: Kit, scene: Scene) -> None:
    """Delete the middle session's ledger file outright (#12)."""
    scene.others.pop(0).unlink()


def fork_session(kit: Kit, scene: Scene) -> None:
    """With the stolen workstation key, start a second successor of session 1 (#25)."""
    d = scene.root / "fork"
    d.mkdir()
    ledger = Ledger.create(
        d,
        kit.workstation,
        Reviewer("Ada Reviewer", "Agency", None),
        prev_session=head_of(scene.path),
        clock=kit.clock,
        keygen=SeededKeys("attacker/fork"),
        ledger_id=_ledger_id(d),
    )
    ledger.append(view(0))
    ledger.seal()
    scene.others.append(ledger.path)


def truncate_first_session(kit: Kit, scene: Scene) -> None:
    """Cut session 1's seal after session 2 recorded its head."""
    delete_rows(scene.path, rows_of(scene.path)[-1][0])


def witness_from_other_ledger(kit: Kit, scene: Scene) -> None:
    other, _ = other_ledger(kit, scene)
    scene.witnesses = [Witness(2, witness_code(hash_of(other, 2)), "paper 2 (other ledger)")]


# -- the registry ---------------------------------------------------------------


def non_canonical(payload: bytes) -> Tamper:
    """Entry 3 (an alert) rewritten with `payload` and signed with its own key, stolen."""

    def tamper(kit: Kit, scene: Scene) -> None:
        set_payload_bytes(scene.path, 3, payload, kit.signer_of(scene.path, 3))

    return tamper


ALERTED = partial(unsealed, views=2, alerts=("café",))
CASES: list[Case] = [
    # Genuine ledgers: no alarm.
    Case("sealed", (), sealed, None, INTACT_CLEAN),
    Case(
        "sealed_witnessed",
        (),
        partial(sealed, witness=(0, 1, 3)),
        None,
        INTACT_CLEAN,
    ),
    Case(
        "sealed_with_alerts",
        (),
        partial(sealed, alerts=("copy attempt", "network")),
        None,
        Expect(INTACT, alerts=2),
    ),
    Case("unsealed_closed", (), unsealed, None, UNSEALED_ONLY),
    Case("unsealed_after_crash", (28,), crashed, None, UNSEALED_ONLY),
    Case(
        "resumed_then_sealed", (28,), resumed_then_sealed, None, expect(INCOMPLETE, 4, ("RESUMED",))
    ),
    Case(
        "resumed_after_reboot",
        (28,),
        resumed_after_reboot,
        None,
        expect(INCOMPLETE, 4, ("RESUMED",), "UNSEALED"),
    ),
    Case(
        "clock_stepped_while_logging",
        (17,),
        clock_stepped,
        None,
        Expect(INTACT, codes=frozenset({"CLOCK_STEP"})),
    ),
    Case(
        "sealed_with_empty_wal",
        (),
        sealed_with_empty_wal,
        None,
        Expect(INTACT, codes=frozenset({"SIDECAR"})),
    ),
    # 1, 2: edits.
    Case(
        "edit_sealed_payload",
        (1,),
        partial(sealed, witness=(2,)),
        partial(edit_payload, seq=2),
        tampered(2, "SIGNATURE", "WITNESS_MISMATCH", also=("CHAIN",)),
    ),
    Case(
        "edit_live_window",
        (2,),
        unsealed,
        partial(edit_payload, seq=3),
        tampered(3, "SIGNATURE", also=("UNSEALED",)),
    ),
    # 3, 4, 27: deletions. A gap is named by its first missing seq, the first bad entry.
    Case(
        "delete_middle_entry",
        (3,),
        sealed,
        partial(drop_rows, seqs=(2,)),
        tampered(2, "SEQ_GAP", also=("CHAIN", "SIGNATURE", "TOTALS")),
    ),
    Case(
        "truncate_tail_with_receipt",
        (4,),
        sealed,
        partial(drop_rows, seqs=(3, 4)),
        tampered(4, "WITNESS_BEYOND_END", also=("UNSEALED",)),
    ),
    # Without a receipt or paper code after the cut, a truncated ledger is only
    # incomplete. The table names this UNANCHORED_TAIL; findings.py has no such code.
    Case(
        "truncate_tail_unanchored",
        (4,),
        partial(sealed, receipt=False),
        partial(drop_rows, seqs=(3, 4)),
        UNSEALED_ONLY,
    ),
    Case(
        "delete_and_renumber",
        (27,),
        sealed,
        delete_and_renumber,
        tampered(2, "SEQ_MISMATCH", "CHAIN", "SIGNATURE", also=("TOTALS", "WITNESS_BEYOND_END")),
    ),
    # 5, 25: new tails.
    Case(
        "truncate_then_forge_tail",
        (5,),
        sealed,
        partial(truncate_and_forge, keep=3, stolen=False),
        tampered(3, "SIGNATURE", also=("WITNESS_MISMATCH", "NOT_COUNTERSIGNED")),
    ),
    Case(
        "fork_with_stolen_key",
        (5, 25),
        partial(sealed, witness=(3,)),
        partial(truncate_and_forge, keep=3, stolen=True),
        tampered(3, "WITNESS_MISMATCH", also=("NOT_COUNTERSIGNED",)),
    ),
    # 6, 7, 8: order, replay, insertion.
    Case(
        "swap_two_entries",
        (6,),
        sealed,
        partial(swap_rows, a=1, b=2),
        tampered(1, "SEQ_MISMATCH", "CHAIN", "SIGNATURE", also=("TIME_REVERSED",)),
    ),
    Case(
        "duplicate_entry_in_place",
        (7,),
        sealed,
        partial(copy_row, source=2, target=3),
        tampered(3, "SEQ_MISMATCH", "CHAIN", "SIGNATURE"),
    ),
    # After a seal there is no key to check a signature against: AFTER_SEAL stands
    # for SIGNATURE (§5.1). The last entry is no session_end: UNSEALED too (step 7).
    Case(
        "replay_entry_after_seal",
        (7,),
        sealed,
        partial(copy_row, source=2, target=5),
        tampered(5, "AFTER_SEAL", "SEQ_MISMATCH", "CHAIN", "TIME_REVERSED", also=("UNSEALED",)),
    ),
    Case(
        "insert_forged_entry",
        (8,),
        sealed,
        insert_forged_entry,
        tampered(2, "SIGNATURE", also=("SEQ_MISMATCH", "CHAIN", "TOTALS", "WITNESS_MISMATCH")),
    ),
    # 9: splice.
    Case(
        "splice_other_session",
        (9,),
        sealed,
        splice_other_session,
        tampered(2, "WRONG_LEDGER", "CHAIN", "SIGNATURE", also=("WITNESS_MISMATCH",)),
    ),
    # 10: rollback.
    Case(
        "rollback_to_older_copy",
        (10,),
        with_older_copy,
        restore_older_copy,
        tampered(3, "WITNESS_BEYOND_END", also=("UNSEALED",)),
    ),
    # 11, 30: trust.
    Case(
        "fabricated_with_own_vendor",
        (11,),
        sealed,
        fabricate_with_own_vendor,
        tampered(0, "CERT_UNTRUSTED", also=("WITNESS_MISMATCH",)),
    ),
    Case(
        "certificate_claims_trusted_issuer",
        (11, 30),
        partial(sealed, receipt=False),
        fabricate_with_claimed_issuer,
        tampered(0, "CERT_UNTRUSTED"),
    ),
    Case(
        "fabricated_after_cert_expiry",
        (11,),
        partial(sealed, receipt=False),
        fabricate_after_expiry,
        tampered(0, "CERT_EXPIRED"),
    ),
    Case(
        "trust_other_vendor",
        (30,),
        sealed,
        partial(set_trust, which="other-vendor"),
        tampered(0, "CERT_UNTRUSTED"),
    ),
    Case(
        "trust_nothing",
        (30,),
        sealed,
        partial(set_trust, which="none"),
        tampered(0, "CERT_UNTRUSTED"),
    ),
    Case(
        "trust_workstation_key_as_root",
        (30,),
        sealed,
        partial(set_trust, which="workstation"),
        tampered(0, "CERT_UNTRUSTED"),
    ),
    # 12 (partial): the file is still there, its contents are not.
    Case(
        "emptied_ledger",
        (12,),
        sealed,
        partial(run_sql, sql="DELETE FROM entries"),
        tampered(None, "EMPTY", exact=False),
    ),
    Case("zero_length_file", (12,), sealed, empty_file, tampered(None, "NOT_SQLITE")),
    # 13: keys inside the ledger.
    Case(
        "cert_key_swapped_in_start",
        (13,),
        partial(sealed, receipt=False),
        swap_cert_key,
        tampered(0, "CERT_UNTRUSTED", also=("NOT_COUNTERSIGNED",)),
    ),
    Case(
        "next_key_swapped",
        (13, 24),
        partial(sealed, receipt=False),
        partial(swap_next_key, seq=1),
        tampered(1, "SIGNATURE", also=("NOT_COUNTERSIGNED",)),
    ),
    # 14: re-signing with keys stolen later.
    Case(
        "resign_with_live_key",
        (14,),
        partial(unsealed, views=4),
        partial(resign_payload, seq=2, signer="live"),
        tampered(2, "SIGNATURE", also=("UNSEALED",)),
    ),
    Case(
        "resign_with_workstation_key",
        (14,),
        partial(unsealed, views=4),
        partial(resign_payload, seq=2, signer="workstation"),
        tampered(2, "SIGNATURE", also=("UNSEALED",)),
    ),
    Case(
        "forged_resume_caught_by_paper",
        (14,),
        partial(unsealed, views=4, witness=(3,)),
        partial(forge_resume, at=2),
        expect(TAMPERED, 2, ("RESUMED",), "WITNESS_MISMATCH", "UNSEALED"),
    ),
    # The limit spec §5.3 states: with no paper code after the resume, a rewrite
    # signed with the stolen workstation key is reported as a resume, not as tampering.
    Case(
        "forged_resume_unwitnessed",
        (14,),
        partial(unsealed, views=4),
        partial(forge_resume, at=2),
        expect(INCOMPLETE, 2, ("RESUMED",), "UNSEALED"),
    ),
    # 15: bit flips.
    Case(
        "flip_signature_bit",
        (15,),
        sealed,
        partial(flip_sig_bit, seq=2),
        tampered(2, "SIGNATURE", also=("CHAIN",)),
    ),
    Case(
        "zero_all_signatures",
        (15, 23),
        sealed,
        zero_signatures,
        tampered(0, "SIGNATURE", also=("CHAIN", "WITNESS_MISMATCH")),
    ),
    Case(
        "overwrite_entries_page",
        (15,),
        sealed,
        partial(overwrite_page, page=2),
        tampered(None, "CORRUPT", exact=False),
    ),
    # 16, 17: time.
    Case(
        "shift_all_timestamps",
        (16,),
        sealed,
        partial(shift_times, seqs=(0, 1, 2, 3, 4), wall=HOUR_US, mono=HOUR_US),
        tampered(0, "SIGNATURE", also=("CHAIN", "WITNESS_MISMATCH")),
    ),
    Case(
        "backdate_one_entry",
        (16, 17),
        sealed,
        partial(shift_times, seqs=(2,), wall=-HOUR_US, mono=0),
        tampered(2, "SIGNATURE", also=("CHAIN", "CLOCK_STEP")),
    ),
    # 18, 19: the database around the rows.
    Case(
        "trigger_added",
        (18,),
        sealed,
        partial(run_sql, sql="CREATE TRIGGER t AFTER INSERT ON entries BEGIN SELECT 1; END;"),
        tampered(None, "SCHEMA"),
    ),
    Case(
        "table_added",
        (18,),
        sealed,
        partial(run_sql, sql="CREATE TABLE notes (seq INTEGER, note TEXT);"),
        tampered(None, "SCHEMA"),
    ),
    Case(
        "view_added",
        (18,),
        sealed,
        partial(run_sql, sql="CREATE VIEW recent AS SELECT seq FROM entries;"),
        tampered(None, "SCHEMA"),
    ),
    Case(
        "index_added",
        (18, 19),
        sealed,
        partial(run_sql, sql="CREATE INDEX by_body ON entries (body);"),
        tampered(None, "SCHEMA"),
    ),
    Case(
        "column_added",
        (18,),
        sealed,
        partial(run_sql, sql="ALTER TABLE entries ADD COLUMN note TEXT;"),
        tampered(None, "SCHEMA"),
    ),
    Case(
        "user_version_changed",
        (18,),
        sealed,
        partial(run_sql, sql="PRAGMA user_version = 2;"),
        tampered(None, "SCHEMA"),
    ),
    # The alert at 2 is hidden behind a view named `entries` over the renamed table.
    # A view is never read (spec §5.1 step 2): the schema alone condemns the file.
    Case(
        "view_named_entries_hides_alert",
        (19, 18),
        partial(sealed, views=1, alerts=("copy attempt",)),
        partial(
            run_sql,
            sql="ALTER TABLE entries RENAME TO entries_all;"
            " CREATE VIEW entries AS SELECT seq, body, sig FROM entries_all WHERE seq <> 2;",
        ),
        tampered(None, "SCHEMA"),
    ),
    # 20: canonical encoding. Unsigned edits break the chain; signed ones do not.
    Case(
        "payload_whitespace_unsigned",
        (20,),
        sealed,
        lambda kit, s: set_payload_bytes(
            s.path, 2, b'{"blob": "' + b"ab" * 32 + b'", "first": 10, "last": 50}'
        ),
        # Whether an entry whose payload fails to parse still counts in the seal's
        # by_kind is not specified (its kind is readable): TOTALS may or may not follow.
        tampered(2, "ENCODING", also=("CHAIN",), exact=False),
    ),
    Case(
        "signed_duplicate_key",
        (20,),
        ALERTED,
        non_canonical('{"detail":"","what":"x","what":"café"}'.encode()),
        tampered(3, "ENCODING", also=("UNSEALED",)),
    ),
    Case(
        "signed_float",
        (20,),
        ALERTED,
        non_canonical('{"detail":"","n":1.0,"what":"café"}'.encode()),
        tampered(3, "ENCODING", also=("UNSEALED",)),
    ),
    Case(
        "signed_escaped_non_ascii",
        (20,),
        ALERTED,
        non_canonical(b'{"detail":"","what":"caf\\u00e9"}'),
        tampered(3, "ENCODING", also=("UNSEALED",)),
    ),
    Case(
        "signed_unsorted_keys",
        (20,),
        ALERTED,
        non_canonical('{"what":"café","detail":""}'.encode()),
        tampered(3, "ENCODING", also=("UNSEALED",)),
    ),
    Case(
        "signed_latin1_bytes",
        (20,),
        ALERTED,
        non_canonical('{"detail":"","what":"café"}'.encode("latin-1")),
        tampered(3, "ENCODING", also=("UNSEALED",)),
    ),
    # Nesting deeper than 32 levels (§3.1) is ENCODING at any depth, whether or not the
    # reader's recursion would have reached it: json.dumps, == and repr recurse too.
    Case(
        "signed_nested_33_deep",
        (20,),
        ALERTED,
        non_canonical(b'{"detail":' + b'{"a":' * 32 + b"1" + b"}" * 32 + b',"what":"x"}'),
        tampered(3, "ENCODING", also=("UNSEALED",)),
    ),
    Case(
        "signed_nested_past_recursion",
        (20,),
        ALERTED,
        non_canonical(b'{"detail":' + b"[" * 600 + b"]" * 600 + b',"what":"x"}'),
        tampered(3, "ENCODING", also=("UNSEALED",)),
    ),
    # 21: the body/sig boundary. What follows the unreadable row is not specified.
    Case(
        "hash_boundary_shift",
        (21,),
        sealed,
        partial(shift_bytes_into_body, seq=2),
        tampered(2, "ENCODING", exact=False),
    ),
    # 22: checkpoints replayed from another ledger.
    Case(
        "receipt_from_other_ledger",
        (22, 4),
        sealed,
        swap_receipt_and_truncate,
        tampered(None, "RECEIPT_LEDGER", "UNSEALED"),
    ),
    Case(
        "witness_from_other_ledger",
        (22,),
        partial(sealed, receipt=False),
        witness_from_other_ledger,
        tampered(2, "WITNESS_MISMATCH"),
    ),
    # 23: downgrades.
    Case(
        "strip_seal_with_receipt",
        (23,),
        sealed,
        partial(drop_rows, seqs=(4,)),
        tampered(4, "WITNESS_BEYOND_END", also=("UNSEALED",)),
    ),
    Case(
        "strip_countersign",
        (23, 29),
        sealed,
        lambda kit, s: forge(
            s.path, 4, None, payload={**body_of(s.path, 4).payload, "countersign": None}
        ),
        tampered(4, "SIGNATURE", "WITNESS_MISMATCH", also=("NOT_COUNTERSIGNED",)),
    ),
    # 24: key handoff. An entry other than session_end must name a successor (§3.3:
    # each entry names a fresh key); the spec names no code for it.
    Case(
        "handoff_names_no_successor",
        (24,),
        unsealed,
        partial(zero_next_key, seq=2),
        tampered(2, "ENCODING", also=("CHAIN", "SIGNATURE", "UNSEALED")),
    ),
    Case(
        "handoff_reuses_earlier_key",
        (24,),
        partial(sealed, receipt=False),
        partial(resign_with_key_of, seq=3, owner=2),
        tampered(3, "SIGNATURE", also=("NOT_COUNTERSIGNED",)),
    ),
    # 26: the -wal.
    Case(
        "wal_deleted",
        (26,),
        partial(crashed, witness=(2,)),
        delete_wal,
        tampered(2, "WITNESS_BEYOND_END", also=("UNSEALED",)),
    ),
    Case(
        "wal_rewrites_sealed_ledger",
        (26, 2),
        sealed,
        add_rewriting_wal,
        tampered(2, "SIGNATURE", also=("CHAIN", "SEAL_UNFINISHED")),
    ),
    # 12, 25, 4/10 across sessions (spec §5.4; the verdict of the set).
    Case(
        "session_deleted",
        (12,),
        sessions,
        delete_session,
        tampered(None, "SESSION_MISSING"),
    ),
    Case(
        "session_forked",
        (25,),
        partial(sessions, count=2),
        fork_session,
        tampered(None, "SESSION_FORK"),
    ),
    Case(
        "session_head_cut",
        (4, 10),
        partial(sessions, count=2),
        truncate_first_session,
        tampered(None, "SESSION_HEAD", "UNSEALED"),
    ),
    # 28: a torn last write is incomplete, never tampered.
    Case(
        "torn_wal_tail",
        (28,),
        crashed,
        tear_wal,
        expect(INCOMPLETE, None, ("TORN_WRITE", "UNSEALED")),
    ),
    # 29: reviewer identity, session start and close.
    Case(
        "reviewer_renamed", (29,), sealed, edit_reviewer, tampered(0, "SIGNATURE", also=("CHAIN",))
    ),
    Case(
        "reviewer_swapped_with_stolen_workstation_key",
        (29, 11),
        partial(sealed, witness=(2,)),
        swap_reviewer_with_stolen_workstation_key,
        tampered(2, "WITNESS_MISMATCH"),
    ),
    Case(
        "countersign_by_other_key",
        (29,),
        unsealed,
        partial(seal_with_stolen_key, how="own_key"),
        tampered(4, "COUNTERSIGN"),
    ),
    Case(
        "countersign_bad_signature",
        (29,),
        unsealed,
        partial(seal_with_stolen_key, how="bad_sig"),
        tampered(4, "COUNTERSIGN"),
    ),
    Case(
        "countersign_replayed",
        (29, 22),
        unsealed,
        partial(seal_with_stolen_key, how="replay"),
        tampered(4, "COUNTERSIGN"),
    ),
    Case(
        "seal_totals_hide_alert",
        (29,),
        ALERTED,
        seal_hiding_alerts,
        tampered(4, "TOTALS", also=("NOT_COUNTERSIGNED",)),
    ),
    Case(
        "second_session_start",
        (29,),
        unsealed,
        append_second_start,
        # §3.3: only entry 0 and resumes are the workstation key's to sign; a start at
        # i > 0 is "every other entry", due from the key entry 3 named.
        tampered(4, "START_REPEATED", "SIGNATURE", also=("UNSEALED",)),
    ),
]

BY_NAME = {c.name: c for c in CASES}
assert len(BY_NAME) == len(CASES), "case names must be unique"
