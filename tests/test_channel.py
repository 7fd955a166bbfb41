"""course.channel: only plain data crosses between the checker and the student's process."""
import os
import struct
import time

import numpy as np
import pytest

from course.channel import (ChannelError, Recipe, Remote, Student, StudentGone, StudentTimeout, decode, encode,
                            receive, send)
from course.checks import CheckFailed, call


def _plain(x):
    return decode(encode(x, _refuse), _refuse)


def _refuse(x):
    raise ChannelError(repr(x))


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, float("nan"), float("inf"), "text", 1 + 2j,
    np.arange(6, dtype=np.int32).reshape(2, 3), np.ones((0, 4)), np.array(2.5), np.float64(0.25), np.int64(7),
    np.array([True, False]), [1, (2.0, "a")], {"W": np.eye(2), 3: [None]}, np.arange(12.0).reshape(3, 4)[:, ::2],
])
def test_plain_data_crosses_unchanged(value):
    back = _plain(value)
    assert type(back) is type(value)
    if isinstance(value, (np.ndarray, np.generic)):
        assert back.dtype == value.dtype and back.shape == value.shape
        assert np.array_equal(back, value)
    elif isinstance(value, float) and np.isnan(value):
        assert np.isnan(back)
    elif not isinstance(value, dict):
        assert back == value


@pytest.mark.parametrize("value", [np.array([object()]), object(), lambda: 1, {1, 2}, b"bytes"])
def test_anything_else_needs_an_explicit_encoding(value):
    with pytest.raises(ChannelError):
        encode(value, _refuse)


@pytest.mark.parametrize("data", [
    {"$": "nd", "dtype": "|O", "shape": [1], "b64": ""},                     # an object array
    {"$": "nd", "dtype": "<f8", "shape": [3], "b64": "AAAA"},                # bytes that do not fit the shape
    {"$": "nd", "dtype": "<f8", "shape": [-1], "b64": ""},
    {"$": "pickle", "v": "gASV"},                                            # an unknown tag
    {"$": "dict", "k": [{"$": "list", "v": []}], "v": [1]},                  # an unhashable key
])
def test_malformed_or_foreign_data_is_refused(data):
    with pytest.raises((ChannelError, ValueError)):
        decode(data, lambda d: (_ for _ in ()).throw(ChannelError("tag")))


def test_frames_are_length_prefixed_and_bounded():
    r, w = os.pipe()
    send(w, {"a": [1, 2]})
    assert receive(r, time.monotonic() + 5) == {"a": [1, 2]}
    os.write(w, struct.pack(">I", 2 ** 31))
    with pytest.raises(ChannelError):
        receive(r, time.monotonic() + 5)
    os.close(w)
    with pytest.raises(EOFError):
        receive(r, time.monotonic() + 5)


def test_a_recipe_names_course_or_numpy_code_only():
    assert Recipe("course.functions", "tanh_of_linear", A=np.eye(2))(np.ones(2)) == pytest.approx(2 * np.tanh(1))
    with pytest.raises(ValueError):
        Recipe("os", "system", "true")


ANSWERS = ["""
import numpy as np
class Node:
    def __init__(self, data):
        self.data, self.grad = data, 0.0
    def __add__(self, other):
        return Node(self.data + (other.data if isinstance(other, Node) else other))
    __radd__ = __add__
def double(x):
    x *= 2          # in place
    return x
def draw(rng):
    return rng.normal(size=3)
def numerical(f, x):
    return f(x)
def loop():
    while True:
        pass
def boom():
    raise KeyError("k")
"""]


@pytest.fixture(scope="module")
def student():
    with Student(["import numpy as np"], ANSWERS) as s:
        s.deadline = None
        yield s


def test_objects_stay_in_the_students_process_and_are_reached_by_reference(student):
    Node = student.lookup("Node")
    a = Node(2.0)
    assert isinstance(a, Remote) and a.remote_type == "Node"
    b = 1.5 + a                                  # the student's __radd__, in the student's process
    assert b.data == 3.5 and a.grad == 0.0
    a.grad = 4.0
    assert a.grad == 4.0
    assert a == a and a != b


def test_call_judges_in_place_changes_from_the_data_sent_back(student):
    with pytest.raises(CheckFailed, match="was changed by the call"):
        call(student.lookup("double"), np.ones(3), what="double(x)")


def test_generators_and_recipes_are_rebuilt_there(student):
    got = student.lookup("draw")(np.random.default_rng(5))
    assert np.array_equal(got, np.random.default_rng(5).normal(size=3))
    f = Recipe("course.functions", "cubic_plus_sine")
    assert student.lookup("numerical")(f, np.ones(2)) == pytest.approx(f(np.ones(2)))


def test_the_students_exceptions_arrive_as_data(student):
    with pytest.raises(KeyError):
        student.lookup("boom")()
    with pytest.raises(NameError):
        student.lookup("nothing_of_that_name")


def test_pictures_a_students_cells_draw_go_to_no_screen(monkeypatch):
    # whatever backend the grader's environment names (here one that cannot load), a cell that
    # draws uses Agg
    monkeypatch.setenv("MPLBACKEND", "module://no_such_backend")
    cells = "import matplotlib.pyplot as plt\nplt.plot([1, 2])\nBACKEND = plt.get_backend()"
    with Student(["import numpy as np"], [cells]) as s:
        s.deadline = None
        assert s.lookup("BACKEND").lower() == "agg"


def test_a_call_past_its_deadline_kills_the_process_which_starts_again():
    with Student(["import numpy as np"], ANSWERS) as s:
        loop = s.lookup("loop")
        pid = s.process.pid
        s.deadline = time.monotonic() + 2
        with pytest.raises(StudentTimeout):
            loop()
        assert s.process is None
        with pytest.raises(ProcessLookupError):
            os.killpg(pid, 0)                    # the whole group is gone
        s.deadline = None
        assert s.lookup("double")(np.ones(2)).tolist() == [2.0, 2.0]
        assert s.starts == 2


def test_a_process_that_breaks_the_protocol_is_gone():
    with Student([], ["import os\nos.write(int(__import__('sys').argv[2]), b'\\xff\\xff\\xff\\xff')"]) as s:
        with pytest.raises(StudentGone):
            s.lookup("os")
