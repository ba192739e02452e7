#!/usr/bin/env python3
"""Ships a model packed by gpu_session.sh as the embedded default model.

  ship_model.py SRC MODEL_ID [--dest assets/default] [--note TEXT]

SRC holds what `gpu_session.sh` packed: model.safetensors (or its .partNN
pieces), config.json, recipe.json, loss.csv. The model id is written into
config.json, the recipe and the safetensors header's __metadata__ (the
engine reads it from either and the tests compare both). The recipe's
init_from names the shipped model it started from; loss.csv is appended to
the shipped one with steps and wall seconds offset to follow on, so the
file stays one curve over every session. Standard library only: the
machines that run this have no numpy.
"""
import argparse
import csv
import json
import pathlib
import struct
import sys


def read_weights(src: pathlib.Path) -> bytes:
    whole = src / "model.safetensors"
    if whole.exists():
        return whole.read_bytes()
    parts = sorted(src.glob("model.safetensors.part*"))
    if not parts:
        sys.exit(f"{src}: no model.safetensors and no model.safetensors.partNN pieces")
    return b"".join(p.read_bytes() for p in parts)


def with_model_id(weights: bytes, model_id: str) -> bytes:
    """The same tensors, with __metadata__.model_id replaced (offsets are
    relative to the data section, so only the header changes)."""
    if len(weights) < 8:
        sys.exit("model.safetensors: shorter than its 8-byte header length")
    n = struct.unpack("<Q", weights[:8])[0]
    if 8 + n > len(weights):
        sys.exit(f"model.safetensors: header of {n} bytes runs past the file ({len(weights)} bytes)")
    header = json.loads(weights[8:8 + n])
    header.setdefault("__metadata__", {})["model_id"] = model_id
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keep the data section 8-byte aligned
    return struct.pack("<Q", len(text)) + text + weights[8 + n:]


def append_loss(shipped: pathlib.Path, new: pathlib.Path) -> int:
    """Appends new's rows after shipped's last step and wall time; returns rows added."""
    with shipped.open() as f:
        rows = list(csv.reader(f))
    last_step, last_wall = int(rows[-1][0]), float(rows[-1][4])
    with new.open() as f:
        added = list(csv.reader(f))[1:]
    with shipped.open("a", newline="") as f:
        out = csv.writer(f, lineterminator="\n")
        for step, loss, lr, rate, wall in added:
            out.writerow([int(step) + last_step, loss, lr, rate, f"{float(wall) + last_wall:.6g}"])
    return len(added)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src", type=pathlib.Path)
    ap.add_argument("model_id")
    ap.add_argument("--dest", type=pathlib.Path, default=pathlib.Path("assets/default"))
    ap.add_argument("--note", default="", help="recorded in the recipe as 'ship_note'")
    a = ap.parse_args()

    shipped_config = json.loads((a.dest / "config.json").read_text())
    shipped_recipe = json.loads((a.dest / "recipe.json").read_text())
    config = json.loads((a.src / "config.json").read_text())
    recipe = json.loads((a.src / "recipe.json").read_text())

    config["model_id"] = a.model_id
    recipe["model_id"] = a.model_id
    recipe["config"] = config
    recipe["init_from"] = {
        "folder": f"{a.dest} ({shipped_config['model_id']})",
        "model_id": shipped_config["model_id"],
        "git_commit": shipped_recipe.get("git_commit"),
        "steps_done": shipped_recipe.get("steps_done"),
        "samples_seen": shipped_recipe.get("samples_seen"),
        "final_loss": shipped_recipe.get("final_loss"),
    }
    if a.note:
        recipe["ship_note"] = a.note

    weights = with_model_id(read_weights(a.src), a.model_id)
    (a.dest / "model.safetensors").write_bytes(weights)
    (a.dest / "config.json").write_text(json.dumps(config, indent=2, sort_keys=True) + "\n")
    (a.dest / "recipe.json").write_text(json.dumps(recipe, indent=2) + "\n")
    added = append_loss(a.dest / "loss.csv", a.src / "loss.csv")
    print(f"shipped {a.model_id}: {len(weights)} bytes of weights, {added} loss rows appended")


if __name__ == "__main__":
    main()
