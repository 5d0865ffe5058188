"""The ``rulecheck`` command line (typer).

Each command is a thin shell over the library: parse options, call the stage,
render diagnostics in the user's language, exit with the documented code.
No traceback reaches a user: unexpected errors exit 5 with a short request for
a report (the traceback only with ``--debug``).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from checker.diagnostics import ExitCode

app = typer.Typer(
    name="rulecheck",
    help="部门预算公开文件勾稽关系检查 / consistency checks for published budget documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

LangOption = Annotated[str, typer.Option("--lang", help="消息语言 zh|en / message language")]
DebugOption = Annotated[bool, typer.Option("--debug", help="出错时显示调用栈 / show tracebacks")]

_debug = False


@app.callback()
def _root(
    debug: DebugOption = False,
) -> None:
    global _debug
    _debug = debug


def main() -> None:
    """Console-script entry point with the documented exit codes.

    typer/click handle usage errors themselves (exit 2); anything unexpected
    becomes exit 5 with a short request for a report.
    """
    global _debug
    _debug = "--debug" in sys.argv[1:]
    try:
        app(prog_name="rulecheck")
    except SystemExit:
        raise
    except KeyboardInterrupt:
        sys.stderr.write("已中断 / interrupted\n")
        raise SystemExit(130) from None
    except Exception as exc:
        if _debug:
            raise
        sys.stderr.write(
            f"rulecheck 内部错误 / internal error: {type(exc).__name__}: {exc}\n"
            "请附上命令与输入报告此问题（--debug 显示调用栈）/ "
            "please report this with the command and input (--debug shows the traceback)\n"
        )
        raise SystemExit(ExitCode.INTERNAL) from None


if __name__ == "__main__":
    main()
