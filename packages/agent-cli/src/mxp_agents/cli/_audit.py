"""``mxp-agents audit``: check the hash-chained policy audit log (``verify``).

Exit status of ``verify``: 0 when the chain is intact (a torn last line from a crash is a
warning, not tampering), 1 when any entry was edited, removed, inserted or reordered, 2 when
the file cannot be read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

from cyclopts import App

from mxp_agents.cli._errors import CliError, CommandFailed, UsageError
from mxp_agents.cli._output import error_console, stdout_console

__all__ = ["audit_app", "verify_command"]

audit_app: Final = App(
    name="audit",
    help="Check the policy audit log (a SHA-256 hash chain, one JSON line per decision).",
    help_format="plaintext",
)


@audit_app.command(name="verify")
def _verify(file: str, /, *, json: bool = False) -> int:
    """Check an audit log's hash chain and list every broken entry with its line number.

    Parameters
    ----------
    file
        The audit log written by HashChainLog.
    json
        Print the report as JSON instead.
    """
    try:
        return verify_command(file, as_json=json)
    except CliError as error:
        from rich.markup import escape

        error_console().print(f"[bold red]error:[/] {escape(str(error))}")
        return error.exit_code


def verify_command(file: str, *, as_json: bool) -> int:
    """Verify ``file`` and print the report; the exit status (0 intact, 1 tampered).

    Example:
        >>> verify_command("state/audit.log", as_json=False)  # doctest: +SKIP
        state/audit.log: 12 entries, chain intact
        0
    """
    import msgspec
    from rich.markup import escape

    from mxp_agents.policy import AuditError
    from mxp_agents.policy._audit import verify

    path = Path(file)
    if not path.is_file():
        raise UsageError(f"no audit log at {file!r}")
    try:
        report = verify(path)
    except AuditError as error:
        raise UsageError(str(error)) from None
    console = stdout_console()
    if as_json:
        console.out(msgspec.json.encode(report).decode(), highlight=False)
        return 0 if report.intact else 1
    if report.torn is not None:
        error_console().print(f"[yellow]warning:[/] {escape(str(report.torn))}; not tampering")
    if report.intact:
        console.print(f"{escape(file)}: {report.entries} entries, chain intact, head {report.head}")
        return 0
    for problem in report.problems:
        console.print(f"{escape(file)}: {escape(str(problem))}")
    raise CommandFailed(
        f"{file}: {len(report.problems)} problem(s) in {report.entries} entries: "
        "the audit log was tampered with"
    )
