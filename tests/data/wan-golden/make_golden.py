#!/usr/bin/env python3
"""Golden outputs of the reference Wan 2.1 implementation for test_wan_golden.

Run once on a machine with PyTorch (a GPU machine; CPU works too), from the
repository root, after building attnscope-make-tiny-wan:

    git clone --depth 1 https://github.com/Wan-Video/Wan2.1 build/reference/Wan2.1   # build/ is ignored
    build/app/attnscope-make-tiny-wan --layout official --seed 2025 \
        --out tests/data/wan-golden/model --golden-inputs tests/data/wan-golden/inputs.safetensors
    python3 tests/data/wan-golden/make_golden.py --wan build/reference/Wan2.1 --dir tests/data/wan-golden

It loads the tiny checkpoint with Wan's own classes (WanModel, T5Encoder,
WanVAE_, FlowUniPCMultistepScheduler), runs them in float32 (TF32 off) on the
fixed inputs and writes golden.safetensors. Commit model/, inputs.safetensors
and golden.safetensors (a few hundred KB); never commit the reference code.
Needs: torch, safetensors, einops, easydict, diffusers (Wan's modules import
them); sentencepiece is optional (adds the Python tokenizer's ids).
"""
import argparse
import json
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file


def sdpa_attention(q, k, v, q_lens=None, k_lens=None, dropout_p=0.0, softmax_scale=None, q_scale=None,
                   causal=False, window_size=(-1, -1), deterministic=False, dtype=None, version=None):
    # Stands in for flash_attention in float32; q, k, v: [B, L, N, D]. T2V passes no padding
    # (self-attention lengths are full, cross-attention k_lens is None).
    out = F.scaled_dot_product_attention(q.transpose(1, 2).float(), k.transpose(1, 2).float(),
                                         v.transpose(1, 2).float())
    return out.transpose(1, 2).contiguous()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wan", required=True, help="clone of github.com/Wan-Video/Wan2.1")
    ap.add_argument("--dir", required=True, help="tests/data/wan-golden")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    sys.path.insert(0, args.wan)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    import wan.modules.model as wan_model
    from wan.modules.t5 import T5Encoder
    from wan.modules.vae import WanVAE_
    from wan.utils.fm_solvers_unipc import FlowUniPCMultistepScheduler
    wan_model.flash_attention = sdpa_attention

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
    with torch.no_grad():
        out = dit([lat[0]], t=inputs["dit.t"].to(dev), context=[inputs["dit.context"][0].to(dev)], seq_len=seq_len)
    golden["dit.out"] = out[0].unsqueeze(0).float().cpu()

    # VAE decoder (the file also holds stand-in encoder tensors; only the decoder is compared).
    vsd = torch.load(os.path.join(model_dir, "Wan2.1_VAE.pth"), map_location="cpu", weights_only=False)
    base = vsd["decoder.head.2.weight"].shape[1]
    vae = WanVAE_(dim=base, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                  temperal_downsample=[False, True, True], dropout=0.0)
    missing, _ = vae.load_state_dict(vsd, strict=False)
    assert all(k.startswith("encoder.") for k in missing), missing
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

    save_file({k: v.contiguous() for k, v in golden.items()}, os.path.join(args.dir, "golden.safetensors"),
              metadata={"reference": "github.com/Wan-Video/Wan2.1", "torch": torch.__version__, "device": dev})
    print("wrote", os.path.join(args.dir, "golden.safetensors"), sorted(golden))


if __name__ == "__main__":
    main()
