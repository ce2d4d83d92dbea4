"""The `cleanroom` command line. Thin: each group lives in its own module."""

import click


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="cleanroom")
def main() -> None:
    """Cleanroom: record, verify and investigate source code reviews."""
