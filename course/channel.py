"""The narrow channel between the grader's checker and the process that runs a student's code.

At autograde the hidden checks run in a process that never executes a line a student wrote
(grader.isolation). The student's setup and answer cells run in a process of their own, started
here (`Student`), and the checks call the student's functions through this channel:

    checker process                               student process (`python -m course.channel`)
    ---------------                               -----------------------------------------------
    sigmoid = student.lookup("sigmoid")  ----->   the answer cells' namespace["sigmoid"]
    call(sigmoid, z, what=...)           ----->   runs sigmoid(z), reports result, z afterwards,
                                         <-----   warnings, or what it raised (as data)

Only plain data crosses, as JSON in length-prefixed frames: None, booleans, numbers, strings,
NumPy arrays of numbers (dtype kinds b, i, u, f, c: raw bytes, never pickles), and lists,
tuples and dicts of them. Everything else a student's code returns stays in the student's
process and crosses as a *reference* (an id and a type name): the checker gets a `Remote`,
whose attribute reads, calls and operators are requests to the student's process. What the
checker passes that is not data is a description rebuilt on the student's side: a NumPy
generator (its state), a function of the `course` package or a NumPy ufunc (by name,
optionally with fixed arguments: `Recipe`). Nothing received is ever executed or unpickled
by the checker; a malformed or oversized frame ends the student's process.

The student's process runs in a session (process group) of its own, with no stdin, stdout or
stderr shared with the grader; `Student.close()` kills the whole group, and a request that
outlives its deadline does the same (`StudentTimeout`).
"""
from __future__ import annotations

import base64
import builtins
import importlib
import json
import os
import re
import select
import signal
import struct
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

import numpy as np

MAX_FRAME = 256 * 2 ** 20          # bytes: a bigger frame is a broken (or hostile) peer
KINDS = "biufc"                    # NumPy dtype kinds that cross: booleans and numbers
RECIPE_MODULES = ("course.", "numpy")


class ChannelError(Exception):
    """Something that is not plain data, or a frame that breaks the protocol."""


# --- encoding: plain data to JSON-able values and back ------------------------------------

def _array(a: np.ndarray) -> dict:
    a = a if a.flags.c_contiguous else a.copy(order="C")       # (np.ascontiguousarray makes 0-d 1-d)
    return {"$": "nd", "dtype": a.dtype.str, "shape": list(a.shape), "b64": base64.b64encode(a.tobytes()).decode()}


def _unarray(d: dict) -> np.ndarray:
    if not isinstance(d.get("dtype"), str) or not isinstance(d.get("shape"), list) or not isinstance(d.get("b64"), str):
        raise ChannelError("malformed array")
    dtype = np.dtype(d["dtype"])
    shape = d["shape"]
    if dtype.kind not in KINDS or dtype.hasobject or not all(isinstance(s, int) and s >= 0 for s in shape):
        raise ChannelError(f"an array of dtype {d['dtype']!r} does not cross the channel")
    raw = base64.b64decode(d["b64"], validate=True)
    if len(raw) != int(np.prod(shape, dtype=np.int64)) * dtype.itemsize:
        raise ChannelError("an array's bytes do not match its shape")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def encode(x: Any, other: Callable[[Any], dict]) -> Any:
    """x as JSON-able plain data; `other(obj)` encodes anything that is not plain data (or raises)."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, (np.ndarray, np.generic)) and np.asarray(x).dtype.kind in KINDS:
        out = _array(np.asarray(x))
        if isinstance(x, np.generic):
            out["scalar"] = True
        return out
    if type(x) is int or type(x) is float:
        return x if type(x) is int or np.isfinite(x) else {"$": "float", "v": repr(x)}
    if type(x) is complex:
        return {"$": "complex", "v": [x.real, x.imag]}
    if type(x) in (list, tuple):
        return {"$": type(x).__name__, "v": [encode(v, other) for v in x]}
    if type(x) is dict:
        return {"$": "dict", "k": [encode(k, other) for k in x], "v": [encode(v, other) for v in x.values()]}
    return other(x)


def decode(x: Any, other: Callable[[dict], Any]) -> Any:
    """The inverse of `encode`; `other(d)` decodes the tags `encode`'s `other` made (or raises)."""
    if x is None or isinstance(x, (bool, str, int, float)):
        return x
    if isinstance(x, dict):
        tag = x.get("$")
        if tag == "nd":
            a = _unarray(x)
            return a[()] if x.get("scalar") else a
        if tag == "float" and x.get("v") in ("nan", "inf", "-inf"):
            return float(x["v"])
        if tag == "complex" and isinstance(x.get("v"), list) and len(x["v"]) == 2:
            return complex(*(float(v) for v in x["v"]))
        if tag in ("list", "tuple") and isinstance(x.get("v"), list):
            items = [decode(v, other) for v in x["v"]]
            return items if tag == "list" else tuple(items)
        if tag == "dict" and isinstance(x.get("k"), list) and isinstance(x.get("v"), list) \
                and len(x["k"]) == len(x["v"]):
            out = {}
            for k, v in zip(x["k"], x["v"]):
                k = decode(k, other)
                try:
                    out[k] = decode(v, other)
                except TypeError:           # an unhashable key
                    raise ChannelError("a dict key that is not a plain value") from None
            return out
        return other(x)
    raise ChannelError(f"not plain data: {type(x).__name__}")


# --- frames ---------------------------------------------------------------------------------

def send(fd: int, message: dict, deadline: float | None = None) -> None:
    body = json.dumps(message, allow_nan=False).encode()
    data = struct.pack(">I", len(body)) + body
    while data:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                raise TimeoutError("the peer did not read in time")
        try:
            written = os.write(fd, data[:65536])
        except BlockingIOError:
            continue
        data = data[written:]


def _read(fd: int, count: int, deadline: float | None) -> bytes:
    chunks, got = [], 0
    while got < count:
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise TimeoutError("no answer in time")
        try:
            chunk = os.read(fd, min(count - got, 1 << 20))
        except BlockingIOError:
            continue
        if not chunk:
            raise EOFError("the peer closed the channel")
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def receive(fd: int, deadline: float | None = None) -> dict:
    (size,) = struct.unpack(">I", _read(fd, 4, deadline))
    if size > MAX_FRAME:
        raise ChannelError(f"a frame of {size} bytes")
    try:
        message = json.loads(_read(fd, size, deadline))
    except ValueError:
        raise ChannelError("a frame that is not JSON") from None
    if not isinstance(message, dict):
        raise ChannelError("a frame that is not a message")
    return message


# --- descriptions of what the checker passes that is not data --------------------------------

class Recipe:
    """A function of the `course` package (or a NumPy ufunc), with fixed arguments: called here
    it runs here; passed to a student's function it is rebuilt there from the same code.

        Recipe("course.functions", "tanh_of_linear", A=A)(x) == tanh_of_linear(x, A=A)
    """

    def __init__(self, module: str, name: str, *args: Any, **kwargs: Any):
        if not (module == "numpy" or module.startswith("course.")):
            raise ValueError(f"a recipe comes from the course package or numpy, not {module!r}")
        self.module, self.name, self.args, self.kwargs = module, name, args, kwargs

    def function(self) -> Callable:
        fn = getattr(importlib.import_module(self.module), self.name)
        if not callable(fn):
            raise ChannelError(f"{self.module}.{self.name} is not a function")
        return fn

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.function()(*self.args, *args, **self.kwargs, **kwargs)

    def __repr__(self) -> str:
        return f"{self.module}.{self.name}"


# --- the checker's side ---------------------------------------------------------------------

class StudentTimeout(BaseException):
    """The student's process did not answer within the check's time limit (it has been killed).
    A BaseException: it ends the check, whatever the check's own `except Exception` does."""


class StudentGone(BaseException):
    """The student's process ended (os._exit, a crash, memory) or broke the protocol."""


class StudentRaised(Exception):
    """An exception of the student's code that is not one of Python's built-in ones."""

    def __init__(self, type_name: str, message: str):
        super().__init__(message)
        self.type_name = type_name


def _rebuilt(error: dict) -> BaseException:
    """The student's exception, rebuilt here from its type name and message (data only): a
    built-in Exception class of that name, else StudentRaised."""
    name, message = str(error.get("type", "Exception"))[:100], str(error.get("message", ""))[:2000]
    cls = getattr(builtins, name, None)
    exc: BaseException
    if isinstance(cls, type) and issubclass(cls, Exception):
        try:
            exc = cls(message)
        except Exception:  # a built-in exception that needs other arguments
            exc = StudentRaised(name, message)
    else:
        exc = StudentRaised(name, message)
    exc.remote_type = name
    exc.remote_traceback = [str(line)[:500] for line in error.get("traceback", [])[:40]]
    exc.unwritten = error.get("unwritten") if isinstance(error.get("unwritten"), str) else None
    return exc


class Invocation:
    """What a call of a student's function did: its result, its arguments afterwards (to see
    what it modified), the warnings it raised, or the exception it raised (`error`)."""

    def __init__(self, result=None, args_after=(), kwargs_after=None, warnings=(), error=None):
        self.result, self.args_after, self.kwargs_after = result, list(args_after), dict(kwargs_after or {})
        self.warnings, self.error = list(warnings), error


class Remote:
    """An object that lives in the student's process. Reading an attribute, calling it, or using an
    operator on it asks that process; what comes back is plain data or another Remote."""

    __slots__ = ("_host", "_refid", "_typename")

    def __init__(self, student: "Student", ref: int, type_name: str):
        self._host, self._refid, self._typename = student, ref, type_name

    @property
    def remote_type(self) -> str:
        """The type name of the object in the student's process."""
        return self._typename

    @property
    def process(self) -> "Student":
        """The student's process this object lives in."""
        return self._host

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__") and name.endswith("__"):
            raise AttributeError(name)       # protocol probes (numpy's __array__ & co.) stay here
        return self._host.request({"op": "getattr", "target": self._refid, "name": name})

    def __setattr__(self, name: str, value: Any) -> None:
        if name in Remote.__slots__:             # our own three, set once by __init__
            object.__setattr__(self, name, value)
            return
        self._host.request({"op": "setattr", "target": self._refid, "name": name, "value": value})

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        invocation = self.invoke(args, kwargs, watch=False)
        if invocation.error is not None:
            raise invocation.error
        return invocation.result

    def invoke(self, args: tuple, kwargs: dict, watch: bool = True) -> Invocation:
        """Call it with the student's process recording everything (see `Invocation`)."""
        reply = self._host.request({"op": "call", "target": self._refid, "args": list(args), "kwargs": kwargs,
                                       "watch": watch}, whole=True)
        if "error" in reply:
            return Invocation(error=reply["error"], warnings=reply.get("warnings", []))
        return Invocation(reply.get("value"), reply.get("args", ()), reply.get("kwargs"), reply.get("warnings", []))

    def _op(self, name: str, *args: Any) -> Any:
        return self._host.request({"op": "operator", "name": name, "args": [self, *args]})

    def __add__(self, o): return self._op("add", o)
    def __radd__(self, o): return self._op("radd", o)
    def __sub__(self, o): return self._op("sub", o)
    def __rsub__(self, o): return self._op("rsub", o)
    def __mul__(self, o): return self._op("mul", o)
    def __rmul__(self, o): return self._op("rmul", o)
    def __truediv__(self, o): return self._op("truediv", o)
    def __rtruediv__(self, o): return self._op("rtruediv", o)
    def __pow__(self, o): return self._op("pow", o)
    def __rpow__(self, o): return self._op("rpow", o)
    def __matmul__(self, o): return self._op("matmul", o)
    def __rmatmul__(self, o): return self._op("rmatmul", o)
    def __neg__(self): return self._op("neg")

    def __bool__(self) -> bool:          # a reference is there; what it refers to is not asked
        return True

    def __eq__(self, other: Any) -> bool:       # identity: the same object of the student's process
        return isinstance(other, Remote) and other._host is self._host and other._refid == self._refid

    def __hash__(self) -> int:
        return hash((id(self._host), self._refid))

    def __repr__(self) -> str:
        try:
            text = self._op("repr")
        except BaseException:  # noqa: B036 - a repr that fails or hangs is still a repr
            text = None
        return text[:200] if isinstance(text, str) else f"<your {self._typename} object>"

    def __copy__(self) -> "Remote":          # a reference: copying it copies nothing of the student's
        return self

    def __deepcopy__(self, _memo) -> "Remote":
        return self

    def __reduce__(self):
        raise TypeError("a reference to the student's process cannot be pickled")


_OPS = {"add": lambda a, b: a + b, "radd": lambda a, b: b + a, "sub": lambda a, b: a - b,
        "rsub": lambda a, b: b - a, "mul": lambda a, b: a * b, "rmul": lambda a, b: b * a,
        "truediv": lambda a, b: a / b, "rtruediv": lambda a, b: b / a, "pow": lambda a, b: a ** b,
        "rpow": lambda a, b: b ** a, "matmul": lambda a, b: a @ b, "rmatmul": lambda a, b: b @ a,
        "neg": lambda a: -a, "repr": repr}


class Student:
    """The process that runs one notebook's setup and answer cells, started on first use and
    again after a check killed it. `prefix` wraps the command (the bubblewrap sandbox)."""

    NOT_DEFINED = "the function is not defined (did its answer cell run without errors?)"

    def __init__(self, setup: list[str], answers: list[str], prefix: list[str] = (), env: dict | None = None,
                 cell_timeout: float = 20.0, start_timeout: float = 120.0):
        self.setup, self.answers, self.prefix, self.env = list(setup), list(answers), list(prefix), env
        self.cell_timeout, self.start_timeout = cell_timeout, start_timeout
        self.process: subprocess.Popen | None = None
        self.deadline: float | None = None          # set per check by the checker
        self.seq = 0
        self.starts = 0
        self.unusable: str | None = None            # why the process cannot be (re)started

    # the process
    def _launch(self) -> None:
        child_reads, checker_writes = os.pipe()
        checker_reads, child_writes = os.pipe()
        cmd = [*self.prefix, sys.executable, "-m", "course.channel", str(child_reads), str(child_writes),
               str(self.cell_timeout)]
        self.process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, pass_fds=(child_reads, child_writes),
                                        start_new_session=True, env=self.env, cwd=os.getcwd())
        os.close(child_reads)
        os.close(child_writes)
        self.write, self.read = checker_writes, checker_reads
        os.set_blocking(self.write, False)
        self.starts += 1
        deadline = time.monotonic() + self.start_timeout
        if self.deadline is not None:
            deadline = min(deadline, self.deadline)
        self._exchange({"op": "start", "setup": self.setup, "answers": self.answers}, deadline)

    def close(self) -> None:
        """Kill the student's process and everything it started in its session."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.kill()
        self.process.wait()
        for fd in (self.write, self.read):
            try:
                os.close(fd)
            except OSError:
                pass
        self.process = None

    def __enter__(self) -> "Student":
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    # requests
    def _exchange(self, message: dict, deadline: float | None) -> dict:
        self.seq += 1
        message = {**message, "seq": self.seq}
        try:
            send(self.write, message, deadline)
            while True:
                reply = receive(self.read, deadline)
                if reply.get("seq") == self.seq:
                    return reply
        except (TimeoutError, InterruptedError):
            self.close()
            raise StudentTimeout() from None
        except (EOFError, OSError, ChannelError, struct.error) as exc:
            self.close()
            raise StudentGone(str(exc)) from None

    def _encode(self, x: Any) -> Any:
        def other(obj):
            if isinstance(obj, Remote):
                if obj._host is not self:
                    raise ChannelError("a reference into another student's process")
                return {"$": "ref", "id": obj._refid}
            if isinstance(obj, np.random.Generator):
                return {"$": "rng", "bit_generator": type(obj.bit_generator).__name__,
                        "state": encode(obj.bit_generator.state, _refuse)}
            if isinstance(obj, Recipe):
                return {"$": "fn", "module": obj.module, "name": obj.name, "args": encode(list(obj.args), other),
                        "kwargs": encode(obj.kwargs, other)}
            if isinstance(obj, np.ufunc) and getattr(np, obj.__name__, None) is obj:
                return {"$": "fn", "module": "numpy", "name": obj.__name__, "args": encode([], other),
                        "kwargs": encode({}, other)}
            raise ChannelError(f"a {type(obj).__name__} cannot be sent to the student's process: "
                               "pass plain data, a Remote, a numpy generator or a Recipe")
        return encode(x, other)

    def _decode(self, x: Any) -> Any:
        def other(d):
            if d.get("$") == "ref" and type(d.get("id")) is int:
                return Remote(self, d["id"], str(d.get("type", "object"))[:60])
            raise ChannelError(f"unknown tag {str(d.get('$'))[:20]!r}")
        return decode(x, other)

    def request(self, message: dict, whole: bool = False) -> Any:
        """Send one request (its values encoded here); the decoded value, or the student's
        exception raised here. With `whole`, the decoded reply (value, args, warnings, error)."""
        if self.process is None:
            if self.unusable:
                raise StudentGone(self.unusable)
            try:
                self._launch()
            except StudentTimeout:
                self.unusable = ("your answer cells did not finish running (an endless loop outside any "
                                 "function?), so none of your functions could be called")
                raise
            except StudentGone:
                self.unusable = ("running your answer cells ended the process that runs them (os._exit, a "
                                 "crash or running out of memory), so none of your functions could be called")
                raise
        encoded = {k: (self._encode(list(v) if k == "args" else v) if k in ("args", "kwargs", "value") else v)
                   for k, v in message.items()}
        reply = self._exchange(encoded, self.deadline)
        try:
            out = {k: self._decode(reply[k]) for k in ("value", "args", "kwargs") if k in reply}
            out["warnings"] = [str(w)[:300] for w in reply.get("warnings", [])][:50] \
                if isinstance(reply.get("warnings", []), list) else []
        except (ChannelError, ValueError, TypeError, RecursionError) as exc:
            self.close()
            raise StudentGone(f"a reply that is not plain data ({exc})") from None
        if "error" in reply:
            error = reply["error"] if isinstance(reply["error"], dict) else {}
            if whole:
                return {"error": _rebuilt(error), "warnings": out.get("warnings", [])}
            raise _rebuilt(error)
        if whole:
            return out
        return out.get("value")

    def lookup(self, name: str) -> Remote:
        """The object the student's cells bound to `name` (NameError if none)."""
        return self.request({"op": "lookup", "name": name})


def _refuse(obj: Any) -> dict:
    raise ChannelError(f"not plain data: {type(obj).__name__}")


# --- the student's side ---------------------------------------------------------------------

IPYTHON_SYNTAX = re.compile(r"^\s*(%|!)", re.M)       # magics and shell escapes (`%matplotlib inline`)


def as_python(source: str) -> str:
    """A cell's source as plain Python: IPython's magics and shell escapes become calls to
    `get_ipython()` (which the student's process provides), as the kernel would turn them."""
    if not IPYTHON_SYNTAX.search(source):
        return source
    from IPython.core.inputtransformer2 import TransformerManager
    return TransformerManager().transform_cell(source)


class _Shell:
    """`get_ipython()` in the student's process: line magics and shell commands do nothing (no
    score depends on them); the body of a timing or capturing cell magic runs as plain code."""

    RUN_BODY = {"time", "timeit", "capture", "prun"}

    def __init__(self, namespace: dict):
        self.namespace = namespace

    def run_cell_magic(self, name, _line, body):
        if name in self.RUN_BODY:
            exec(compile(as_python(body), "<your answer cell>", "exec"), self.namespace)

    def run_line_magic(self, *_args, **_kwargs):
        return None

    def system(self, *_args, **_kwargs):
        return None

    def getoutput(self, *_args, **_kwargs):
        return []


class _NoGrader:
    """An import hook: the grader package is not for students' code (a sandboxed autograde
    hides its files as well)."""

    def find_spec(self, name, path=None, target=None):
        if name == "grader" or name.startswith("grader."):
            raise ImportError("the grader is not available to your code")
        return None


class _CellTimeout(BaseException):
    pass


class _Server:
    def __init__(self, rfd: int, wfd: int, cell_timeout: float):
        self.rfd, self.wfd, self.cell_timeout = rfd, wfd, cell_timeout
        self.objects: dict[int, Any] = {}
        self.ids: dict[int, int] = {}
        self.namespace: dict = {"__name__": "__main__", "__builtins__": builtins}
        self.namespace["get_ipython"] = lambda: _Shell(self.namespace)

    # values
    def ref(self, obj: Any) -> dict:
        key = id(obj)
        if key not in self.ids:
            self.ids[key] = len(self.objects) + 1
            self.objects[self.ids[key]] = obj
        return {"$": "ref", "id": self.ids[key], "type": type(obj).__name__}

    def out(self, x: Any) -> Any:
        return encode(x, self.ref)

    def arg(self, x: Any) -> Any:
        def other(d):
            tag = d.get("$")
            if tag == "ref" and d.get("id") in self.objects:
                return self.objects[d["id"]]
            if tag == "rng":
                bit_generator = getattr(np.random, str(d.get("bit_generator")))()
                bit_generator.state = decode(d["state"], other)
                return np.random.Generator(bit_generator)
            if tag == "fn":
                recipe = Recipe(str(d["module"]), str(d["name"]), *decode(d["args"], other),
                                **decode(d["kwargs"], other))
                if not recipe.args and not recipe.kwargs:
                    return recipe.function()
                return recipe
            raise ChannelError(f"unknown tag {str(tag)[:20]!r}")
        return decode(x, other)

    # requests
    def handle(self, message: dict) -> dict:
        op = message.get("op")
        if op == "start":
            self.run_cells(message.get("setup", []) + message.get("answers", []))
            return {"value": None}
        if op == "lookup":
            name = str(message.get("name"))
            if name not in self.namespace:
                raise NameError(f"name '{name}' is not defined")
            return {"value": self.ref(self.namespace[name])}
        target = self.objects.get(message.get("target"))
        if op == "getattr":
            return {"value": self.out(getattr(target, str(message["name"])))}
        if op == "setattr":
            setattr(target, str(message["name"]), self.arg(message["value"]))
            return {"value": None}
        if op == "operator":
            args = self.arg(message["args"])
            return {"value": self.out(_OPS[str(message["name"])](*args))}
        if op == "call":
            from course.checks import invoke_here
            args, kwargs = self.arg(message["args"]), self.arg(message["kwargs"])
            done = invoke_here(target, tuple(args), kwargs)
            if done.error is not None:
                return {"error": self.error(done.error), "warnings": done.warnings}
            reply = {"value": self.out(done.result), "warnings": done.warnings}
            if message.get("watch"):
                reply["args"], reply["kwargs"] = self.out(done.args_after), self.out(done.kwargs_after)
            return reply
        raise ChannelError(f"unknown request {str(op)[:20]!r}")

    @staticmethod
    def error(exc: BaseException) -> dict:
        import traceback

        from course.checks import _students, unwritten
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if _students(f.filename)]
        name = getattr(exc, "unwritten", None) or unwritten(exc)     # invoke_here may have found it already
        return {"type": type(exc).__name__, "message": str(exc)[:2000], "unwritten": name,
                "traceback": [line.rstrip("\n") for line in traceback.format_list(frames)][-20:]}

    def run_cells(self, sources: list[str]) -> None:
        def alarm(_signum, _frame):
            raise _CellTimeout()
        signal.signal(signal.SIGALRM, alarm)
        for source in sources:
            signal.setitimer(signal.ITIMER_REAL, self.cell_timeout)
            try:
                exec(compile(as_python(source), "<your answer cell>", "exec"), self.namespace)
            except BaseException:  # noqa: B036 - a broken cell: the checks of its exercise say what is missing
                pass
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)

    def serve(self) -> None:
        while True:
            try:
                message = receive(self.rfd)
            except EOFError:
                return
            try:
                reply = self.handle(message)
            except BaseException as exc:  # noqa: B036 - whatever the student's code raised, as data
                reply = {"error": self.error(exc)}
            try:
                reply = {**reply, "seq": message.get("seq")}
                send(self.wfd, reply)
            except (ValueError, TypeError, ChannelError, RecursionError) as exc:
                send(self.wfd, {"seq": message.get("seq"), "error": {
                    "type": "TypeError", "message": f"the result cannot be sent to the grader: {exc}"}})


def _die_with_parent() -> None:
    """Linux: be killed when the checker ends (prctl PR_SET_PDEATHSIG), however it ends."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)
    except (OSError, AttributeError):
        pass


if __name__ == "__main__":       # the student's process: python -m course.channel READ_FD WRITE_FD CELL_SECONDS
    _read_fd, _write_fd, _cell_seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    _die_with_parent()
    sys.meta_path.insert(0, _NoGrader())
    for _name in [n for n in sys.modules if n == "grader" or n.startswith("grader.")]:
        del sys.modules[_name]
    os.environ["NBGRADER_EXECUTION"] = "autograde"
    os.environ["MPLBACKEND"] = "Agg"       # no screen; matplotlib is imported only if the cells do
    _Server(_read_fd, _write_fd, _cell_seconds).serve()
