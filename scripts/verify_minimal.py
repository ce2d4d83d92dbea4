#!/usr/bin/env python3
"""Independent minimal verifier of Cleanroom ledgers, written from docs/ledger-format.md alone.

Prints `STATUS first_bad_seq=N codes=A,B` (findings on stderr); exit 0 INTACT, 1 TAMPERED,
3 INCOMPLETE, 2 usage error. Numbers in comments are sections of the spec.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import sqlite3
import sys
import tempfile
import urllib.parse

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_public_key

SCHEMA_SQL = (  # 2: byte for byte
    "CREATE TABLE entries (\n    seq INTEGER PRIMARY KEY CHECK (seq >= 0),\n"
    "    body BLOB NOT NULL,\n    sig BLOB NOT NULL CHECK (length(sig) = 64)\n) STRICT"
)
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # 4
INCOMPLETE, WARNING = {"UNSEALED", "RESUMED", "TORN_WRITE"}, {"CLOCK_STEP", "SIDECAR"}  # 5.2
CERT_FIELDS = {"format", "workstation", "key", "issuer", "not_before", "not_after"}  # 1


def sha256(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def key_id(pub):  # 1
    return sha256(b"cleanroom:keyid:v1\x00", pub).hex()[:32]


def sig_ok(pub, sig, *msg):
    try:
        Ed25519PublicKey.from_public_bytes(pub).verify(sig, b"".join(msg))
        return True
    except (InvalidSignature, ValueError, TypeError):
        return False


def unhex(s, size):  # lowercase hex of exactly `size` bytes, else None
    ok = isinstance(s, str) and re.fullmatch(r"[0-9a-f]*", s) and len(s) == 2 * size
    return bytes.fromhex(s) if ok else None


def witness_code(h):  # 4: first 140 bits in Crockford base32 (without the dashes)
    n = int.from_bytes(h, "big") >> (256 - 140)
    return "".join(CROCKFORD[(n >> (5 * (27 - i))) & 31] for i in range(28))


def read_code(text):  # 4: normalise a hand-copied code, None if malformed
    s = re.sub(r"[- ]", "", str(text).upper()).translate(str.maketrans("ILO", "110"))
    return s if len(s) == 28 and all(c in CROCKFORD for c in s) else None


def canon(v):  # RFC 8785 for the allowed subset (keys sorted by UTF-16 code units)
    if isinstance(v, dict):
        items = sorted(v.items(), key=lambda kv: kv[0].encode("utf-16-be"))
        return "{" + ",".join(canon(k) + ":" + canon(x) for k, x in items) + "}"
    if isinstance(v, list):
        return "[" + ",".join(canon(x) for x in v) + "]"
    if type(v) is int and abs(v) > 2**53 - 1:
        raise ValueError("integer out of range")
    return json.dumps(v, ensure_ascii=False)


def _no_float(text):
    raise ValueError(f"{text} is not allowed")


def parse_canonical(raw):  # the parsed object, or None unless raw is its exact canonical form
    try:
        value = json.loads(raw.decode("utf-8"), parse_float=_no_float, parse_constant=_no_float)
        return value if isinstance(value, dict) and canon(value).encode() == raw else None
    except (ValueError, RecursionError):
        return None


def parse_body(body):  # 3.1: the fields as a dict, or an error sentence
    n, i64 = body[128] if len(body) > 128 else 0, lambda b: int.from_bytes(b, "big", signed=True)
    if len(body) > 1 << 20 or body[:8] != b"CRLEDG\x00\x01" or not 1 <= n <= 32:
        return "bad size, magic or kind_len"
    kind, payload = body[129 : 129 + n], parse_canonical(body[129 + n :])
    if len(kind) != n or not re.fullmatch(rb"[a-z_]+", kind) or payload is None:
        return "bad kind, or payload is not a canonical JSON object"
    return dict(seq=int.from_bytes(body[8:16], "big"), ledger=body[16:32], prev=body[32:64],
                wall=i64(body[64:72]), mono=i64(body[72:80]), boot=body[80:96],
                next_key=body[96:128], kind=kind.decode(), payload=payload)  # fmt: skip


def check_cert(e, trusted, add):  # 5.1 step 4; returns the workstation key or None
    body, sig = e["payload"].get("cert"), unhex(e["payload"].get("cert_sig"), 64)
    cert = parse_canonical(body.encode()) if isinstance(body, str) else None
    if cert is None or set(cert) != CERT_FIELDS or cert["format"] != "cleanroom.cert.v1":
        return add("CERT_INVALID", 0, "certificate body is not a canonical cleanroom.cert.v1")
    ws_key, nb, na, vendor = (unhex(cert["key"], 32), cert["not_before"], cert["not_after"],
                              trusted.get(cert["issuer"]))  # fmt: skip
    if not ws_key or type(nb) is not int or type(na) is not int:
        return add("CERT_INVALID", 0, "certificate key or validity is malformed")
    if vendor is None:
        add("CERT_UNTRUSTED", 0, f"issuer {cert['issuer']!r} is not a trusted vendor key id")
    elif sig is None or not sig_ok(vendor, sig, b"cleanroom:cert:v1\x00", body.encode()):
        add("CERT_INVALID", 0, "certificate signature does not verify")
    if not nb * 10**6 <= e["wall"] <= na * 10**6:
        add("CERT_EXPIRED", 0, f"certificate is not valid at wall_us={e['wall']}")
    return ws_key


def check_end(e, p0, kinds, add):  # 3.4: session_end totals and countersignature
    pay, seq = e["payload"], e["seq"]
    by_kind, total = pay.get("by_kind"), pay.get("entries")
    exact = isinstance(by_kind, dict) and all(type(v) is int for v in by_kind.values())
    if type(total) is not int or total != seq or not exact or by_kind != kinds:
        add("TOTALS", seq, f"entries/by_kind do not count the {seq} entries before it")
    cs, rev = pay.get("countersign", {}), (p0 or {}).get("payload", {}).get("reviewer")
    rev_key = unhex(rev.get("key"), 32) if isinstance(rev, dict) else None
    key, sig = (unhex(cs.get("key"), 32), unhex(cs.get("sig"), 64)) if cs else (None, None)
    msg = (b"cleanroom:countersign:v1\x00", e["ledger"], seq.to_bytes(8, "big"), e["prev"])
    if cs is not None and (not key or key != rev_key or not sig or not sig_ok(key, sig, *msg)):
        add("COUNTERSIGN", seq, "countersignature is not the reviewer's over this seal")


def check_entries(rows, trusted, add):  # 5.1 steps 3-5
    p0 = ws_key = p = p_hash = ledger = None
    expect, kinds, hashes = 0, {}, {}
    for n, (seq, body, sig) in enumerate(rows):
        if seq != expect:
            add("SEQ_GAP", expect, f"row {seq} follows row {expect - 1}")
        expect = seq + 1
        blobs = isinstance(body, bytes) and isinstance(sig, bytes)
        h = hashes[seq] = sha256(b"cleanroom:entry:v1\x00", body, sig) if blobs else None
        e = parse_body(body) if blobs else "body or sig is not a BLOB"
        if isinstance(e, str):
            add("ENCODING", seq, e)
            p, p_hash = None, h
            continue
        kind, pay = e["kind"], e["payload"]
        if seq == 0 and kind == "session_start":
            p0, ws_key = e, check_cert(e, trusted, add)
        elif seq == 0:
            add("CERT_INVALID", 0, f"entry 0 is a {kind}, not a session_start")
        if e["seq"] != seq:
            add("SEQ_MISMATCH", seq, f"the body says seq {e['seq']}")
        ledger = ledger or e["ledger"]  # entry 0's, or the first readable one's
        if e["ledger"] != ledger:
            add("WRONG_LEDGER", seq, f"ledger id {e['ledger'].hex()} is not entry 0's")
        if e["prev"] != (bytes(32) if seq == 0 else p_hash) and (seq == 0 or n > 0):
            add("CHAIN", seq, "prev is not the entry hash of the preceding row")
        if kind == "session_start" and seq > 0:
            add("START_REPEATED", seq, "a session_start after entry 0")
        key = ws_key if kind == "session_resume" or seq == 0 else p and p["next_key"]
        if key is not None and not sig_ok(key, sig, b"cleanroom:sig:v1\x00", body):
            add("SIGNATURE", seq, "the signature does not verify under the key 3.3 assigns")
        if p and p["kind"] == "session_end":
            add("AFTER_SEAL", seq, "an entry follows the session_end")
        if p and e["boot"] == p["boot"]:
            if e["mono"] < p["mono"]:
                add("TIME_REVERSED", seq, "the monotonic clock went backwards")
            if abs((e["wall"] - p["wall"]) - (e["mono"] - p["mono"])) > 2_000_000:
                add("CLOCK_STEP", seq, "wall and monotonic deltas differ by more than 2 s")
        elif p and kind != "session_resume":
            add("BOOT_CHANGED", seq, "the boot id changed outside a session_resume")
        if kind == "session_resume":  # 3.4, 5.3
            add("RESUMED", seq, "the session was resumed after a crash")
            after = (pay.get("after_seq"), pay.get("after_head"))
            if type(after[0]) is not int or after != (seq - 1, p_hash and p_hash.hex()):
                add("RESUME", seq, "after_seq/after_head do not name the preceding entry")
        if kind == "session_end":
            check_end(e, p0, kinds, add)
        kinds[kind] = kinds.get(kind, 0) + 1
        p, p_hash = e, h
    return hashes, expect, p and p["kind"], ledger and ledger.hex()


def verify(path, trusted, witnesses):  # 5.1; returns [(code, seq, sentence)]
    out, sidecars = [], [path + s for s in ("-wal", "-journal") if os.path.exists(path + s)]
    add = lambda *finding: out.append(finding)  # noqa: E731
    if path + "-wal" in sidecars:  # step 7: a WAL is a 32-byte header and (24 + page)-byte frames
        with open(path + "-wal", "rb") as f:
            size, page = os.fstat(f.fileno()).st_size, int.from_bytes(f.read(32)[8:12], "big")
        if size and (size < 32 or page < 512 or (size - 32) % (page + 24)):
            add("TORN_WRITE", None, f"the -wal ({size} bytes) is not a whole number of frames")
    with open(path, "rb") as f:
        if f.read(16) != b"SQLite format 3\x00" and not (sidecars and f.tell() == 0):
            return [*out, ("NOT_SQLITE", None, "the file is not an SQLite database")]
    with tempfile.TemporaryDirectory() as tmp:  # step 1: never modify the evidence
        uri = "file:" + urllib.parse.quote(os.path.abspath(path)) + "?mode=ro&immutable=1"
        if sidecars:  # a private copy, so that SQLite applies the -wal / -journal
            for src in [path, *sidecars]:
                shutil.copyfile(src, os.path.join(tmp, "copy") + src[len(path) :])
            uri = "file:" + urllib.parse.quote(os.path.join(tmp, "copy"))
        con = sqlite3.connect(uri, uri=True)
        try:
            if con.execute("PRAGMA integrity_check").fetchall() != [("ok",)]:
                add("CORRUPT", None, "PRAGMA integrity_check reports errors")
            schema = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema").fetchall()
            ids = [
                con.execute(f"PRAGMA {p}").fetchone()[0] for p in ("application_id", "user_version")
            ]
            if schema != [("table", "entries", "entries", SCHEMA_SQL)] or ids != [0x434C524D, 1]:
                add("SCHEMA", None, "sqlite_schema, application_id or user_version differ")
            rows = con.execute("SELECT seq, body, sig FROM entries ORDER BY seq")
            hashes, end, last_kind, ledger_id = check_entries(rows, trusted, add)
        except sqlite3.Error as err:  # unreadable (a missing table is already SCHEMA)
            if not any(code == "SCHEMA" for code, _, _ in out):
                add("CORRUPT", None, f"SQLite error: {err}")
            return out
        finally:
            con.close()
    for seq, code, head, ledger in witnesses:  # step 6
        if ledger is not None and ledger != ledger_id:
            add("RECEIPT_LEDGER", None, f"the receipt is for ledger {ledger}")
        elif seq >= end:
            add("WITNESS_BEYOND_END", seq, f"a witness for seq {seq}, but the ledger ends before")
        elif hashes.get(seq) is None or code != witness_code(hashes[seq]):
            add("WITNESS_MISMATCH", seq, "the witness code does not match the entry hash")
        elif head is not None and head != hashes[seq].hex():
            add("WITNESS_MISMATCH", seq, "the receipt head does not match the entry hash")
    if last_kind != "session_end":  # step 7
        add("UNSEALED", None, "the last entry is not a session_end")
    elif sidecars:
        add("SIDECAR", None, "a sealed ledger has a -wal or -journal beside it")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ledger")
    ap.add_argument("--trust", action="append", required=True, metavar="VENDOR_PUB_PEM")
    ap.add_argument("--witness", action="append", default=[], metavar="SEQ:CODE")
    ap.add_argument("--receipt", action="append", default=[], metavar="FILE")
    args, trusted, witnesses = ap.parse_args(argv), {}, []
    try:
        for pem in args.trust:
            with open(pem, "rb") as f:
                raw = load_pem_public_key(f.read()).public_bytes(Encoding.Raw, PublicFormat.Raw)
            trusted[key_id(raw)] = raw
        for w in args.witness:
            seq, _, code = w.partition(":")
            if not re.fullmatch(r"[0-9]+", seq) or not read_code(code):
                raise ValueError(f"bad witness {w!r}, expected SEQ:CODE")
            witnesses.append((int(seq), read_code(code), None, None))
        for name in args.receipt:
            with open(name, "rb") as f:
                r = json.loads(f.read())
            if r["format"] != "cleanroom.receipt.v1" or type(r["seq"]) is not int:
                raise ValueError(f"{name} is not a cleanroom.receipt.v1")
            witnesses.append((r["seq"], read_code(r["witness"]), r["head"], r["ledger"]))
        os.stat(args.ledger)
    except (OSError, ValueError, TypeError, KeyError) as err:
        print(f"verify_minimal: {err}", file=sys.stderr)
        return 2
    try:
        findings = [("NOT_SQLITE", None, "not a regular file")]
        findings = (
            verify(args.ledger, trusted, witnesses) if os.path.isfile(args.ledger) else findings
        )
    except (OSError, sqlite3.Error, MemoryError) as err:
        findings = [("CORRUPT", None, f"cannot read the ledger: {err}")]
    sev = {
        c: "incomplete" if c in INCOMPLETE else "warning" if c in WARNING else "tamper"
        for c, *_ in findings
    }
    status = (
        "TAMPERED"
        if "tamper" in sev.values()
        else "INCOMPLETE"
        if "incomplete" in sev.values()
        else "INTACT"
    )
    findings.sort(key=lambda f: (f[1] is not None, f[1] or 0))  # 5.2: findings without seq first
    for code, seq, text in findings:
        print(
            f"  {sev[code]:10} {code:18} seq={'-' if seq is None else seq}  {text}", file=sys.stderr
        )
    bad = [seq for code, seq, _ in findings if seq is not None and sev[code] != "warning"]
    codes = ",".join(dict.fromkeys(code for code, *_ in findings)) or "-"
    print(f"{status} first_bad_seq={min(bad) if bad else '-'} codes={codes}")
    return {"INTACT": 0, "TAMPERED": 1, "INCOMPLETE": 3}[status]


if __name__ == "__main__":
    sys.exit(main())
