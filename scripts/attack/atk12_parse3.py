import time

from cleanroom.tui.driver import ChordParser


def run(first, then):
    p = ChordParser()
    out = []
    out += list(p.feed(first))
    for ch in then:
        time.sleep(0.15)
        out += list(p.feed(ch))
        out += list(p.tick())
    time.sleep(0.5)
    out += list(p.tick())
    print(repr(first), [getattr(e, "key", type(e).__name__) for e in out])


run("\x1b[1;2;3;4", ["j", "k", "\x1b", "q", "a", "b", "c", "\r", "x"])
run("\x1b[200~abc", ["j", "\x1b", "a", "b", "\x1b", "\r", "x", "y"])
run("\x1b[<0;10;5", ["j", "k", "l"])
run("\x1bP1$r", ["j", "k", "l"])
run("\x1b]52;c;", ["j", "k", "l"])
