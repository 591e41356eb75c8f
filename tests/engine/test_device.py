"""Device selection and precision rules, with CUDA and MPS faked (no GPU needed)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
import torch

from engine.errors import ValidationError
from engine.training import device as dev


def fake_cuda(
    monkeypatch: pytest.MonkeyPatch,
    count: int,
    bf16: bool = True,
    capability: tuple[int, int] = (8, 0),
) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: count > 0)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: count)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: bf16)
    monkeypatch.setattr(torch.cuda, "get_device_capability", lambda *a: capability)
    monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "Fake GPU")


def fake_mps(monkeypatch: pytest.MonkeyPatch, available: bool) -> None:
    monkeypatch.setattr(torch.backends, "mps", SimpleNamespace(is_available=lambda: available))


def test_auto_prefers_cuda_then_mps_then_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cuda(monkeypatch, 2)
    fake_mps(monkeypatch, True)
    assert dev.resolve_device("auto") == torch.device("cuda", 0)
    assert dev.resolve_device(None) == torch.device("cuda", 0)
    fake_cuda(monkeypatch, 0)
    assert dev.resolve_device("auto") == torch.device("mps")
    fake_mps(monkeypatch, False)
    assert dev.resolve_device("auto") == torch.device("cpu")


def test_named_devices(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cuda(monkeypatch, 2)
    assert dev.resolve_device("cuda") == torch.device("cuda", 0)
    assert dev.resolve_device("cuda:1") == torch.device("cuda", 1)
    assert dev.resolve_device("CPU ") == torch.device("cpu")


def test_unavailable_devices_are_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    fake_cuda(monkeypatch, 2)
    with pytest.raises(ValidationError, match="has 2 GPUs") as info:
        dev.resolve_device("cuda:2")
    assert info.value.field == "device"
    fake_cuda(monkeypatch, 0)
    with pytest.raises(ValidationError, match="cuda is not available"):
        dev.resolve_device("cuda")
    fake_mps(monkeypatch, False)
    with pytest.raises(ValidationError, match="mps is not available"):
        dev.resolve_device("mps")
    for bad in ("gpu", "cuda:x", "tpu", "", 3):
        with pytest.raises(ValidationError, match="unknown device"):
            dev.check_device_name(bad)


def test_precision_rules(monkeypatch: pytest.MonkeyPatch) -> None:
    cuda = torch.device("cuda", 0)
    fake_cuda(monkeypatch, 1, bf16=True)
    assert dev.precision_for(cuda, None) == dev.Precision("bf16", torch.bfloat16, False)
    assert dev.precision_for(cuda, False).name == "fp32"
    fake_cuda(monkeypatch, 1, bf16=False)
    p = dev.precision_for(cuda, None)
    assert (p.name, p.dtype, p.scaler) == ("fp16", torch.float16, True)
    assert dev.precision_for(torch.device("mps"), None).name == "fp32"
    cpu = torch.device("cpu")
    monkeypatch.setattr("engine.training.cpu.has_native_bf16", lambda: False)
    assert dev.precision_for(cpu, None).name == "fp32"
    assert dev.precision_for(cpu, True).name == "bf16"
    monkeypatch.setattr("engine.training.cpu.has_native_bf16", lambda: True)
    assert dev.precision_for(cpu, None).name == "bf16"
    assert dev.precision_for(cpu, False).name == "fp32"


def test_tf32_only_on_ampere_and_later(monkeypatch: pytest.MonkeyPatch) -> None:
    before = torch.get_float32_matmul_precision()
    try:
        torch.set_float32_matmul_precision("highest")
        fake_cuda(monkeypatch, 1, capability=(7, 5))
        assert not dev.enable_tf32(torch.device("cuda", 0))
        assert not dev.enable_tf32(torch.device("cpu"))
        assert torch.get_float32_matmul_precision() == "highest"
        fake_cuda(monkeypatch, 1, capability=(9, 0))
        assert dev.enable_tf32(torch.device("cuda", 0))
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision(before)


def test_device_setting_is_checked(tmp_path) -> None:
    from engine.api import Project

    with Project.create(tmp_path / "p", ["PER"]) as project:
        assert project.setting("device") == "auto"
        project.set_setting("device", "cuda:1")
        assert project.setting("device") == "cuda:1"
        with pytest.raises(ValidationError) as info:
            project.set_setting("device", "gpu")
        assert info.value.field == "device"


def test_onnx_providers_fall_back_to_cpu_with_one_log_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import onnxruntime as ort

    from engine.inference import predictor

    monkeypatch.setattr(predictor, "_fallback_logged", False)
    monkeypatch.setattr(ort, "get_available_providers", lambda: ["CPUExecutionProvider"])
    with caplog.at_level(logging.INFO, logger="engine.inference.predictor"):
        assert predictor.choose_providers() == ["CPUExecutionProvider"]
        assert predictor.choose_providers() == ["CPUExecutionProvider"]
    assert sum("onnxruntime-gpu" in r.message for r in caplog.records) == 1
    monkeypatch.setattr(
        ort, "get_available_providers", lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"]
    )
    assert predictor.choose_providers() == ["CUDAExecutionProvider", "CPUExecutionProvider"]


def test_fp16_with_gradient_scaler_trains(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    """The CUDA fp16 path (autocast + GradScaler), run on the CPU where torch supports both."""
    from engine.training import TrainConfig, train_examples
    from tests.engine.test_training import as_examples, sentences
    from tests.engine.tiny_model import build_tiny_model

    base = build_tiny_model(tmp_path / "base", ["PER", "LOC"])
    monkeypatch.setattr(
        dev, "precision_for", lambda device, bf16: dev.Precision("fp16", torch.float16, True)
    )
    data = as_examples(sentences(16))
    outcome = train_examples(
        data[:12],
        data[12:],
        ["PER", "LOC"],
        TrainConfig(
            base_model=str(base),
            epochs=2,
            batch_size=4,
            threads=1,
            max_length=32,
            stride=8,
            device="cpu",
            seed=0,
        ),
    )
    assert outcome.config["precision"] == "fp16" and outcome.config["device"] == "cpu"
    assert outcome.metrics["training"]["steps"] == 6
    assert outcome.metrics["f1"] is not None
    assert all(p.dtype == torch.float32 for p in outcome.model.parameters())
