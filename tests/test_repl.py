"""`eddy repl` in a terminal, driven with pexpect as a person would type: each line after
the prompt appears."""

from __future__ import annotations

import io
import os

import pexpect
import pytest
from kernel_helpers import CELL_TIMEOUT_S, strip_ansi

PROMPT = ">> "


class Repl:
    def __init__(self, binary: str):
        env = {**os.environ, "TERM": os.environ.get("TERM") or "xterm"}
        self.transcript = io.StringIO()
        self.child = pexpect.spawn(binary, ["repl"], env=env, encoding="utf-8",
                                   timeout=CELL_TIMEOUT_S, dimensions=(40, 200))
        self.child.logfile_read = self.transcript

    def expect(self, pattern, what: str) -> None:
        try:
            self.child.expect(pattern)
        except (pexpect.TIMEOUT, pexpect.EOF) as e:
            screen = strip_ansi(self.transcript.getvalue())[-3000:]
            pytest.fail(f"expected {what}, got {type(e).__name__}; the terminal showed:\n{screen}",
                        pytrace=False)

    def type_line(self, line: str) -> None:
        """Waits for the prompt, then types `line` and Enter."""
        self.expect(PROMPT, f"the prompt {PROMPT!r} before typing {line!r}")
        self.child.sendline(line)


@pytest.mark.timeout(600)  # the expects time out first, with the terminal in the message
def test_repl_session(eddy_binary):
    repl = Repl(eddy_binary)
    try:
        repl.type_line("let a = 20;")
        repl.type_line("a + 22")
        repl.expect(r"\b42\b", "`a + 22` to print 42")
        repl.type_line(":vars")
        repl.expect(r"\ba\b[^\n]*\bi32\b", "`:vars` to list `a` with its type i32")
        repl.type_line(":help")
        repl.expect(r":vars\b", "`:help` to list the commands, :vars among them")
        repl.expect(PROMPT, "the prompt after :help")
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
