"""Module: registration by attribute (also in lists, tuples, dicts), dotted names as labels, modes, zero_grad,
repr, state_dict round trips, strict-load errors that change nothing, atomic .npz saving without pickle."""

import os
import zipfile

import numpy as np
import pytest

import nn
from autograd import Tensor, Value


class TwoLayers(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense1 = nn.Dense(2, 3, "relu", rng=0)
        self.drop = nn.Dropout(0.5, rng=0)
        self.dense2 = nn.Dense(3, 1, rng=1)
        self.scale = Value(2.0)
        self.constant = Tensor([1.0, 2.0])  # no requires_grad: not a parameter
        self.extras = {"gain": Tensor([1.0], requires_grad=True)}
        self.pair = (Value(0.5), Value(-0.5))

    def forward(self, x):
        return self.dense2(self.drop(self.dense1(x))) * self.scale.data


def test_registration_names_and_labels():
    m = TwoLayers()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["dense1.W", "dense1.b", "dense2.W", "dense2.b", "scale", "extras.gain", "pair.0", "pair.1"]
    assert [p.label for p in m.parameters()] == names
    assert [n for n, _ in m.named_modules()] == ["", "dense1", "drop", "dense2"]
    assert list(m.children()) == [m.dense1, m.drop, m.dense2]
    assert m.num_parameters() == 9 + 4 + 1 + 1 + 2


def test_nested_labels_follow_the_outermost_assignment():
    outer = nn.Sequential(TwoLayers(), nn.ReLU())
    assert outer[0].dense1.W.label == "layers.0.dense1.W"


def test_shared_parameters_count_once():
    d = nn.Dense(2, 2, rng=0)
    model = nn.Sequential(d, nn.ReLU(), d)
    assert len(model.parameters()) == 2 and len(list(model.modules())) == 3


def test_train_eval_and_zero_grad():
    m = TwoLayers()
    assert m.training and m.drop.training
    assert m.eval() is m and not m.drop.training and not m.dense1.training
    m.train()
    assert m.drop.training
    out = m(np.ones((4, 2)))
    out.sum().backward()
    assert m.dense1.W.grad is not None
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters() if isinstance(p, Tensor))
    assert m.scale.grad == 0.0


def test_module_without_super_init_and_forward_missing():
    class Bare(nn.Module):
        def __init__(self):
            self.w = Value(1.0)

    b = Bare()
    assert b.training and [p.label for p in b.parameters()] == ["w"]
    with pytest.raises(NotImplementedError, match="Bare must define forward"):
        b(1.0)


def test_repr_tree_with_counts():
    text = repr(TwoLayers())
    assert text.splitlines() == [
        "TwoLayers()  # 17 parameters",
        "  (dense1): Dense(2 -> 3, activation=relu)  # 9 parameters",
        "  (drop): Dropout(p=0.5)",
        "  (dense2): Dense(3 -> 1, activation=linear)  # 4 parameters",
    ]


def test_state_dict_round_trip():
    a, b = TwoLayers(), TwoLayers()
    for p in b.parameters():
        p.data = p.data * 0 + 7 if isinstance(p, Tensor) else 7.0
    sd = a.state_dict()
    assert sd["scale"].shape == () and sd["scale"].dtype == np.float64
    sd["dense1.W"][:] = 99  # a copy: the model is untouched
    assert not np.any(a.dense1.W.data == 99)
    result = b.load_state_dict(a.state_dict())
    assert result.missing_keys == [] and result.unexpected_keys == []
    for (n1, p1), (n2, p2) in zip(a.named_parameters(), b.named_parameters()):
        assert n1 == n2 and np.array_equal(np.asarray(p1.data), np.asarray(p2.data))
    assert isinstance(b.scale.data, float)
    b.eval()
    a.eval()
    x = np.random.default_rng(0).standard_normal((3, 2))
    np.testing.assert_array_equal(a(x).data, b(x).data)


def test_strict_load_lists_every_problem_and_changes_nothing():
    m = TwoLayers()
    before = {k: v.copy() for k, v in m.state_dict().items()}
    sd = m.state_dict()
    del sd["dense2.b"]
    sd["dense1.W"] = np.zeros((3, 2))
    sd["dense1.b"] = np.ones(3) * 5  # a good entry must not be loaded either
    sd["bogus"] = np.zeros(1)
    with pytest.raises(nn.StateDictError) as e:
        m.load_state_dict(sd)
    msg = str(e.value)
    assert "nothing was loaded" in msg and "missing: dense2.b" in msg and "unexpected: bogus" in msg
    assert "wrong shape: dense1.W is (2, 3) in the model but (3, 2) in the state" in msg
    for k, v in m.state_dict().items():
        np.testing.assert_array_equal(v, before[k])


def test_non_strict_load_reports_and_still_rejects_shapes():
    m = TwoLayers()
    sd = {"dense1.b": np.full(3, 4.0), "other": np.zeros(2)}
    result = m.load_state_dict(sd, strict=False)
    assert m.dense1.b.data.tolist() == [4.0, 4.0, 4.0]
    assert "dense1.W" in result.missing_keys and result.unexpected_keys == ["other"]
    with pytest.raises(nn.StateDictError, match="wrong shape: dense1.b"):
        m.load_state_dict({"dense1.b": np.zeros(4)}, strict=False)
    with pytest.raises(nn.StateDictError, match="wrong type: dense1.b"):
        m.load_state_dict({"dense1.b": np.array(["a", "b", "c"])}, strict=False)


def test_load_keeps_the_parameter_dtype():
    d = nn.Dense(2, 2, rng=0, dtype=np.float32)
    d.load_state_dict({"W": np.ones((2, 2)), "b": np.zeros(2)})
    assert d.W.dtype == np.float32 and d.W.requires_grad


def test_save_and_load_npz_without_pickle(tmp_path):
    a, b = TwoLayers(), nn.Sequential()
    path = tmp_path / "model.npz"
    a.save(path)
    assert sorted(os.listdir(tmp_path)) == ["model.npz"]  # no temporary file left behind
    with np.load(path, allow_pickle=False) as data:  # a plain .npz that numpy reads without pickle
        assert "dense1.W" in data.files
        np.testing.assert_array_equal(data["dense1.W"], a.dense1.W.data)
    b = TwoLayers()
    b.load(path)
    np.testing.assert_array_equal(b.dense2.W.data, a.dense2.W.data)
    state = nn.load_state(str(path))
    assert set(state) == set(a.state_dict()) and state["pair.1"].shape == ()


def test_save_is_atomic(tmp_path, monkeypatch):
    """If writing fails half-way, the previous file is intact and no temporary file remains."""
    m = TwoLayers()
    path = tmp_path / "model.npz"
    m.save(path)
    good = path.read_bytes()

    real, calls = np.lib.format.write_array, []

    def broken(member, array, **kwargs):  # the first entry is written, the second fails half-way
        calls.append(1)
        if len(calls) == 2:
            member.write(b"\x93NUMPY")
            raise OSError("disk full")
        real(member, array, **kwargs)

    monkeypatch.setattr(np.lib.format, "write_array", broken)
    m.dense1.W.data[:] = 0
    with pytest.raises(OSError, match="disk full"):
        m.save(path)
    assert path.read_bytes() == good and os.listdir(tmp_path) == ["model.npz"]


def test_corrupt_and_foreign_files(tmp_path):
    m = TwoLayers()
    path = tmp_path / "model.npz"
    m.save(path)
    truncated = tmp_path / "truncated.npz"
    truncated.write_bytes(path.read_bytes()[:200])
    text = tmp_path / "notes.txt"
    text.write_text("hello, not a model")
    plain = tmp_path / "plain.npz"
    np.savez(plain, W=np.zeros(2))  # an .npz, but not one Module.save wrote
    npy = tmp_path / "array.npy"
    np.save(npy, np.zeros(3))
    pickled = tmp_path / "objects.npz"
    np.savez(pickled, x=np.array([{"a": 1}], dtype=object))
    for bad in (truncated, text, plain, npy):
        with pytest.raises(ValueError, match="is not a chainrule state file written by Module.save"):
            m.load(bad)
    with pytest.raises(ValueError, match="not a chainrule state file"):
        nn.load_state(pickled)
    with pytest.raises(FileNotFoundError):
        nn.load_state(tmp_path / "missing.npz")
    assert zipfile.is_zipfile(path)


def test_save_rejects_non_numeric_entries(tmp_path):
    with pytest.raises(TypeError, match="entry 'x' has dtype"):
        nn.save_state({"x": np.array(["a"])}, tmp_path / "s.npz")


def test_constants_are_not_parameters():
    from autograd import Constant

    class WithConstant(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = Value(1.0)
            self.c = Constant(3.0)  # a number that needs no gradient: never trained, never saved

    m = WithConstant()
    assert [n for n, _ in m.named_parameters()] == ["w"] and list(m.state_dict()) == ["w"]


def test_nested_containers_register_their_modules():
    class Blocks(nn.Module):
        def __init__(self):
            super().__init__()
            self.blocks = [[nn.Dense(2, 2, rng=0), nn.Dense(2, 2, rng=1)], [nn.Dense(2, 1, rng=2)]]
            self.heads = {"main": [nn.Dense(1, 1, rng=3)]}

    m = Blocks()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["blocks.0.0.W", "blocks.0.0.b", "blocks.0.1.W", "blocks.0.1.b", "blocks.1.0.W",
                     "blocks.1.0.b", "heads.main.0.W", "heads.main.0.b"]
    assert m.blocks[0][1].W.label == "blocks.0.1.W"
    m.eval()
    assert not m.heads["main"][0].training and len(list(m.modules())) == 5


def test_named_parameters_is_a_pure_walk_and_labels_follow_assignment():
    model = nn.Sequential(nn.Dense(2, 2, rng=0))
    extra = nn.Dense(2, 1, rng=1)
    model.layers.append(extra)  # the list changed in place: no __setattr__ saw it
    names = [n for n, _ in model.named_parameters()]
    assert names[-2:] == ["layers.1.W", "layers.1.b"]  # the walk finds it under its name ...
    assert extra.W.label == "W"  # ... and writes nothing
    model.layers = model.layers  # assignment labels
    assert extra.W.label == "layers.1.W"
    assert [n for n, _ in extra.named_parameters()] == ["W", "b"] and extra.W.label == "layers.1.W"
    other = nn.Sequential(nn.Dense(2, 2, rng=2))
    other.append(nn.Dense(2, 1, rng=3))  # Sequential.append assigns
    assert other[1].W.label == "layers.1.W"


def test_saved_file_has_the_usual_permissions(tmp_path):
    path = tmp_path / "m.npz"
    nn.Dense(2, 2, rng=0).save(path)
    mask = os.umask(0o022)
    os.umask(mask)
    assert os.stat(path).st_mode & 0o777 == 0o666 & ~mask  # not mkstemp's owner-only 0600


def test_format_entry_with_the_wrong_value(tmp_path):
    path = tmp_path / "odd.npz"
    np.savez(path, __chainrule_format__=np.array("other-v9"), W=np.ones(2))
    with pytest.raises(ValueError, match=r"format__' entry is array\('other-v9'.*not 'chainrule-state-v1'"):
        nn.load_state(path)
