"""A small tree in every language the symbol index covers, and where each of its
definitions is, found from the text itself (not from ctags)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

# path -> source; every name in DEFINED is defined in its file on the line that
# starts with the marker written after it.
SOURCES = {
    "c/list.c": b"#define LIST_MAX 16\nstruct node { int v; };\n"
    b"static int count;\nint list_push(struct node *n)\n{\n  return list_push(n);\n}\n",
    "cpp/shape.cpp": b"namespace geo {\nclass Shape {\npublic:\n  double area() const;\n};\n"
    b"double Shape::area() const { return 0; }\n}\n",
    "py/app.py": b"import os\n\nclass Reader:\n    def read_all(self):\n"
    b"        return Reader()\n\ndef main():\n    Reader().read_all()\n",
    "go/srv.go": b"package srv\n\ntype Server struct{ port int }\n\n"
    b"func (s *Server) Serve() error { return nil }\n\nfunc NewServer() *Server { return nil }\n",
    "rs/lib.rs": b"pub struct Parser { pos: usize }\n\nimpl Parser {\n"
    b"    pub fn parse_expr(&mut self) -> u32 { 0 }\n}\n\nfn helper() {}\n",
    "js/ui.js": b"function renderPage(x) {\n  return x;\n}\nclass Widget {\n"
    b"  paint() { renderPage(1); }\n}\n",
    "ts/model.ts": b"export interface Account {\n  id: number;\n}\n"
    b"export function loadAccount(id: number): Account {\n  return { id };\n}\n",
    "java/Main.java": b"package demo;\n\npublic class Main {\n"
    b"    public static void main(String[] args) {\n        greet();\n    }\n"
    b"    static void greet() {}\n}\n",
}

# name -> (path, the start of its defining line, stripped)
DEFINED = {
    "LIST_MAX": ("c/list.c", b"#define LIST_MAX"),
    "list_push": ("c/list.c", b"int list_push("),
    "count": ("c/list.c", b"static int count"),
    "Shape": ("cpp/shape.cpp", b"class Shape"),
    "Reader": ("py/app.py", b"class Reader"),
    "read_all": ("py/app.py", b"def read_all"),
    "main": ("py/app.py", b"def main"),
    "Server": ("go/srv.go", b"type Server"),
    "NewServer": ("go/srv.go", b"func NewServer"),
    "Parser": ("rs/lib.rs", b"pub struct Parser"),
    "parse_expr": ("rs/lib.rs", b"pub fn parse_expr"),
    "helper": ("rs/lib.rs", b"fn helper"),
    "renderPage": ("js/ui.js", b"function renderPage"),
    "Widget": ("js/ui.js", b"class Widget"),
    "loadAccount": ("ts/model.ts", b"export function loadAccount"),
    "Account": ("ts/model.ts", b"export interface Account"),
    "greet": ("java/Main.java", b"static void greet"),
}


def polyglot_tree(root: Path) -> Path:
    for rel, data in SOURCES.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    return root


def line_of(path: str, start: bytes) -> int:
    """The 0-based line of SOURCES[path] that starts (after indentation) with `start`."""
    lines = SOURCES[path].split(b"\n")
    found = [i for i, text in enumerate(lines) if text.strip().startswith(start)]
    assert len(found) == 1, (path, start, found)
    return found[0]


def number(name: str) -> str:
    """SQL for the number of `name` in `symbol_names` (format v2, ADR 0126)."""
    return f"(SELECT id FROM symbol_names WHERE name = '{name}')"


def flat_edited(data: bytes, *statements: tuple[str, tuple] | str) -> bytes:
    """The snapshot `data` after running `statements` on its symbol rows seen as one
    table, `flat(blob, line, name, kind)` with names as text, then storing them
    back as `create` does (names numbered in byte order, each used): how a vendor
    would sign rows of its own choosing. CHECK constraints are off."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    try:
        conn.deserialize(data)
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("CREATE TEMP TABLE flat AS SELECT s.blob, s.line, n.name, s.kind"
                     " FROM symbols s JOIN symbol_names n ON n.id = s.name")  # fmt: skip
        for st in statements:
            sql, params = (st, ()) if isinstance(st, str) else st
            conn.execute(sql, params)
        conn.execute("DELETE FROM symbols")
        conn.execute("DELETE FROM symbol_names")
        conn.execute("INSERT INTO symbol_names (name) SELECT DISTINCT name FROM flat ORDER BY name")
        conn.execute("INSERT OR IGNORE INTO symbols SELECT f.blob, f.line, n.id, f.kind"
                     " FROM flat f JOIN symbol_names n ON n.name = f.name")  # fmt: skip
        return conn.serialize()
    finally:
        conn.close()
