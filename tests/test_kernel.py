"""The installed eddy kernel over the Jupyter protocol, as JupyterLab and papermill use it.

Each test starts its own kernel from the `eddy` kernelspec (no mocks) and checks one
behaviour; assertion messages show what was expected and everything the kernel sent.
"""

from __future__ import annotations

import os
import re
import time

import pytest
from kernel_helpers import CELL_TIMEOUT_S, Kernel, Msg

# ---------------------------------------------------------------------------- start-up


def test_kernel_info_replies_within_1s_of_start():
    t0 = time.monotonic()
    k = Kernel.launch()
    try:
        msg_id = k.kc.kernel_info()
        reply = k.shell_reply(msg_id, timeout=30)
        elapsed = time.monotonic() - t0
        language = reply["content"].get("language_info", {}).get("name")
        assert language == "rust", f"expected language_info.name 'rust', got {language!r}"
        assert elapsed <= 1.0, (
            f"expected kernel_info_reply within 1.0 s of starting the kernel process "
            f"(it must not wait for the engine), got it after {elapsed:.2f} s"
        )
    finally:
        k.shutdown()


# ---------------------------------------------------------------------------- results


def test_prelude_sp500_has_8313_rows(kernel):
    kernel.ok("let df = sp500()?;")
    cell = kernel.ok("df.height()")
    assert cell.result() == "8313", f"expected text/plain '8313', got {cell.result()!r}\n{cell.describe()}"


def test_expression_result_and_execution_count(kernel):
    first = kernel.ok("1 + 1")
    second = kernel.ok("1 + 1")
    assert first.result() == "2", f"expected text/plain '2', got {first.result()!r}\n{first.describe()}"
    n1, n2 = first.reply["execution_count"], second.reply["execution_count"]
    assert n2 == n1 + 1, f"expected execution_count to go from {n1} to {n1 + 1}, got {n2}"
    [result] = [m for m in second.outputs if m.msg_type == "execute_result"]
    assert result.content["execution_count"] == n2, (
        f"expected the execute_result's execution_count to be the reply's {n2}, "
        f"got {result.content['execution_count']}"
    )


def test_stdout_streams_in_order_while_the_cell_runs(kernel):
    code = (
        "for i in 0..5 { println!(\"line {i}\"); "
        "std::thread::sleep(std::time::Duration::from_millis(300)); }"
    )
    cell = kernel.ok(code)
    expected = "".join(f"line {i}\n" for i in range(5))
    assert cell.stream() == expected, f"expected stdout {expected!r}, got {cell.stream()!r}\n{cell.describe()}"
    streams = [m for m in cell.outputs if m.msg_type == "stream"]
    # The cell prints `line 0` and then runs 1.5 s more: the first line must not wait for the end.
    lead = cell.t_idle - streams[0].t
    assert lead >= 1.0, (
        f"expected the first stream message ({streams[0].content['text']!r}) at least 1.0 s before "
        f"the cell finished, got it {lead:.2f} s before: output is buffered until the end"
    )


# ---------------------------------------------------------------------------- errors

# Where a compile error says it is: `line 3`, `3:14` (as in `cell:3:14`) or a `3 |` gutter.
def mentions_line(text: str, line: int) -> bool:
    return re.search(rf"\bline {line}\b|(?<![\d.]){line}:\d+|^\s*{line}\s*[|│]", text, re.MULTILINE) is not None


def test_compile_error_names_the_cell_line_1(kernel):
    cell = kernel.execute('let x: i32 = "a";')
    text = cell.error_text()
    assert cell.status == "error", f"expected status 'error', got:\n{cell.describe()}"
    assert "mismatched types" in text, f"expected 'mismatched types' in the error, got:\n{text}"
    assert mentions_line(text, 1), f"expected the error to point at line 1 of the cell, got:\n{text}"


def test_compile_error_names_the_cell_line_3(kernel):
    cell = kernel.execute('let a = 1;\nlet b = a + 1;\nlet x: i32 = "a";')
    text = cell.error_text()
    assert cell.status == "error", f"expected status 'error', got:\n{cell.describe()}"
    assert "mismatched types" in text, f"expected 'mismatched types' in the error, got:\n{text}"
    assert mentions_line(text, 3), f"expected the error to point at line 3 of the cell, got:\n{text}"


def test_panic_is_an_error_and_keeps_variables(kernel):
    kernel.ok("let keep = 41;")
    cell = kernel.execute('panic!("boom")')
    assert cell.status == "error", f"expected status 'error', got:\n{cell.describe()}"
    assert "boom" in cell.error_text(), f"expected 'boom' in the error, got:\n{cell.describe()}"
    after = kernel.ok("keep + 1")
    assert after.result() == "42", f"expected '42' (keep survived the panic), got:\n{after.describe()}"


# ---------------------------------------------------------------------------- completion


def test_completion_of_a_variable(kernel):
    kernel.ok("let vvv_long = 1;")
    msg_id = kernel.kc.complete("vvv_l", 5)
    reply = kernel.shell_reply(msg_id, timeout=CELL_TIMEOUT_S)["content"]
    assert reply["status"] == "ok", f"expected complete_reply status 'ok', got {reply}"
    assert "vvv_long" in reply["matches"], f"expected 'vvv_long' among the matches, got {reply['matches']}"
    span = (reply["cursor_start"], reply["cursor_end"])
    assert span == (0, 5), f"expected the matches to replace 'vvv_l', i.e. cursor 0..5, got {span[0]}..{span[1]}"


# ---------------------------------------------------------------------------- interrupt


def test_interrupt_stops_an_endless_loop(kernel):
    t_sent = time.monotonic()
    msg_id = kernel.kc.execute('println!("spinning");\nloop {}')
    seen: list[Msg] = []
    deadline = t_sent + CELL_TIMEOUT_S
    while not any(m.msg_type == "stream" and "spinning" in m.content["text"] for m in seen):
        m = kernel.next_iopub(deadline)
        if m.parent_id != msg_id:
            continue
        seen.append(m)
        assert not (m.msg_type == "status" and m.content["execution_state"] == "idle"), (
            f"expected the loop to be running, but the cell ended: {[(x.msg_type, x.content) for x in seen]}"
        )
    time.sleep(1.0)
    t_interrupt = time.monotonic()
    kernel.km.interrupt_kernel()
    reply = kernel.shell_reply(msg_id, timeout=10)["content"]
    took = time.monotonic() - t_interrupt
    assert reply["status"] == "error", f"expected status 'error' after the interrupt, got {reply}"
    assert took <= 10, f"expected the reply within 10 s of the interrupt, got {took:.1f} s"
    after = kernel.ok("1+1")
    assert after.result() == "2", f"expected '2' after the interrupt, got:\n{after.describe()}"


# ---------------------------------------------------------------------------- regressions


def test_issue_302_two_kernels():
    """evcxr #302: two kernels at once shared a scratch dir and broke each other."""
    kernels = [Kernel.launch(), Kernel.launch()]
    try:
        for k in kernels:
            k.kc.wait_for_ready(timeout=60)
        t_sent = time.monotonic()
        msg_ids = [k.kc.execute("let a = 1; a") for k in kernels]
        cells = [k.collect("let a = 1; a", m, t_sent) for k, m in zip(kernels, msg_ids)]
        for i, cell in enumerate(cells, 1):
            assert cell.status == "ok" and cell.result() == "1", (
                f"kernel {i} of 2: expected status 'ok' and '1', got:\n{cell.describe()}"
            )
    finally:
        for k in kernels:
            k.shutdown()


# ---------------------------------------------------------------------------- display


def test_display_data_then_update_from_a_thread(kernel):
    code = (
        "let df = sp500()?;\n"
        "let h = display(&df.head(Some(2)));\n"
        "std::thread::spawn(move || {\n"
        "    std::thread::sleep(std::time::Duration::from_millis(500));\n"
        '    h.update(&df!("a" => [1, 2]).unwrap());\n'
        "});"
    )
    cell = kernel.ok(code)
    shown = [m for m in cell.outputs if m.msg_type == "display_data"]
    assert len(shown) == 1, f"expected one display_data during the cell, got:\n{cell.describe()}"
    display_id = shown[0].content.get("transient", {}).get("display_id")
    assert display_id, f"expected display_data with transient.display_id, got {shown[0].content}"
    assert shown[0].content["data"], f"expected a non-empty mime bundle, got {shown[0].content}"

    # The update comes from the thread after the cell has finished (after its `idle`).
    deadline = time.monotonic() + 30
    while True:
        try:
            m = kernel.next_iopub(deadline)
        except TimeoutError:
            pytest.fail(f"expected update_display_data for display_id {display_id!r} within 30 s, got none")
        if m.msg_type == "update_display_data":
            break
    got_id = m.content.get("transient", {}).get("display_id")
    assert got_id == display_id, f"expected the update for display_id {display_id!r}, got {got_id!r}"
    assert m.parent_id == cell.msg_id, (
        f"expected the update parented to the cell's execute_request {cell.msg_id}, got {m.parent_id!r}"
    )
    assert m.t > cell.t_idle, "expected the update after the cell's execute_reply"
    assert m.content["data"], f"expected a non-empty mime bundle in the update, got {m.content}"


# ---------------------------------------------------------------------------- limits

OUTPUT_CAP_BYTES = 8 * 2**20


@pytest.mark.timeout(600)
def test_100mb_of_output_is_capped_and_the_kernel_survives(kernel):
    code = 'for _ in 0..1_000_000 { println!("{}", "x".repeat(100)); }'
    cell = kernel.execute(code, timeout=480)
    assert kernel.km.is_alive(), "expected the kernel process to survive 100 MB of output"
    text = "".join(m.content.get("text", "") for m in cell.outputs if m.msg_type == "stream")
    assert 0 < len(text) <= OUTPUT_CAP_BYTES, (
        f"expected the stream text capped at ≤ {OUTPUT_CAP_BYTES} characters, got {len(text)}"
    )
    assert "x" * 100 in text, f"expected the first lines of output, got {text[:300]!r}"
    everything = text + "\n".join(str(m.content) for m in cell.outputs if m.msg_type != "stream")
    assert re.search(r"truncat|omitted|limit", everything, re.IGNORECASE), (
        f"expected a note that output was truncated, got the end of the output: {text[-500:]!r}"
    )
    after = kernel.ok("1+1")
    assert after.result() == "2", f"expected '2' after the flood, got:\n{after.describe()}"


# ---------------------------------------------------------------------------- other requests


def test_history_request(kernel):
    kernel.ok("let hist_marker = 3;")
    kernel.ok("hist_marker + 1")
    msg_id = kernel.kc.history(hist_access_type="tail", n=10, output=False, raw=True)
    reply = kernel.shell_reply(msg_id, timeout=30)["content"]
    assert reply["status"] == "ok", f"expected history_reply status 'ok', got {reply}"
    inputs = [entry[2] for entry in reply["history"]]
    assert inputs[-2:] == ["let hist_marker = 3;", "hist_marker + 1"], (
        f"expected the last two inputs to be the two cells, got {inputs}"
    )


def test_comm_info_request(kernel):
    msg_id = kernel.kc.comm_info()
    reply = kernel.shell_reply(msg_id, timeout=30)["content"]
    assert reply.get("status") == "ok", f"expected comm_info_reply status 'ok', got {reply}"
    assert isinstance(reply.get("comms"), dict), f"expected a 'comms' dict, got {reply}"


@pytest.mark.parametrize(("code", "status"), [("let x = {", "incomplete"), ("1+1", "complete")])
def test_is_complete_request(kernel, code, status):
    msg_id = kernel.kc.is_complete(code)
    reply = kernel.shell_reply(msg_id, timeout=30)["content"]
    assert reply["status"] == status, f"for {code!r} expected status {status!r}, got {reply}"


# ---------------------------------------------------------------------------- installation


def test_missing_prelude_template_names_install_sh():
    k = Kernel.start(env={**os.environ, "EDDY_PRELUDE": "/nonexistent"})
    try:
        cell = k.execute("1 + 1")
        text = cell.error_text()
        assert cell.status == "error", f"expected status 'error' without a template, got:\n{cell.describe()}"
        assert "install.sh" in text, f"expected the error to name install.sh, got:\n{text}"
        assert "/nonexistent" in text, f"expected the error to name the missing path /nonexistent, got:\n{text}"
    finally:
        k.shutdown()
