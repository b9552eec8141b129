"""The playground challenges of Appendix A1 against tables of wrong answers.

Each challenge: a reference answer that meets the goal for the seeds 0, 1 and 2, and at
least six answers that miss it (too many parameters, the data or the network changed,
too many epochs, a goal not reached, a wrong type), each with the message it must get.
"""

from __future__ import annotations

import doctest

import pytest

from dnnlib.exercises import a1
from dnnlib.playground import Playground


def assert_feedback(result, expected, absent=()):
    """A failed result, no checker error, every expected substring and no absent one."""
    assert result.status == "failed", result
    assert not result.internal_errors, result.internal_errors
    for text in [expected] if isinstance(expected, str) else expected:
        assert text in result.text, f"{text!r} not in:\n{result.text}"
    for text in absent:
        assert text not in result.text, f"{text!r} wrongly in:\n{result.text}"


SIN = ("x1", "x2", "sin(x1)", "sin(x2)")
SPIRALS_OK = (a1.SPIRALS.replace(features=SIN, hidden=(6,)), 200)
XOR_OK = (a1.XOR.replace(features=("x1*x2",)), 30)
OVERFITTING_OK = (a1.OVERFITTING.replace(weight_decay=0.01), 300)

SPIRALS_WRONG = {
    "the appendix's network": ((a1.SPIRALS, 100), "your network has 105 parameters"),
    "too wide": ((a1.SPIRALS.replace(features=SIN, hidden=(9,)), 200), "more than 40"),
    "easier data": ((a1.SPIRALS.replace(noise=0.0, features=SIN, hidden=(6,)), 200),
                    ["the challenge fixes the data", "noise = 0.0"]),
    "too many epochs": ((SPIRALS_OK[0], 1000), "1000 epochs is more than the 300 allowed"),
    "too small to learn": ((a1.SPIRALS.replace(hidden=(4,)), 300),
                           ["not reached for seed(s)", "which of the playground's features"]),
    "learning rate far too large": ((SPIRALS_OK[0].replace(optimizer="momentum", lr=10.0,
                                                           activation="relu"), 50),
                                    "not reached for seed(s) [0, 1, 2]"),
    "a str": (("spirals", 100), "config is the str"),
    "float epochs": ((SPIRALS_OK[0], 200.0), "epochs is the float 200.0"),
    "unknown setting in a dict": (({"hiden": (4,)}, 100), "unknown setting(s) ['hiden']"),
}

XOR_WRONG = {
    "a hidden layer": ((a1.XOR.replace(hidden=(4,), features=("x1*x2",)), 30),
                       "this challenge allows none"),
    "the raw inputs": ((a1.XOR, 50), ["not reached", "no line separates XOR"]),
    "squares only": ((a1.XOR.replace(features=("x1^2", "x2^2")), 50), "not reached"),
    "more points": ((a1.XOR.replace(n_samples=1000, features=("x1*x2",)), 30),
                    "n_samples = 1000"),
    "too many epochs": ((XOR_OK[0], 500), "more than the 100 allowed"),
    "learning rate too small": ((XOR_OK[0].replace(optimizer="sgd", lr=1e-4), 20),
                                "not reached"),
    "None": ((None, 30), "config is None"),
}

OVERFITTING_WRONG = {
    "as given": ((a1.OVERFITTING, 300), ["not reached for seed(s) [0, 1, 2]",
                                         "stopping early"]),
    "smaller network": ((a1.OVERFITTING.replace(hidden=(8,)), 300),
                        (["the challenge fixes the data and the network", "hidden = (8,)"],
                         ["activation ="])),
    "other activation": ((a1.OVERFITTING.replace(activation="tanh"), 300), "activation ="),
    "more training data": ((a1.OVERFITTING.replace(train_ratio=0.9, weight_decay=0.01), 300),
                           "train_ratio = 0.9"),
    "too many epochs": ((OVERFITTING_OK[0], 2000), "more than the 300 allowed"),
    "far too much weight decay": ((a1.OVERFITTING.replace(weight_decay=1.0), 300),
                                  "not reached"),
    "a Playground with a changed network": ((Playground(a1.OVERFITTING.replace(
        hidden=(4, 4))), 100), "hidden = (4, 4)"),
}

TABLES = {
    "spirals": (a1.check_spirals_challenge, SPIRALS_WRONG),
    "xor": (a1.check_xor_challenge, XOR_WRONG),
    "overfitting": (a1.check_overfitting_challenge, OVERFITTING_WRONG),
}
CASES = [(ex, name) for ex, (_, table) in TABLES.items() for name in table]


@pytest.mark.parametrize(("exercise", "name"), CASES, ids=[f"{e}: {n}" for e, n in CASES])
def test_wrong_answer_gets_its_message(exercise, name):
    check, table = TABLES[exercise]
    (config, epochs), expected = table[name]
    expected, absent = expected if isinstance(expected, tuple) else (expected, ())
    assert_feedback(check(config, epochs, verbose=False), expected, absent)


def test_every_challenge_has_at_least_six_wrong_answers():
    assert all(len(table) >= 6 for _, table in TABLES.values())


@pytest.mark.parametrize(("check", "answer"), [
    (a1.check_spirals_challenge, SPIRALS_OK), (a1.check_xor_challenge, XOR_OK),
    (a1.check_overfitting_challenge, OVERFITTING_OK)], ids=["spirals", "xor", "overfitting"])
def test_reference_answers_meet_the_goal_with_a_margin(check, answer, capsys):
    r = check(*answer)
    assert r.passed and not r.internal_errors, r.text
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("Challenge met: seed 0")
    # a margin, so that another CPU's float32 rounding cannot flip the verdict
    for seed in a1.SEEDS:
        rec = a1.run_challenge(answer[0], answer[1], seed)
        if check is a1.check_overfitting_challenge:
            assert rec["test_loss"] <= 0.47
        else:
            assert rec["test_accuracy"] >= 0.97


@pytest.mark.parametrize("check", [a1.check_spirals_challenge, a1.check_xor_challenge,
                                   a1.check_overfitting_challenge])
def test_the_cell_as_handed_out_is_not_attempted(check, capsys):
    r = check(None, None)
    out = capsys.readouterr().out
    assert r.status == "not_attempted" and "not attempted yet" in out and "checking" not in out


def test_a_dict_of_settings_and_a_playground_are_accepted():
    assert a1.check_xor_challenge({"features": ("x1*x2",)}, 30, verbose=False).passed
    assert a1.check_xor_challenge(Playground(XOR_OK[0]), 30, verbose=False).passed


def test_runs_are_deterministic():
    a = a1.run_challenge(*SPIRALS_OK, seed=1)
    b = a1.run_challenge(*SPIRALS_OK, seed=1)
    assert a == b


def test_doctests():
    res = doctest.testmod(a1, optionflags=doctest.ELLIPSIS)
    assert res.attempted > 0 and res.failed == 0
