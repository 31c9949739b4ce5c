#!/usr/bin/env python3
"""Writes Tests/Fixtures/optim.json: PyTorch reference results for Ember's optimizers, learning-rate
schedulers and gradient clipping (read by Tests/EmberTests/OptimizerTests.swift and
SchedulerTests.swift).

Run from anywhere with PyTorch installed (`python3 Tests/Fixtures/make_optim_fixtures.py`); the output
is committed, so CI does not need PyTorch. Everything is deterministic (fixed seeds).

Sections:
  - "rules": every optimizer configuration of CONFIGS, in float32 and float64, applied for RULE_STEPS
    steps to one parameter `rule_param[dtype]` with the given gradients `rule_grads[dtype][k]` (the
    same for every configuration). `final` is the parameter afterwards. This isolates the update
    rule from the model's arithmetic, so Ember must match bit for bit.
  - "training": the model Linear(4, 8) - Tanh - Linear(8, 2) with initial weights `model` (a state
    dict) trained on (x, y) with MSE loss for TRAIN_STEPS steps of zero_grad / backward / step, per
    configuration and dtype: `losses` (before each step) and the `final` state dict.
  - "lbfgs": the same model trained with LBFGS for LBFGS_STEPS closure steps: the loss each step
    returned, the final state dict, and the counters `func_evals` and `n_iter`.
  - "schedulers": learning rates (get_last_lr() for every group, after construction and after each
    of SCHEDULER_STEPS steps) and, for cycling schedulers, group 0's momentum or beta1.
  - "clipping": clip_grad_norm_ / clip_grad_value_ on three gradients: total norm and clipped grads.
  - "defaults": each optimizer's `defaults` when built with no arguments (Ember's group convention,
    without PyTorch's implementation switches foreach / fused / capturable / differentiable and
    LBFGS's line_search_fn, which Ember keeps as a property).

Options in "rules"/"training" use PyTorch's param-group keys, with `betas` split into `beta1` and
`beta2` and booleans as 0/1 (Ember's ParamGroup convention); unspecified options take defaults.
Tensors are {"shape", "dtype", "data"} (row-major); float32 data are written as the shortest decimal
that round-trips the float32 value.
"""

import copy
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn

torch.use_deterministic_algorithms(True)

RULE_SIZE = 19  # two 8-wide vectors plus a 3-element tail
RULE_STEPS = 8  # RAdam's rectification starts at step 6 with the default betas
TRAIN_STEPS = 20
LBFGS_STEPS = 2
SCHEDULER_STEPS = 100

CONFIGS = [
    ("sgd", "SGD", {"lr": 0.1}),
    ("sgd_momentum", "SGD", {"lr": 0.1, "momentum": 0.9}),
    ("sgd_dampening", "SGD", {"lr": 0.1, "momentum": 0.9, "dampening": 0.3}),
    ("sgd_nesterov", "SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
    ("sgd_weight_decay", "SGD", {"lr": 0.1, "weight_decay": 0.05}),
    ("sgd_all_maximize", "SGD", {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1,
                                 "maximize": True}),
    ("adam", "Adam", {"lr": 0.01}),
    ("adam_weight_decay", "Adam", {"lr": 0.01, "weight_decay": 0.1}),
    ("adam_amsgrad", "Adam", {"lr": 0.01, "amsgrad": True}),
    ("adam_maximize", "Adam", {"lr": 0.01, "maximize": True}),
    ("adam_betas_eps_amsgrad_wd", "Adam", {"lr": 0.02, "betas": (0.8, 0.99), "eps": 1e-6, "amsgrad": True,
                                           "weight_decay": 0.05}),
    ("adam_decoupled", "Adam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("adamw", "AdamW", {"lr": 0.01}),
    ("adamw_amsgrad_wd", "AdamW", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
    ("adamw_maximize", "AdamW", {"lr": 0.01, "maximize": True}),
    ("rmsprop", "RMSprop", {}),
    ("rmsprop_centered", "RMSprop", {"centered": True}),
    ("rmsprop_momentum", "RMSprop", {"momentum": 0.9}),
    ("rmsprop_centered_momentum_wd", "RMSprop", {"centered": True, "momentum": 0.5, "weight_decay": 0.1}),
    ("rmsprop_maximize", "RMSprop", {"maximize": True}),
    ("rmsprop_alpha_eps", "RMSprop", {"alpha": 0.9, "eps": 1e-6, "lr": 0.005}),
    ("adagrad", "Adagrad", {"lr": 0.1}),
    ("adagrad_lr_decay", "Adagrad", {"lr": 0.1, "lr_decay": 0.1}),
    ("adagrad_weight_decay", "Adagrad", {"lr": 0.1, "weight_decay": 0.1}),
    ("adagrad_initial_accumulator", "Adagrad", {"lr": 0.1, "initial_accumulator_value": 0.5}),
    ("adagrad_maximize", "Adagrad", {"lr": 0.1, "maximize": True}),
    ("adadelta", "Adadelta", {}),
    ("adadelta_rho_lr", "Adadelta", {"rho": 0.5, "lr": 0.5}),
    ("adadelta_weight_decay", "Adadelta", {"weight_decay": 0.1}),
    ("adadelta_maximize", "Adadelta", {"maximize": True}),
    ("adamax", "Adamax", {}),
    ("adamax_weight_decay", "Adamax", {"weight_decay": 0.1}),
    ("adamax_maximize", "Adamax", {"maximize": True}),
    ("adamax_betas", "Adamax", {"betas": (0.8, 0.99), "lr": 0.01}),
    ("nadam", "NAdam", {}),
    ("nadam_weight_decay", "NAdam", {"weight_decay": 0.1}),
    ("nadam_decoupled", "NAdam", {"weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("nadam_momentum_decay", "NAdam", {"momentum_decay": 0.01, "lr": 0.01}),
    ("nadam_maximize", "NAdam", {"maximize": True}),
    ("radam", "RAdam", {"lr": 0.01}),
    ("radam_weight_decay", "RAdam", {"lr": 0.01, "weight_decay": 0.1}),
    ("radam_decoupled", "RAdam", {"lr": 0.01, "weight_decay": 0.1, "decoupled_weight_decay": True}),
    ("radam_maximize", "RAdam", {"lr": 0.01, "maximize": True}),
]

DTYPES = {"float32": torch.float32, "float64": torch.float64}


# ----------------------------------------------------------------------------- encoding

def enc_number(v, dtype):
    if math.isnan(v):
        return "nan"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return float(str(np.float32(v))) if dtype == torch.float32 else float(v)


def enc_tensor(t):
    t = t.detach().contiguous()
    return {"shape": list(t.shape), "dtype": str(t.dtype).replace("torch.", ""),
            "data": [enc_number(v, t.dtype) for v in t.reshape(-1).tolist()]}


def enc_state_dict(module):
    return {k: enc_tensor(v) for k, v in module.state_dict().items()}


def group_options(kwargs):
    """PyTorch kwargs -> Ember ParamGroup options (betas split, booleans as 0/1)."""
    out = {}
    for k, v in kwargs.items():
        if k == "betas":
            out["beta1"], out["beta2"] = v
        else:
            out[k] = float(v)
    return out


def make_optimizer(cls_name, params, kwargs):
    return getattr(torch.optim, cls_name)(params, **kwargs)


# ----------------------------------------------------------------------------- sections

def rules():
    out = {"param": {}, "grads": {}, "cases": []}
    tensors = {}
    for dname, dtype in DTYPES.items():
        g = torch.Generator().manual_seed(1)
        p0 = torch.randn(RULE_SIZE, generator=g, dtype=torch.float64).to(dtype)
        grads = (torch.randn(RULE_STEPS, RULE_SIZE, generator=g, dtype=torch.float64) * 0.5).to(dtype)
        tensors[dname] = (p0, grads)
        out["param"][dname] = enc_tensor(p0)
        out["grads"][dname] = [enc_tensor(grads[k]) for k in range(RULE_STEPS)]
    for name, cls_name, kwargs in CONFIGS:
        for dname, (p0, grads) in tensors.items():
            p = p0.clone().requires_grad_()
            opt = make_optimizer(cls_name, [p], kwargs)
            for k in range(RULE_STEPS):
                p.grad = grads[k].clone()
                opt.step()
            out["cases"].append({"name": f"{name}_{dname}", "optimizer": cls_name, "dtype": dname,
                                 "options": group_options(kwargs), "final": enc_tensor(p),
                                 "state_keys": sorted(opt.state[p].keys())})
    return out


def base_model():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))
    x = torch.randn(16, 4)
    y = torch.randn(16, 2)
    return model, x, y


def training():
    model0, x0, y0 = base_model()
    out = {"model": enc_state_dict(model0), "x": enc_tensor(x0), "y": enc_tensor(y0), "runs": []}
    loss_fn = nn.MSELoss()
    for name, cls_name, kwargs in CONFIGS:
        for dname, dtype in DTYPES.items():
            model = copy.deepcopy(model0).to(dtype)
            x, y = x0.to(dtype), y0.to(dtype)
            opt = make_optimizer(cls_name, model.parameters(), kwargs)
            losses = []
            for _ in range(TRAIN_STEPS):
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
                losses.append(loss.item())
            out["runs"].append({"name": f"{name}_{dname}", "optimizer": cls_name, "dtype": dname,
                                "options": group_options(kwargs), "losses": losses,
                                "final": enc_state_dict(model)})
    return out


LBFGS_CONFIGS = [
    ("lbfgs", {}),
    ("lbfgs_strong_wolfe", {"line_search_fn": "strong_wolfe"}),
    ("lbfgs_small_history", {"lr": 0.5, "max_iter": 5, "history_size": 3}),
    ("lbfgs_strong_wolfe_small", {"line_search_fn": "strong_wolfe", "max_iter": 7, "history_size": 2,
                                  "tolerance_change": 1e-6}),
]


def lbfgs():
    model0, x0, y0 = base_model()
    loss_fn = nn.MSELoss()
    runs = []
    for name, kwargs in LBFGS_CONFIGS:
        for dname, dtype in DTYPES.items():
            model = copy.deepcopy(model0).to(dtype)
            x, y = x0.to(dtype), y0.to(dtype)
            opt = torch.optim.LBFGS(model.parameters(), **kwargs)

            def closure():
                opt.zero_grad()
                loss = loss_fn(model(x), y)
                loss.backward()
                return loss

            losses = [opt.step(closure).item() for _ in range(LBFGS_STEPS)]
            state = opt.state[next(iter(model.parameters()))]
            runs.append({"name": f"{name}_{dname}", "dtype": dname, "options": kwargs, "losses": losses,
                         "final": enc_state_dict(model), "func_evals": state["func_evals"],
                         "n_iter": state["n_iter"]})
    return runs


# ----------------------------------------------------------------------------- schedulers

S = torch.optim.lr_scheduler


def sgd(lrs=(0.1,)):
    params = [nn.Parameter(torch.zeros(1)) for _ in lrs]
    return torch.optim.SGD([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=lrs[0], momentum=0.9)


def adam(lrs=(0.1,)):
    params = [nn.Parameter(torch.zeros(1)) for _ in lrs]
    return torch.optim.Adam([{"params": [p], "lr": lr} for p, lr in zip(params, lrs)], lr=lrs[0])


# name -> (optimizer factory, scheduler factory); SchedulerTests.swift builds the same pairs.
SCHEDULERS = {
    "step": (lambda: sgd((0.1, 0.01)), lambda o: S.StepLR(o, step_size=30, gamma=0.1)),
    "multistep": (sgd, lambda o: S.MultiStepLR(o, milestones=[30, 30, 80], gamma=0.5)),
    "exponential": (sgd, lambda o: S.ExponentialLR(o, gamma=0.95)),
    "cosine": (lambda: sgd((0.1, 0.01)), lambda o: S.CosineAnnealingLR(o, T_max=30, eta_min=0.001)),
    "cosine_default": (sgd, lambda o: S.CosineAnnealingLR(o, T_max=100)),
    "warm_restarts": (sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=10, T_mult=2, eta_min=0.001)),
    "warm_restarts_mult1": (sgd, lambda o: S.CosineAnnealingWarmRestarts(o, T_0=7)),
    "linear": (sgd, lambda o: S.LinearLR(o, start_factor=0.25, end_factor=1.0, total_iters=10)),
    "linear_default": (sgd, lambda o: S.LinearLR(o)),
    "linear_decay": (sgd, lambda o: S.LinearLR(o, start_factor=1.0, end_factor=0.1, total_iters=40)),
    "constant": (sgd, lambda o: S.ConstantLR(o, factor=0.5, total_iters=10)),
    "constant_default": (sgd, lambda o: S.ConstantLR(o)),
    "lambda": (lambda: sgd((0.1, 0.01)), lambda o: S.LambdaLR(o, lr_lambda=lambda e: 0.95 ** e)),
    "multiplicative": (sgd, lambda o: S.MultiplicativeLR(o, lr_lambda=lambda e: 0.97)),
    "polynomial": (sgd, lambda o: S.PolynomialLR(o, total_iters=50, power=2.0)),
    "one_cycle": (sgd, lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=100)),
    "one_cycle_linear": (sgd, lambda o: S.OneCycleLR(o, max_lr=0.1, total_steps=120, anneal_strategy="linear")),
    "one_cycle_three_phase_adam": (adam, lambda o: S.OneCycleLR(o, max_lr=0.05, epochs=10, steps_per_epoch=11,
                                                                pct_start=0.25, three_phase=True,
                                                                div_factor=10.0, final_div_factor=100.0)),
    "cyclic": (sgd, lambda o: S.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=10)),
    "cyclic_triangular2": (lambda: sgd((0.1, 0.01)),
                           lambda o: S.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=10, step_size_down=5,
                                                mode="triangular2")),
    "cyclic_exp_range_adam": (adam, lambda o: S.CyclicLR(o, base_lr=0.001, max_lr=0.1, step_size_up=8,
                                                         mode="exp_range", gamma=0.98, base_momentum=0.85,
                                                         max_momentum=0.95)),
    "sequential": (sgd, lambda o: S.SequentialLR(o, [S.LinearLR(o, start_factor=0.1, total_iters=5),
                                                     S.CosineAnnealingLR(o, T_max=95)], milestones=[5])),
    "sequential_three": (lambda: sgd((0.1, 0.01)),
                         lambda o: S.SequentialLR(o, [S.ConstantLR(o, factor=0.5, total_iters=10),
                                                      S.ExponentialLR(o, gamma=0.9),
                                                      S.StepLR(o, step_size=7, gamma=0.5)], milestones=[20, 50])),
    "chained": (sgd, lambda o: S.ChainedScheduler([S.ConstantLR(o, factor=0.5, total_iters=10),
                                                   S.ExponentialLR(o, gamma=0.97)])),
}

PLATEAU_METRICS = [1.0, 0.9, 0.85, 0.86, 0.87, 0.849, 0.848, 0.9, 0.95, 1.0, 0.8, 0.8, 0.8, 0.8, 0.8,
                   0.8, 0.8, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.7, 0.69, 0.69, 0.69, 0.69, 0.69]

PLATEAUS = {
    "plateau": lambda o: S.ReduceLROnPlateau(o, factor=0.5, patience=2, threshold=0.01, cooldown=1,
                                             min_lr=0.01),
    "plateau_default": lambda o: S.ReduceLROnPlateau(o, patience=1),
    "plateau_max_abs": lambda o: S.ReduceLROnPlateau(o, mode="max", factor=0.3, patience=0, threshold=0.05,
                                                     threshold_mode="abs", min_lr=1e-3, eps=1e-3),
}


def momentum_of(opt):
    group = opt.param_groups[0]
    return group["betas"][0] if "betas" in group else group["momentum"]


def schedulers():
    cases = []
    for name, (make_opt, make_sched) in SCHEDULERS.items():
        opt = make_opt()
        sched = make_sched(opt)
        lrs = [list(sched.get_last_lr())]
        momentums = [momentum_of(opt)]
        for _ in range(SCHEDULER_STEPS):
            opt.step()
            sched.step()
            lrs.append(list(sched.get_last_lr()))
            momentums.append(momentum_of(opt))
        cases.append({"name": name, "lrs": lrs, "momentums": momentums})
    for name, make_sched in PLATEAUS.items():
        opt = sgd((0.1, 0.05))
        sched = make_sched(opt)
        lrs = [list(sched.get_last_lr())]
        for metric in PLATEAU_METRICS:
            opt.step()
            sched.step(metric)
            lrs.append(list(sched.get_last_lr()))
        cases.append({"name": name, "lrs": lrs, "metrics": PLATEAU_METRICS})
    return cases


# ----------------------------------------------------------------------------- clipping

def clipping():
    g = torch.Generator().manual_seed(2)
    grads = [torch.randn(3, 4, generator=g), torch.randn(5, generator=g) * 3, torch.randn(2, 2, generator=g)]
    out = {"grads": [enc_tensor(t) for t in grads], "norm": [], "value": []}
    for max_norm, norm_type in [(1.0, 2.0), (0.5, 1.0), (2.0, math.inf), (1.5, 3.0), (100.0, 2.0)]:
        params = [nn.Parameter(torch.zeros_like(t)) for t in grads]
        for p, t in zip(params, grads):
            p.grad = t.clone()
        total = torch.nn.utils.clip_grad_norm_(params, max_norm=max_norm, norm_type=norm_type)
        out["norm"].append({"max_norm": max_norm, "norm_type": "inf" if math.isinf(norm_type) else norm_type,
                            "total_norm": enc_number(total.item(), torch.float32),
                            "clipped": [enc_tensor(p.grad) for p in params]})
    for clip_value in [0.3, 1.0]:
        params = [nn.Parameter(torch.zeros_like(t)) for t in grads]
        for p, t in zip(params, grads):
            p.grad = t.clone()
        torch.nn.utils.clip_grad_value_(params, clip_value=clip_value)
        out["value"].append({"clip_value": clip_value, "clipped": [enc_tensor(p.grad) for p in params]})
    return out


IMPLEMENTATION_SWITCHES = {"foreach", "fused", "capturable", "differentiable", "line_search_fn"}


def defaults():
    out = {}
    for cls_name in ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam", "LBFGS"]:
        opt = getattr(torch.optim, cls_name)([nn.Parameter(torch.zeros(1))])
        out[cls_name] = group_options({k: v for k, v in opt.defaults.items() if k not in IMPLEMENTATION_SWITCHES})
    return out


def main():
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "optim.json")
    data = {"generator": "Tests/Fixtures/make_optim_fixtures.py", "torch": torch.__version__.split("+")[0],
            "rules": rules(), "training": training(), "lbfgs": lbfgs(), "schedulers": schedulers(),
            "clipping": clipping(), "defaults": defaults()}
    with open(path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {path} ({os.path.getsize(path)} bytes)")


if __name__ == "__main__":
    main()
