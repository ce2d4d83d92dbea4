"""Structure-aware mutation of fuzz inputs, driven by a `random.Random`.

Flipping bytes of an SQLite file mostly gives NOT_SQLITE or CORRUPT, and editing
a signed field gives SIGNATURE: the deeper checks are never reached. So, besides
byte and page edits, these mutators edit rows and payloads the way an attacker
with the signing keys would (tests/tamper_cases.py): they change one field, then
re-sign and re-chain the ledger with keys the fuzzer holds, so the change passes
the signature and chain checks and reaches the code behind them.

Every mutator returns new bytes and never raises (a mutator that cannot apply
falls back to byte edits); `mutate(target, data, rng)` picks one for a target.
"""

from __future__ import annotations

import json
import random
import sqlite3
import struct
import time
from dataclasses import replace
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cleanroom.ledger.encoding import (
    CERT_DOMAIN,
    HEADER,
    MAGIC,
    MAX_SAFE_INT,
    ZERO32,
    Body,
    EncodingError,
    canonical_json,
    countersign_message,
    decode_body,
    entry_hash,
    signed_message,
)
from cleanroom.ledger.guarded_sqlite import harden
from cleanroom.ledger.keys import raw_public
from tests.fuzz_targets import pack, unpack
from tests.ledgerkit import Kit, seeded_key

KINDS = ["session_start", "session_resume", "session_end", "view", "file_open", "search",
         "quick_open", "goto", "alert", "blocked", "screen", "witness_shown", "x", "A"]  # fmt: skip
INTS = [0, 1, -1, 2, 31, 32, 33, 255, 1 << 31, (1 << 32) + 1, MAX_SAFE_INT, -MAX_SAFE_INT,
        MAX_SAFE_INT + 1, 1 << 63, (1 << 64) - 1, 10**8]  # fmt: skip
STRINGS = ["", "a", "ab" * 32, "AB" * 32, "\x1b]0;pwned\x07", "\x1b[2J", "é", "\u202e",
           "\ud800", "\x00", "a;=1+1;b", "../../etc/passwd", "x" * 5000, "0" * 64]  # fmt: skip

CELLS = [None, 0, -1, 1 << 62, 10**9, "", "x", b"", b"\x00" * 32, "a/../b", "/abs", b"\xff\xfe",
         "file", "dir", "symlink"]  # fmt: skip


# -- keys the fuzzer can sign with ------------------------------------------------


def _key_map() -> dict[bytes, Ed25519PrivateKey]:
    """Every private key behind the committed vectors and seeds: kit 'kit' (the
    vectors), kit 'fuzz' (the corpus seeds) and the fuzzer's own."""
    keys: dict[bytes, Ed25519PrivateKey] = {}
    for name in ("kit", "fuzz"):
        kit = Kit(name)
        for k in (kit.vendor, kit.workstation.key, kit.reviewer):
            keys[raw_public(k)] = k
        for i in range(64):
            k = seeded_key(f"{name}/entries/{i}")
            keys[raw_public(k)] = k
    return keys


KEYS = _key_map()
VENDOR = Kit("kit").vendor
OWN = [seeded_key(f"fuzzer/{i}") for i in range(8)]


def _own_key(seq: int) -> Ed25519PrivateKey:
    k = OWN[seq % len(OWN)]
    KEYS.setdefault(raw_public(k), k)
    return k


# -- bytes and pages -----------------------------------------------------------


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    out = bytearray(data)
    for _ in range(rng.choice([1, 1, 2, 4, 16])):
        if not out:
            out.append(rng.randrange(256))
        i = rng.randrange(len(out))
        how = rng.randrange(4)
        if how == 0:
            out[i] ^= 1 << rng.randrange(8)
        elif how == 1:
            out[i] = rng.choice([0, 1, 0x7F, 0x80, 0xFF])
        elif how == 2:
            del out[i : i + rng.randrange(1, 64)]
        else:
            out[i:i] = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 16)))
    return bytes(out)


# Header fields of an SQLite file worth breaking: (offset, width).
_SQLITE_HEADER = [(16, 2), (18, 1), (19, 1), (20, 1), (21, 1), (24, 4), (28, 4), (32, 4),
                  (36, 4), (40, 4), (44, 4), (48, 4), (52, 4), (56, 4), (60, 4), (64, 4),
                  (68, 4), (92, 4), (96, 4)]  # fmt: skip


def edit_pages(data: bytes, rng: random.Random) -> bytes:
    """A page-level edit of an SQLite image: a header field, or a whole page
    zeroed, copied over another, swapped, dropped or duplicated."""
    if len(data) < 100:
        return flip_bytes(data, rng)
    size = struct.unpack_from(">H", data, 16)[0]
    size = 65536 if size == 1 else size
    if size < 512 or size & (size - 1) or len(data) % size:
        size = 4096
    pages = [data[i : i + size] for i in range(0, len(data), size)]
    n = len(pages)
    how = rng.randrange(7)
    if how == 0:
        off, width = rng.choice(_SQLITE_HEADER)
        value = rng.choice(
            [0, 1, 2, 3, 0xFF, (1 << (8 * width)) - 1, n, n + 1, rng.randrange(1 << 8 * width)]
        )
        value &= (1 << (8 * width)) - 1
        out = bytearray(data)
        out[off : off + width] = value.to_bytes(width, "big")
        return bytes(out)
    a, b = rng.randrange(n), rng.randrange(n)
    if how == 1:
        pages[a] = bytes(len(pages[a]))
    elif how == 2:
        pages[a] = pages[b]
    elif how == 3:
        pages[a], pages[b] = pages[b], pages[a]
    elif how == 4 and n > 1:
        del pages[max(a, 1)]
    elif how == 5:
        pages.insert(a + 1, pages[b])
    else:  # an interior page: point a child pointer somewhere else
        page = bytearray(pages[a])
        hdr = 100 if a == 0 else 0
        if len(page) > hdr + 12 and page[hdr] in (2, 5):
            page[hdr + 8 : hdr + 12] = rng.randrange(1, n + 2).to_bytes(4, "big")
        pages[a] = bytes(page)
    return b"".join(pages)


# -- SQLite rows -----------------------------------------------------------------


MUTATOR_SECONDS = 1.0  # the mutator's own reads of a hostile seed are cut off too


def _connect(data: bytes) -> sqlite3.Connection:
    """An in-memory copy to edit, bounded like the verifier's own connections (a
    seed may be an endless view)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    deadline = time.monotonic() + MUTATOR_SECONDS
    harden(conn, lambda: int(time.monotonic() > deadline), 1 << 21)
    conn.execute("PRAGMA query_only = OFF")
    conn.deserialize(data)
    conn.execute("PRAGMA ignore_check_constraints = ON")
    return conn


def _tables(conn: sqlite3.Connection) -> list[str]:
    return [r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type = 'table'")]


def _rows(data: bytes) -> list[list[Any]]:
    conn = _connect(data)
    try:
        if "entries" not in _tables(conn):
            return []
        rows = conn.execute("SELECT seq, body, sig FROM entries ORDER BY seq LIMIT 1000")
        return [list(r) for r in rows]
    finally:
        conn.close()


def _with_rows(data: bytes, rows: list[list[Any]]) -> bytes:
    conn = _connect(data)
    try:
        conn.execute("DELETE FROM entries")
        conn.executemany("INSERT OR REPLACE INTO entries (seq, body, sig) VALUES (?, ?, ?)", rows)
        return conn.serialize()
    finally:
        conn.close()


def _random_value(rng: random.Random, depth: int = 0) -> Any:
    how = rng.randrange(9 if depth < 3 else 5)
    if how == 0:
        return rng.choice(INTS)
    if how == 1:
        return rng.choice(STRINGS)
    if how == 2:
        return rng.choice([None, True, False])
    if how == 3:
        return rng.randrange(-1000, 100000)
    if how == 4:
        return "".join(chr(rng.randrange(0x20, 0x2FF)) for _ in range(rng.randrange(8)))
    if how == 5:
        return [_random_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    if how == 6:
        return {
            rng.choice(["key", "sig", "name", "path", "blob", "a"]): _random_value(rng, depth + 1)
        }
    if how == 7:
        deep: Any = 0
        for _ in range(rng.choice([30, 31, 32, 33, 200])):
            deep = [deep]
        return deep
    return {}


def mutate_payload(payload: Any, rng: random.Random) -> Any:
    """`payload` with one value somewhere inside it replaced, added or removed."""
    if not isinstance(payload, dict | list) or not payload or rng.randrange(8) == 0:
        return _random_value(rng) if rng.randrange(4) else payload
    if isinstance(payload, dict):
        key = rng.choice(sorted(payload))
        out = dict(payload)
        how = rng.randrange(5)
        if how == 0:
            del out[key]
        elif how == 1:
            out[rng.choice(["extra", key + "x", "countersign", "cert"])] = _random_value(rng)
        elif how == 2:
            out[key] = _random_value(rng)
        else:
            out[key] = mutate_payload(payload[key], rng)
        return out
    i = rng.randrange(len(payload))
    out_list = list(payload)
    out_list[i] = mutate_payload(payload[i], rng)
    return out_list


def _raw_payload(payload: Any, rng: random.Random) -> bytes:
    """JSON bytes of `payload`, usually canonical, sometimes not quite."""
    try:
        if rng.randrange(6):
            return canonical_json(payload)
    except EncodingError:
        pass
    text = json.dumps(payload, sort_keys=rng.randrange(2) == 0, ensure_ascii=rng.randrange(2) == 0)
    if rng.randrange(3) == 0:
        text = text.replace("1", "1.0", 1) if "1" in text else text + " "
    return text.encode("utf-8", "surrogatepass")


def _encode(body: Body, rng: random.Random) -> bytes:
    """Body bytes, even for fields Body.encode refuses."""
    kind = body.kind.encode("ascii", "replace")[:255]
    try:
        head = HEADER.pack(MAGIC, body.seq, body.ledger, body.prev, body.wall_us, body.mono_us,
                           body.boot, body.next_key, len(kind))  # fmt: skip
    except struct.error:
        head = HEADER.pack(b"CRLEDG\x00\x01", 0, body.ledger[:16], body.prev[:32], 0, 0,
                           body.boot[:16], body.next_key[:32], len(kind))  # fmt: skip
    return head + kind + _raw_payload(body.payload, rng)


def _mutate_body(body: Body, rng: random.Random) -> Body:
    field = rng.choice(["payload"] * 6 + ["seq", "wall_us", "mono_us", "kind", "next_key",
                                           "boot", "ledger", "prev", "cert"])  # fmt: skip
    if field == "payload":
        payload = mutate_payload(body.payload, rng)
        return replace(body, payload=payload if isinstance(payload, dict) else body.payload)
    if field in ("seq", "wall_us", "mono_us"):
        old = getattr(body, field)
        value = rng.choice([old + 1, old - 1, old + 10**9, 0, -1, 1 << 62, -(1 << 63)])
        if field == "seq":
            value = max(0, min(value, (1 << 64) - 1))
        return replace(body, **{field: max(-(1 << 63), min(value, (1 << 63) - 1))})
    if field == "kind":
        return replace(body, kind=rng.choice(KINDS))
    if field == "cert":
        return replace(body, payload=_mutate_cert(body.payload, rng))
    width = 16 if field in ("boot", "ledger") else 32
    options = [bytes(width), bytes([rng.randrange(256)]) * width, rng.randbytes(width)]
    if field == "next_key":
        options.append(bytes.fromhex("01" + "00" * 31))  # a small-order point
    return replace(body, **{field: rng.choice(options)})


def _mutate_cert(payload: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """A session_start whose certificate fields changed and were re-signed by the
    trusted vendor key (a stolen vendor key: every later check must still hold)."""
    try:
        fields = json.loads(payload["cert"])
        fields = mutate_payload(fields, rng)
        body = canonical_json(fields)
    except (KeyError, TypeError, ValueError):
        return payload
    sig = VENDOR.sign(CERT_DOMAIN + body).hex()
    return {**payload, "cert": body.decode("utf-8"), "cert_sig": sig}


def resign_chain(rows: list[list[Any]], keep: tuple[int, str] | None = None) -> None:
    """Re-link and re-sign every row in place with keys the fuzzer holds: entry 0
    and resumes by the workstation key of the certificate, each other entry by
    the key its predecessor names (replaced by a fuzzer key where unknown). The
    field `keep` = (row index, name) is left as the mutation made it."""
    prev_hash, prev_next = ZERO32, None
    ws_key = None
    for i, row in enumerate(rows):
        try:
            body = decode_body(row[1])
        except EncodingError:
            prev_hash, prev_next = entry_hash(bytes(row[1] or b""), bytes(row[2] or b"")), None
            continue
        if body.kind == "session_start" and i == 0:
            try:
                cert = json.loads(body.payload["cert"])
                ws_key = KEYS.get(bytes.fromhex(cert["key"]))
            except (KeyError, TypeError, ValueError):
                ws_key = None
        changes: dict[str, Any] = {}
        if keep != (i, "prev"):
            changes["prev"] = prev_hash
        if keep != (i, "next_key") and body.kind != "session_end":
            nxt = KEYS.get(body.next_key) or _own_key(i)
            changes["next_key"] = raw_public(nxt)
        new = replace(body, **changes)
        cs = new.payload.get("countersign") if new.kind == "session_end" else None
        if isinstance(cs, dict) and keep != (i, "payload"):
            reviewer = (
                KEYS.get(bytes.fromhex(cs["key"])) if isinstance(cs.get("key"), str) else None
            )
            if reviewer is not None:
                sig = reviewer.sign(countersign_message(new.ledger, new.seq, new.prev)).hex()
                new = replace(new, payload={**new.payload, "countersign": {**cs, "sig": sig}})
        try:
            encoded = new.encode()
        except (EncodingError, UnicodeError, struct.error):
            encoded = row[1]
        signer = ws_key if (i == 0 or new.kind == "session_resume") else prev_next
        sig = (signer or _own_key(i)).sign(signed_message(encoded))
        row[1], row[2] = encoded, sig
        prev_hash = entry_hash(encoded, sig)
        prev_next = KEYS.get(new.next_key)


def edit_rows(data: bytes, rng: random.Random) -> bytes:
    """A row-level edit of a ledger image: one field of one entry (usually then
    re-signed and re-chained), or rows deleted, duplicated, swapped or retyped."""
    rows = _rows(data)
    if not rows:
        return edit_pages(data, rng)
    i = rng.randrange(len(rows))
    how = rng.randrange(10)
    if how < 6:
        try:
            body = decode_body(rows[i][1])
        except EncodingError:
            return flip_bytes(data, rng)
        new = _mutate_body(body, rng)
        changed = next(
            (f for f in ("prev", "next_key") if getattr(new, f) != getattr(body, f)), "payload"
        )
        rows[i][1] = _encode(new, rng)
        if how < 5:
            resign_chain(rows, (i, changed))
    elif how == 6:
        del rows[i]
        if rng.randrange(2):
            resign_chain(rows)
    elif how == 7:
        rows.insert(i, list(rows[rng.randrange(len(rows))]))
        rows[i][0] = rows[i][0] + rng.choice([0, 1, -1, 1000]) if isinstance(rows[i][0], int) else 0
    elif how == 8:
        j = rng.randrange(len(rows))
        rows[i][1:], rows[j][1:] = rows[j][1:], rows[i][1:]
    else:
        col = rng.randrange(3)
        rows[i][col] = rng.choice([None, "text", 1.5, b"", bytes(65), rng.choice(INTS) % (1 << 63)])
    try:
        return _with_rows(data, rows)
    except (sqlite3.Error, OverflowError):
        return data


def mutate_ledger(data: bytes, rng: random.Random) -> bytes:
    """One edit of a ledger fuzz input: pack([db]) or pack([db, wal])."""
    parts = unpack(data, 2) or [b""]
    db = parts[0]
    how = rng.randrange(10)
    try:
        if how < 5:
            db = edit_rows(db, rng)
        elif how < 8:
            db = edit_pages(db, rng)
        else:
            db = flip_bytes(db, rng)
    except (sqlite3.Error, OverflowError, ValueError, MemoryError):
        db = flip_bytes(db, rng)
    if len(parts) > 1 and rng.randrange(3) == 0:
        parts[1] = flip_bytes(parts[1], rng)
    return pack([db, *parts[1:]])


def mutate_ledger_files(data: bytes, rng: random.Random) -> bytes:
    """One edit of pack([flags, db, wal, journal]): the ledger as mutate_ledger
    does, a sidecar's bytes, or which sidecars exist."""
    parts = unpack(data, 4) + [b""] * 4
    flags, db, wal, journal = parts[:4]
    how = rng.randrange(6)
    if how < 3:
        db = unpack(mutate_ledger(pack([db]), rng), 1)[0]
    elif how == 3:
        wal = edit_pages(wal, rng) if rng.randrange(2) else flip_bytes(wal, rng)
    elif how == 4:
        journal = flip_bytes(journal, rng)
    else:
        flags = bytes([rng.randrange(4)])
    return pack([flags, db, wal, journal])


def mutate_certificate(data: bytes, rng: random.Random) -> bytes:
    """Certificate fields changed, then usually signed by the trusted vendor."""
    parts = unpack(data, 2) + [b"", b""]
    try:
        fields = mutate_payload(json.loads(parts[0]), rng)
        body = _raw_payload(fields, rng)
    except (ValueError, RecursionError):
        return pack([flip_bytes(parts[0], rng), parts[1]])
    sig = VENDOR.sign(CERT_DOMAIN + body) if rng.randrange(4) else flip_bytes(parts[1], rng)
    return pack([body, sig])


def mutate_json_bytes(data: bytes, rng: random.Random) -> bytes:
    try:
        return _raw_payload(mutate_payload(json.loads(data), rng), rng)
    except (ValueError, RecursionError):
        return flip_bytes(data, rng)


def mutate_body_bytes(data: bytes, rng: random.Random) -> bytes:
    try:
        return _encode(_mutate_body(decode_body(data), rng), rng)
    except (EncodingError, ValueError):
        return flip_bytes(data, rng)


def mutate_receipt(data: bytes, rng: random.Random) -> bytes:
    parts = unpack(data, 2) + [b"", b""]
    if rng.randrange(2):
        parts[0] = flip_bytes(parts[0], rng)
    else:
        parts[1] = mutate_json_bytes(parts[1], rng)
    return pack(parts[:2])


def mutate_snapshot(data: bytes, rng: random.Random) -> bytes:
    """A page edit, or one cell of one table changed and the manifest re-signed
    by the trusted vendor (what a vendor-key thief can do)."""
    from tests.snapshotkit import edited, resign

    if rng.randrange(3) == 0:
        return edit_pages(data, rng) if rng.randrange(2) else flip_bytes(data, rng)
    try:
        conn = _connect(data)
        try:
            kinds = {r[0] for r in conn.execute("SELECT type FROM sqlite_schema")}
            if kinds - {"table", "index"}:  # a view or trigger would run in edited()
                return edit_pages(data, rng)
            table = rng.choice([t for t in _tables(conn) if not t.startswith("search")])
            info = list(conn.execute(f'PRAGMA table_info("{table}")'))
            cols = [r[1] for r in info]
            # files is WITHOUT ROWID: rows are named by their primary key
            key = next((r[1] for r in info if r[5] == 1), "rowid")
            sql = f'SELECT "{key}" FROM "{table}" LIMIT 1000'  # noqa: S608
            keys = [r[0] for r in conn.execute(sql)]
        finally:
            conn.close()
        col = rng.choice(cols)
        value = rng.choice([*CELLS, rng.randbytes(32)])
        if not keys or rng.randrange(5) == 0:
            sql = f'DELETE FROM "{table}" WHERE "{key}" = ?'  # noqa: S608
            new = edited(data, (sql, (rng.choice(keys) if keys else None,)))
        else:
            sql = f'UPDATE "{table}" SET "{col}" = ? WHERE "{key}" = ?'  # noqa: S608
            new = edited(data, (sql, (value, rng.choice(keys))))
        return resign(new) if rng.randrange(4) else new
    except (sqlite3.Error, ValueError, KeyError, TypeError, IndexError, OverflowError):
        return flip_bytes(data, rng)


MUTATORS = {
    "ledger_image": mutate_ledger,
    "ledger_files": mutate_ledger_files,
    "entry_body": mutate_body_bytes,
    "canonical_json": mutate_json_bytes,
    "certificate": mutate_certificate,
    "witness": mutate_receipt,
    "snapshot": mutate_snapshot,
}


def mutate(target: str, data: bytes, rng: random.Random) -> bytes:
    """One structure-aware mutation of `data` for `target`; never raises."""
    try:
        return MUTATORS[target](data, rng)
    except Exception:  # noqa: BLE001 - a mutator's own bug must not stop the fuzzer
        return data + bytes([rng.randrange(256)])
