"""Notes that leave the room: the vendor-signed release (docs/notes-release.md).

Pure (no textual, no output), above `forensics` and `notecheck`:

- `document`: the release file: its envelope, canonical bytes and signature.
- `parse`: strict JSON reading for files from outside (size, duplicate keys,
  numbers, depth), with named failures.
- `shape`: the exact shape of a release object, checked field by field.
- `verify`: a release file and trusted keys in, a verdict out.
- `decide`: decisions (release, withhold, redact) applied to checked notes.
- `export_sarif`, `export_markdown`, `export_json`: released notes only.
"""
