"""Jupyter protocol conformance of the installed eddy kernel (jupyter_kernel_test).

jupyter_kernel_test validates every reply against the message spec and checks the basics a
front end relies on. Its tests share one kernel, started in setUpClass.
"""

from __future__ import annotations

import jupyter_kernel_test
from jupyter_client.manager import start_new_kernel
from kernel_helpers import CELL_TIMEOUT_S, KERNEL_NAME, START_TIMEOUT_S


class EddyKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = KERNEL_NAME
    language_name = "rust"
    file_extension = ".rs"

    code_hello_world = 'println!("hello, world");'
    code_stderr = 'eprintln!("oops");'

    # `inspect_me` is defined in setUpClass: the only name in scope that starts so.
    completion_samples = [{"text": "inspect_m", "matches": ["inspect_me"]}]

    complete_code_samples = ["1 + 1", "let x = 1;"]
    incomplete_code_samples = ["let x = {"]
    invalid_code_samples = ["let x = 1; }"]

    # no pager in eddy: test_pager skips
    code_page_something = ""

    # The only output must be the error message: a panic's text goes into it, not to stderr.
    code_generate_error = 'panic!("boom")'

    code_execute_result = [{"code": "6 * 7", "result": "42"}]
    code_display_data = [{"code": 'display(&df!("a" => [1, 2]).unwrap());', "mime": "text/html"}]

    code_history_pattern = "6 * 7"
    supported_history_operations = ("tail", "range")

    code_inspect_sample = "inspect_me"

    @classmethod
    def setUpClass(cls) -> None:
        cls.km, cls.kc = start_new_kernel(kernel_name=cls.kernel_name, startup_timeout=START_TIMEOUT_S)
        # jupyter_kernel_test waits 15 s for a reply; the first cell compiles against the
        # prelude and may take longer on a loaded machine, so it runs here.
        try:
            reply = cls.kc.execute_interactive("let inspect_me: i64 = 7;", timeout=CELL_TIMEOUT_S)
            assert reply["content"]["status"] == "ok", f"warm-up cell failed: {reply['content']}"
        except BaseException:
            cls.tearDownClass()
            raise
