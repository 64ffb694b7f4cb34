"""Read FunctionSpace.Ising (fsising) outputs with numpy and the standard library alone.

- ``read_ensemble(path)`` reads a weight-ensemble file (``.fsie``, docs/ensemble-format.md): the header,
  the ±1 spins (bit-packed on disk), the network ids, seeds, test accuracies and training losses of every
  configuration, every chunk's CRC-32 checked. ``iter_chunks(path)`` streams it chunk by chunk.
- ``read_csv(path)`` reads any CSV the tool writes into ``{column: numpy array}`` (numbers as float64
  or int64, True/False as bool, anything else as str); ``pandas.DataFrame(read_csv(path))`` if you like.
- ``Run(directory)`` opens a run directory (``fsising run``'s ``models/runs/<name>/``): every file by its
  path relative to the run (``run["under/fit/ITER_mc.J.npy"]``), loaded on first use, and helpers for the
  common pieces (``run.ensemble("under")``, ``run.moments("under")``, ``run.model("under", "ITER")``,
  ``run.landscape("under", "lowest")``).

Copy this file next to your script or put docs/python on PYTHONPATH. Requires numpy (>= 1.17).
"""

from __future__ import annotations

import csv
import json
import os
import re
import struct
import warnings
import zlib
from dataclasses import dataclass, field
from typing import Dict, Iterator, List, Optional, Tuple

import numpy as np

__all__ = ["Ensemble", "Chunk", "EnsembleError", "read_ensemble", "iter_chunks", "read_ensemble_header",
           "read_csv", "read_json", "read_file", "Run"]

MAGIC = b"FSIENSEM"
CHUNK_MAGIC = b"CHNK"


class EnsembleError(ValueError):
    """A file that is not a valid ensemble, or a torn or corrupt chunk (the message names file and byte)."""


@dataclass
class Chunk:
    """One block of networks as stored: ``count`` configurations of ``spins`` weights each."""

    block: int
    count: int
    spins: int
    network_id: np.ndarray      # int32 (count,)
    network_seed: np.ndarray    # uint64 (count,)
    accuracy: np.ndarray        # float32 (count,): test accuracy of the configuration
    loss: np.ndarray            # float32 (count,): training loss of its network
    packed: np.ndarray          # uint8 (count, ceil(spins/8)): bit i%8 of byte i//8 set for w_i = +1
    offset: int                 # byte offset of the chunk in the file

    def unpack(self) -> np.ndarray:
        """The spins as int8 ±1, shape (count, spins)."""
        return unpack_spins(self.packed, self.spins)


@dataclass
class Ensemble:
    """A whole ensemble file in memory. Row k of every array is configuration k."""

    path: str
    header: Dict[str, str]
    spins: np.ndarray           # int8 (M, N), entries ±1, in the study's order (layer by layer, W[out, in] row by row)
    network_id: np.ndarray      # int32 (M,)
    network_seed: np.ndarray    # uint64 (M,)
    accuracy: np.ndarray        # float32 (M,)
    loss: np.ndarray            # float32 (M,)
    block: np.ndarray           # int32 (M,): the chunk (block of networks) each configuration came from
    torn_tail: Optional[str] = None   # set when read with allow_torn_tail=True and the file ended in a bad chunk
    slices: Dict[str, Tuple[int, int]] = field(default_factory=dict)  # part -> (start, end), end exclusive

    def part(self, name: str) -> np.ndarray:
        """The spins of one part (``FULL``, ``LB``, ``ITER``, ``RB``, as in the header's ``slices``)."""
        start, end = self.slices[name]
        return self.spins[:, start:end]

    def __len__(self) -> int:
        return self.spins.shape[0]


def unpack_spins(packed: np.ndarray, n: int) -> np.ndarray:
    """Bit-packed rows (bit i%8 of byte i//8 set for +1) to int8 ±1, shape (rows, n)."""
    bits = np.unpackbits(packed, axis=1, bitorder="little")[:, :n]
    return (bits.astype(np.int8) * 2 - 1).astype(np.int8)


def parse_slices(text: str) -> Dict[str, Tuple[int, int]]:
    """``FULL:0:675,LB:0:300`` -> {"FULL": (0, 675), "LB": (0, 300)}."""
    slices = {}
    for item in filter(None, text.split(",")):
        name, start, end = item.split(":")
        slices[name] = (int(start), int(end))
    return slices


def _read_header(data: bytes, path: str) -> Tuple[Dict[str, str], int]:
    if len(data) < 12 or data[:8] != MAGIC:
        raise EnsembleError(f"{path}: not an ensemble file (no FSIENSEM signature)")
    (length,) = struct.unpack_from("<I", data, 8)
    end = 12 + length
    if len(data) < end + 4:
        raise EnsembleError(f"{path}: header is truncated")
    body = data[12:end]
    (crc,) = struct.unpack_from("<I", data, end)
    if zlib.crc32(body) & 0xFFFFFFFF != crc:
        raise EnsembleError(f"{path}: header is corrupt (checksum mismatch)")
    header = {}
    for line in body.decode("utf-8").splitlines():
        if line.strip():
            key, _, value = line.partition("=")
            header[key] = value
    return header, end + 4


def read_ensemble_header(path: str) -> Dict[str, str]:
    """Only the header's ``key=value`` pairs (reads the first few kilobytes)."""
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) == 12 and head[:8] == MAGIC:
            head += f.read(struct.unpack_from("<I", head, 8)[0] + 4)
    return _read_header(head, path)[0]


def iter_chunks(path: str, allow_torn_tail: bool = False) -> Iterator[Chunk]:
    """Yields the chunks in file order, each checked against its CRC-32.

    A truncated or corrupt chunk raises EnsembleError naming it, unless ``allow_torn_tail`` is set, in
    which case reading stops there with a warning (chunks are appended whole, so every earlier one is
    intact: what an interrupted collection leaves, and what ``fsising collect --resume`` cuts off).
    """
    for chunk, problem in _chunks(path):
        if problem is not None:
            if not allow_torn_tail:
                raise EnsembleError(problem)
            warnings.warn(problem + "; reading stops there")
            return
        yield chunk


def _chunks(path: str) -> Iterator[Tuple[Optional[Chunk], Optional[str]]]:
    # (chunk, None) per intact chunk; (None, message) for the first bad one, then stops.
    with open(path, "rb") as f:
        data = f.read()
    _, position = _read_header(data, path)
    index = 0
    while position < len(data):
        problem = None
        start = end = 0
        if len(data) - position < 8:
            problem = "truncated (torn write)"
        elif data[position:position + 4] != CHUNK_MAGIC:
            problem = "corrupt (no CHNK marker)"
        else:
            (length,) = struct.unpack_from("<I", data, position + 4)
            start, end = position + 8, position + 8 + length
            if len(data) < end + 4:
                problem = "truncated (torn write)"
            elif zlib.crc32(data[start:end]) & 0xFFFFFFFF != struct.unpack_from("<I", data, end)[0]:
                problem = "corrupt (checksum mismatch)"
        if problem is not None:
            yield None, f"{path}: chunk {index} at byte {position} is {problem}"
            return
        yield _parse_chunk(data[start:end], position, path, index), None
        position = end + 4
        index += 1


def _parse_chunk(payload: bytes, offset: int, path: str, index: int) -> Chunk:
    block, count, n = struct.unpack_from("<iii", payload, 0)
    row = (n + 7) // 8
    expected = 12 + count * (4 + 8 + 4 + 4 + row)
    if count < 0 or n <= 0 or len(payload) != expected:
        raise EnsembleError(f"{path}: chunk {index} at byte {offset} has {len(payload)} payload bytes, "
                            f"expected {expected} for {count} configurations of {n} spins")
    at = 12

    def take(dtype: str, items: int) -> np.ndarray:
        nonlocal at
        array = np.frombuffer(payload, dtype=dtype, count=items, offset=at)
        at += array.nbytes
        return array

    ids = take("<i4", count)
    seeds = take("<u8", count)
    accuracy = take("<f4", count)
    loss = take("<f4", count)
    packed = take("u1", count * row).reshape(count, row)
    return Chunk(block, count, n, ids.astype(np.int32), seeds.astype(np.uint64), accuracy.astype(np.float32),
                 loss.astype(np.float32), packed, offset)


def read_ensemble(path: str, allow_torn_tail: bool = False) -> Ensemble:
    """The whole ensemble: header, ±1 spins (int8, M x N) and the per-configuration columns.

    Memory: M x N bytes for the spins (2,000,000 x 675 is 1.35 GB); use iter_chunks to stream instead.
    """
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) == 12 and head[:8] == MAGIC:
            head += f.read(struct.unpack_from("<I", head, 8)[0] + 4)
    header, _ = _read_header(head, path)
    slices = parse_slices(header.get("slices", ""))
    n_declared = max((end for _, end in slices.values()), default=0)
    chunks: List[Chunk] = []
    torn = None
    for chunk, problem in _chunks(path):
        if problem is not None:
            if not allow_torn_tail:
                raise EnsembleError(problem)
            torn = problem
            break
        chunks.append(chunk)
    sizes = {c.spins for c in chunks if c.count > 0}
    if len(sizes) > 1:
        raise EnsembleError(f"{path}: chunks disagree on the number of spins ({sorted(sizes)})")
    n = sizes.pop() if sizes else n_declared
    if slices and n_declared != n:
        raise EnsembleError(f"{path}: header slices cover {n_declared} spins but the chunks hold {n}")

    def cat(name: str, dtype) -> np.ndarray:
        parts = [getattr(c, name) for c in chunks]
        return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype)

    packed = np.concatenate([c.packed for c in chunks]) if chunks else np.zeros((0, (n + 7) // 8), np.uint8)
    return Ensemble(
        path=path, header=header, spins=unpack_spins(packed, n),
        network_id=cat("network_id", np.int32), network_seed=cat("network_seed", np.uint64),
        accuracy=cat("accuracy", np.float32), loss=cat("loss", np.float32),
        block=np.concatenate([np.full(c.count, c.block, np.int32) for c in chunks]) if chunks else np.zeros(0, np.int32),
        torn_tail=torn, slices=slices)


# ---------------------------------------------------------------------------------------------- CSV, JSON

_INT = re.compile(r"^[+-]?\d+$")


def _column(values: List[str]) -> np.ndarray:
    present = [v for v in values if v != ""]
    if present and all(v in ("True", "False", "true", "false") for v in present) and len(present) == len(values):
        return np.array([v in ("True", "true") for v in values], dtype=bool)
    if present and len(present) == len(values) and all(_INT.match(v) for v in present):
        return np.array([int(v) for v in values], dtype=np.int64)
    try:
        return np.array([float(v) if v != "" else np.nan for v in values], dtype=np.float64)
    except ValueError:
        return np.array(values, dtype=str)


def read_csv(path: str) -> Dict[str, np.ndarray]:
    """A CSV with a header row as {column name: numpy array}, columns in file order.

    Uses the csv module rather than numpy.genfromtxt, which splits quoted text at its commas (some text
    columns hold values such as ``steep, resolved``) and needs one dtype per file. Tables without quoted text
    also load with ``numpy.genfromtxt(path, delimiter=",", names=True, dtype=None, encoding="utf-8")``.
    """
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if not rows:
        raise ValueError(f"{path}: empty CSV (no header row)")
    names, body = rows[0], rows[1:]
    for k, row in enumerate(body):
        if len(row) != len(names):
            raise ValueError(f"{path}: line {k + 2} has {len(row)} fields, the header {len(names)}")
    columns = list(zip(*body)) if body else [() for _ in names]
    return {name: _column(list(values)) for name, values in zip(names, columns)}


def read_json(path: str):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def read_file(path: str):
    """Any output by its extension: .npy/.npz (numpy), .json, .csv (read_csv), .fsie (read_ensemble),
    .png (the bytes, signature checked), anything else as UTF-8 text."""
    lower = path.lower()
    if lower.endswith(".npy"):
        return np.load(path, allow_pickle=False)
    if lower.endswith(".npz"):
        with np.load(path, allow_pickle=False) as bundle:
            return {name: bundle[name] for name in bundle.files}
    if lower.endswith(".json"):
        return read_json(path)
    if lower.endswith(".csv"):
        return read_csv(path)
    if lower.endswith(".fsie"):
        return read_ensemble(path)
    if lower.endswith(".png"):
        with open(path, "rb") as f:
            data = f.read()
        if not data.startswith(PNG_SIGNATURE):
            raise ValueError(f"{path}: not a PNG file")
        return data
    with open(path, encoding="utf-8") as f:
        return f.read()


# ------------------------------------------------------------------------------------------------- runs

class Run:
    """A run directory. ``run[relative_path]`` loads a file on first use (read_file) and keeps it."""

    def __init__(self, directory: str):
        if not os.path.isdir(directory):
            raise FileNotFoundError(f"{directory}: not a directory")
        self.directory = os.path.abspath(directory)
        self._cache: Dict[str, object] = {}

    def files(self) -> List[str]:
        """Every file under the run, as sorted paths relative to it (with '/' separators)."""
        found = []
        for root, _, names in os.walk(self.directory):
            for name in names:
                found.append(os.path.relpath(os.path.join(root, name), self.directory).replace(os.sep, "/"))
        return sorted(found)

    def path(self, relative: str) -> str:
        return os.path.join(self.directory, *relative.split("/"))

    def __contains__(self, relative: str) -> bool:
        return os.path.isfile(self.path(relative))

    def __getitem__(self, relative: str):
        if relative not in self._cache:
            if relative not in self:
                raise KeyError(f"{self.path(relative)}: no such file in the run")
            self._cache[relative] = read_file(self.path(relative))
        return self._cache[relative]

    def load_all(self) -> Dict[str, object]:
        """Loads every file; returns {relative path: content}. Raises on the first one that does not load."""
        return {relative: self[relative] for relative in self.files()}

    # Helpers for the common pieces.
    @property
    def config(self) -> dict:
        return self["config.json"]

    @property
    def manifest(self) -> dict:
        return self["manifest.json"]

    def scenarios(self) -> List[str]:
        """Scenario folders of the run (those holding an ensemble or moments)."""
        names = []
        for entry in sorted(os.listdir(self.directory)):
            if os.path.isdir(os.path.join(self.directory, entry)) and any(
                    f.startswith(entry + "/") and (f.endswith(".fsie") or "/moments/" in f) for f in self.files()):
                names.append(entry)
        return names

    def ensemble(self, scenario: str) -> Ensemble:
        fsie = [f for f in self.files() if f.startswith(scenario + "/") and f.count("/") == 1 and f.endswith(".fsie")]
        if not fsie:
            raise KeyError(f"{self.directory}: no ensemble in {scenario}/")
        return self[fsie[0]]

    def moments(self, scenario: str) -> Dict[str, np.ndarray]:
        """The data moments as {"m": (N,), "C": (N, N) = <s_i s_j>, "triplets": (K, 3), "t3": (K,)},
        by the names the moments sidecar gives."""
        sidecar = f"{scenario}/moments/moments.json"
        meta = self[sidecar]
        out = {"meta": meta}
        for key, name in (("magnetisations", "m"), ("second_moments", "C"), ("triplets", "triplets"),
                          ("triplet_moments", "t3")):
            if meta.get(key):
                out[name] = self[f"{scenario}/moments/{meta[key]}"]
        return out

    def models(self, scenario: str) -> List[str]:
        """Fitted models of a scenario as stems, e.g. ["FULL_mc", "ITER_mc", ...]."""
        return sorted(f.split("/")[-1][:-len(".J.npy")] for f in self.files()
                      if f.startswith(f"{scenario}/fit/") and f.endswith(".J.npy"))

    def model(self, scenario: str, part: str, method: Optional[str] = None):
        """(J, h, sidecar) of a fitted part; the energy is E(s) = -sum_{i<j} J_ij s_i s_j - sum_i h_i s_i."""
        stems = [s for s in self.models(scenario) if s.split("_")[0] == part and (method is None or s.endswith("_" + method))]
        if not stems:
            raise KeyError(f"{self.directory}: no fitted model for {scenario}/{part}")
        stem = f"{scenario}/fit/{stems[0]}"
        sidecar = self[stem + ".json"] if stem + ".json" in self else {}
        return self[stem + ".J.npy"], self[stem + ".h.npy"], sidecar

    def references(self, scenario: str) -> List[str]:
        return sorted(f.split("/")[2] for f in self.files()
                      if f.startswith(f"{scenario}/landscape/") and f.endswith("/landscape.csv"))

    def landscape(self, scenario: str, reference: str) -> Dict[str, np.ndarray]:
        return self[f"{scenario}/landscape/{reference}/landscape.csv"]
