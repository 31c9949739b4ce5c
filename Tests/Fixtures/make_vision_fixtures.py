#!/usr/bin/env python3
"""Writes torchvision reference fixtures for Tests/EmberVisionTests.

`python3 Tests/Fixtures/make_vision_fixtures.py` writes the committed fixtures in Tests/Fixtures/vision/:

- models.json: for resnet18, resnet34, resnet50, vgg11, vgg11_bn and mobilenet_v2 (torchvision's
  builders with their default arguments): {"state": [[key, shape, dtype], ...] in state_dict()
  order, "parameters": named_parameters() names in order, "repr": repr(model)}.
- blocks.json + blocks.safetensors: torchvision's BasicBlock and Bottleneck with small channel
  counts, random weights and perturbed BatchNorm running statistics, in float64. blocks.json lists
  the cases {"name", "block", "inplanes", "planes", "stride", "downsample"}; blocks.safetensors
  holds, for each case NAME:
    NAME.state.<key>            the initial state dict (loaded into Ember's block),
    NAME.input, NAME.upstream   the input and the gradient fed to backward (sum(out * upstream)),
    NAME.eval.output, NAME.eval.input_grad              in eval mode,
    NAME.train.output, NAME.train.input_grad,
    NAME.train.grad.<param>, NAME.train.state.<key>     one training-mode step from the initial
                                                        state (parameter gradients, state after).
- bottleneck_identity.pt: that case's initial state dict written by torch.save.

`python3 Tests/Fixtures/make_vision_fixtures.py --resnet18 DIR` writes the large (about 90 MB)
full-model fixture, which is NOT committed: the Swift test runs this command in a temporary
folder when PyTorch is installed. DIR/resnet18.safetensors is the state dict of
torchvision.models.resnet18() (seed 0) whose BatchNorm weights, biases and running statistics are
perturbed (otherwise eval-mode BatchNorm would be nearly the identity); DIR/resnet18.pth is the
same state dict written by torch.save; DIR/resnet18_io.safetensors holds "input" (2x3x64x64),
"eval_logits" and "train_logits" (the model's output in each mode, eval first) and "after.<key>",
the BatchNorm running statistics after the training-mode call.
"""

import argparse
import json
import os

import torch
import torchvision
from safetensors.torch import save_file
from torchvision.models.resnet import BasicBlock, Bottleneck, conv1x1

here = os.path.dirname(os.path.abspath(__file__))
out_dir = os.path.join(here, "vision")
DTYPES = {torch.float32: "float32", torch.float64: "float64", torch.int64: "int64"}


def perturb_batch_norms(model, generator):
    """Random affine parameters and running statistics in every BatchNorm2d (in place)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                dtype = m.weight.dtype
                m.weight.copy_(torch.rand(c, generator=generator, dtype=dtype) + 0.5)
                m.bias.copy_(torch.randn(c, generator=generator, dtype=dtype) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=generator, dtype=dtype) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=generator, dtype=dtype) + 0.5)
                m.num_batches_tracked.fill_(3)


def write_models():
    builders = {
        "resnet18": torchvision.models.resnet18,
        "resnet34": torchvision.models.resnet34,
        "resnet50": torchvision.models.resnet50,
        "vgg11": torchvision.models.vgg11,
        "vgg11_bn": torchvision.models.vgg11_bn,
        "mobilenet_v2": torchvision.models.mobilenet_v2,
    }
    result = {}
    for name, build in builders.items():
        with torch.device("meta"):  # structure only: no memory, no initialisation cost
            model = build()
        result[name] = {
            "state": [[k, list(v.shape), DTYPES[v.dtype]] for k, v in model.state_dict().items()],
            "parameters": [k for k, _ in model.named_parameters()],
            "repr": repr(model),
        }
    with open(os.path.join(out_dir, "models.json"), "w") as f:
        json.dump(result, f, indent=1)


BLOCK_CASES = [
    {"name": "basic_downsample", "block": "BasicBlock", "inplanes": 3, "planes": 4, "stride": 2, "downsample": True},
    {"name": "basic_identity", "block": "BasicBlock", "inplanes": 4, "planes": 4, "stride": 1, "downsample": False},
    {"name": "bottleneck_downsample", "block": "Bottleneck", "inplanes": 4, "planes": 2, "stride": 2,
     "downsample": True},
    {"name": "bottleneck_identity", "block": "Bottleneck", "inplanes": 8, "planes": 2, "stride": 1,
     "downsample": False},
]


def make_block(case):
    block = BasicBlock if case["block"] == "BasicBlock" else Bottleneck
    out = case["planes"] * block.expansion
    downsample = None
    if case["downsample"]:
        downsample = torch.nn.Sequential(conv1x1(case["inplanes"], out, case["stride"]), torch.nn.BatchNorm2d(out))
    return block(case["inplanes"], case["planes"], case["stride"], downsample)


def entries(tensors, prefix):
    """The entries of `tensors` whose keys start with `prefix`, with the prefix removed."""
    return {k[len(prefix):]: v for k, v in tensors.items() if k.startswith(prefix)}


def write_blocks():
    torch.manual_seed(0)
    g = torch.Generator().manual_seed(1)
    tensors = {}
    for case in BLOCK_CASES:
        name = case["name"]
        block = make_block(case).double()
        perturb_batch_norms(block, g)
        initial = {k: v.clone() for k, v in block.state_dict().items()}
        for k, v in initial.items():
            tensors[f"{name}.state.{k}"] = v
        x = torch.randn(2, case["inplanes"], 6, 6, generator=g, dtype=torch.float64)
        tensors[f"{name}.input"] = x
        upstream = None
        for mode in ("eval", "train"):
            block.load_state_dict(initial)
            block.zero_grad()
            block.train(mode == "train")
            xi = x.clone().requires_grad_(True)
            y = block(xi)
            if upstream is None:
                upstream = torch.randn(y.shape, generator=g, dtype=torch.float64)
                tensors[f"{name}.upstream"] = upstream
            (y * upstream).sum().backward()
            tensors[f"{name}.{mode}.output"] = y.detach()
            tensors[f"{name}.{mode}.input_grad"] = xi.grad
            if mode == "train":
                for k, p in block.named_parameters():
                    tensors[f"{name}.train.grad.{k}"] = p.grad
                for k, v in block.state_dict().items():
                    tensors[f"{name}.train.state.{k}"] = v.clone()
    save_file({k: v.contiguous() for k, v in tensors.items()}, os.path.join(out_dir, "blocks.safetensors"))
    last = BLOCK_CASES[-1]["name"]
    torch.save(entries(tensors, f"{last}.state."), os.path.join(out_dir, f"{last}.pt"))
    with open(os.path.join(out_dir, "blocks.json"), "w") as f:
        json.dump(BLOCK_CASES, f, indent=1)


def write_resnet18(directory):
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    perturb_batch_norms(model, torch.Generator().manual_seed(1))
    state = {k: v.clone() for k, v in model.state_dict().items()}  # before train mode updates the statistics
    x = torch.randn(2, 3, 64, 64, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        eval_logits = model.eval()(x)
        train_logits = model.train()(x)
    save_file(state, os.path.join(directory, "resnet18.safetensors"))
    torch.save(state, os.path.join(directory, "resnet18.pth"))
    io = {"input": x, "eval_logits": eval_logits, "train_logits": train_logits}
    for k, v in model.state_dict().items():
        if "running" in k or "num_batches" in k:
            io["after." + k] = v
    save_file(io, os.path.join(directory, "resnet18_io.safetensors"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--resnet18", metavar="DIR", help="write the full resnet18 fixture into DIR")
    args = parser.parse_args()
    if args.resnet18:
        write_resnet18(args.resnet18)
        return
    os.makedirs(out_dir, exist_ok=True)
    write_models()
    write_blocks()
    print("wrote", out_dir)


if __name__ == "__main__":
    main()
