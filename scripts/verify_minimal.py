#!/usr/bin/env python3
"""Independent minimal verifier of Cleanroom ledgers, written from docs/ledger-format.md alone.
Prints `STATUS first_bad_seq=N codes=A,B` (findings on stderr); exit 0 INTACT, 1 TAMPERED,
3 INCOMPLETE, 2 usage error. Numbers in comments are sections of the spec."""

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

SCHEMA_SQL = """CREATE TABLE entries (
    seq INTEGER PRIMARY KEY CHECK (seq >= 0),
    body BLOB NOT NULL,
    sig BLOB NOT NULL CHECK (length(sig) = 64)
) STRICT"""  # 2: byte for byte
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # 4
INCOMPLETE, WARNING = {"UNSEALED", "RESUMED", "TORN_WRITE"}, {"CLOCK_STEP", "SIDECAR"}  # 5.2
CERT_TYPES = dict(format=str, workstation=str, key=str, issuer=str, not_before=int, not_after=int)


def severity(code):  # 5.2
    return "incomplete" if code in INCOMPLETE else "warning" if code in WARNING else "tamper"


def sha256(*parts):
    return hashlib.sha256(b"".join(parts)).digest()


def sig_ok(pub, sig, *msg):
    try:
        return Ed25519PublicKey.from_public_bytes(pub).verify(sig, b"".join(msg)) is None
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
    if type(v) is float or (type(v) is int and abs(v) > 2**53 - 1):
        raise ValueError("floats and integers beyond 2^53-1 are not allowed")
    return json.dumps(v, ensure_ascii=False)


def parse_canonical(raw):  # the parsed object, or None unless raw is its exact canonical form
    try:
        value = json.loads(raw.decode("utf-8"))
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


def check_start(e, trusted, add):  # 5.1 step 4; returns (workstation key, reviewer key)
    rev, body = e["payload"].get("reviewer"), e["payload"].get("cert")
    rev_key = unhex(rev.get("key"), 32) if isinstance(rev, dict) else None
    if isinstance(rev, dict) and rev.get("key") is not None and rev_key is None:
        add("ENCODING", 0, "the reviewer key is malformed")  # verdict.md
    cert = parse_canonical(body.encode()) if isinstance(body, str) else None
    shape = cert and {k: type(v) for k, v in cert.items()}  # 1: exactly these fields
    if shape != CERT_TYPES or cert["format"] != "cleanroom.cert.v1" or not unhex(cert["key"], 32):
        return add("CERT_INVALID", 0, "not a canonical cleanroom.cert.v1 certificate"), rev_key
    vendor, sig = trusted.get(cert["issuer"]), unhex(e["payload"].get("cert_sig"), 64)
    if not (vendor and sig and sig_ok(vendor, sig, b"cleanroom:cert:v1\x00", body.encode())):
        add("CERT_UNTRUSTED", 0, f"not signed by a trusted key with id {cert['issuer']!r}")
    if not cert["not_before"] * 10**6 <= e["wall"] <= cert["not_after"] * 10**6:
        add("CERT_EXPIRED", 0, f"the certificate is not valid at wall_us={e['wall']}")
    return unhex(cert["key"], 32), rev_key


def countersign_ok(e, rev_key):  # 3.4
    cs = e["payload"].get("countersign", {})  # null: none was made; absent: malformed
    if not isinstance(cs, dict):
        return cs is None
    key, sig = unhex(cs.get("key"), 32), unhex(cs.get("sig"), 64)
    msg = (b"cleanroom:countersign:v1\x00", e["ledger"], e["seq"].to_bytes(8, "big"), e["prev"])
    return key is not None and key == rev_key and sig is not None and sig_ok(key, sig, *msg)


def check_entries(rows, trusted, witnesses, add):  # 5.1 steps 3-5
    p = p_hash = ledger = ws_key = rev_key = None
    expect, kinds, hashes, wanted = 0, {}, {}, {w[0] for w in witnesses}
    for n, (seq, body, sig) in enumerate(rows):
        if seq != expect:
            add("SEQ_GAP", expect, f"expected row {expect}, found row {seq}")
        expect = seq + 1
        body, sig = (x if isinstance(x, bytes) else b"" for x in (body, sig))  # not a BLOB: empty
        h = sha256(b"cleanroom:entry:v1\x00", body, sig)  # 3.2
        hashes.update({seq: h} if seq in wanted else {})  # kept only for witnesses
        if isinstance(e := parse_body(body), str):
            add("ENCODING", seq, e)
            p, p_hash = None, h
            continue
        kind, pay, ledger = e["kind"], e["payload"], ledger or e["ledger"]
        if n == 0 and kind == "session_start":
            ws_key, rev_key = check_start(e, trusted, add)
        elif n == 0:  # verdict.md
            add("START_MISSING", seq, "the first entry is not a session_start")
        prev = p_hash if n else bytes(32) if seq == 0 else e["prev"]  # first row > 0: no check
        key = ws_key if kind == "session_resume" or seq == 0 else p and p["next_key"]  # 3.3
        bad_sig = key is not None and not sig_ok(key, sig, b"cleanroom:sig:v1\x00", body)
        resume, end = kind == "session_resume", kind == "session_end"
        same_boot = p is not None and e["boot"] == p["boot"]
        step = same_boot and abs((e["wall"] - p["wall"]) - (e["mono"] - p["mono"])) > 2_000_000
        after = [pay.get("after_seq"), pay.get("after_head")], [seq - 1, p_hash and p_hash.hex()]
        totals = [pay.get("entries"), pay.get("by_kind")], [seq, kinds]
        for code, failed, text in [
            ("ENCODING", (e["next_key"] == bytes(32)) != end, "only the seal names no next_key"),
            ("SEQ_MISMATCH", e["seq"] != seq, "the body's seq is not the row's"),
            ("WRONG_LEDGER", e["ledger"] != ledger, "the ledger id is not entry 0's"),
            ("CHAIN", e["prev"] != prev, "prev is not the preceding entry's hash"),
            ("START_REPEATED", kind == "session_start" and seq > 0, "session_start after entry 0"),
            ("SIGNATURE", bad_sig, "the signature does not verify under the key 3.3 assigns"),
            ("AFTER_SEAL", p and p["kind"] == "session_end", "an entry follows the session_end"),
            ("TIME_REVERSED", same_boot and e["mono"] < p["mono"], "the monotonic clock went back"),
            ("CLOCK_STEP", step, "wall-clock and monotonic deltas differ by more than 2 s"),
            ("BOOT_CHANGED", p and not same_boot and not resume, "boot changed outside a resume"),
            ("RESUMED", resume, "the session was resumed after a crash"),
            ("RESUME", resume and canon(after[0]) != canon(after[1]), "bad after_seq/after_head"),
            ("TOTALS", end and canon(totals[0]) != canon(totals[1]), "bad entries/by_kind"),
            ("COUNTERSIGN", end and not countersign_ok(e, rev_key), "bad countersignature"),
        ]:
            if failed:
                add(code, seq, text)
        kinds[kind] = kinds.get(kind, 0) + 1
        p, p_hash = e, h
    return hashes, expect, p and p["kind"], ledger and ledger.hex()


def verify(path, trusted, witnesses):  # 5.1; returns [(code, seq, sentence)]
    if not os.path.isfile(path):  # a directory, a FIFO, ...
        return [("NOT_SQLITE", None, "not a regular file")]
    out, sidecars = [], [path + s for s in ("-wal", "-journal") if os.path.isfile(path + s)]
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
            ids = con.execute("SELECT * FROM pragma_application_id, pragma_user_version").fetchall()
            if schema != [("table", "entries", "entries", SCHEMA_SQL)] or ids != [(0x434C524D, 1)]:
                add("SCHEMA", None, "sqlite_schema, application_id or user_version differ")
            rows = con.execute("SELECT seq, body, sig FROM entries ORDER BY seq")
            hashes, end, last_kind, ledger_id = check_entries(rows, trusted, witnesses, add)
        except (sqlite3.Error, UnicodeDecodeError) as err:  # a missing table is SCHEMA already
            if not any(code == "SCHEMA" for code, _, _ in out):
                add("CORRUPT", None, f"SQLite error: {err}")
            return out
        finally:
            con.close()
    for seq, code, head, ledger in witnesses:  # step 6
        h = hashes.get(seq)
        if ledger is not None and ledger != ledger_id:
            add("RECEIPT_LEDGER", None, f"the receipt is for ledger {ledger!r}")
        elif seq >= end:
            add("WITNESS_BEYOND_END", seq, f"a witness for seq {seq}, but the ledger ends before")
        elif h is None or code != witness_code(h) or head not in (None, h.hex()):
            add("WITNESS_MISMATCH", seq, "the entry hash does not match the witness")
    if end == 0:  # verdict.md
        add("EMPTY", None, "the ledger has no entries")
    elif last_kind != "session_end":  # step 7
        add("UNSEALED", None, "the last entry is not a session_end")
    elif sidecars:
        add("SIDECAR", None, "a sealed ledger has a -wal or -journal beside it")
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("ledger")
    ap.add_argument("--trust", action="append", default=[], metavar="VENDOR_PUB_PEM")
    ap.add_argument("--witness", action="append", default=[], metavar="SEQ:CODE")
    ap.add_argument("--receipt", action="append", default=[], metavar="FILE")
    args, trusted, witnesses = ap.parse_args(argv), {}, []
    try:
        for pem in args.trust:
            with open(pem, "rb") as f:
                raw = load_pem_public_key(f.read()).public_bytes(Encoding.Raw, PublicFormat.Raw)
            trusted[sha256(b"cleanroom:keyid:v1\x00", raw).hex()[:32]] = raw  # 1: key_id
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
        findings = verify(args.ledger, trusted, witnesses)
    except (OSError, sqlite3.Error, MemoryError) as err:  # e.g. no permission
        findings = [("NOT_SQLITE", None, f"cannot read the ledger: {err}")]
    findings.sort(key=lambda f: (f[1] is not None, f[1] or 0))  # 5.2: findings without seq first
    for code, seq, text in findings:
        where = "" if seq is None else f" at seq {seq}"
        print(f"  {severity(code)}: {code}{where}: {text}", file=sys.stderr)
    sevs = {severity(code) for code, _, _ in findings}
    status = "TAMPERED" if "tamper" in sevs else "INCOMPLETE" if "incomplete" in sevs else "INTACT"
    bad = [seq for code, seq, _ in findings if seq is not None and severity(code) != "warning"]
    codes = ",".join(dict.fromkeys(code for code, _, _ in findings)) or "-"
    print(f"{status} first_bad_seq={min(bad) if bad else '-'} codes={codes}")
    return {"INTACT": 0, "TAMPERED": 1, "INCOMPLETE": 3}[status]


if __name__ == "__main__":
    sys.exit(main())
