"""Quick mode and the other environment switches (course_utils.config)."""

import numpy as np
import pytest

from course_utils import CourseValueError, pick, quick_mode, take
from course_utils.config import env_flag, work_dir


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_quick_mode_on(monkeypatch, value):
    monkeypatch.setenv("COURSE_QUICK", value)
    assert quick_mode() is True
    assert pick(full=10, quick=1) == 1


@pytest.mark.parametrize("value", ["0", "false", "no", "off", ""])
def test_quick_mode_off(monkeypatch, value):
    monkeypatch.setenv("COURSE_QUICK", value)
    assert quick_mode() is False
    assert pick(full=10, quick=1) == 10


def test_quick_mode_unset_is_full(monkeypatch):
    monkeypatch.delenv("COURSE_QUICK", raising=False)
    assert quick_mode() is False


def test_quick_mode_unclear_value_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "maybe")
    with pytest.raises(CourseValueError) as err:
        quick_mode()
    message = str(err.value)
    assert "COURSE_QUICK='maybe'" in message and "COURSE_QUICK=1" in message and "COURSE_QUICK=0" in message


def test_unclear_value_is_short_in_jupyter(monkeypatch):
    monkeypatch.setenv("COURSE_QUICK", "maybe")
    with pytest.raises(CourseValueError) as err:
        quick_mode()
    rendered = err.value._render_traceback_()
    assert len(rendered) == 1 and "maybe" in rendered[0]


def test_take_subsets_only_in_quick_mode(monkeypatch):
    x, y = np.arange(100).reshape(50, 2), np.arange(50)
    monkeypatch.setenv("COURSE_QUICK", "0")
    xs, ys = take(x, y, quick=7)
    assert xs is x and ys is y
    monkeypatch.setenv("COURSE_QUICK", "1")
    xs, ys = take(x, y, quick=7)
    assert len(xs) == len(ys) == 7 and (xs == x[:7]).all()
    assert len(take(y, quick=3)) == 3  # one array in, one array out


@pytest.mark.parametrize("quick", [0, -5, 2.5, True, "10"])
def test_take_rejects_bad_sizes(quick):
    with pytest.raises(CourseValueError, match="quick"):
        take(np.arange(5), quick=quick)


def test_take_rejects_mismatched_lengths():
    with pytest.raises(CourseValueError, match="different lengths"):
        take(np.arange(5), np.arange(6), quick=2)


def test_env_flag_default(monkeypatch):
    monkeypatch.delenv("COURSE_SOMETHING", raising=False)
    assert env_flag("COURSE_SOMETHING", default=True) is True


def test_work_dir_is_created_under_course_work_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_WORK_DIR", str(tmp_path / "w"))
    path = work_dir("logs/lenet")
    assert path.is_dir() and path == tmp_path / "w" / "logs" / "lenet"
