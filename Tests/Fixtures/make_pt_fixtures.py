#!/usr/bin/env python3
"""Writes small .pt fixtures made by real torch.save into Tests/Fixtures/pt/ for
Tests/EmberTests/PyTorchFileTests.swift, plus expected.json with the values they hold.

Good files:
- mlp.pt: state dict of nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2)); expected.json
  holds its keys and PyTorch's output on a fixed input.
- batchnorm.pt: state dict of nn.BatchNorm1d(3) after three training steps (running statistics
  moved, int64 scalar num_batches_tracked == 3).
- tensors.pt: one tensor per dtype (float32/64, int64/32/16/8, uint8, bool, float16, bfloat16), a
  transposed view and two more views of one storage, an empty and two 0-dim tensors.
- values.pt / values_p4.pt: a checkpoint-like dict of ints, floats, strings, None, bools, a list,
  a tuple, a nested dict with an int key, tensors (one saved under two keys) and an nn.Parameter,
  saved with the default pickle protocol 2 and with protocol 4 (FRAME, MEMOIZE, STACK_GLOBAL, ...).

- zip64.pt: the records of mlp.pt rewritten as a ZIP64 archive whose every size and offset is in
  ZIP64 extra fields (torch.save switches to these past 4 GB).

Hostile or corrupt files (Ember must throw, naming the file):
- evil.pt: a torch-layout archive whose data.pkl calls os.system through REDUCE; loading it must
  be refused without running anything (the command would create /tmp/ember-pt-evil-was-run).
- memo.pt: data.pkl fetches memo entry 7, which was never stored.
- wrong_size.pt: a real save whose storage record lost 4 bytes.
- deflated.pt: a real save re-zipped with compression.
- no_pickle.pt: a ZIP archive without data.pkl.
- legacy.pt: torch.save(..., _use_new_zipfile_serialization=False).
- uint16.pt: a uint16 tensor, which torch saves with _rebuild_tensor_v3 and a dtype Ember lacks.
"""

import json
import os
import pickle
import struct
import zipfile
import zlib

import torch
from torch import nn

here = os.path.dirname(os.path.abspath(__file__))
out = os.path.join(here, "pt")
os.makedirs(out, exist_ok=True)
torch.manual_seed(0)
expected = {}


def path(name):
    return os.path.join(out, name)


def describe(t):
    return {
        "dtype": str(t.dtype).replace("torch.", ""),
        "shape": list(t.shape),
        "stride": list(t.stride()),
        "offset": t.storage_offset(),
        "data": [float(v) for v in t.reshape(-1).tolist()],
    }


# mlp.pt
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
torch.save(model.state_dict(), path("mlp.pt"))
x = torch.randn(5, 3)
with torch.no_grad():
    y = model(x)
expected["mlp"] = {
    "keys": list(model.state_dict().keys()),
    "input": x.reshape(-1).tolist(),
    "output": y.reshape(-1).tolist(),
}

# batchnorm.pt
bn = nn.BatchNorm1d(3)
for _ in range(3):
    bn(torch.randn(8, 3) * 2 + 1)
torch.save(bn.state_dict(), path("batchnorm.pt"))
expected["batchnorm"] = {"keys": list(bn.state_dict().keys())}
expected["batchnorm"].update({k: describe(v) for k, v in bn.state_dict().items()})

# tensors.pt
base = torch.arange(12, dtype=torch.float32) * 0.5 - 2
tensors = {
    "f32": torch.tensor([[1.5, -2.25, 3.0], [0.0, 1e-3, -7.0]]),
    "f64": torch.tensor([1.0 / 3.0, -2.5], dtype=torch.float64),
    "i64": torch.tensor([-(2**40), 7, 0, 2**50]),
    "i32": torch.tensor([-5, 2147483647], dtype=torch.int32),
    "i16": torch.tensor([-300, 32767], dtype=torch.int16),
    "i8": torch.tensor([-128, 5], dtype=torch.int8),
    "u8": torch.tensor([0, 255], dtype=torch.uint8),
    "bool": torch.tensor([True, False, True]),
    "f16": torch.tensor([1.0, -0.5, 65504.0, 6e-8], dtype=torch.float16),
    "bf16": torch.tensor([1.0, -3.140625, 1e30], dtype=torch.bfloat16),
    "transposed": base.view(3, 4).t(),
    "view_a": base[1:5],
    "view_b": base[6:].view(2, 3),
    "empty": torch.zeros(0, 3),
    "scalar": torch.tensor(4.25),
    "scalar_i64": torch.tensor(7),
}
torch.save(tensors, path("tensors.pt"))
expected["tensors"] = {k: describe(v) for k, v in tensors.items()}

# values.pt, values_p4.pt
tied = torch.tensor([1.0, 2.0])
values = {
    "epoch": 3,
    "lr": 0.01,
    "name": "run-1 \u00e9\u2713",
    "note": None,
    "flags": [True, False],
    "shape": (2, 3),
    "nested": {"a": [1, 2.5, "x"], 7: "seven", "deep": [[(-70000, 2**40)]]},
    "steps": torch.arange(3),
    "tied_a": tied,
    "tied_b": tied,
    "param": nn.Parameter(torch.tensor([0.5, -0.5])),
}
torch.save(values, path("values.pt"))
torch.save(values, path("values_p4.pt"), pickle_protocol=4)


# Hostile and corrupt files.
def write_zip(name, records, compression=zipfile.ZIP_STORED):
    with zipfile.ZipFile(path(name), "w", compression) as z:
        for record, data in records:
            z.writestr(record, data)


def records_of(name):
    with zipfile.ZipFile(path(name)) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def write_zip64(name, records):
    out, central = bytearray(), bytearray()
    for record, data in records:
        n, crc, offset = record.encode(), zlib.crc32(data), len(out)
        extra = struct.pack("<HHQQ", 1, 16, len(data), len(data))
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(n), len(extra))
        out += n + extra + data
        extra = struct.pack("<HHQQQ", 1, 24, len(data), len(data), offset)
        central += struct.pack(
            "<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0, 0, 0, 0, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(n), len(extra),
            0, 0, 0, 0, 0xFFFFFFFF,
        ) + n + extra
    directory, count = len(out), len(records)
    out += central
    zip64_end = len(out)
    out += struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, count, count, len(central), directory)
    out += struct.pack("<IIQI", 0x07064B50, 0, zip64_end, 1)
    out += struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    with open(path(name), "wb") as f:
        f.write(out)


write_zip64("zip64.pt", records_of("mlp.pt"))


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/ember-pt-evil-was-run",))


write_zip("evil.pt", [("evil/data.pkl", pickle.dumps({"w": Evil()}, protocol=2)), ("evil/version", b"3\n")])
write_zip("memo.pt", [("memo/data.pkl", b"\x80\x02h\x07."), ("memo/version", b"3\n")])

torch.save({"w": torch.arange(4.0)}, path("wrong_size.pt"))
write_zip(
    "wrong_size.pt",
    [(n, d[:-4] if n.endswith("/data/0") else d) for n, d in records_of("wrong_size.pt")],
)
write_zip("deflated.pt", records_of("values.pt"), zipfile.ZIP_DEFLATED)
write_zip("no_pickle.pt", [("no_pickle/version", b"3\n")])
torch.save({"w": torch.ones(2)}, path("legacy.pt"), _use_new_zipfile_serialization=False)
torch.save({"w": torch.tensor([1, 2], dtype=torch.uint16)}, path("uint16.pt"))

with open(path("expected.json"), "w") as f:
    json.dump(expected, f)
print("wrote", sorted(os.listdir(out)), sum(os.path.getsize(path(n)) for n in os.listdir(out)), "bytes")
