#!/usr/bin/env python3
"""The reference side of bench_wan_step: one dense CFG denoising step of the
Wan 2.1 T2V 1.3B DiT at 81x480x832 (latent 16x21x60x104, 32,760 video tokens)
in the reference's own eager PyTorch code, in bf16 on CUDA.

It builds WanModel from the reference sources (.devref/Wan2.1, imported by
wan_reference.py) with a seeded random initialisation (Wan's init_weights,
then random biases and output head so that every tensor matters) and times
the step in two precisions, each the model called twice per step (cond, then
uncond) under autocast(bfloat16) and the two combined with the guidance scale:
  - as the reference's generate() runs it (text2video.py): the weights stay
    float32 (the 1.3B checkpoint's dtype; from_pretrained keeps it), autocast
    casts the matmuls to bf16, the modulation and residual stream stay
    float32 (step_ms_median, the bar's reference);
  - with every weight cast to bf16 first (model.to(bfloat16)), which Wan's
    own pipeline never does: the residual stream and modulation then run in
    bf16 too (bf16_step_ms_median, reported beside it). Attention is the reference's own
fallback without flash-attn: wan.modules.attention.attention, i.e. torch SDPA
on bf16 q/k/v (which SDPA backend runs is printed, from the profiler).

Writes to --out: config.json + diffusion_pytorch_model.safetensors (official
layout, bf16: what the engine loads), inputs.safetensors (latent, timestep,
cond/uncond context [1, 512, 4096]), reference_out.safetensors (the cond
output and the guided prediction) and reference.json (median step time over
--iters runs after --warmup, CUDA events; attention share; SDPA kernels), and
with --vae random VAE weights (Wan2.1_VAE.pth) and the reference decode time
of the 21-frame latent at full size.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch
from safetensors.torch import save_file

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wan_reference  # noqa: E402

CONFIG_1_3B = dict(model_type="t2v", dim=1536, ffn_dim=8960, freq_dim=256, num_heads=12, num_layers=30,
                   in_dim=16, out_dim=16, text_dim=4096, text_len=512, eps=1e-06)
GUIDE_SCALE = 5.0
VAE_MEAN = [-0.7571, -0.7089, -0.9113, 0.1075, -0.1745, 0.9653, -0.1517, 1.5508,
            0.4134, -0.0715, 0.5517, -0.3632, -0.1922, -0.9497, 0.2503, -0.2921]
VAE_STD = [2.8184, 1.4541, 2.3275, 2.6558, 1.2196, 1.7708, 2.6052, 2.0743,
           3.2687, 2.1526, 2.8652, 1.5579, 1.6382, 1.1253, 2.8251, 1.9160]


def cuda_ms(fn):
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    out = fn()
    end.record()
    torch.cuda.synchronize()
    return start.elapsed_time(end), out


def sdpa_kernels(attention, shape):
    """Names of the CUDA kernels one bf16 SDPA call of this shape launches (which backend runs)."""
    q = torch.randn(shape, device="cuda", dtype=torch.bfloat16)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        attention(q, q, q)
        torch.cuda.synchronize()
    names = sorted({e.key for e in prof.key_averages() if e.device_type == torch.autograd.DeviceType.CUDA})
    return [n[:90] for n in names if any(s in n.lower() for s in ("flash", "fmha", "cudnn", "efficient", "attn",
                                                                     "sdpa", "softmax", "gemm"))] or names[:5]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wan", default=".devref/Wan2.1")
    ap.add_argument("--devref", default=".devref")
    ap.add_argument("--out", default="/tmp/wan-step")
    ap.add_argument("--frames", type=int, default=21)
    ap.add_argument("--height", type=int, default=60)
    ap.add_argument("--width", type=int, default=104)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--iters", type=int, default=5)
    ap.add_argument("--seed", type=int, default=2025)
    ap.add_argument("--vae", action="store_true", help="also write random VAE weights and time the decode")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    wan_reference.setup(args.wan, args.devref)
    import wan.modules.attention as wan_attention
    import wan.modules.model as wan_model
    # No flash-attn on this machine: the reference's own SDPA fallback stands in for flash_attention.
    wan_model.flash_attention = wan_attention.attention
    report = {"diffusers": wan_reference.diffusers_kind(), "torch": torch.__version__,
              "device": torch.cuda.get_device_name(0), "guide_scale": GUIDE_SCALE}

    torch.manual_seed(args.seed)
    with torch.device("cuda"):
        model = wan_model.WanModel(patch_size=(1, 2, 2), window_size=(-1, -1), qk_norm=True, cross_attn_norm=True,
                                   **CONFIG_1_3B)
        with torch.no_grad():
            for name, p in model.named_parameters():
                if name.endswith(".bias"):
                    p.normal_(0, 0.02)
            model.head.head.weight.normal_(0, 0.02)  # init_weights zeroes it
    model = model.eval().requires_grad_(False)

    c, f, h, w = CONFIG_1_3B["in_dim"], args.frames, args.height, args.width
    seq_len = f * h * w // 4
    lat = torch.randn(c, f, h, w, device="cuda")
    t = torch.tensor([500.0], device="cuda")
    ctx_c = torch.randn(512, 4096, device="cuda").bfloat16()  # umT5 output is bf16 in the reference
    ctx_u = torch.randn(512, 4096, device="cuda").bfloat16()

    def step():
        with torch.amp.autocast("cuda", dtype=torch.bfloat16), torch.no_grad():
            cond = model([lat], t=t, context=[ctx_c], seq_len=seq_len)[0]
            uncond = model([lat], t=t, context=[ctx_u], seq_len=seq_len)[0]
            return cond, uncond + GUIDE_SCALE * (cond - uncond)

    def time_steps():
        torch.cuda.reset_peak_memory_stats()
        for _ in range(args.warmup):
            cuda_ms(step)
        times = []
        for _ in range(args.iters):
            ms, outputs = cuda_ms(step)
            times.append(ms)
        return times, torch.cuda.max_memory_allocated() / 2**30, outputs

    # As generate() runs it: float32 weights under autocast(bfloat16).
    times, report["peak_gb"], _ = time_steps()
    report["step_ms"] = times
    report["step_ms_median"] = statistics.median(times)
    report["step_weights"] = "float32 under autocast(bfloat16), as generate()"
    # Every weight cast to bf16 (not what generate() does; the engine's bf16 weights and outputs come from this one).
    model = model.to(torch.bfloat16)
    times, report["bf16_peak_gb"], (cond, pred) = time_steps()
    report["bf16_step_ms"] = times
    report["bf16_step_ms_median"] = statistics.median(times)

    # Attention share: the same step with CUDA events around every attention call (no extra syncs).
    events = []

    def timed_attention(*a, **kw):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        out = wan_attention.attention(*a, **kw)
        e.record()
        events.append((s, e))
        return out

    wan_model.flash_attention = timed_attention
    ms, _ = cuda_ms(step)
    wan_model.flash_attention = wan_attention.attention
    attn_ms = sum(s.elapsed_time(e) for s, e in events)
    report["attention_calls"] = len(events)
    report["attention_ms"] = attn_ms
    report["attention_share"] = attn_ms / ms
    heads, head_dim = CONFIG_1_3B["num_heads"], CONFIG_1_3B["dim"] // CONFIG_1_3B["num_heads"]
    report["sdpa_kernels_self"] = sdpa_kernels(torch.nn.functional.scaled_dot_product_attention,
                                               (1, heads, seq_len, head_dim))
    print(json.dumps(report, indent=1), flush=True)

    # What the engine needs: weights in the official layout, inputs, outputs.
    t0 = time.time()
    cfg = dict(CONFIG_1_3B, _class_name="WanModel", patch_size=[1, 2, 2], cross_attn_norm=True, qk_norm=True)
    json.dump(cfg, open(os.path.join(args.out, "config.json"), "w"), indent=1)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()},
              os.path.join(args.out, "diffusion_pytorch_model.safetensors"))
    save_file({"latent": lat.unsqueeze(0).cpu(), "t": t.cpu(),
               "context_cond": ctx_c.float().unsqueeze(0).cpu(), "context_uncond": ctx_u.float().unsqueeze(0).cpu()},
              os.path.join(args.out, "inputs.safetensors"))
    save_file({"cond": cond.float().unsqueeze(0).cpu(), "pred": pred.float().unsqueeze(0).cpu()},
              os.path.join(args.out, "reference_out.safetensors"))
    report["write_s"] = time.time() - t0
    del model
    torch.cuda.empty_cache()

    if args.vae:
        from wan.modules.vae import WanVAE_
        torch.manual_seed(args.seed + 1)
        with torch.device("cuda"):
            vae = WanVAE_(dim=96, z_dim=16, dim_mult=[1, 2, 4, 4], num_res_blocks=2, attn_scales=[],
                          temperal_downsample=[False, True, True], dropout=0.0).eval().requires_grad_(False)
        torch.save(vae.state_dict(), os.path.join(args.out, "Wan2.1_VAE.pth"))
        scale = [torch.tensor(VAE_MEAN, device="cuda"), 1.0 / torch.tensor(VAE_STD, device="cuda")]

        def decode():  # as WanVAE.decode inside generate(): autocast(float32) within autocast(bf16)
            with torch.amp.autocast("cuda", dtype=torch.bfloat16), torch.no_grad():
                with torch.amp.autocast("cuda", dtype=torch.float32):
                    return vae.decode(lat.unsqueeze(0), scale).float().clamp_(-1, 1)

        torch.cuda.reset_peak_memory_stats()
        ms, video = cuda_ms(decode)
        report["vae_decode_ms"] = ms
        report["vae_peak_gb"] = torch.cuda.max_memory_allocated() / 2**30
        report["vae_video_shape"] = list(video.shape)
        report["vae_cudnn_tf32"] = torch.backends.cudnn.allow_tf32

    json.dump(report, open(os.path.join(args.out, "reference.json"), "w"), indent=1)
    print("reference: median CFG step %.1f ms as generate() (float32 weights, autocast), %.1f ms with bf16 weights; "
          "attention %.0f%% (bf16 weights), peak %.1f GB" %
          (report["step_ms_median"], report["bf16_step_ms_median"], 100 * report["attention_share"], report["peak_gb"]))


if __name__ == "__main__":
    main()
