"""Interop driver for azmq (PyPI `azmq`, pure-Python asyncio ZMTP). azmq 1.0.6, its latest
release, does not import on Python 3.7 or later (a SyntaxError in azmq/socket.py), so this
driver says why it cannot run, precisely, instead of a `hello`: the runner reports every azmq
cell with that reason (known-defects.txt). Should a release import, the import error goes
away and this driver must be completed (PROTOCOL.md) before the cells can pass."""
import platform
import traceback

try:
    import azmq  # noqa: F401
except SyntaxError as e:
    where = f"{e.filename.split('site-packages/')[-1]}:{e.lineno}" if e.filename else "?"
    print(f"unavailable azmq does not import on Python {platform.python_version()}: "
          f"SyntaxError at {where}: {e.msg}", flush=True)
    raise SystemExit(0)
except Exception as e:
    print(f"unavailable azmq does not import: {traceback.format_exception_only(e)[-1].strip()}",
          flush=True)
    raise SystemExit(0)
print("unavailable azmq imported, but this driver only knows how to report that it cannot", flush=True)
