"""Plain-data calls into a small pool of confined worker processes, with hard limits.

Code that may run away (the message sandbox: an admin's template) runs in a child process, never in
the web worker or the scheduler that asks for it. Limits, each enforced outside the code it stops:

- memory: the child caps its own address space (RLIMIT_AS, `Limits.memory_bytes`) once it has
  loaded its handler, so an allocation past it fails with MemoryError instead of growing;
- CPU: before each call the child allows itself `Limits.cpu_seconds` more CPU time (RLIMIT_CPU), so
  a computation stuck in C (a huge power) is killed by SIGXCPU even if its parent is gone;
- wall clock: the parent waits at most until the call's deadline (`Limits.seconds` by default); a
  child that has not answered by then is killed (SIGKILL) and replaced, as is one that died or that
  retires after growing past half its memory limit, so the next call finds a clean child (the
  replacement is started at once; the time a fresh child takes to load is not counted).

Each child is a fresh interpreter (`python -I confined.py HANDLER.py ...`) that loads one handler
file by path and answers one JSON line per JSON line read. Pools that pickle a function by
reference (ProcessPoolExecutor, pebble) make each child import the whole app first (some 200 MB of
address space before any template), and forking a web worker copies its threads' locks; a fresh
interpreter imports only what the handler imports (Jinja: about 25 MB). The handler is a module
with `handle(request: dict) -> dict` that imports nothing of the app.

A pool belongs to the process that made it: created at import and started lazily, it starts its own
children after a fork (a web worker, a pytest-xdist worker) and leaves the parent's alone.
"""

from __future__ import annotations

import atexit
import importlib.util
import json
import math
import os
import queue
import resource
import select
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STARTUP_SECONDS = 10  # for a fresh interpreter to load the handler (not counted in a call's time)


class Overrun(Exception):
    """A call was stopped: no answer by its deadline, or its child died (CPU or memory limit)."""


@dataclass(frozen=True)
class Limits:
    seconds: float = 1.5  # wall clock per call, from the request's sending
    cpu_seconds: int = 1  # CPU time per call, on top of what the child used before
    memory_bytes: int = 200 * 2**20  # address space of each child


class ConfinedPool:
    """Up to `size` children serving `handler`; `call` hands a request to an idle one."""

    def __init__(self, handler: Path, *, size: int = 2, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self._command = [
            sys.executable,
            "-I",
            str(Path(__file__).resolve()),
            str(handler.resolve()),
            str(self.limits.memory_bytes),
            str(self.limits.cpu_seconds),
        ]
        self._size = size
        self._owner = -1
        self._idle: queue.LifoQueue[_Child | None] = queue.LifoQueue()
        atexit.register(self.close)

    def call(self, request: Mapping[str, Any], *, deadline: float | None = None) -> Any:
        """The handler's answer to `request`, or Overrun if it is not there by `deadline`
        (a time.monotonic() value; by default `Limits.seconds` from now)."""
        if deadline is None:
            deadline = time.monotonic() + self.limits.seconds
        line = json.dumps(request).encode() + b"\n"
        self._adopt()
        try:
            child = self._idle.get(timeout=max(deadline - time.monotonic(), 0))
        except queue.Empty:
            raise Overrun("every worker process was busy") from None
        if time.monotonic() >= deadline:
            self._idle.put(child)
            raise Overrun("no time was left for it")
        try:
            if child is None or not child.is_alive():
                child = _Child(self._command)
            answer = child.ask(line, deadline, self.limits)
            if answer["retire"]:
                child.stop()
                child = _Child(self._command)
        except BaseException:
            if child is not None:
                child.stop()
            child = None
            # Started now, so the next call does not wait for an interpreter to load.
            child = _Child(self._command)
            raise
        finally:
            self._idle.put(child)
        if "out_of_memory" in answer:
            raise Overrun(f"it needed more than {self.limits.memory_bytes >> 20} MB of memory")
        return answer["answer"]

    def pids(self) -> list[int]:
        """The children alive now (for tests and diagnostics)."""
        children = []
        while True:
            try:
                children.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for child in reversed(children):
            self._idle.put(child)
        return [child.process.pid for child in children if child and child.is_alive()]

    def close(self) -> None:
        """Stop this process's children (at exit; a later call starts new ones)."""
        if self._owner != os.getpid():
            return
        while True:
            try:
                child = self._idle.get_nowait()
            except queue.Empty:
                break
            if child is not None:
                child.stop()
        self._owner = -1

    def _adopt(self) -> None:
        # After a fork the children (and the queue's lock) belong to the parent: start afresh,
        # and close this process's copies of their pipes so they still end with the parent.
        if self._owner == os.getpid():
            return
        inherited = self._idle.queue if self._owner != -1 else []
        for child in inherited:
            if child is not None:
                child.forget()
        self._idle = queue.LifoQueue()
        for _ in range(self._size):
            self._idle.put(None)
        self._owner = os.getpid()


class _Child:
    def __init__(self, command: list[str]) -> None:
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            # Its own session: a Ctrl-C meant for the parent does not reach it; it ends when its
            # stdin closes (the parent exited).
            start_new_session=True,
        )
        self._pending = b""
        self._started = False

    def is_alive(self) -> bool:
        return self.process.poll() is None

    def ask(self, line: bytes, deadline: float, limits: Limits) -> dict[str, Any]:
        try:
            if not self._started:
                # Loading an interpreter is not the request's work: its wait does not count.
                waited_from = time.monotonic()
                self._read_line(waited_from + STARTUP_SECONDS, "it did not start", limits)
                self._started = True
                deadline += time.monotonic() - waited_from
            assert self.process.stdin is not None
            self.process.stdin.write(line)
            self.process.stdin.flush()
            late = f"it took longer than {limits.seconds:g} s"
            return json.loads(self._read_line(deadline, late, limits))
        except (BrokenPipeError, ConnectionResetError):
            raise Overrun(self._death(limits)) from None

    def stop(self) -> None:
        if self.is_alive():
            self.process.kill()
        self.process.wait()
        self.forget()

    def forget(self) -> None:
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                pipe.close()

    def _read_line(self, deadline: float, late: str, limits: Limits) -> bytes:
        assert self.process.stdout is not None
        descriptor = self.process.stdout.fileno()
        # poll, not select: a web worker's descriptors may number past select's 1024.
        poller = select.poll()
        poller.register(descriptor, select.POLLIN)
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Overrun(late)
            if poller.poll(math.ceil(remaining * 1000)):
                chunk = os.read(descriptor, 1 << 16)
                if not chunk:
                    raise Overrun(self._death(limits))
                self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line

    def _death(self, limits: Limits) -> str:
        code = self.process.wait()
        if code == -signal.SIGXCPU:
            return f"it used more than {limits.cpu_seconds} s of processor time"
        return f"its process stopped (exit status {code})"


def _serve(handler: str, memory_bytes: int, cpu_seconds: int) -> None:
    """The child: load the handler, cap memory, then answer each request line until stdin ends."""
    spec = importlib.util.spec_from_file_location("confined_handler", handler)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    # SIGXCPU would dump core first: killed at once instead.
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    _, cpu_hard = resource.getrlimit(resource.RLIMIT_CPU)
    _answer({"ready": True})
    for line in sys.stdin.buffer:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        allowed = math.ceil(usage.ru_utime + usage.ru_stime) + cpu_seconds
        if cpu_hard != resource.RLIM_INFINITY:
            allowed = min(allowed, cpu_hard)
        resource.setrlimit(resource.RLIMIT_CPU, (allowed, cpu_hard))
        answer: dict[str, Any]
        try:
            answer = {"answer": module.handle(json.loads(line))}
        except MemoryError:
            answer = {"out_of_memory": True}
        # A child that grew past half its limit leaves room for a fresh one.
        answer["retire"] = "out_of_memory" in answer or _peak_memory() > memory_bytes // 2
        _answer(answer)
        if answer["retire"]:
            return


def _answer(answer: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(answer) + "\n")
    sys.stdout.flush()


def _peak_memory() -> int:
    """The child's largest resident size so far, in bytes (ru_maxrss would count the parent's,
    since Linux keeps it across exec)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
