"""Driving the installed eddy kernel over the Jupyter protocol, for the tests.

`Kernel.start()` launches the kernelspec named `eddy` (as JupyterLab would) and `execute`
returns a `Cell` with the reply and every iopub message of that request, each stamped with
the monotonic time it was received, so tests can check order and timing as well as content.
"""

from __future__ import annotations

import os
import queue
import re
import time
from dataclasses import dataclass, field
from typing import Any

from jupyter_client.blocking.client import BlockingKernelClient
from jupyter_client.manager import KernelManager

KERNEL_NAME = "eddy"
START_TIMEOUT_S = 60  # until kernel_info_reply; generous for a loaded 2-core CI machine
CELL_TIMEOUT_S = 120  # one cell; the first one compiles against the prelude

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


@dataclass
class Msg:
    """One message from the kernel and when it arrived (time.monotonic())."""

    msg_type: str
    content: dict[str, Any]
    parent_id: str
    t: float
    raw: dict[str, Any] = field(repr=False)


@dataclass
class Cell:
    """What one execute_request produced."""

    code: str
    msg_id: str
    reply: dict[str, Any]  # execute_reply content
    outputs: list[Msg]  # iopub messages between busy and idle, without status/execute_input
    t_sent: float
    t_idle: float

    @property
    def status(self) -> str:
        return self.reply.get("status", "?")

    def stream(self, name: str = "stdout") -> str:
        return "".join(
            m.content["text"] for m in self.outputs if m.msg_type == "stream" and m.content["name"] == name
        )

    def result(self, mime: str = "text/plain") -> str | None:
        for m in self.outputs:
            if m.msg_type == "execute_result":
                return m.content["data"].get(mime)
        return None

    def error_text(self) -> str:
        """ename, evalue and traceback of the reply, without ANSI colours."""
        r = self.reply
        return strip_ansi("\n".join([r.get("ename", ""), r.get("evalue", ""), *r.get("traceback", [])]))

    def describe(self) -> str:
        """A readable account of the cell for assertion messages."""
        lines = [f"cell {self.code!r}: reply status {self.status!r}"]
        if self.status == "error":
            lines.append("  error: " + self.error_text().replace("\n", "\n         "))
        for m in self.outputs:
            if m.msg_type == "stream":
                text = m.content["text"]
                shown = text if len(text) < 500 else text[:250] + f"…[{len(text)} chars]…" + text[-250:]
                lines.append(f"  {m.content['name']}: {shown!r}")
            elif m.msg_type in ("execute_result", "display_data", "update_display_data"):
                data = {k: (v if len(str(v)) < 200 else str(v)[:200] + "…") for k, v in m.content["data"].items()}
                lines.append(f"  {m.msg_type}: {data}")
            else:
                lines.append(f"  {m.msg_type}: {str(m.content)[:300]}")
        return "\n".join(lines)


class Kernel:
    """One running eddy kernel and a blocking client connected to it."""

    def __init__(self, km: KernelManager, kc: BlockingKernelClient):
        self.km = km
        self.kc = kc

    @classmethod
    def launch(cls, env: dict[str, str] | None = None) -> "Kernel":
        """Starts the process and the client without waiting for the kernel to answer."""
        km = KernelManager(kernel_name=KERNEL_NAME)
        km.start_kernel(env=dict(os.environ if env is None else env))
        kc = km.client()
        kc.start_channels()
        return cls(km, kc)

    @classmethod
    def start(cls, env: dict[str, str] | None = None) -> "Kernel":
        kernel = cls.launch(env)
        try:
            kernel.kc.wait_for_ready(timeout=START_TIMEOUT_S)
        except Exception:
            kernel.shutdown()
            raise
        return kernel

    def shutdown(self) -> None:
        self.kc.stop_channels()
        if self.km.has_kernel:
            self.km.shutdown_kernel(now=False)

    # -- iopub / shell plumbing

    def next_iopub(self, deadline: float) -> Msg:
        """The next iopub message; raises TimeoutError after `deadline` (monotonic)."""
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no iopub message before the deadline")
        try:
            raw = self.kc.get_iopub_msg(timeout=remaining)
        except queue.Empty:
            raise TimeoutError("no iopub message before the deadline") from None
        return Msg(
            msg_type=raw["msg_type"],
            content=raw["content"],
            parent_id=raw["parent_header"].get("msg_id", ""),
            t=time.monotonic(),
            raw=raw,
        )

    def shell_reply(self, msg_id: str, timeout: float) -> dict[str, Any]:
        """The shell reply to `msg_id` (other replies are dropped)."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError(f"no shell reply to {msg_id} within {timeout} s")
            try:
                raw = self.kc.get_shell_msg(timeout=remaining)
            except queue.Empty:
                continue
            if raw["parent_header"].get("msg_id") == msg_id:
                return raw

    def collect(self, code: str, msg_id: str, t_sent: float, timeout: float = CELL_TIMEOUT_S) -> Cell:
        """Reads iopub until the request's `idle` status, then its execute_reply."""
        deadline = t_sent + timeout
        outputs: list[Msg] = []
        while True:
            try:
                m = self.next_iopub(deadline)
            except TimeoutError:
                partial = Cell(code, msg_id, {"status": "timeout"}, outputs, t_sent, float("nan"))
                raise TimeoutError(
                    f"the kernel did not finish within {timeout} s; so far:\n{partial.describe()}"
                ) from None
            if m.parent_id != msg_id:
                continue
            if m.msg_type == "status":
                if m.content["execution_state"] == "idle":
                    t_idle = m.t
                    break
                continue
            if m.msg_type == "execute_input":
                continue
            outputs.append(m)
        reply = self.shell_reply(msg_id, timeout=10)["content"]
        return Cell(code, msg_id, reply, outputs, t_sent, t_idle)

    def execute(self, code: str, timeout: float = CELL_TIMEOUT_S) -> Cell:
        t_sent = time.monotonic()
        msg_id = self.kc.execute(code)
        return self.collect(code, msg_id, t_sent, timeout)

    def ok(self, code: str, timeout: float = CELL_TIMEOUT_S) -> Cell:
        """Executes a cell that must succeed."""
        cell = self.execute(code, timeout)
        assert cell.status == "ok", f"expected status 'ok', got:\n{cell.describe()}"
        return cell
