#!/usr/bin/env python3
"""Independent minimal verifier of Cleanroom ledgers, written from docs/ledger-format.md alone.
Prints `STATUS first_bad_seq=N codes=A,B` (findings on stderr); exit 0 INTACT, 1 TAMPERED,
3 INCOMPLETE, 2 usage error. Numbers in comments are sections of the spec."""

import argparse, errno, hashlib, json, os, re, sqlite3, sys, tempfile, time  # noqa: E401, I001
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key

SCHEMA_SQL = """CREATE TABLE entries (
    seq INTEGER PRIMARY KEY CHECK (seq >= 0),
    body BLOB NOT NULL,
    sig BLOB NOT NULL CHECK (length(sig) = 64)
) STRICT"""  # 2: byte for byte
SEVERITY = dict.fromkeys(["UNSEALED", "RESUMED", "TORN_WRITE", "SEAL_UNFINISHED"], "incomplete")
SEVERITY |= dict.fromkeys(["CLOCK_STEP", "SIDECAR", "NOT_COUNTERSIGNED"], "warning")
# 4: Crockford base32, with I and L read as 1 and O as 0, to the digits that int(code, 32) reads
CODE = str.maketrans("0123456789ABCDEFGHJKMNPQRSTVWXYZILO", "0123456789ABCDEFGHIJKLMNOPQRSTUV110")
ID, KEY, SIG = (re.compile(f"[0-9a-f]{{{n}}}") for n in (32, 64, 128))  # lowercase hex; KEY: hash
P, Y8 = 2**255 - 19, 0x5FC536D880238B13933C6D305ACDFD5F098EFF289F4C345B027B2C28F95E826
SMALL = {0, 1, P - 1, Y8, P - Y8}  # 1: the y of the 8 points of order 1, 2, 4 and 8
CERT = dict(format=str, workstation=str, key=KEY, issuer=str, not_before=int, not_after=int)  # 1
PAYLOADS = {  # 3.4: exactly these fields at every level, of exactly these types; (s, None): or null
    "session_start": dict(cert=str, cert_sig=SIG, reviewer=dict(name=str, org=str, key=(KEY, None)),
        snapshot=(dict(id=str, root=str), None), software=str,
        prev_session=(dict(ledger=ID, seq=int, head=KEY), None)),
    "session_resume": dict(after_seq=int, after_head=KEY, reason=str),
    "session_end": dict(reason=str, entries=int, by_kind={str: int},  # {str: s}: any keys
        countersign=(dict(key=KEY, sig=SIG), None)),
}  # fmt: skip
RECEIPT = dict(format=str, ledger=ID, seq=int, head=KEY, witness=str)  # 4
JCS = json.JSONDecoder(  # 3.1: RFC 8785 member order; floats, NaN, |ints| > 2^53-1 stay strings
    object_pairs_hook=lambda kv: dict(sorted(kv, key=lambda m: m[0].encode("utf-16-be"))),
    parse_float=str, parse_constant=str, parse_int=lambda s: int(s) if abs(int(s)) < 2**53 else s,
)  # fmt: skip


def fits(v, shape):  # shape: a type, a pattern, a dict of exact fields, or a tuple of choices
    if isinstance(shape, dict):  # {str: s}: any keys, each value of shape s
        same = type(v) is dict and (str in shape or v.keys() == shape.keys())
        return same and all(fits(v[k], shape.get(str) or shape[k]) for k in v)
    if isinstance(shape, re.Pattern):
        return type(v) is str and shape.fullmatch(v) is not None
    return any(v is s or fits(v, s) for s in shape) if type(shape) is tuple else type(v) is shape


def sig_ok(pub, sig, msg):  # Ed25519 as 1 restricts it; key and signature raw or lowercase hex
    try:  # hex has been checked against its pattern (3.4) before it gets here
        pub, sig = (bytes.fromhex(x) if type(x) is str else x for x in (pub, sig))
        # 1: A canonical, neither A nor R of small order
        y, r = (int.from_bytes(x[:32], "little") & ~(1 << 255) for x in (pub, sig))
        bad = y >= P or y in SMALL or r % P in SMALL
        return not bad and Ed25519PublicKey.from_public_bytes(pub).verify(sig, msg) is None
    except Exception:  # InvalidSignature, or a key or signature of the wrong length or type
        return False


def torn(head, size):  # 5.5: cut inside its header, or a valid header and then part of a frame
    magic, version, page = (int.from_bytes(head[i : i + 4], "big") for i in (0, 4, 8))
    s, order = [0, 0], "big" if magic & 1 else "little"  # SQLite's checksum of the header words
    for i in range(0, 24, 4):
        s[i // 4 % 2] = (sum(s) + int.from_bytes(head[i : i + 4], order)) % 2**32
    ok = magic | 1 == 0x377F0683 and version == 3007000 and page in [2**k for k in range(9, 17)]
    ok = ok and head[24:32] == (s[0] << 32 | s[1]).to_bytes(8, "big")  # else SQLite ignores it
    return 0 < size < 32 or ok and (size - 32) % (page + 24) > 0


def copy(src, dst):  # only its data (SEEK_DATA), 1 MiB at a time: holes cost no memory or disk
    with open(src, "rb") as i, open(dst, "wb") as o:
        fd, at, end = i.fileno(), 0, o.truncate(os.fstat(i.fileno()).st_size)
        try:  # a read that returns nothing (the file shrank) ends the copy
            while (at := os.lseek(fd, at, os.SEEK_DATA)) < end:
                n = min(1 << 20, os.lseek(fd, at, os.SEEK_HOLE) - at)
                at += os.pwrite(o.fileno(), os.pread(fd, n, at), at) or end
        except OSError as err:  # ENXIO: nothing but holes from `at` on
            if err.errno != errno.ENXIO:
                raise


def depth(v):  # 3.1: objects and arrays nest at most 32 deep (the outermost is 1)
    return 1 + max(map(depth, v.values() if type(v) is dict else v), default=0) if type(v) in (
        dict, list) else 0  # fmt: skip


def parse_canonical(raw, shape):  # the value if it fits shape and re-encodes to exactly raw
    try:
        value = JCS.decode(raw.decode("utf-8"))
        canonical = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() == raw
        return value if canonical and fits(value, shape) and depth(value) <= 32 else None
    except (ValueError, RecursionError):
        return None


def parse_body(body):  # 3.1: the fields as a dict, or None
    n, i64 = body[128] if len(body) > 128 else 0, lambda b: int.from_bytes(b, "big", signed=True)
    kind = body[129 : 129 + n].decode("latin-1") if n <= 32 else ""  # cut off: no payload follows
    ok = len(body) <= 1 << 20 and body[:8] == b"CRLEDG\x00\x01" and re.fullmatch("[a-z_]+", kind)
    payload = parse_canonical(body[129 + n :], PAYLOADS.get(kind, dict)) if ok else None
    return None if payload is None else dict(
        seq=int.from_bytes(body[8:16], "big"), ledger=body[16:32], prev=body[32:64],
        wall=i64(body[64:72]), mono=i64(body[72:80]), boot=body[80:96],
        next_key=body[96:128], kind=kind, payload=payload)  # fmt: skip


def verify(path, trusted, witnesses, flag):  # 5.1 steps 1-7, in order; path is resolved
    sizes, heads = {}, {}  # step 1, 5.5: sizes and headers are read before anything else
    for s in ("", "-wal", "-journal"):  # a -journal is never applied: it can name a file to delete
        if s != "-journal" and (f := Path(path + s)).is_file() and not f.is_symlink():
            with f.open("rb") as fh:
                sizes[s], heads[s] = os.fstat(fh.fileno()).st_size, fh.read(32)
        else:  # anything else beside the ledger: a link, a directory, a FIFO, a -journal
            flag(s and os.path.lexists(path + s), "SIDECAR", None, f"{s}: reported, not read")
    header = heads.get("", b"-")[:16]  # a database held only in its -wal has an empty main file
    if header != b"SQLite format 3\x00" and not (header == b"" and len(sizes) > 1):
        return flag(True, "NOT_SQLITE", None, "not a regular file holding an SQLite database")
    with tempfile.TemporaryDirectory() as tmp:  # a private copy (holes stay holes), read-only
        for s in sizes:  # SQLite itself ignores a -wal whose header is not valid (5.5)
            copy(path + s, Path(tmp, "copy" + s))
        ro = "?mode=ro" + "&immutable=1" * ("-wal" not in sizes)
        con = sqlite3.connect(Path(tmp, "copy").as_uri() + ro, uri=True)
        deadline = time.monotonic() + 600  # a hostile file may keep SQLite busy forever
        con.set_progress_handler(lambda: time.monotonic() > deadline, 10**5)
        schema = con.execute("SELECT type, name, tbl_name, sql FROM sqlite_schema").fetchall()
        if schema != [("table", "entries", "entries", SCHEMA_SQL)]:  # step 2: nothing else, so
            return flag(True, "SCHEMA", None, "the schema is not section 2's")  # nothing runs
        ids = con.execute("SELECT * FROM pragma_application_id, pragma_user_version").fetchall()
        flag(ids != [(0x434C524D, 1)], "SCHEMA", None, "application_id or user_version differs")
        ok = con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        flag(not ok, "CORRUPT", None, "PRAGMA integrity_check reports errors")
        rows, left = [], sum(sizes.values())
        try:  # 5.1 step 3: a read error stops reading there; the rows read before are checked
            for row in con.execute("SELECT seq, body, sig FROM entries ORDER BY seq"):
                left -= sum(len(v) for v in row[1:] if type(v) is bytes)  # shared overflow pages
                if rows and row[0] <= rows[-1][0] or left < 0:  # a damaged b-tree that loops
                    raise sqlite3.DatabaseError("the entries b-tree returns rows out of order")
                rows.append(row)
        except sqlite3.DatabaseError as err:
            flag(True, "CORRUPT", None, f"reading stops after {len(rows)} rows: {err}")
        con.close()
    flag(torn(heads.get("-wal", b""), sizes.get("-wal", 0)), "TORN_WRITE", None, "cut mid-write")
    p = p_hash = ledger = cert = ws_key = rev_key = sealed = None  # p: the row read before, if read
    expect, hashes, kinds = 0, {}, {}
    for n, (seq, body, sig) in enumerate(rows):
        flag(seq != expect, "SEQ_GAP", expect, f"expected row {expect}, found row {seq}")  # step 3
        expect = seq + 1
        framed = type(body) is type(sig) is bytes and len(sig) == 64 and len(body) <= 1 << 20  # 3
        h = framed and hashlib.sha256(b"cleanroom:entry:v1\x00" + body + sig).digest()  # 3.2
        hashes[seq] = h = h or None  # a row that is not framed as 3 says has no entry hash
        if not framed or (e := parse_body(body)) is None:  # 5.1: unreadable
            flag(True, "ENCODING", seq, "not a 3.1 body with a canonical, 3.4-shaped payload")
            p, p_hash, sealed = None, h, False
            continue
        kind, pay, ledger = e["kind"], e["payload"], e["ledger"] if n == 0 else ledger  # step 5
        resume, end = kind == "session_resume", kind == "session_end"
        if n == 0 and kind == "session_start":  # step 4: the certificate, exactly its six fields
            cert, rev_key = parse_canonical(pay["cert"].encode(), CERT), pay["reviewer"]["key"]
            ws_key = cert and cert["format"] == "cleanroom.cert.v1" and cert["key"]
            signed = b"cleanroom:cert:v1\x00" + pay["cert"].encode()
            trust = ws_key and sig_ok(trusted.get(cert["issuer"]), pay["cert_sig"], signed)
            flag(not ws_key, "CERT_INVALID", seq, "not a canonical cleanroom.cert.v1 certificate")
            flag(ws_key and not trust, "CERT_UNTRUSTED", seq, "not signed by any --trust key")
        valid = ws_key and cert["not_before"] * 10**6 <= e["wall"] <= cert["not_after"] * 10**6
        by_ws = ws_key and (resume or n == 0 and kind == "session_start")  # 1: workstation-signed
        flag(by_ws and not valid, "CERT_EXPIRED", seq, f"not valid at wall_us={e['wall']}")
        key = ws_key if resume or seq == 0 else p and p["next_key"]  # 3.3
        prev = p_hash if n else bytes(32) if seq == 0 else e["prev"]  # first row > 0: no check
        flag((e["next_key"] == bytes(32)) != end, "ENCODING", seq, "only a seal names no next_key")
        flag(e["seq"] != seq, "SEQ_MISMATCH", seq, "the body's seq is not the row's")
        flag(ledger and e["ledger"] != ledger, "WRONG_LEDGER", seq, "not the first row's ledger id")
        flag(prev not in (None, e["prev"]), "CHAIN", seq, "prev is not the hash of the row before")
        flag(n == 0 and kind != "session_start", "START_MISSING", seq, "no session_start first")
        flag(seq > 0 and kind == "session_start", "START_REPEATED", seq, "a start after entry 0")
        bad_sig = key and not sealed and not sig_ok(key, sig, b"cleanroom:sig:v1\x00" + body)
        flag(bad_sig, "SIGNATURE", seq, "the signature does not verify under the key 3.3 assigns")
        flag(sealed, "AFTER_SEAL", seq, "an entry follows the session_end")
        same_boot = p is not None and e["boot"] == p["boot"]  # time: within one boot only
        flag(back := same_boot and e["mono"] < p["mono"], "TIME_REVERSED", seq, "mono went back")
        step = same_boot and not back and abs(e["wall"] - p["wall"] - e["mono"] + p["mono"]) > 2e6
        flag(step, "CLOCK_STEP", seq, "wall-clock and monotonic deltas differ by more than 2 s")
        flag(p and not same_boot and not resume, "BOOT_CHANGED", seq, "new boot, not in a resume")
        flag(resume, "RESUMED", seq, "the session was resumed after a crash")
        after = [pay.get("after_seq"), pay.get("after_head")] != [seq - 1, p_hash and p_hash.hex()]
        flag(resume and after, "RESUME", seq, "after_seq, after_head do not name the entry before")
        said = end and json.dumps([pay["entries"], pay["by_kind"]], sort_keys=True)  # 3.4
        flag(said and said != json.dumps([seq, kinds], sort_keys=True), "TOTALS", seq, "miscounted")
        cs = pay["countersign"] if end else None  # 3.4: over the seal's own ledger, seq and prev
        msg = b"cleanroom:countersign:v1\x00" + e["ledger"] + e["seq"].to_bytes(8, "big")
        cs_ok = cs and cs["key"] == rev_key and sig_ok(rev_key, cs["sig"], msg + e["prev"])
        flag(cs and not cs_ok, "COUNTERSIGN", seq, "malformed, by another key, or does not verify")
        flag(end and not cs and rev_key, "NOT_COUNTERSIGNED", seq, "the reviewer did not sign")
        kinds[kind], p, p_hash, sealed = kinds.get(kind, 0) + 1, e, h, end
    for seq, code, head, ledger_id in witnesses if rows else ():  # step 6: 140 bits of the hash
        h, other = hashes.get(seq, b""), ledger_id not in (None, ledger and ledger.hex())
        flag(other, "RECEIPT_LEDGER", None, f"the receipt is for ledger {ledger_id}")
        flag(not other and seq >= expect, "WITNESS_BEYOND_END", seq, "beyond the last entry")
        bad = not h or code != int.from_bytes(h, "big") >> 116 or head not in (None, h.hex())
        flag(not other and seq < expect and bad, "WITNESS_MISMATCH", seq, "the hash does not match")
    flag(not sealed, "UNSEALED" if expect else "EMPTY", None, "no session_end ends the ledger")
    unfinished = sealed and heads.get("", b"")[18:20] == b"\x02\x02"  # 7: still in WAL mode
    flag(unfinished, "SEAL_UNFINISHED", None, "sealed, but the file is still in WAL mode")
    flag(sealed and not unfinished and len(sizes) > 1, "SIDECAR", None, "sealed, with a -wal")


def main(argv=None):
    ap, rb = argparse.ArgumentParser(description=__doc__.splitlines()[0]), argparse.FileType("rb")
    ap.add_argument("ledger", type=lambda path: path or ap.error("the ledger path is empty"))
    for o in ("--trust", "--witness", "--receipt"):  # --witness SEQ:CODE, the others: files
        ap.add_argument(o, action="append", default=[], type={"--witness": str}.get(o, rb))
    args, trusted, witnesses, findings = ap.parse_args(argv), {}, [], []
    try:
        for raw in (load_pem_public_key(f.read()).public_bytes_raw() for f in args.trust):
            trusted[hashlib.sha256(b"cleanroom:keyid:v1\x00" + raw).hexdigest()[:32]] = raw  # 1
        pairs = [(*w.partition(":")[::2], None, None) for w in args.witness]
        for r in map(json.load, args.receipt):  # 4: exactly its fields, hex in lowercase
            if not fits(r, RECEIPT) or r["format"] != "cleanroom.receipt.v1":
                raise ValueError("a --receipt is not a well-formed cleanroom.receipt.v1")
            pairs.append((r["seq"], r["witness"], r["head"], r["ledger"]))
        for seq, code, head, ledger in pairs:  # 4: dashes and spaces are ignored
            code = re.sub(r"[- ]", "", str(code).upper())
            if not re.fullmatch("[0-9]+:[0-9A-TV-Z]{28}", f"{seq}:{code}"):
                raise ValueError(f"bad witness {seq}:{code}, expected SEQ:CODE")
            witnesses.append((int(seq), int(code.translate(CODE), 32), head, ledger))
        path = str(Path(args.ledger).resolve(strict=True))  # a symlink: use its target's sidecars
        if os.path.isdir(path):  # as cleanroom verify: a directory is not a ledger to verify
            raise ValueError(f"{args.ledger} is a directory, not a ledger file")
    except (OSError, ValueError, TypeError, KeyError, AttributeError, RuntimeError) as err:
        ap.error(str(err))  # exit 2, nothing verified
    flag = lambda failed, *finding: failed and findings.append(finding)  # noqa: E731
    try:
        verify(path, trusted, witnesses, flag)
    except (OSError, sqlite3.Error, UnicodeDecodeError, MemoryError) as err:  # unreadable, corrupt
        flag("SCHEMA" not in {f[0] for f in findings}, "CORRUPT", None, f"cannot read it: {err!r}")
    findings.sort(key=lambda f: (f[1] is not None, f[1] or 0))  # 5.2: findings without seq first
    sev = {code: SEVERITY.get(code, "tamper") for code, _, _ in findings}
    for code, seq, msg in findings:
        print(f"  {sev[code]}: {code} at seq {'-' if seq is None else seq}: {msg}", file=sys.stderr)
    sevs = sev.values()
    status = "TAMPERED" if "tamper" in sevs else "INCOMPLETE" if "incomplete" in sevs else "INTACT"
    bad = [seq for code, seq, _ in findings if seq is not None and sev[code] != "warning"]
    print(f"{status} first_bad_seq={min(bad, default='-')} codes={','.join(sev) or '-'}")
    return {"INTACT": 0, "TAMPERED": 1, "INCOMPLETE": 3}[status]


if __name__ == "__main__":
    sys.exit(main())
