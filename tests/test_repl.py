"""`eddy repl` in a terminal, driven with pexpect as a person would type."""

from __future__ import annotations

import io
import os

import pexpect
import pytest
from kernel_helpers import CELL_TIMEOUT_S, strip_ansi


class Repl:
    def __init__(self, binary: str):
        env = {**os.environ, "TERM": os.environ.get("TERM") or "xterm"}
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(binary, ["repl"], env=env, encoding="utf-8",
                                   timeout=CELL_TIMEOUT_S, dimensions=(40, 200))
        self.child.logfile_read = self.transcript

    def expect(self, pattern: str, what: str) -> None:
        try:
            self.child.expect(pattern)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            screen = strip_ansi(self.transcript.getvalue())[-3000:]
            pytest.fail(f"expected {what} (/{pattern}/), got {type(e).__name__}; the terminal showed:\n{screen}",
                        pytrace=False)


def test_repl_session(eddy_binary):
    repl = Repl(eddy_binary)
    try:
        repl.child.sendline("let a = 20;")
        repl.child.sendline("a + 22")
        repl.expect(r"\b42\b", "`a + 22` to print 42")
        repl.child.sendline(":vars")
        repl.expect(r"\ba\b[^\n]*\bi32\b", "`:vars` to list `a` with its type i32")
        repl.child.sendline(":help")
        repl.expect(r":vars\b", "`:help` to list the commands, :vars among them")
        repl.child.sendcontrol("d")
        repl.expect(pexpect.EOF, "Ctrl-D to end the REPL")
        repl.child.close()
        assert repl.child.exitstatus == 0, (
            f"expected exit status 0 after Ctrl-D, got {repl.child.exitstatus} "
            f"(signal {repl.child.signalstatus})"
        )
    finally:
        if repl.child.isalive():
            repl.child.terminate(force=True)
