"""Snapshot files on disk: killed saves leave no litter, only regular files load, and
float sections are validated behind their checksums (graphs, state and rankers)."""
import ctypes
import ctypes.util
import fcntl
import math
import os
import signal
import struct
import subprocess
import sys
import time

import pytest

import invitegraph as ig


def _temps(path) -> list:
    """The temporary files next to ``path`` (saves in flight or killed)."""
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name + ".tmp"))


def _artifacts(g: ig.SocialGraph) -> dict:
    """(save, load) of each kind of saved file."""
    rec = ig.Recommender(g)
    ranker = ig.make_ranker("linear(adamic_adar=2.0)")
    return {
        "graph": (g.save, ig.SocialGraph.load),
        "state": (rec.save_state, rec.load_state),
        "ranker": (lambda path: ranker.save(os.fspath(path)), ig.load_ranker),
    }


# A child that saves a big graph over and over, until it is killed.
_SAVER = """
import sys
import invitegraph as ig
g = ig.SocialGraph.load(sys.argv[1])
print("ready", flush=True)
while True:
    g.save(sys.argv[2])
"""


def test_killed_saves_leave_no_temp_files_after_the_next_load_or_save(tmp_path):
    world = ig.synth.generate(20000, seed=3, progress=False)
    big = tmp_path / "big.igsnap"
    ig.build_graph(**world.tables(), progress=False).save(big)
    target = tmp_path / "graph.igsnap"
    ig.SocialGraph.load(big).save(target)
    littered = 0
    for attempt in range(4):
        child = subprocess.Popen([sys.executable, "-c", _SAVER, str(big), str(target)],
                                 stdout=subprocess.PIPE, text=True)
        try:
            assert child.stdout.readline().strip() == "ready"
            # Kill it once a save is under way (a temporary file exists). The deadline
            # only keeps a broken child from hanging the test.
            deadline = time.monotonic() + 60
            while not _temps(target) and time.monotonic() < deadline:
                time.sleep(0.001)
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait()
            child.stdout.close()
        litter = _temps(target)
        littered += bool(litter)
        # Whatever it got to, the path holds a whole snapshot, and the next use of
        # the path (a load, then a save, alternately) removes the killed save's file.
        if attempt % 2 == 0:
            assert ig.SocialGraph.load(target).num_nodes > 0
        else:
            ig.SocialGraph.load(big).save(target)
        assert _temps(target) == [], litter
    assert littered >= 1


@pytest.mark.parametrize("kind", ["graph", "state", "ranker"])
def test_stale_temp_files_go_with_the_next_save_and_load(tmp_path, shop_graph, kind):
    save, load = _artifacts(shop_graph)[kind]
    path = tmp_path / "x"
    save(path)
    whole = path.read_bytes()
    litter = ["x.tmp-4194301-0", "x.tmp-77"]
    bystanders = ["x.tmpl", "xx.tmp-1", "y.tmp-1"]
    for name in litter + bystanders:
        (tmp_path / name).write_bytes(whole)  # full size, as a killed save leaves it
    load(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["x"] + bystanders)
    for name in litter:
        (tmp_path / name).write_bytes(whole)
    save(path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["x"] + bystanders)
    assert path.read_bytes() == whole


@pytest.mark.parametrize("kind", ["graph", "state", "ranker"])
def test_a_live_writers_temp_file_is_kept(tmp_path, shop_graph, kind):
    save, load = _artifacts(shop_graph)[kind]
    path = tmp_path / "x"
    save(path)
    temp = tmp_path / "x.tmp-1-1"
    temp.write_bytes(b"half a snapshot")
    # A writer in the middle of its save holds a lock on its temporary file.
    with open(temp, "rb") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        save(path)
        load(path)
        assert temp.exists()
    load(path)  # the writer is gone: its file goes
    assert not temp.exists()


@pytest.mark.parametrize("kind", ["graph", "state", "ranker"])
def test_loading_a_directory_an_empty_or_a_truncated_file(tmp_path, shop_graph, kind):
    save, load = _artifacts(shop_graph)[kind]
    directory = tmp_path / "a_directory"
    directory.mkdir()
    # Was MemoryError (std::bad_array_new_length) for graphs.
    with pytest.raises(ig.Error, match="a_directory is a directory"):
        load(directory)
    fifo = tmp_path / "a_fifo"
    os.mkfifo(fifo)
    with pytest.raises(ig.Error, match="a_fifo is not a regular file"):
        load(fifo)  # not waited on
    empty = tmp_path / "empty"
    empty.write_bytes(b"")
    truncated = tmp_path / "truncated"
    save(truncated)
    truncated.write_bytes(truncated.read_bytes()[:-7])
    # Rankers are JSON: damage is a ValueError there.
    error = ValueError if kind == "ranker" else ig.Error
    for bad in (empty, truncated):
        with pytest.raises(error, match=bad.name):
            load(bad)


# --- Float sections behind valid checksums -----------------------------------------------

def _xxh3():
    """XXH3-64 from the system's libxxhash (the library the snapshots use)."""
    name = ctypes.util.find_library("xxhash")
    if name is None:
        pytest.skip("libxxhash is not installed")
    lib = ctypes.CDLL(name)
    lib.XXH3_64bits.restype = ctypes.c_uint64
    lib.XXH3_64bits.argtypes = [ctypes.c_char_p, ctypes.c_size_t]
    return lambda data: lib.XXH3_64bits(bytes(data), len(data))


def _payload_checksum(xxh3, payload: bytes, version: int) -> int:
    """A payload's checksum in format ``version`` (src/io/snapshot_file.h): 1, its
    XXH3-64; 2, the XXH3-64 of the XXH3-64s of its 1 MiB blocks."""
    if version == 1:
        return xxh3(payload)
    block = 1 << 20
    sums = [xxh3(payload[at:at + block]) for at in range(0, len(payload), block)]
    return xxh3(struct.pack(f"<{len(sums)}Q", *sums))


def _tampered(data: bytes, tag: str, fmt: str, edit) -> bytes:
    """``data`` with the values of section ``tag`` (struct format ``fmt`` per element)
    passed through ``edit`` and the payload and table checksums resealed, as a writer
    with a bug would have written them (layout: src/io/snapshot_file.h)."""
    xxh3 = _xxh3()
    out = bytearray(data)
    (version,) = struct.unpack_from("<I", out, 8)
    (num,) = struct.unpack_from("<Q", out, 40)
    size_of = struct.calcsize("<" + fmt)
    for i in range(num):
        entry = 56 + 32 * i
        if out[entry:entry + 4] != tag.encode():
            continue
        offset, length = struct.unpack_from("<QQ", out, entry + 8)
        values = [list(v) for v in struct.iter_unpack("<" + fmt, out[offset:offset + length])]
        edit(values)
        out[offset:offset + length] = b"".join(struct.pack("<" + fmt, *v) for v in values)
        assert len(values) * size_of == length
        struct.pack_into("<Q", out, entry + 24,
                         _payload_checksum(xxh3, bytes(out[offset:offset + length]), version))
        struct.pack_into("<Q", out, 56 + 32 * num, xxh3(out[56:56 + 32 * num]))
        return bytes(out)
    raise AssertionError(f"no section {tag}")


def test_the_resealing_helper_reproduces_real_checksums(shop_graph):
    data = shop_graph.to_bytes()
    same = _tampered(data, "JRAT", "f", lambda values: None)
    assert same == data


@pytest.mark.parametrize("tag", ["JRAT", "AC07", "PWGT", "UIW_"])
@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_a_non_finite_float_in_a_graph_section_is_refused(shop_graph, tag, bad):
    """The issue: a NaN join rate loaded without complaint and surfaced in a list."""

    def poison(values):
        values[len(values) // 2][0] = bad

    data = _tampered(shop_graph.to_bytes(), tag, "f", poison)
    with pytest.raises(ig.Error, match=rf"{tag}\[\d+\]={'nan' if bad != bad else 'inf'}"):
        ig.SocialGraph.from_bytes(data)


def test_a_non_finite_fatigue_in_a_state_snapshot_is_refused(tmp_path, shop_graph):
    rec = ig.Recommender(shop_graph)
    users = [int(u) for u in shop_graph.user_ids()[:3]]
    t = shop_graph.as_of + 60
    rec.record_outcomes({"inviter": [users[0]] * 2, "invitee": users[1:3], "item": [1, 1],
                         "ts": [t, t], "outcome": ["ignored", "ignored"]})

    def poison(records):  # RecipientRecord: successes, failures, fatigue, fatigue_ts
        records[0][2] = math.nan

    path = tmp_path / "state.igsnap"
    rec.save_state(path)
    path.write_bytes(_tampered(path.read_bytes(), "RREC", "IIdq", poison))
    fresh = ig.Recommender(shop_graph)
    with pytest.raises(ig.Error, match=r"RREC\[0\]\.fatigue"):
        fresh.load_state(path)
    assert fresh.feedback_for(users[1]) == ig.Recommender(shop_graph).feedback_for(users[1])
