"""Layers: the lecture's perceptron, micrograd's Value MLP, Dense/Sequential/activation layers/Flatten; gradients
through every layer against finite differences."""

import numpy as np
import pytest
from fdcheck import check_parameters, check_tensor, check_values
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nn
from autograd import Tensor, Value, ops


def test_lecture_perceptron():
    p = nn.Perceptron(2, activation="sigmoid", w0=1.0, W=(3.0, -2.0))
    y = p([-1.0, 2.0])
    assert y.data == pytest.approx(0.0024726231566347743, rel=1e-12)  # g(1 + 3(-1) - 2(2)) = g(-6)
    assert round(y.data, 5) == 0.00247
    y.backward()
    s = y.data * (1 - y.data)
    assert p.w0.grad == pytest.approx(s) and p.W[0].grad == pytest.approx(-s) and p.W[1].grad == pytest.approx(2 * s)
    assert [v.label for v in p.parameters()] == ["w0", "W.0", "W.1"]
    assert y.parents[0].op is ops.WEIGHTED_SUM  # one node for the weighted sum


def test_perceptron_set_by_hand_and_random():
    p = nn.Perceptron(2, rng=0)
    assert p.w0.data == 0.0 and all(-1 <= w.data <= 1 for w in p.W)
    w0 = p.w0
    p.set_weights(1.0, [3.0, -2.0])
    assert p.w0 is w0 and p([-1, 2]).data == pytest.approx(0.0024726231566347743)
    p.W[0].data = 0.0
    assert p([-1, 2]).data == pytest.approx(1 / (1 + np.exp(3)))
    assert nn.Perceptron(2, activation="relu", w0=1.0, W=(3.0, -2.0))([-1, 2]).data == 0.0
    assert repr(p) == "Perceptron(2, activation=sigmoid)  # 3 parameters"
    with pytest.raises(ValueError, match="Perceptron: 2 inputs but 3 weights in W"):
        nn.Perceptron(2, W=(1.0, 2.0, 3.0))
    with pytest.raises(ValueError, match="Perceptron.set_weights: 2 inputs but 1 weights"):
        p.set_weights(0.0, [1.0])
    with pytest.raises(ValueError, match="Perceptron: expects 2 inputs, got 3"):
        p([1.0, 2.0, 3.0])


def test_value_mlp_structure_names_and_width_one():
    mlp = nn.MLP(2, [16, 16, 1], rng=0)
    assert mlp.num_parameters() == 337  # micrograd's 2-16-16-1
    names = [n for n, _ in mlp.named_parameters()]
    assert names[:3] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b"]
    assert names[-1] == "layers.2.neurons.0.b"
    assert all(p.label == n for n, p in mlp.named_parameters())
    out = mlp([0.5, -1.0])
    assert isinstance(out, Value)  # a width-1 last layer returns one Value
    assert isinstance(nn.Layer(2, 3, rng=0)([1.0, 2.0]), list)
    # hidden neurons are ReLU, the output neuron linear (micrograd)
    assert mlp.layers[0].neurons[0].activation == "relu" and mlp.layers[2].neurons[0].activation is None
    w = [v.data for v in mlp.parameters()]
    assert all(-1 <= x <= 1 for x in w)
    assert [v.data for v in nn.MLP(2, [16, 16, 1], rng=0).parameters()] == w  # repeatable from a seed
    assert "(0-15): 16 x Neuron(2, activation=relu)  # 3 parameters each" in repr(mlp)


def test_neuron_matches_its_formula():
    n = nn.Neuron(3, activation="tanh", rng=1)
    x = [0.5, -1.0, 2.0]
    z = sum(w.data * xi for w, xi in zip(n.w, x)) + n.b.data
    assert n(x).data == pytest.approx(np.tanh(z))


@given(hnp.arrays(np.float64, 3, elements=st.floats(-2, 2)), st.integers(0, 2**16))
def test_value_mlp_gradients_match_finite_differences(x, seed):
    mlp = nn.MLP(3, [4, 1], activation="tanh", rng=seed)
    check_values(lambda vs: mlp(vs), x.tolist())  # the inputs
    check_parameters(lambda: mlp(x.tolist()), mlp.parameters())  # every weight and bias
    p = nn.Perceptron(3, activation="sigmoid", rng=seed)
    check_parameters(lambda: p(x.tolist()), p.parameters())


def test_dense_computes_x_at_w_plus_b():
    d = nn.Dense(3, 2, rng=0)
    assert d.W.shape == (3, 2) and d.b.shape == (2,)
    assert np.all(d.b.data == 0)
    assert np.all(np.abs(d.W.data) <= np.sqrt(6 / 5))
    x = np.random.default_rng(0).standard_normal((4, 3))
    np.testing.assert_allclose(d(x).data, x @ d.W.data + d.b.data)
    d2 = nn.Dense(3, 2, activation="relu", bias=False, init="he_normal", rng=0)
    assert d2.b is None and [n for n, _ in d2.named_parameters()] == ["W"]
    np.testing.assert_allclose(d2(x).data, np.maximum(x @ d2.W.data, 0))
    d3 = nn.Dense(3, 2, init=lambda shape, rng: np.full(shape, 0.5), bias_init="ones")
    np.testing.assert_allclose(d3(np.ones((1, 3))).data, [[2.5, 2.5]])
    d4 = nn.Dense(3, 2, rng=0, dtype=np.float32)
    assert d4.W.dtype == np.float32 and d4(np.ones((2, 3), dtype=np.float32)).dtype == np.float32
    assert repr(d2) == "Dense(3 -> 2, activation=relu, bias=False)  # 6 parameters"


def test_dense_errors():
    d = nn.Dense(3, 2, rng=0)
    with pytest.raises(ValueError, match=r"Dense\(3 -> 2\): input of shape \(4, 5\) has 5 features"):
        d(np.ones((4, 5)))
    with pytest.raises(ValueError, match="unknown activation 'sigmoidal'"):
        nn.Dense(3, 2, activation="sigmoidal")
    with pytest.raises(ValueError, match="unknown initializer 'glorot'"):
        nn.Dense(3, 2, init="glorot")


def test_dense_seeds_and_generators():
    a, b = nn.Dense(4, 3, rng=5), nn.Dense(4, 3, rng=5)
    assert np.array_equal(a.W.data, b.W.data)
    gen = np.random.default_rng(5)
    c, d = nn.Dense(4, 3, rng=gen), nn.Dense(4, 3, rng=gen)
    assert not np.array_equal(c.W.data, d.W.data)


def test_sequential_names_labels_and_indexing():
    model = nn.Sequential(nn.Dense(2, 4, "relu", rng=0), nn.Dropout(0.5, rng=0), nn.Dense(4, 1, rng=1))
    assert [n for n, _ in model.named_parameters()] == ["layers.0.W", "layers.0.b", "layers.2.W", "layers.2.b"]
    assert [p.label for p in model.parameters()] == ["layers.0.W", "layers.0.b", "layers.2.W", "layers.2.b"]
    assert len(model) == 3 and isinstance(model[1], nn.Dropout) and list(model)[2] is model[2]
    model.append(nn.Sigmoid())
    assert len(model) == 4
    model.eval()
    x = np.random.default_rng(0).standard_normal((5, 2))
    h = np.maximum(x @ model[0].W.data + model[0].b.data, 0)
    expected = 1 / (1 + np.exp(-(h @ model[2].W.data + model[2].b.data)))
    np.testing.assert_allclose(model(x).data, expected)
    assert nn.Sequential([nn.ReLU(), nn.Tanh()])(Tensor([-1.0, 1.0])).data.tolist() == [0.0, np.tanh(1.0)]
    with pytest.raises(TypeError, match="Sequential: layer 1 is a int"):
        nn.Sequential(nn.ReLU(), 3)


def test_activation_layers_and_flatten():
    x = Tensor([[-1.0, 0.0, 2.0]])
    assert nn.ReLU()(x).data.tolist() == [[0.0, 0.0, 2.0]]
    assert nn.LeakyReLU()(x).data.tolist() == [[-0.01, 0.0, 2.0]]
    assert nn.LeakyReLU(0.2)(x).data.tolist() == [[-0.2, 0.0, 2.0]]
    np.testing.assert_allclose(nn.Sigmoid()(x).data, 1 / (1 + np.exp(-x.data)))
    np.testing.assert_allclose(nn.Tanh()(x).data, np.tanh(x.data))
    np.testing.assert_allclose(nn.Softplus()(x).data, np.log1p(np.exp(x.data)))
    np.testing.assert_allclose(nn.Softmax()(x).data.sum(), 1.0)
    np.testing.assert_allclose(nn.Softmax(axis=0)(x).data, np.ones((1, 3)))
    assert nn.Identity()(x) is x
    assert nn.ReLU()(Value(-2.0)).data == 0.0 and nn.Tanh()([Value(0.0)])[0].data == 0.0
    assert nn.ReLU()([[-1.0, 1.0]]).data.tolist() == [[0.0, 1.0]]
    assert nn.Flatten()(Tensor(np.zeros((2, 3, 4)))).shape == (2, 12)
    with pytest.raises(ValueError, match="Flatten: needs at least a batch axis"):
        nn.Flatten()(Tensor(1.0))
    assert repr(nn.LeakyReLU()) == "LeakyReLU(negative_slope=0.01)"


batches = hnp.arrays(np.float64, st.tuples(st.integers(1, 3), st.just(3)), elements=st.floats(-2, 2))


@given(batches, st.integers(0, 2**16))
def test_dense_stack_gradients_match_finite_differences(x, seed):
    """Through Dense (tanh, sigmoid, softplus, leaky relu), Softmax, Flatten: inputs and parameters."""
    model = nn.Sequential(nn.Dense(3, 4, "tanh", rng=seed), nn.Dense(4, 4, rng=seed + 1), nn.Sigmoid(),
                          nn.Dense(4, 3, "softplus", rng=seed + 2), nn.LeakyReLU(0.3), nn.Softmax(), nn.Flatten())
    check_tensor(model, x)
    check_parameters(lambda: model(x), model.parameters())


@given(batches)
def test_dropout_layer_gradient_with_a_fixed_mask(x):
    def build(t):
        return nn.Dropout(0.4, rng=11)(t) * 3.0  # a fresh layer with the same seed: the same mask each call

    check_tensor(build, x)


def test_flatten_axes_and_an_empty_batch():
    assert nn.Flatten()(np.ones((0, 3, 4))).shape == (0, 12)
    assert nn.Flatten()(np.ones(5)).shape == (5, 1)
    assert nn.Flatten(1, 2)(np.ones((2, 3, 4, 5))).shape == (2, 12, 5)
    assert nn.Flatten(0)(np.ones((2, 3))).shape == (6,)
    assert repr(nn.Flatten(0, -2)) == "Flatten(start_dim=0, end_dim=-2)"
    with pytest.raises(ValueError, match=r"Flatten\(start_dim=2, end_dim=-1\): no such axes in an input of shape "
                                         r"\(2, 3\)"):
        nn.Flatten(2)(np.ones((2, 3)))


def test_sequential_slices_and_replacement():
    model = nn.Sequential(nn.Dense(2, 3, rng=0), nn.ReLU(), nn.Dense(3, 1, rng=1))
    tail = model[1:]
    assert isinstance(tail, nn.Sequential) and len(tail) == 2 and tail[1] is model[2]
    model[2] = nn.Dense(3, 4, rng=2)
    assert model[2].W.label == "layers.2.W" and model(np.ones((1, 2))).shape == (1, 4)


def test_activation_given_as_a_layer_class():
    d = nn.Dense(2, 2, activation=nn.ReLU, rng=0)
    assert np.all(d(np.array([[-5.0, -5.0], [5.0, 5.0]])).data >= 0)


def test_micrograds_neuron_list_is_neuron_layer_and_layer_is_its_alias():
    assert nn.Layer is nn.NeuronLayer and "nn.Layer" in nn.NeuronLayer.__doc__
    mlp = nn.MLP(2, [3, 1], rng=0)
    assert all(type(layer) is nn.NeuronLayer for layer in mlp.layers)
    assert "(0): NeuronLayer(2 -> 3, activation=relu)" in repr(mlp)
    assert not issubclass(nn.Dense, nn.NeuronLayer)  # not a base class of layers, as Keras's Layer is
