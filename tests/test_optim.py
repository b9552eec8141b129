"""Optimizers and schedules: PyTorch as the oracle, closed forms, bad inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

import dnnlib as dl
from dnnlib import optim
from dnnlib.layers import Parameter
from dnnlib.optim import (
    SGD,
    Adam,
    AdamW,
    Constant,
    CosineAnnealing,
    Exponential,
    LinearWarmup,
    RMSProp,
    StepLR,
)
from tests.conftest import assert_namespace

SHAPES = [(3, 4), (4,), (2, 2)]
STEPS = 20


def _host_setup(seed: int = 0):
    g = np.random.default_rng(seed)
    init = [g.normal(size=s) for s in SHAPES]
    grads = [[g.normal(size=s) for s in SHAPES] for _ in range(STEPS)]
    return init, grads


def _run_ours(cls, kwargs, init, grads):
    params = [Parameter(dl.backend.asarray(w.copy(), dtype=dl.backend.xp().float64), f"p{i}")
              for i, w in enumerate(init)]
    opt = cls(params, **kwargs)
    for step in grads:
        for p, gr in zip(params, step, strict=True):
            p.grad[...] = dl.backend.asarray(gr, like=p.data)
        opt.step()
    return params, opt


def _run_torch(name, kwargs, init, grads):
    torch = pytest.importorskip("torch")
    params = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in init]
    opt = getattr(torch.optim, name)(params, **kwargs)
    for step in grads:
        for p, gr in zip(params, step, strict=True):
            p.grad = torch.tensor(gr, dtype=torch.float64)
        opt.step()
    return [p.detach().numpy() for p in params]


TORCH_CASES = [
    pytest.param(SGD, "SGD", dict(lr=0.1), id="sgd"),
    pytest.param(SGD, "SGD", dict(lr=0.05, weight_decay=0.1), id="sgd-wd"),
    pytest.param(SGD, "SGD", dict(lr=0.05, momentum=0.9), id="sgd-momentum"),
    pytest.param(SGD, "SGD", dict(lr=0.05, momentum=0.9, dampening=0.3, weight_decay=0.01),
                 id="sgd-dampening-wd"),
    pytest.param(SGD, "SGD", dict(lr=0.05, momentum=0.8, nesterov=True), id="sgd-nesterov"),
    pytest.param(SGD, "SGD", dict(lr=0.05, momentum=0.8, nesterov=True, weight_decay=0.05),
                 id="sgd-nesterov-wd"),
    pytest.param(RMSProp, "RMSprop", dict(lr=0.01), id="rmsprop"),
    pytest.param(RMSProp, "RMSprop", dict(lr=0.01, alpha=0.9, eps=1e-6, weight_decay=0.1),
                 id="rmsprop-wd"),
    pytest.param(RMSProp, "RMSprop", dict(lr=0.01, momentum=0.9), id="rmsprop-momentum"),
    pytest.param(Adam, "Adam", dict(lr=0.01), id="adam"),
    pytest.param(Adam, "Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1),
                 id="adam-wd"),
    pytest.param(AdamW, "AdamW", dict(lr=0.01), id="adamw"),
    pytest.param(AdamW, "AdamW", dict(lr=0.02, betas=(0.5, 0.9), weight_decay=0.3),
                 id="adamw-wd"),
]


@pytest.mark.parametrize("cls, torch_name, kwargs", TORCH_CASES)
def test_matches_torch_over_20_steps(cls, torch_name, kwargs, xp):
    init, grads = _host_setup()
    ours, _ = _run_ours(cls, kwargs, init, grads)
    theirs = _run_torch(torch_name, kwargs, init, grads)
    for p, t in zip(ours, theirs, strict=True):
        assert_namespace(p.data, xp)
        np.testing.assert_allclose(dl.to_numpy(p.data), t, rtol=0, atol=1e-10)


@pytest.mark.parametrize("cls, torch_name, kwargs", TORCH_CASES)
def test_numpy_kernel_equals_the_readable_rule(cls, torch_name, kwargs, monkeypatch):
    """``_sgd_inplace`` & co. (what ``step`` runs on NumPy) against ``update`` (the rule the
    book prints, what CuPy runs): 20 steps in float64 agree to 1e-12, and the strict
    backend (which can only run the rule) gives the rule's numbers."""
    init, grads = _host_setup(1)
    fast, fast_opt = _run_ours(cls, kwargs, init, grads)
    monkeypatch.setattr(optim, "_NUMPY_FAST_PATH", False)
    rule, rule_opt = _run_ours(cls, kwargs, init, grads)
    with dl.use_backend("array_api_strict"):
        strict, _ = _run_ours(cls, kwargs, init, grads)
    for a, b, c in zip(fast, rule, strict, strict=True):
        np.testing.assert_allclose(a.data, b.data, rtol=1e-12, atol=0)
        np.testing.assert_array_equal(b.data, dl.to_numpy(c.data))
    for sa, sb in zip(fast_opt.state, rule_opt.state, strict=True):
        for name in sa:
            np.testing.assert_allclose(sa[name], sb[name], rtol=1e-12, atol=0)


def test_the_kernel_is_what_numpy_runs(monkeypatch):
    """The fast path really is taken on NumPy (a broken kernel changes the result)."""
    init, grads = _host_setup(1)
    good, _ = _run_ours(Adam, dict(lr=0.01), init, grads)
    monkeypatch.setattr(optim, "_adam_inplace", lambda theta, *a, **k: theta.__isub__(1.0))
    bad, _ = _run_ours(Adam, dict(lr=0.01), init, grads)
    assert not np.allclose(good[0].data, bad[0].data)


def test_rmsprop_alias_and_defaults():
    assert optim.RMSprop is RMSProp
    p = Parameter(np.zeros(2), "w")
    assert RMSProp([p]).lr == 1e-2 and Adam([p]).lr == 1e-3
    assert AdamW([p]).weight_decay == 1e-2 and Adam([p]).betas == (0.9, 0.999)


def test_step_is_in_place_and_keeps_dtype(xp):
    w = Parameter(dl.backend.asarray(np.ones((3, 2)), dtype=xp.float32), "W")
    before = w.data
    opt = Adam([w], lr=0.1)
    bufs = [opt.state[0]["exp_avg"], opt.state[0]["exp_avg_sq"]]
    w.grad[...] = 1.0
    opt.step()
    opt.step()
    assert w.data is before and w.data.dtype == xp.float32
    assert opt.state[0]["exp_avg"] is bufs[0] and opt.state[0]["exp_avg_sq"] is bufs[1]
    assert_namespace(w.data, xp)
    assert np.all(dl.to_numpy(w.data) < 1)


def test_numpy_step_allocates_no_parameter_sized_temporary():
    tracemalloc = pytest.importorskip("tracemalloc")
    w = Parameter(np.zeros((256, 256)), "W")  # 512 KiB in float64
    opt = Adam([w], lr=1e-3, weight_decay=0.1)
    w.grad[...] = 1.0
    opt.step()  # the scratch arrays are allocated here, once
    tracemalloc.start()
    for _ in range(3):
        opt.step()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 64 * 1024


def test_zero_grad_and_lr_setter():
    w = Parameter(np.ones(3), "w")
    opt = SGD([w], lr=0.1)
    w.grad[...] = 2.0
    opt.zero_grad()
    assert np.all(w.grad == 0)
    opt.lr = 0.0  # a schedule may end at 0
    assert opt.lr == 0.0
    with pytest.raises(ValueError, match="lr"):
        opt.lr = -1.0


def test_accepts_a_model_like_object():
    class Holder:
        params = [Parameter(np.ones(2), "w")]

    assert len(SGD(Holder(), lr=0.1).params) == 1


@pytest.mark.parametrize("cls, kwargs", [
    (SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    (RMSProp, dict(lr=0.01, momentum=0.5)),
    (Adam, dict(lr=0.01)),
    (AdamW, dict(lr=0.01)),
])
def test_state_dict_round_trip_continues_identically(cls, kwargs, xp):
    init, grads = _host_setup(2)
    # uninterrupted run
    full, _ = _run_ours(cls, kwargs, init, grads)
    # run 10 steps, snapshot through NumPy, continue in a fresh optimizer
    half, opt = _run_ours(cls, kwargs, init, grads[:10])
    sd = {k: (dl.to_numpy(v) if dl.backend.is_array(v) else v)
          for k, v in opt.state_dict().items()}
    assert sd["type"] == cls.__name__ and sd["step_count"] == 10
    params2 = [Parameter(dl.backend.asarray(dl.to_numpy(p.data)), p.name) for p in half]
    opt2 = cls(params2, lr=123.0)
    opt2.load_state_dict(sd)
    assert opt2.lr == kwargs["lr"]
    for step in grads[10:]:
        for p, gr in zip(params2, step, strict=True):
            p.grad[...] = dl.backend.asarray(gr, like=p.data)
        opt2.step()
    for a, b in zip(full, params2, strict=True):
        np.testing.assert_array_equal(dl.to_numpy(a.data), dl.to_numpy(b.data))


def test_state_dict_returns_copies():
    w = Parameter(np.ones(2), "w")
    opt = Adam([w], lr=0.1)
    w.grad[...] = 1.0
    opt.step()
    sd = opt.state_dict()
    opt.step()
    assert not np.array_equal(sd["state.0.exp_avg"], opt.state[0]["exp_avg"])


@pytest.mark.parametrize("mutate, match", [
    (lambda sd: sd.update(type="SGD"), "for SGD"),
    (lambda sd: sd.pop("state.0.exp_avg"), "missing"),
    (lambda sd: sd.update({"state.0.exp_avg": np.zeros(5)}), "shape"),
    (lambda sd: sd.pop("betas"), "betas"),
])
def test_load_state_dict_mismatch_leaves_optimizer_unchanged(mutate, match):
    w = Parameter(np.ones(2), "w")
    opt = Adam([w], lr=0.1)
    sd = opt.state_dict()
    mutate(sd)
    opt2 = Adam([Parameter(np.ones(2), "w")], lr=0.5)
    with pytest.raises(ValueError, match=match):
        opt2.load_state_dict(sd)
    assert opt2.lr == 0.5 and opt2.step_count == 0


# --------------------------------------------------------------------------- schedules
def test_schedules_closed_forms():
    assert [Constant(0.3)(t) for t in (0, 7)] == [0.3, 0.3]
    s = StepLR(0.1, step_size=3, gamma=0.5)
    assert [s(t) for t in range(7)] == pytest.approx([0.1] * 3 + [0.05] * 3 + [0.025])
    e = Exponential(2.0, gamma=0.9)
    assert all(e(t) == pytest.approx(2.0 * 0.9**t, rel=1e-15) for t in range(50))
    c = CosineAnnealing(1.0, T_max=8, eta_min=0.1)
    for t in range(20):
        want = 0.1 + 0.9 * (1 + math.cos(math.pi * min(t, 8) / 8)) / 2
        assert c(t) == pytest.approx(want, rel=1e-15)
    w = LinearWarmup(Exponential(1.0, 0.5), warmup_steps=2, start_factor=0.5)
    assert [w(t) for t in range(4)] == pytest.approx([0.5, 0.375, 0.25, 0.125])
    assert LinearWarmup(lambda t: 1.0, 1)(0) == pytest.approx(0.1)


def _torch_lrs(make_sched, steps, lr=1.0):
    torch = pytest.importorskip("torch")
    p = torch.zeros(1, requires_grad=True)
    opt = torch.optim.SGD([p], lr=lr)
    sched = make_sched(torch.optim.lr_scheduler, opt)
    out = []
    for _ in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


@pytest.mark.parametrize("ours, theirs, steps", [
    (StepLR(0.5, 4, 0.3), lambda S, o: S.StepLR(o, step_size=4, gamma=0.3), 30),
    (Exponential(0.5, 0.93), lambda S, o: S.ExponentialLR(o, gamma=0.93), 40),
    (CosineAnnealing(0.5, 25, 0.01), lambda S, o: S.CosineAnnealingLR(o, 25, 0.01), 26),
    (LinearWarmup(0.5, 7, 0.2),
     lambda S, o: S.LinearLR(o, start_factor=0.2, end_factor=1.0, total_iters=7), 20),
    (LinearWarmup(Exponential(0.5, 0.9), 5, 0.25),
     lambda S, o: S.ChainedScheduler([S.LinearLR(o, 0.25, 1.0, 5), S.ExponentialLR(o, 0.9)]),
     20),
], ids=["step", "exponential", "cosine", "warmup", "warmup-exponential"])
def test_schedules_match_torch(ours, theirs, steps):
    want = _torch_lrs(theirs, steps, lr=0.5)
    np.testing.assert_allclose([ours(t) for t in range(steps)], want, rtol=1e-12)


# --------------------------------------------------------------------------- lr_find
def test_lr_find_restores_model_and_optimizer(xp):
    from dnnlib.layers import Dense
    from dnnlib.losses import MSE
    from dnnlib.model import Sequential

    g = np.random.default_rng(0)
    X = dl.backend.asarray(g.normal(size=(256, 4)))
    y = X[:, :1] * 2.0
    model = Sequential(Dense(4, 8, rng=0), Dense(8, 1, rng=1))
    opt = Adam(model.params, lr=0.01)
    before = {k: dl.to_numpy(v).copy() for k, v in model.state_dict().items()}
    res = optim.lr_find(model, MSE(), opt, X, y, num_steps=60, batch_size=32, rng=0)
    after = model.state_dict()
    for k in before:
        np.testing.assert_array_equal(before[k], dl.to_numpy(after[k]))
    assert opt.lr == 0.01 and opt.step_count == 0
    assert res.rates[0] == pytest.approx(1e-7) and np.all(np.diff(res.rates) > 0)
    assert len(res.rates) == len(res.losses) == len(res.smoothed) >= 3
    assert res.rates[0] <= res.suggested_lr <= res.rates[-1]
    # the suggestion lies where the loss falls, well away from both ends of the sweep
    assert 1e-4 < res.suggested_lr < 1


# --------------------------------------------------------------------------- bad inputs
def _p():
    return [Parameter(np.zeros(2), "w")]


BAD = [
    (lambda: SGD(_p(), lr=0.0), ValueError, "lr"),
    (lambda: SGD(_p(), lr=-0.1), ValueError, "lr"),
    (lambda: SGD(_p(), lr=float("nan")), ValueError, "lr"),
    (lambda: SGD(_p(), lr="0.1"), TypeError, "lr"),
    (lambda: SGD(_p(), lr=0.1, momentum=-0.1), ValueError, "momentum"),
    (lambda: SGD(_p(), lr=0.1, momentum=1.0), ValueError, "momentum"),
    (lambda: SGD(_p(), lr=0.1, nesterov=True), ValueError, "nesterov"),
    (lambda: SGD(_p(), lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError,
     "nesterov"),
    (lambda: SGD(_p(), lr=0.1, nesterov="yes"), TypeError, "nesterov"),
    (lambda: SGD(_p(), lr=0.1, weight_decay=-1e-4), ValueError, "weight_decay"),
    (lambda: SGD(_p(), lr=0.1, dampening=1.5), ValueError, "dampening"),
    (lambda: SGD([], lr=0.1), ValueError, "empty"),
    (lambda: SGD(np.zeros(3), lr=0.1), TypeError, "params"),
    (lambda: SGD([np.zeros(3)], lr=0.1), TypeError, r"params\[0\]"),
    (lambda: SGD(_p() * 2, lr=0.1), ValueError, "twice"),
    (lambda: SGD(5, lr=0.1), TypeError, "params"),
    (lambda: RMSProp(_p(), alpha=1.0), ValueError, "alpha"),
    (lambda: RMSProp(_p(), eps=-1e-8), ValueError, "eps"),
    (lambda: RMSProp(_p(), momentum=-0.5), ValueError, "momentum"),
    (lambda: Adam(_p(), betas=(1.0, 0.999)), ValueError, r"betas\[0\]"),
    (lambda: Adam(_p(), betas=(0.9, -0.1)), ValueError, r"betas\[1\]"),
    (lambda: Adam(_p(), betas=(0.9,)), ValueError, "betas"),
    (lambda: Adam(_p(), betas=0.9), TypeError, "betas"),
    (lambda: Adam(_p(), eps=-1.0), ValueError, "eps"),
    (lambda: Adam(_p(), weight_decay=-0.1), ValueError, "weight_decay"),
    (lambda: AdamW(_p(), lr=0), ValueError, "lr"),
    (lambda: StepLR(0.1, step_size=0), ValueError, "step_size"),
    (lambda: StepLR(0.1, step_size=2.5), TypeError, "step_size"),
    (lambda: Exponential(0.1, gamma=0.0), ValueError, "gamma"),
    (lambda: CosineAnnealing(0.1, T_max=0), ValueError, "T_max"),
    (lambda: CosineAnnealing(0.1, T_max=10, eta_min=0.2), ValueError, "eta_min"),
    (lambda: LinearWarmup(0.1, warmup_steps=0), ValueError, "warmup_steps"),
    (lambda: LinearWarmup(0.1, warmup_steps=3, start_factor=0.0), ValueError, "start_factor"),
    (lambda: LinearWarmup("fast", warmup_steps=3), TypeError, "schedule"),
    (lambda: Constant(0.1)(-1), ValueError, "step"),
    (lambda: Constant(-0.1), ValueError, "lr"),
    (lambda: Constant(0.1)(1.5), TypeError, "step"),
]


@pytest.mark.parametrize("call, exc, match", BAD, ids=[f"bad{i}" for i in range(len(BAD))])
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_mixed_backends_rejected():
    a = Parameter(np.zeros(2), "a")
    with dl.use_backend("array_api_strict"):
        b = Parameter(dl.backend.asarray(np.zeros(2)), "b")
    with pytest.raises(TypeError, match="backends"):
        SGD([a, b], lr=0.1)


def test_make_optimizer_by_name():
    from dnnlib.optim import OPTIMIZERS, make_optimizer

    p = [Parameter(np.zeros(3), "w")]
    for name, (cls, defaults) in OPTIMIZERS.items():
        opt = make_optimizer(name, p, lr=0.1)
        assert type(opt) is cls and opt.lr == 0.1
        for k, v in defaults.items():
            assert getattr(opt, k) == v
    assert make_optimizer("Momentum", p, lr=0.1, momentum=0.5).momentum == 0.5
    with pytest.raises(ValueError, match=r"make_optimizer: name must be one of .*'lbfgs'"):
        make_optimizer("lbfgs", p, lr=0.1)
