"""Hide, show and resize the tree (issue 15): each new width of the code view is
a new viewport, recorded before it is drawn."""

from cleanroom.ledger.encoding import decode_body
from cleanroom.tui.codeview import CodeView
from cleanroom.tui.filetree import FileTree
from cleanroom.tui.screens.help import help_table
from cleanroom.tui.tree_keys import NARROWEST
from tests.ledgerkit import read_rows
from tests.tuikit import make_app

SIZE = (110, 32)


def last_view(app):
    views = [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]
    return [e.payload for e in views if e.kind == "view"][-1]


async def test_hiding_showing_and_resizing_the_tree_records_each_new_width(kit, ledger_dir):
    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p", *"long.py", "enter")
        await pilot.pause()
        code, tree = app.query_one(CodeView), app.query_one(FileTree)

        async def press(key):
            await pilot.press(key)
            await pilot.pause()
            await pilot.pause()
            code.refresh()
            await pilot.pause()
            assert last_view(app)["cols"] == code.viewport().cols, key
            return code.viewport().cols

        before = code.viewport().cols
        wide = await press("t")
        assert not tree.display and wide > before
        assert await press("t") == before and tree.display
        assert await press("greater_than_sign") == before - 4
        assert await press("less_than_sign") == before
        for _ in range(20):
            await pilot.press("less_than_sign")
        await pilot.pause()
        assert tree.styles.width.value == NARROWEST
    text = str(help_table().columns[0]._cells)
    assert "'<'" in text and "'>'" in text and "'t'" in text


async def test_reveal_lists_each_directory_on_the_way_then_puts_the_cursor_on_the_file(
    kit, ledger_dir
):
    from tests.tuikit import listed

    app, _ = make_app(kit, ledger_dir)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter", "ctrl+p", *"long.py", "enter")
        await pilot.pause()
        tree = app.query_one(FileTree)
        await listed(pilot)
        assert not any(n.data and n.data.path == b"src/long.py" for n in tree._tree_nodes.values())
        await pilot.press("R")
        await listed(pilot)
        await pilot.pause()
        assert tree.cursor_node is not None and tree.cursor_node.data.path == b"src/long.py"
        assert app.focused is tree
    rows = [decode_body(b) for _, b, _ in read_rows(app.session.recorder.ledger.path)]
    lists = [e.payload["path"] for e in rows if e.kind == "tree_list"]
    assert lists == ["", "src"]  # the root at start, then src/ on the way
