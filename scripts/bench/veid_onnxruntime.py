#!/usr/bin/env python3
"""Reference for the identity pipeline benchmark: replays, with onnxruntime, every inference
the Rust pipeline made on one bundle (recorded by offchain/scoring/benches/pipeline.rs into a
directory: calls.json plus each call's input and tract's first output as raw little-endian f32),
single-threaded, on the original model files, and prints JSON: the median seconds of each call
and the largest absolute difference between onnxruntime's first output and tract's.

Usage: veid_onnxruntime.py <recording dir> <rounds>"""
import json
import os
import sys
import time

import numpy as np
import onnxruntime as ort


def main():
    directory, rounds = sys.argv[1], int(sys.argv[2])
    with open(os.path.join(directory, "calls.json")) as f:
        calls = json.load(f)
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    sessions = {}
    results = []
    for call in calls:
        path = call["model_path"]
        if path not in sessions:
            sessions[path] = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        session = sessions[path]
        name = session.get_inputs()[0].name
        x = np.fromfile(os.path.join(directory, call["input"]), dtype="<f4").reshape(call["shape"])
        expected = np.fromfile(os.path.join(directory, call["output"]), dtype="<f4")
        out = session.run(None, {name: x})  # warm-up, and the output to compare
        got = np.asarray(out[0], dtype=np.float32).reshape(-1)
        diff = float(np.max(np.abs(got - expected))) if got.size == expected.size else float("inf")
        samples = []
        for _ in range(rounds):
            t = time.perf_counter()
            session.run(None, {name: x})
            samples.append(time.perf_counter() - t)
        samples.sort()
        results.append({"seconds": samples[len(samples) // 2], "max_abs_diff": diff})
    print(json.dumps({"onnxruntime": ort.__version__, "calls": results}))


if __name__ == "__main__":
    main()
