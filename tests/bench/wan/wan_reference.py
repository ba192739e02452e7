"""Imports the reference Wan 2.1 modules (github.com/Wan-Video/Wan2.1) on a
machine that lacks some of their dependencies, without touching their code.

The GPU machine has torch, transformers, safetensors, einops and numpy, but no
diffusers, easydict, ftfy or flash-attn, and no internet. The sources come
from the ignored folder .devref/ (Wan2.1/ = the repository's wan package,
diffusers/ = diffusers' src/diffusers). What is done here, and why:
  - `wan`, `wan.modules`, `wan.utils` are registered as bare packages so their
    __init__.py (which imports every pipeline, easydict configs, torchvision,
    PIL ...) never runs; only the modules we name are imported.
  - diffusers: the real package is tried first; if its own imports fail
    (PIL, tqdm, a huggingface_hub of another age ...), a stand-in for the five
    names Wan uses is installed. They only record constructor arguments
    (ConfigMixin/register_to_config) or are plain bases (ModelMixin =
    nn.Module), so no number changes. `diffusers_kind()` says which was used.
  - wan.modules.tokenizers (ftfy, regex, transformers) is replaced by a stub
    when it cannot be imported: only T5EncoderModel uses it, never us.
  - flash_attention is replaced by torch SDPA by the caller
    (`sdpa_attention_function`).
"""
import dataclasses
import enum
import functools
import importlib
import importlib.util
import inspect
import os
import sys
import types

_DIFFUSERS_KIND = None


def _bare_package(name, path):
    mod = types.ModuleType(name)
    mod.__path__ = [path]
    mod.__package__ = name
    sys.modules[name] = mod
    return mod


def _module(name, **attrs):
    mod = types.ModuleType(name)
    mod.__dict__.update(attrs)
    sys.modules[name] = mod
    return mod


class _FrozenConfig(dict):
    """diffusers' config object: a dict whose keys read as attributes."""

    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError as e:
            raise AttributeError(name) from e


def _register_to_config(init):
    @functools.wraps(init)
    def wrapped(self, *args, **kwargs):
        bound = inspect.signature(init).bind(self, *args, **kwargs)
        bound.apply_defaults()
        values = {k: v for k, v in list(bound.arguments.items())[1:]}
        if not hasattr(self, "_internal_dict"):
            self._internal_dict = _FrozenConfig()
        self._internal_dict.update(values)
        init(self, *args, **kwargs)

    return wrapped


class _ConfigMixin:
    config_name = "config.json"

    @property
    def config(self):
        if not hasattr(self, "_internal_dict"):
            self._internal_dict = _FrozenConfig()
        return self._internal_dict

    def register_to_config(self, **kwargs):
        self.config.update(kwargs)


def _install_diffusers_stand_in():
    import torch

    for name in [n for n in sys.modules if n == "diffusers" or n.startswith("diffusers.")]:
        del sys.modules[name]

    @dataclasses.dataclass
    class SchedulerOutput:
        prev_sample: torch.Tensor

    class SchedulerMixin:
        config_name = "scheduler_config.json"

    class ModelMixin(torch.nn.Module):
        pass

    KarrasDiffusionSchedulers = enum.Enum("KarrasDiffusionSchedulers", ["UniPCMultistepScheduler"])

    def deprecate(*args, **kwargs):
        pass

    def is_scipy_available():
        return importlib.util.find_spec("scipy") is not None

    _module("diffusers", __path__=[], __version__="stand-in")
    _module("diffusers.configuration_utils", ConfigMixin=_ConfigMixin, register_to_config=_register_to_config)
    _module("diffusers.models", __path__=[])
    _module("diffusers.models.modeling_utils", ModelMixin=ModelMixin)
    _module("diffusers.schedulers", __path__=[])
    _module("diffusers.schedulers.scheduling_utils", KarrasDiffusionSchedulers=KarrasDiffusionSchedulers,
            SchedulerMixin=SchedulerMixin, SchedulerOutput=SchedulerOutput)
    _module("diffusers.utils", deprecate=deprecate, is_scipy_available=is_scipy_available)


def _import_diffusers(devref):
    global _DIFFUSERS_KIND
    if devref and os.path.isdir(os.path.join(devref, "diffusers")):
        sys.path.insert(0, devref)
    try:
        import diffusers.configuration_utils  # noqa: F401
        import diffusers.models.modeling_utils  # noqa: F401
        import diffusers.schedulers.scheduling_utils  # noqa: F401
        import diffusers.utils  # noqa: F401
        _DIFFUSERS_KIND = "diffusers " + getattr(sys.modules["diffusers"], "__version__", "?")
    except Exception as e:  # ImportError, or a version clash inside diffusers
        _install_diffusers_stand_in()
        _DIFFUSERS_KIND = "stand-in (%s: %s)" % (type(e).__name__, str(e).splitlines()[0][:120])


def _patch_torch_amp():
    # Wan uses torch.cuda.amp.autocast (deprecated in torch 2.4); keep it callable if a release drops it.
    import torch
    import torch.cuda.amp as amp
    if not hasattr(amp, "autocast"):
        amp.autocast = functools.partial(torch.amp.autocast, "cuda")
    # t5.py's T5EncoderModel (unused here) calls torch.cuda.current_device() for a default
    # argument when the module is imported; on a machine without CUDA that would raise.
    if not torch.cuda.is_available():
        torch.cuda.current_device = lambda: 0


def setup(wan_dir, devref=None):
    """Makes `wan.modules.*` and `wan.utils.fm_solvers_unipc` importable.
    wan_dir: the folder holding the repository's `wan/` package (.devref/Wan2.1);
    devref: the folder holding the `diffusers/` package (.devref), or None."""
    wan_pkg = os.path.join(wan_dir, "wan")
    if not os.path.isfile(os.path.join(wan_pkg, "modules", "model.py")):
        raise SystemExit("no Wan 2.1 sources at %s (expected wan/modules/model.py)" % wan_dir)
    _patch_torch_amp()
    if importlib.util.find_spec("easydict") is None:
        _module("easydict", EasyDict=_FrozenConfig)
    _import_diffusers(devref)
    _bare_package("wan", wan_pkg)
    _bare_package("wan.modules", os.path.join(wan_pkg, "modules"))
    _bare_package("wan.utils", os.path.join(wan_pkg, "utils"))
    try:
        importlib.import_module("wan.modules.tokenizers")
    except Exception:
        sys.modules.pop("wan.modules.tokenizers", None)
        _module("wan.modules.tokenizers", HuggingfaceTokenizer=None)


def diffusers_kind():
    return _DIFFUSERS_KIND


def sdpa_attention_function(compute_dtype):
    """A stand-in for wan.modules.attention.flash_attention (q, k, v: [B, L, N, D]) on torch SDPA.
    T2V passes no padding: self-attention lengths are full, cross-attention k_lens is None.
    compute_dtype None keeps the input dtype (what the reference's own SDPA fallback does after
    casting to half); torch.float32 computes in float32 (golden outputs)."""
    import torch.nn.functional as F

    def attention(q, k, v, q_lens=None, k_lens=None, dropout_p=0.0, softmax_scale=None, q_scale=None,
                  causal=False, window_size=(-1, -1), deterministic=False, dtype=None, version=None):
        out_dtype = q.dtype
        cast = (lambda t: t) if compute_dtype is None else (lambda t: t.to(compute_dtype))
        out = F.scaled_dot_product_attention(cast(q.transpose(1, 2)), cast(k.transpose(1, 2)),
                                             cast(v.transpose(1, 2)))
        return out.transpose(1, 2).contiguous().to(out_dtype)

    return attention
