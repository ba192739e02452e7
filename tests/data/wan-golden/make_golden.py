#!/usr/bin/env python3
"""Golden outputs of the reference Wan 2.1 implementation for test_wan_golden.

Run on a machine with PyTorch (the GPU machine: tests/bench/wan/run_golden.sh
does it there), from the repository root, with the reference sources exported
into the ignored folder .devref/ (Wan2.1/ = github.com/Wan-Video/Wan2.1's
`wan` package, diffusers/ = diffusers' src/diffusers; see README.md):

    python3 tests/data/wan-golden/make_golden.py --wan .devref/Wan2.1 --devref .devref \
        --dir tests/data/wan-golden --out tests/data/wan-golden/golden.safetensors

It loads the committed tiny checkpoint (model/, made by attnscope-make-tiny-wan)
with Wan's own classes (WanModel, T5Encoder, WanVAE_, FlowUniPCMultistepScheduler),
runs them in float32 (TF32 off; flash attention replaced by float32 SDPA) on
the fixed inputs (inputs.safetensors) and writes the golden tensors. Needs
torch, safetensors, einops, numpy; diffusers, easydict and the tokenizer's
packages are stood in for when missing (tests/bench/wan/wan_reference.py);
sentencepiece is optional (adds the Python tokenizer's ids).
"""
import argparse
import json
import os
import sys

import torch
from safetensors.torch import load_file, save_file

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "wan"))
import wan_reference  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wan", required=True, help="folder holding the reference's wan/ package (.devref/Wan2.1)")
    ap.add_argument("--devref", default=None, help="folder holding diffusers/ (.devref); a stand-in when absent")
    ap.add_argument("--dir", required=True, help="tests/data/wan-golden (model/ and inputs.safetensors)")
    ap.add_argument("--out", default=None, help="where to write (default: DIR/golden.safetensors)")
    ap.add_argument("--device", default="cpu", help="cpu (exact float32, the default) or cuda")
    args = ap.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    wan_reference.setup(args.wan, args.devref)
    print("diffusers:", wan_reference.diffusers_kind())
    import wan.modules.model as wan_model
    from wan.modules.t5 import T5Encoder
    from wan.modules.vae import WanVAE_
    from wan.utils.fm_solvers_unipc import FlowUniPCMultistepScheduler
    wan_model.flash_attention = wan_reference.sdpa_attention_function(torch.float32)

    dev = args.device
    model_dir = os.path.join(args.dir, "model")
    inputs = load_file(os.path.join(args.dir, "inputs.safetensors"))
    golden = {}

    # umT5 encoder: sizes from the state dict (the official layout has no config).
    # weights_only=False: our own files; the VAE one comes from LibTorch's pickler (restore_type_tag).
    sd = torch.load(os.path.join(model_dir, "models_t5_umt5-xxl-enc-bf16.pth"), map_location="cpu", weights_only=False)
    layers = len({k.split(".")[1] for k in sd if k.startswith("blocks.")})
    vocab, dim = sd["token_embedding.weight"].shape
    buckets, heads = sd["blocks.0.pos_embedding.embedding.weight"].shape
    t5 = T5Encoder(vocab, dim, sd["blocks.0.attn.q.weight"].shape[0], sd["blocks.0.ffn.fc1.weight"].shape[0],
                   heads, layers, buckets, shared_pos=False, dropout=0.0)
    t5.load_state_dict(sd)
    t5 = t5.float().eval().to(dev)
    ids = inputs["t5.ids"].long().to(dev)
    mask = inputs["t5.mask"].long().to(dev)
    with torch.no_grad():
        golden["t5.out"] = (t5(ids, mask) * mask.unsqueeze(-1)).float().cpu()

    # DiT: WanModel.forward pads the context to text_len with zeros itself.
    cfg = json.load(open(os.path.join(model_dir, "config.json")))
    dit = wan_model.WanModel(model_type="t2v", patch_size=(1, 2, 2), text_len=cfg["text_len"], in_dim=cfg["in_dim"],
                             dim=cfg["dim"], ffn_dim=cfg["ffn_dim"], freq_dim=cfg["freq_dim"],
                             text_dim=cfg["text_dim"], out_dim=cfg["out_dim"], num_heads=cfg["num_heads"],
                             num_layers=cfg["num_layers"], eps=cfg["eps"])
    dit.load_state_dict(load_file(os.path.join(model_dir, "diffusion_pytorch_model.safetensors")))
    dit = dit.float().eval().to(dev)
    lat = inputs["dit.latents"].to(dev)
    seq_len = lat.shape[2] * lat.shape[3] * lat.shape[4] // 4
    block0 = []
    hook = dit.blocks[0].register_forward_hook(lambda mod, inp, out: block0.append(out))
    with torch.no_grad():
        out = dit([lat[0]], t=inputs["dit.t"].to(dev), context=[inputs["dit.context"][0].to(dev)], seq_len=seq_len)
    hook.remove()
    golden["dit.out"] = out[0].unsqueeze(0).float().cpu()
    golden["dit.block0"] = block0[0].float().cpu()  # [1, L, dim]: the first block's output

    # VAE decoder (the file also holds stand-in encoder tensors; only the decoder is compared).
    vsd = torch.load(os.path.join(model_dir, "Wan2.1_VAE.pth"), map_location="cpu", weights_only=False)
    base = vsd["decoder.head.2.weight"].shape[1]
    vae = WanVAE_(dim=base, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                  temperal_downsample=[False, True, True], dropout=0.0)
    missing, unexpected = vae.load_state_dict(vsd, strict=False)
    # Only the encoder side (encoder.*, conv1.*) may be absent or partial; the decoder must load fully.
    decoder_missing = [k for k in missing if not k.startswith(("encoder.", "conv1."))]
    assert not decoder_missing and not unexpected, (decoder_missing, unexpected)
    vae = vae.float().eval().to(dev)
    mean = torch.tensor([-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
                         0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921], device=dev)
    std = torch.tensor([2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
                        3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160], device=dev)
    with torch.no_grad():
        golden["vae.out"] = vae.decode(inputs["vae.z"].to(dev), [mean, 1.0 / std]).float().clamp(-1, 1).cpu()

    # Sampler: 10 UniPC steps, shift 5, on a fixed velocity field v = sin(x * (i + 1)).
    sched = FlowUniPCMultistepScheduler(num_train_timesteps=1000, shift=1, use_dynamic_shifting=False)
    sched.set_timesteps(10, device="cpu", shift=5.0)
    x = inputs["vae.z"].clone()
    for i, t in enumerate(sched.timesteps):
        x = sched.step(torch.sin(x * (i + 1)), t, x, return_dict=False)[0]
    golden["unipc.sigmas"] = sched.sigmas.float()
    golden["unipc.final"] = x.float()

    try:
        import sentencepiece as spm
        sp = spm.SentencePieceProcessor(model_file=os.path.join(model_dir, "google", "umt5-xxl", "spiece.model"))
        prompt = "a red circle moves left on a dark background"
        py = sp.encode(prompt)[:511] + [sp.eos_id()]
        py += [sp.pad_id()] * (512 - len(py))
        golden["t5.python_ids"] = torch.tensor(py, dtype=torch.float32).view(1, 512)
    except ImportError:
        pass

    out_path = args.out or os.path.join(args.dir, "golden.safetensors")
    commit_file = os.path.join(args.wan, "COMMIT")
    commit = open(commit_file).read().strip() if os.path.isfile(commit_file) else "unknown"
    save_file({k: v.contiguous() for k, v in golden.items()}, out_path,
              metadata={"reference": "github.com/Wan-Video/Wan2.1@" + commit, "torch": torch.__version__,
                        "device": dev, "diffusers": wan_reference.diffusers_kind()})
    print("wrote", out_path, {k: list(v.shape) for k, v in sorted(golden.items())})


if __name__ == "__main__":
    main()
