"""Choosing a detector: the pinned YOLOX-Nano download, a user's own YOLO ONNX export (checked on
job start, decoded end to end) and the optional Ultralytics backend."""

from __future__ import annotations

import urllib.request

import numpy as np
import pytest

from sideline.errors import InvalidInput
from sideline.jobs import video as video_jobs
from sideline.vision.detect.base import PERSON, SPORTS_BALL
from sideline.vision.detect.models import UnusableModel
from sideline.vision.pipeline import make_detector
from tests.conftest import upload_file as upload
from tests.conftest import wait_job
from tests.video._data import shared_data, shared_models

SIDE = 64  # network input; YOLO grid cells: 8x8 + 4x4 + 2x2 = 84


def yolo_v8_onnx(boxes: dict[int, tuple[float, float, float, float, int, float]], names=("player", "ball"),
                 rows: int | None = None, cols: int = 84) -> bytes:
    """A tiny ONNX model with an Ultralytics-style [1, 4+C, 84] output that ignores its input:
    ``boxes`` maps an anchor column to (cx, cy, w, h, class, score) in input pixels."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    table = np.zeros((1, rows or 4 + len(names), cols), np.float32)
    for anchor, (cx, cy, w, h, cls, score) in boxes.items():
        table[0, :4, anchor] = [cx, cy, w, h]
        table[0, 4 + cls, anchor] = score
    image = helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, SIDE, SIDE])
    output = helper.make_tensor_value_info("output0", TensorProto.FLOAT, list(table.shape))
    # output = table + 0 * mean(image): the input is used, as in a real network.
    nodes = [
        helper.make_node("ReduceMean", ["images"], ["mean"], keepdims=0),
        helper.make_node("Mul", ["mean", "zero"], ["nothing"]),
        helper.make_node("Add", ["table", "nothing"], ["output0"]),
    ]
    graph = helper.make_graph(nodes, "tiny_yolo", [image], [output],
                              [numpy_helper.from_array(table, "table"), numpy_helper.from_array(np.zeros((), np.float32), "zero")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    helper.set_model_props(model, {"names": repr(dict(enumerate(names)))})
    onnx.checker.check_model(model)
    return model.SerializeToString()


def test_user_yolo_onnx_decodes_end_to_end(tmp_path):
    from sideline.vision.detect.onnx_coco import YoloOnnxDetector

    path = tmp_path / "mine.onnx"
    # A ball at (32, 20) 10x20 and a player at (16, 40) 8x16 in the 64 px input; anchor 5 scores under the threshold.
    path.write_bytes(yolo_v8_onnx({3: (32, 20, 10, 20, 1, 0.9), 7: (16, 40, 8, 16, 0, 0.8), 5: (50, 50, 4, 4, 0, 0.1)}))
    detector = YoloOnnxDetector(str(path))
    assert detector.layout.kind == "v8" and detector.layout.classes == 2
    found = detector.detect(np.zeros((128, 128, 3), np.uint8))  # letterbox ratio 0.5: boxes scale by 2
    order = np.argsort(found.class_id)
    assert found.class_id[order].tolist() == [PERSON, SPORTS_BALL]
    assert np.allclose(found.xyxy[order], [[24, 64, 40, 96], [54, 20, 74, 60]])
    assert np.allclose(found.confidence[order], [0.8, 0.9], atol=1e-6)


def test_unusable_user_models_are_refused_with_the_reason(tmp_path):
    junk = tmp_path / "junk.onnx"
    junk.write_bytes(b"not a model at all" * 10)
    with pytest.raises(UnusableModel, match="'junk.onnx' is not a loadable ONNX model") as caught:
        video_jobs.check_user_model(junk, "junk.onnx")
    assert caught.value.status_code == 422
    wrong = tmp_path / "wrong.onnx"
    wrong.write_bytes(yolo_v8_onnx({}, cols=50))  # 50 boxes: no YOLO grid of a 64 px input
    with pytest.raises(UnusableModel, match=r"output shape \[1, 6, 50\] matches no supported YOLO layout"):
        video_jobs.check_user_model(wrong, "wrong.onnx")
    animals = tmp_path / "animals.onnx"
    animals.write_bytes(yolo_v8_onnx({}, names=("cat", "dog")))
    with pytest.raises(UnusableModel, match="none of the model's classes"):
        video_jobs.check_user_model(animals, "animals.onnx")


def test_yolox_nano_offline_with_nothing_cached_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv("SIDELINE_MODEL_DIR", str(tmp_path / "models"))
    monkeypatch.setenv("SIDELINE_MODEL_CACHE", str(tmp_path / "cache"))

    def offline(*_a, **_k):
        raise OSError("Network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(InvalidInput, match=r"'yolox_nano.onnx' is not in SIDELINE_MODEL_DIR .* are you offline"):
        make_detector("yolox_nano")
    assert not any((tmp_path / "cache").glob("*")), "nothing half-written is left in the cache"


def test_ultralytics_without_the_extra_says_how_to_install(monkeypatch):
    from sideline.vision.detect import ultralytics_backend

    monkeypatch.setattr(ultralytics_backend, "ultralytics_available", lambda: False)
    with pytest.raises(InvalidInput, match=r"pip install 'sideline\[yolo\]'"):
        make_detector("ultralytics")
    with pytest.raises(UnusableModel, match=r"sideline\[yolo\]"):
        video_jobs.validate_options({"detector": "ultralytics:yolo11n.pt"})
    with pytest.raises(InvalidInput, match="detector: one of"):
        video_jobs.validate_options({"detector": "ultralytics:../../etc/passwd"})


def test_ultralytics_results_convert_to_detections():
    from types import SimpleNamespace

    from sideline.vision.detect.onnx_coco import _class_map
    from sideline.vision.detect.ultralytics_backend import detections_from_result

    # A football model's classes: ball, goalkeeper, player, referee (as Ultralytics' Results carry them).
    class_map = _class_map({0: "ball", 1: "goalkeeper", 2: "player", 3: "referee", 4: "flag"}, 5)
    class Boxes:  # what Results.boxes offers (tensors there; arrays work the same here)
        xyxy = np.array([[1, 2, 3, 4], [10, 10, 20, 40], [5, 5, 6, 6]], np.float32)
        conf = np.array([0.9, 0.8, 0.7], np.float32)
        cls = np.array([0, 3, 4], np.float32)

        def __len__(self):
            return 3

    result = SimpleNamespace(boxes=Boxes())
    found = detections_from_result(result, class_map)
    assert found.class_id.tolist() == [SPORTS_BALL, PERSON]  # the flag is dropped
    assert np.allclose(found.xyxy, [[1, 2, 3, 4], [10, 10, 20, 40]]) and np.allclose(found.confidence, [0.9, 0.8])


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_video_with_an_uploaded_yolo_model(client, account, other_account, monkeypatch):
    monkeypatch.setenv("SIDELINE_MODEL_DIR", str(shared_models()))
    h = account.headers
    model_id = upload(client, account, "players.onnx", yolo_v8_onnx({10: (32, 32, 8, 16, 0, 0.9)}))
    junk_id = upload(client, account, "junk.onnx", b"\x00" * 500)
    options = [o["value"] for o in client.get(account.url("/video-detectors"), headers=h).json()]
    assert {"centernet", "centernet_tiled", "yolox_nano", f"onnx:{model_id}", f"onnx:{junk_id}"} <= set(options)
    video_id = upload(client, account, "vtest.avi", (shared_data() / "video" / "vtest.avi").read_bytes())
    r = client.post(account.url("/videos"), headers=h, json={"file_id": video_id, "detector": f"onnx:{junk_id}"})
    assert r.status_code == 422 and "junk.onnx" in r.json()["error"]["message"], r.text
    theirs = upload(client, other_account, "theirs.onnx", yolo_v8_onnx({}))
    r = client.post(account.url("/videos"), headers=h, json={"file_id": video_id, "detector": f"onnx:{theirs}"})
    assert r.status_code == 404, r.text
    r = client.post(account.url("/videos"), headers=h,
                    json={"file_id": video_id, "detector": f"onnx:{model_id}", "max_frames": 3})
    assert r.status_code == 202, r.text
    wait_job(client, account, r.json()["job"]["id"])
    video = client.get(account.url(f"/videos/{r.json()['id']}"), headers=h).json()
    detect = next(s for s in video["stages"] if s["name"] == "detect")
    # One box per frame, where the fixed output puts it: decoded, letterboxed back, stored.
    assert detect["status"] == "done" and detect["message"] == "3 boxes in 3 frames", detect
