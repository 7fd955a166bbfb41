"""grader.solutions.layers (released beside notebook 05 as layers.py): the layers' gradients are right, freezing holds, models round-trip through files,
and the shipped pretrained base is what its record says."""
import json

import numpy as np
import pytest

from course import xray
from course.gradcheck import relative_error
from grader.solutions import layers as nn
from grader.solutions.backprop_by_hand import numerical_gradient
from grader.solutions.loss_functions import binary_cross_entropy, binary_cross_entropy_grad


def small_model(rng):
    return nn.Sequential([nn.Dense(5, 4, rng), nn.ReLU(), nn.Dense(4, 3, rng), nn.Sigmoid(), nn.Dense(3, 1, rng),
                          nn.Sigmoid()])


def test_sequential_backward_matches_numerical_gradients():
    rng = np.random.default_rng(0)
    model = small_model(rng)
    X, y = rng.normal(size=(6, 5)), (rng.random((6, 1)) < 0.5).astype(float)
    p = model.forward(X)
    model.backward(binary_cross_entropy_grad(y, p))
    for i, layer in enumerate(model.layers):
        for name, value in layer.params.items():
            def loss(v, layer=layer, name=name):
                saved = layer.params[name]
                layer.params[name] = v
                out = binary_cross_entropy(y, model.forward(X))
                layer.params[name] = saved
                return out
            assert relative_error(layer.grads[name], numerical_gradient(loss, value)) < 1e-6, (i, name)


def test_parameters_lists_only_trainable_layers_and_freeze_unfreeze():
    model = small_model(np.random.default_rng(1))
    assert [k for k, _, _ in model.parameters()] == ["0.W", "0.b", "2.W", "2.b", "4.W", "4.b"]
    model.layers[0].trainable = False
    assert [k for k, _, _ in model.parameters()] == ["2.W", "2.b", "4.W", "4.b"]
    assert model.freeze().parameters() == []
    assert len(model.unfreeze().parameters()) == 6


def test_save_and_load_round_trip(tmp_path):
    model = small_model(np.random.default_rng(2))
    path = tmp_path / "m.npz"
    model.save(path)
    loaded = nn.load_model(path)
    X = np.random.default_rng(3).normal(size=(4, 5))
    assert np.array_equal(loaded.forward(X), model.forward(X))
    assert [type(layer) for layer in loaded.layers] == [type(layer) for layer in model.layers]


def test_copy_is_independent():
    model = small_model(np.random.default_rng(4))
    model.layers[0].trainable = False
    clone = model.copy()
    clone.layers[2].params["W"][0, 0] += 1.0
    assert model.layers[2].params["W"][0, 0] != clone.layers[2].params["W"][0, 0]
    assert clone.layers[0].trainable is False


@pytest.mark.parametrize("content", [b"not a zip", None])
def test_a_file_that_is_not_a_model_is_refused_clearly(tmp_path, content):
    path = tmp_path / "bad.npz"
    if content is None:
        np.savez(path, something=np.zeros(3))
    else:
        path.write_bytes(content)
    with pytest.raises(ValueError, match="not a model saved by Sequential.save"):
        nn.load_model(path)


def test_a_file_whose_weights_do_not_fit_its_architecture_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    small_model(np.random.default_rng(5)).save(path)
    with np.load(path) as f:
        arrays = dict(f)
    arrays["0.W"] = np.zeros((2, 2))
    np.savez(path, **arrays)
    with pytest.raises(ValueError, match="has shape"):
        nn.load_model(path)


def test_the_shipped_base_loads_and_scores_as_recorded():
    from pathlib import Path
    from tools.pretrain_base import test_accuracy
    assets = xray.BASE_FILE.parent
    record = json.loads((assets / "xray_base.json").read_text())
    assert record["seed"] == 0 and record["command"] == "python tools/pretrain_base.py"
    classifier = nn.load_model(assets / record["file"])
    assert test_accuracy(classifier) == pytest.approx(record["test_accuracy_4_classes"], abs=5e-5)
    assert [layer.spec() for layer in nn.load_base().layers] == [
        {"type": "Dense", "d_in": 256, "d_out": 64}, {"type": "ReLU"}, {"type": "Dense", "d_in": 64, "d_out": 32},
        {"type": "ReLU"}]
    assert (assets / record["file"]).stat().st_size < 200_000


def test_the_base_check_fails_when_the_accuracy_strays_or_a_lesson_breaks(monkeypatch):
    """tools/pretrain_base.py --check can say no: an accuracy outside the tolerance, or
    notebook 05's comparison coming out otherwise (here: head only no better than scratch)."""
    from tools import pretrain_base as pb
    as_taught = {"scratch": [0.80] * 5, "head_only": [0.82] * 5, "fine_tune": [0.837] * 5,
                 "all_at_once": [0.837] * 5, "fine_tune at lr 0.1": [0.48, 0.52, 0.5, 0.7, 0.48],
                 "all_at_once at lr 0.1": [0.48] * 5}
    head_no_better = {**as_taught, "head_only": [0.80] * 5}
    record = json.loads((pb.ASSETS / "xray_base.json").read_text())["test_accuracy_4_classes"]
    shipped = nn.load_model(pb.ASSETS / "xray_base.npz")
    for results, accuracy, good in [(as_taught, record - 0.9 * pb.ACCURACY_TOLERANCE, True),
                                    (as_taught, record - 1.1 * pb.ACCURACY_TOLERANCE, False),
                                    (head_no_better, record, False)]:
        monkeypatch.setattr(pb, "lessons", lambda base, results=results: results)
        said = []
        assert pb.check(shipped, accuracy, out=said.append) is good
        assert said[-1].startswith("CHECKED" if good else "NOT AS GOOD")


@pytest.mark.slow
def test_rerunning_the_pretraining_script_gives_an_equally_good_base(capsys):
    """Anyone can rebuild an equally good base: a re-run's test accuracy is within the stated
    tolerance of the recorded one and notebook 05's lessons hold with the rebuilt base. The
    weights themselves differ between CPUs and BLAS kernels, so they are not compared."""
    from tools.pretrain_base import main
    status = main(["--check"])
    out = capsys.readouterr().out
    print(out)
    assert status == 0 and "CHECKED: the rebuilt base is as good as the shipped one" in out, out
