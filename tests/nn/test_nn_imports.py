"""`import nn` stays light: plotting, progress bars and scikit-learn load on first use (PEP 562 lazy attributes);
the old import paths keep working."""

import subprocess
import sys

import pytest

HEAVY = ("matplotlib", "tqdm", "sklearn", "graphviz", "IPython", "ipywidgets", "scipy")


def modules_after(statement: str) -> set[str]:
    code = f"{statement}; import sys; print(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    return set(done.stdout.split())


def test_import_nn_loads_no_plotting_progress_or_sklearn():
    loaded = modules_after("import nn")
    assert not {m for m in loaded if m.split(".")[0] in ("matplotlib", "tqdm", "sklearn")}
    assert "nn.plot" not in loaded and "nn.demo" not in loaded


def test_import_nn_adds_no_heavy_module_to_what_autograd_loads():
    """Whatever heavy module `import nn` loads comes from `import autograd` alone (that is autograd's to keep light)."""
    extra = modules_after("import nn") - modules_after("import autograd")
    assert not {m for m in extra if m.split(".")[0] in HEAVY}, sorted(extra)


def test_plot_is_a_lazy_attribute():
    pytest.importorskip("matplotlib")
    loaded = modules_after("import nn; nn.plot.plot_history")
    assert "nn.plot" in loaded
    code = "import nn; assert 'plot' in dir(nn) and 'plot' in nn.__all__; from nn import plot; assert plot is nn.plot"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    with pytest.raises(AttributeError, match="module 'nn' has no attribute 'plott'"):
        import nn

        nn.plott  # noqa: B018


def test_old_import_paths_keep_working():
    import nn
    from nn.train import (  # noqa: F401
        LOSSES,
        METRICS,
        OPTIMIZERS,
        Accuracy,
        Callback,
        EarlyStopping,
        History,
        LambdaCallback,
        Trainer,
        get_loss,
        get_metric,
        mae,
        mse,
    )

    assert EarlyStopping is nn.callbacks.EarlyStopping is nn.EarlyStopping
    assert Accuracy is nn.metrics.Accuracy and get_loss is nn.functional.get_loss
    assert nn.Layer is nn.NeuronLayer
