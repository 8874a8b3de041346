"""Seconds per epoch of Keras (TensorFlow's CPU build) on the network of bench/epoch-time.mjs.

Reads the inputs the Node side wrote (float32 rows x features, then float32 labels), trains
Dense 256 relu -> Dense 256 relu -> Dense 1 sigmoid with Adam 1e-3 and binary cross-entropy,
batch 256, shuffled, and prints one JSON line: the fastest of the epochs after the first (the
first one traces the graph; at least two are measured), and the last loss.

usage: python keras_epoch.py <x.f32> <y.f32> <rows> <features> <epochs>
"""

import json
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import keras  # noqa: E402


class EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.times = []
        self._t0 = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.times.append(time.perf_counter() - self._t0)


def main():
    x_path, y_path, rows, features, epochs = sys.argv[1:6]
    rows, features, epochs = int(rows), int(features), int(epochs)
    x = np.fromfile(x_path, dtype=np.float32).reshape(rows, features)
    y = np.fromfile(y_path, dtype=np.float32).reshape(rows, 1)
    keras.utils.set_random_seed(1)
    model = keras.Sequential(
        [
            keras.Input(shape=(features,)),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(256, activation="relu"),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
    timer = EpochTimer()
    # One extra epoch first: it traces and compiles the training step.
    history = model.fit(x, y, batch_size=256, epochs=max(epochs, 2) + 1, shuffle=True, verbose=0, callbacks=[timer])
    measured = timer.times[1:]
    print(
        json.dumps(
            {
                "s": min(measured),
                "loss": float(history.history["loss"][-1]),
                "first_epoch_s": timer.times[0],
                "keras": keras.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
