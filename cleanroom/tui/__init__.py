"""The reviewer terminal (Textual). Thin: decisions live in the core packages.

Import `cleanroom.tui.launch` first: it scrubs TEXTUAL* variables before textual
is imported, because textual.constants reads them at import time.
"""
