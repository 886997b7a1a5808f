#!/usr/bin/env python3
"""Crafted safetensors files and the reference reader's verdict on each.

Writes Tests/DescentTests/Fixtures/safetensors_reference.json: a list of cases, each a file
(base64) with what `safetensors.deserialize` (the Rust crate behind the Python package)
says about it: "ok" with every tensor's dtype, shape and data (hex), or "error" with its
message. The Swift tests check that Descent's reader accepts exactly what the reference
accepts (apart from Descent's documented departures, which each case lists) and that each
rejection is of the matching kind.

Cases: hand-written ones for every rule of the reader, and seeded random mutations of valid
files (bytes flipped, inserted and deleted, header lengths changed, JSON tokens replaced).
Re-runnable: the same seed gives the same file. Refuses other safetensors versions.
"""
import base64
import json
import random
import struct
import sys
import unicodedata
from pathlib import Path

import numpy as np
import safetensors
from safetensors import deserialize
from safetensors.numpy import save as save_numpy

EXPECTED_VERSION = "0.8.0"
if safetensors.__version__ != EXPECTED_VERSION:
    sys.exit(f"safetensors {safetensors.__version__} found; this script records {EXPECTED_VERSION}")

OUT = Path(__file__).resolve().parent.parent / "Tests/DescentTests/Fixtures/safetensors_reference.json"
SUPPORTED = {"F32", "F64", "I64", "BOOL", "BF16", "F16", "U8"}
INT_MAX = 2**63 - 1


def mk(header, data=b"", n=None):
    h = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(h) if n is None else n) + h + data


def T(dt="F32", shape=(1,), off=(0, 4)):
    return {"dtype": dt, "shape": list(shape), "data_offsets": list(off)}


A = b'"dtype":"F32","shape":[1],"data_offsets":[0,4]'
Z4 = b"\0" * 4


def hand_cases():
    c = []
    add = lambda name, b: c.append((name, b))
    add("empty object", mk(b"{}"))
    add("leading whitespace", mk(b" \n{}"))
    add("trailing spaces", mk(b"{}    "))
    add("trailing NUL", mk(b"{}\0"))
    add("trailing tab newline return", mk(b"{}\n\t\r"))
    add("array header", mk(b"[]"))
    add("null header", mk(b"null"))
    add("string header", mk(b'"x"'))
    add("7 bytes", b"\x02\0\0\0\0\0\0")
    add("0 bytes", b"")
    add("header length 0", struct.pack("<Q", 0))
    add("header past end", mk(b"{}", n=3))
    add("header over 100MB", mk(b"{}", n=100_000_001))
    add("header exactly 100MB but short file", mk(b"{}", n=100_000_000))
    add("header length 2^64-1", mk(b"{}", n=2**64 - 1))
    add("invalid utf8", mk(b'{"\xff":1}'))
    add("overlong utf8", mk(b'{"\xc0\xaf":1}'))
    add("utf8 surrogate", mk(b'{"\xed\xa0\x80":1}'))
    add("utf8 past U+10FFFF", mk(b'{"\xf4\x90\x80\x80":1}'))
    add("utf8 truncated at end", mk(b'{}\xe2\x82'))
    add("utf8 in padding", mk(b"{} \xff"))
    add("valid f32", mk({"a": T()}, Z4))
    add("tensor as list", mk(b'{"a":["F32",[1],[0,4]]}', Z4))
    add("dtype as map", mk(b'{"a":{"dtype":{"F32":null},"shape":[1],"data_offsets":[0,4]}}', Z4))
    add("dtype as map with 2 keys", mk(b'{"a":{"dtype":{"F32":null,"F64":null},"shape":[1],"data_offsets":[0,4]}}', Z4))
    add("dtype as empty map", mk(b'{"a":{"dtype":{},"shape":[1],"data_offsets":[0,4]}}', Z4))
    add("dtype map to object", mk(b'{"a":{"dtype":{"F32":{}},"shape":[1],"data_offsets":[0,4]}}', Z4))
    add("dtype map to list", mk(b'{"a":{"dtype":{"F32":[]},"shape":[1],"data_offsets":[0,4]}}', Z4))
    add("dtype map unknown", mk(b'{"a":{"dtype":{"X":null},"shape":[1],"data_offsets":[0,4]}}', Z4))
    add("dtype number", mk(b'{"a":{"dtype":1,"shape":[1],"data_offsets":[0,4]}}', Z4))
    add("dtype lowercase", mk(b'{"a":{"dtype":"f32","shape":[1],"data_offsets":[0,4]}}', Z4))
    add("dtype escaped", mk(b'{"a":{"dtype":"F\\u0033\\u0032","shape":[1],"data_offsets":[0,4]}}', Z4))
    add("field name escaped", mk(b'{"a":{"dt\\u0079pe":"F32","shape":[1],"data_offsets":[0,4]}}', Z4))
    add("unknown dtype", mk({"a": T("F12")}, Z4))
    add("extra field", mk(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"x":[1,{"y":null}]}}', Z4))
    add("duplicate field", mk(b'{"a":{"dtype":"F32","dtype":"F32","shape":[1],"data_offsets":[0,4]}}', Z4))
    add("duplicate shape field", mk(b'{"a":{"dtype":"F32","shape":[1],"shape":[1],"data_offsets":[0,4]}}', Z4))
    add("missing data_offsets", mk(b'{"a":{"dtype":"F32","shape":[1]}}', Z4))
    add("missing dtype", mk(b'{"a":{"shape":[1],"data_offsets":[0,4]}}', Z4))
    add("tensor null", mk(b'{"a":null}'))
    add("tensor true", mk(b'{"a":true}'))
    add("tensor string", mk(b'{"a":"x"}'))
    add("tensor list too long", mk(b'{"a":["F32",[1],[0,4],5]}', Z4))
    add("tensor list too short", mk(b'{"a":["F32",[1]]}', Z4))
    add("tensor list dtype map", mk(b'{"a":[{"F32":null},[1],[0,4]]}', Z4))
    add("duplicate tensor same", mk(b'{"a":{' + A + b'},"a":{' + A + b'}}', Z4))
    add("duplicate tensor different", mk(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', b"\0" * 8))
    add("duplicate tensor breaking coverage", mk(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', b"\0" * 8))
    add("duplicate tensor escaped", mk(b'{"a":{' + A + b'},"\\u0061":{' + A + b'}}', Z4))
    add("duplicate empty name", mk(b'{"":{' + A + b'},"":{' + A + b'}}', Z4))
    add("duplicate metadata", mk(b'{"__metadata__":{},"__metadata__":{}}'))
    add("metadata null", mk(b'{"__metadata__":null}'))
    add("metadata value number", mk(b'{"__metadata__":{"a":1}}'))
    add("metadata value null", mk(b'{"__metadata__":{"a":null}}'))
    add("metadata repeated key", mk(b'{"__metadata__":{"a":"1","a":"2"}}'))
    add("metadata list", mk(b'{"__metadata__":[]}'))
    add("metadata string", mk(b'{"__metadata__":"x"}'))
    add("metadata escaped key", mk(b'{"__metad\\u0061ta__":{"k":"v"}}'))
    add("metadata with tensors", mk(b'{"__metadata__":{"a":"1"},"a":{' + A + b'}}', Z4))
    add("metadata as tensor info", mk(b'{"__metadata__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', Z4))
    add("metadata nested deep", mk(b'{"__metadata__":{"a":' + b"[" * 200 + b"]" * 200 + b"}}"))
    add("shape float", mk(b'{"a":{"dtype":"F32","shape":[1.0],"data_offsets":[0,4]}}', Z4))
    add("shape exponent", mk(b'{"a":{"dtype":"F32","shape":[1e0],"data_offsets":[0,4]}}', Z4))
    add("shape -0", mk(b'{"a":{"dtype":"F32","shape":[-0],"data_offsets":[0,0]}}'))
    add("shape negative", mk(b'{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,0]}}'))
    add("shape leading zero", mk(b'{"a":{"dtype":"F32","shape":[01],"data_offsets":[0,4]}}', Z4))
    add("shape 2^64", mk(b'{"a":{"dtype":"F32","shape":[18446744073709551616],"data_offsets":[0,4]}}', Z4))
    add("shape 2^64-1", mk(b'{"a":{"dtype":"F32","shape":[18446744073709551615],"data_offsets":[0,4]}}', Z4))
    add("shape bool", mk(b'{"a":{"dtype":"F32","shape":[true],"data_offsets":[0,4]}}', Z4))
    add("shape null", mk(b'{"a":{"dtype":"F32","shape":null,"data_offsets":[0,4]}}', Z4))
    add("shape object", mk(b'{"a":{"dtype":"F32","shape":{},"data_offsets":[0,4]}}', Z4))
    add("shape overflow then 0", mk(b'{"a":{"dtype":"F32","shape":[4294967296,4294967296,0],"data_offsets":[0,0]}}'))
    add("shape 0 then huge", mk(b'{"a":{"dtype":"F32","shape":[0,4294967296,4294967296],"data_offsets":[0,0]}}'))
    add("shape 0 then 2^64-1", mk(b'{"a":{"dtype":"F32","shape":[0,18446744073709551615],"data_offsets":[0,0]}}'))
    add("shape rank 64", mk({"a": T(shape=[1] * 64)}, Z4))
    add("shape rank 65", mk({"a": T(shape=[1] * 65)}, Z4))
    add("byte size overflow F64", mk({"a": T("F64", [2**61], (0, 0))}))
    add("byte size overflow U8", mk({"a": T("U8", [2**61], (0, 0))}))
    add("F4 odd", mk({"a": T("F4", [3], (0, 2))}, b"\0" * 2))
    add("F4 scalar", mk({"a": T("F4", [], (0, 0))}))
    add("F4 even", mk({"a": T("F4", [4], (0, 2))}, b"\0" * 2))
    add("F6 four", mk({"a": T("F6_E2M3", [4], (0, 3))}, b"\0" * 3))
    add("F6 one", mk({"a": T("F6_E3M2", [1], (0, 1))}, b"\0"))
    add("F6 empty", mk({"a": T("F6_E2M3", [4, 0], (0, 0))}))
    add("offsets 3", mk(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,4]}}', Z4))
    add("offsets 1", mk(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}}', Z4))
    add("offsets object", mk(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":{"0":0,"1":4}}}', Z4))
    add("offsets negative", mk(b'{"a":{"dtype":"F32","shape":[1],"data_offsets":[-1,3]}}', Z4))
    add("offset not at 0", mk({"a": T(off=(4, 8))}, b"\0" * 8))
    add("offsets reversed", mk({"a": T(shape=[0], off=(4, 0))}, Z4))
    add("offsets reversed at 0", mk({"a": T(shape=[0], off=(0, 0)), "b": T(shape=[0], off=(0, 0)), "c": T(off=(4, 0))}, Z4))
    add("gap", mk({"a": T(off=(0, 4)), "b": T(off=(8, 12))}, b"\0" * 12))
    add("overlap", mk({"a": T(off=(0, 4)), "b": T(shape=[2], off=(2, 10))}, b"\0" * 10))
    add("same range twice", mk({"a": T(off=(0, 4)), "b": T(off=(0, 4))}, Z4))
    add("size mismatch", mk({"a": T(shape=[2], off=(0, 4))}, Z4))
    add("trailing data byte", mk({"a": T()}, b"\0" * 5))
    add("data short", mk({"a": T()}, b"\0" * 3))
    add("empty tensors only", mk({"a": T(shape=[0], off=(0, 0)), "b": T(shape=[0], off=(0, 0))}))
    add("empty tensor after data", mk({"a": T(), "b": T(shape=[0], off=(4, 4))}, Z4))
    add("empty tensor sorted first", mk({"a": T(shape=[0], off=(4, 4)), "b": T(off=(0, 4))}, Z4))
    add("empty tensor past end", mk({"a": T(), "b": T(shape=[0], off=(8, 8))}, Z4))
    add("offsets 2^64-1", mk(b'{"a":{"dtype":"F32","shape":[0],"data_offsets":[18446744073709551615,18446744073709551615]}}'))
    add("empty name", mk({"": T()}, Z4))
    add("name with NUL escape", mk(b'{"a\\u0000b":{' + A + b"}}", Z4))
    add("name with escapes", mk(b'{"a\\"\\\\\\/\\b\\f\\n\\r\\t":{' + A + b"}}", Z4))
    add("name emoji pair", mk(b'{"\\ud83d\\ude00":{' + A + b"}}", Z4))
    add("name raw unicode", mk('{"\u00e9\u4e2d":{'.encode() + A + b"}}", Z4))
    add("names NFC and NFD", mk('{"\u00e9":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"e\u0301":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'.encode(), b"\0" * 8))
    add("names K and Kelvin", mk('{"K":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\u212a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}'.encode(), b"\0" * 8))
    add("metadata keys NFC and NFD", mk('{"__metadata__":{"\u00e9":"1","e\u0301":"2"}}'.encode()))
    add("lone leading surrogate", mk(b'{"__metadata__":{"a":"\\ud800"}}'))
    add("leading surrogate then A", mk(b'{"__metadata__":{"a":"\\ud800\\u0041"}}'))
    add("lone trailing surrogate", mk(b'{"__metadata__":{"a":"\\udc00"}}'))
    add("two leading surrogates", mk(b'{"__metadata__":{"a":"\\ud800\\ud800"}}'))
    add("leading surrogate then x", mk(b'{"__metadata__":{"a":"\\ud800x"}}'))
    add("surrogate in name", mk(b'{"\\ud800":{' + A + b"}}", Z4))
    add("hex escape upper", mk(b'{"__metadata__":{"a":"\\u00E9"}}'))
    add("hex escape bad", mk(b'{"__metadata__":{"a":"\\u00G9"}}'))
    add("bad escape", mk(b'{"__metadata__":{"a":"\\x"}}'))
    add("escaped slash", mk(b'{"__metadata__":{"a":"\\/"}}'))
    add("control char in string", mk(b'{"__metadata__":{"a":"b\x01"}}'))
    add("DEL in string", mk(b'{"__metadata__":{"a":"b\x7f"}}'))
    add("unterminated string", mk(b'{"__metadata__":{"a":"b'))
    add("NaN", mk(b'{"a":NaN}'))
    add("comment", mk(b"{/*x*/}"))
    add("trailing comma object", mk(b'{"__metadata__":{"a":"b",}}'))
    add("trailing comma list", mk(b'{"a":{"dtype":"F32","shape":[1,],"data_offsets":[0,4]}}', Z4))
    add("leading comma", mk(b"{,}"))
    add("missing comma", mk(b'{"__metadata__":{"a":"b" "c":"d"}}'))
    add("missing colon", mk(b'{"__metadata__" {}}'))
    add("unquoted key", mk(b"{a:1}"))
    add("BOM", mk(b"\xef\xbb\xbf{}"))
    add("two objects", mk(b"{}{}"))
    add("unclosed object", mk(b'{"__metadata__":{}'))
    add("vertical tab", mk(b"{\x0b}"))
    add("form feed", mk(b"{\x0c}"))
    add("whitespace in lists", mk(b'{"a":{"dtype":"F32","shape":[ 1 ],"data_offsets":[ 0 , 4 ] } }', Z4))
    for depth in (124, 125, 126, 127):
        add(f"extra field nested {depth}", mk(b'{"a":{' + A + b',"x":' + b"[" * depth + b"]" * depth + b"}}", Z4))
    for depth in (125, 126, 127):
        add(f"top-level value nested {depth}", mk(b'{"a":{' + A + b'},"b":' + b"[" * depth + b"]" * depth + b"}", Z4))
    for num in [b"1e999", b"1.7976931348623157e308", b"1.7976931348623158e308", b"17976931348623157e292",
                b"17976931348623159e292", b"0e999999999", b"1e-999", b"1" * 400, b"1" * 309, b"-", b"1.",
                b".5", b"1e", b"+1", b"1e+", b"-1.5e-3", b"123456789012345678901234567890.5e-10", b"0.0",
                b"-0.0e0", b"1E2", b"2147483648e2147483648", b"0e2147483648", b"1e-2147483649",
                b"18446744073709551615.5", b"1844674407370955161.6e292", b"18446744073709551616.", b"tru",
                b"nul", b"true", b"[true,false,null,\"s\",{\"k\":1}]"]:
        add(f"extra value {num[:40].decode()}", mk(b'{"a":{' + A + b',"x":' + num + b"}}", Z4))
    add("bool tensor", mk({"a": T("BOOL", [3], (0, 3))}, b"\x00\x01\x02"))
    add("i64 tensor", mk({"a": T("I64", [2], (0, 16))}, struct.pack("<qq", -5, 2**62)))
    add("f64 tensor", mk({"a": T("F64", [1, 2], (0, 16))}, struct.pack("<dd", 1.5, -0.0)))
    add("scalar tensor", mk({"a": T("F32", [], (0, 4))}, struct.pack("<f", 3.25)))
    for dt in ["F16", "BF16", "I32", "U8", "I8", "U16", "I16", "U32", "U64", "C64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ"]:
        size = {"C64": 8, "U64": 8, "U32": 4, "I32": 4, "F16": 2, "BF16": 2, "U16": 2, "I16": 2}.get(dt, 1)
        add(f"unsupported {dt}", mk({"a": T(dt, [2], (0, 2 * size))}, b"\0" * (2 * size)))
    return c


def seeds():
    out = []
    out.append(save_numpy({"w": np.arange(6, dtype=np.float32).reshape(2, 3),
                           "b": np.array([1, 2, 3], dtype=np.float32)}, metadata={"note": "x", "step": "7"}))
    out.append(save_numpy({"i": np.array([1, -1], dtype=np.int64), "m": np.array([0, 1, 1, 0], dtype=bool),
                           "d": np.array(2.5, dtype=np.float64), "e": np.zeros((0, 2), dtype=np.float32)}))
    out.append(mk(b'{"a":["F32",[1],[0,4]],"__metadata__":{"k":"v"},"b":{"dtype":{"F64":null},"shape":[1],"data_offsets":[4,12],"x":[1e5,-2,"s"]}}', b"\0" * 12))
    return out


TOKENS = [b"{", b"}", b"[", b"]", b",", b":", b'"', b"\\", b"0", b"1", b"-", b"e", b".", b"null", b"true",
          b'"F32"', b'"F16"', b'"__metadata__"', b"18446744073709551615", b"4", b"8", b" ", b"\\u00e9",
          b"\\ud800", b"\xc3\xa9", b"\xff", b"1e400", b'"dtype"', b'"shape"', b'"data_offsets"']


def mutate(rng, data):
    b = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(7)
        if kind == 0 and b:
            b[rng.randrange(len(b))] = rng.randrange(256)
        elif kind == 1 and b:
            del b[rng.randrange(len(b))]
        elif kind == 2:
            i = rng.randrange(len(b) + 1)
            b[i:i] = rng.choice(TOKENS)
        elif kind == 3 and len(b) > 8:
            i = rng.randrange(8, len(b))
            j = min(len(b), i + rng.randint(1, 6))
            b[i:j] = rng.choice(TOKENS)
        elif kind == 4 and len(b) >= 8:
            n = struct.unpack("<Q", bytes(b[:8]))[0] + rng.choice([-8, -1, 1, 8, 2**32, -(2**20)])
            b[:8] = struct.pack("<Q", n % 2**64)
        elif kind == 5:
            b += bytes(rng.randrange(256) for _ in range(rng.randint(1, 5)))
        elif kind == 6 and len(b) > 8:
            del b[rng.randrange(8, len(b)):]
        # Keep the header length consistent half the time, so that the JSON gets exercised.
    if rng.random() < 0.5 and len(b) >= 8:
        old = struct.unpack("<Q", bytes(b[:8]))[0]
        data_len = len(data) - 8 - struct.unpack("<Q", data[:8])[0]
        new = len(b) - 8 - data_len
        if 0 <= new and old != new:
            b[:8] = struct.pack("<Q", new)
    return bytes(b)


DTYPES = ["F32", "F64", "I64", "BOOL", "F16", "BF16", "F4", "F6_E2M3", "U8", "I32", "C64", "X"]


def mutate_header(rng, data):
    """A JSON-level change that keeps the header valid JSON: the checks after parsing
    (offsets, shapes, sizes, coverage, names) get exercised."""
    n = struct.unpack("<Q", data[:8])[0]
    pairs = json.loads(data[8:8 + n], object_pairs_hook=lambda p: [list(x) for x in p])
    body = data[8 + n:]
    entries = [e for e in pairs if e[0] != "__metadata__" and isinstance(e[1], list) and
               all(isinstance(f, list) and len(f) == 2 for f in e[1])]
    for _ in range(rng.randint(1, 2)):
        kind = rng.randrange(8)
        if not entries:
            break
        name, fields = rng.choice(entries)
        info = {k: v for k, v in fields}
        if kind == 0 and "shape" in info:
            shape = info["shape"]
            if shape:
                i = rng.randrange(len(shape))
                shape[i] = max(0, shape[i] + rng.choice([-1, 1, 2, 2**32, 2**63]))
            else:
                shape.append(rng.choice([0, 1, 2]))
        elif kind == 1 and "data_offsets" in info:
            off = info["data_offsets"]
            i = rng.randrange(2)
            off[i] = max(0, off[i] + rng.choice([-4, -1, 1, 4, 8]))
        elif kind == 2 and "dtype" in info:
            for f in fields:
                if f[0] == "dtype":
                    f[1] = rng.choice(DTYPES)
        elif kind == 3:
            pairs.append([rng.choice([name, "e\u0301", "\u00e9", "K", "\u212a"]), [list(f) for f in fields]])
        elif kind == 4:
            pairs.remove([name, fields])
            entries.remove([name, fields])
        elif kind == 5:
            body = body[:len(body) - rng.randint(0, 4)] if rng.random() < 0.5 else body + bytes(rng.randint(1, 4))
        elif kind == 6:
            fields.append([rng.choice(["x", "dtype", "shape"]), rng.choice([1, "F32", [1], None, {"a": 1}])])
        else:
            pairs.append(["__metadata__", [["k", rng.choice(["v", 1, None])], ["k", "w"]]])
    def dump(value):
        if isinstance(value, list) and value and all(isinstance(x, list) and len(x) == 2 and isinstance(x[0], str)
                                                      for x in value):
            return "{" + ",".join(json.dumps(k).replace("\\\\u", "\\u") + ":" + dump(v) for k, v in value) + "}"
        return json.dumps(value)
    header = dump(pairs).encode()
    return struct.pack("<Q", len(header)) + header + body


def departures(data):
    """What Descent rejects although the reference accepts: the kinds it may throw."""
    out = set()
    n = struct.unpack("<Q", data[:8])[0]
    header = data[8:8 + n].decode("utf-8")
    pairs = json.loads(header, object_pairs_hook=lambda p: p)
    names = [k for k, _ in pairs if k != "__metadata__"]
    if len(set(names)) != len(names):
        out.add("duplicateTensorName")
    if len({unicodedata.normalize("NFC", k) for k in set(names)}) != len(set(names)):
        out.add("equivalentTensorNames")
    for k, v in pairs:
        if k == "__metadata__" and v is not None:
            keys = {kk for kk, _ in v}
            if len({unicodedata.normalize("NFC", kk) for kk in keys}) != len(keys):
                out.add("equivalentMetadataKeys")
    return out


def verdict(name, data):
    case = {"name": name, "file": base64.b64encode(data).decode()}
    try:
        result = deserialize(data)
    except Exception as e:  # the reference's SafetensorError (or a panic on absurd input)
        case["reference"] = "error"
        case["message"] = str(e)
        return case
    case["reference"] = "ok"
    case["tensors"] = {k: {"dtype": v["dtype"], "shape": v["shape"], "data": bytes(v["data"]).hex()} for k, v in result}
    dep = departures(data)
    for k, v in result:
        if v["dtype"] not in SUPPORTED:
            dep.add("unsupportedDtype")
        shape = v["shape"]
        span = 1
        for d in shape:
            span *= max(d, 1)
        if len(shape) > 64 or any(d > INT_MAX for d in shape) or span > INT_MAX:
            dep.add("unsupportedShape")
    case["departures"] = sorted(dep)
    return case


def main():
    rng = random.Random(12)
    cases = [verdict(name, data) for name, data in hand_cases()]
    base = seeds()
    for i in range(700):
        seed = base[i % len(base)]
        cases.append(verdict(f"mutation {i}", mutate(rng, seed)))
    for i in range(700):
        seed = base[i % len(base)]
        cases.append(verdict(f"header mutation {i}", mutate_header(rng, seed)))
    ok = sum(c["reference"] == "ok" for c in cases)
    doc = {"generator": "scripts/gen_safetensors_fixtures.py", "safetensors": safetensors.__version__,
           "python": sys.version.split()[0], "seed": 12, "cases": cases}
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    head = json.dumps({k: v for k, v in doc.items() if k != "cases"}, separators=(",", ":"))[:-1]
    OUT.write_text(head + ',"cases":[\n' + lines + "\n]}\n")
    print(f"wrote {len(cases)} cases ({ok} accepted by the reference) to {OUT}")


def rederive(path):
    """Recomputes Descent's departures (what SUPPORTED decides) for the files already in the
    fixture at `path`, keeping everything else: the mutation stream and the reference's
    messages (which name whichever tensor its hash map visits first) are not stable from
    one Python process to the next. Run after a change of SUPPORTED:
    `python3 scripts/gen_safetensors_fixtures.py --rederive`."""
    import base64 as b64
    doc = json.loads(Path(path).read_text())
    cases = []
    for case in doc["cases"]:
        fresh = verdict(case["name"], b64.b64decode(case["file"]))
        if "departures" in case:
            case = dict(case, departures=fresh.get("departures", []))
        cases.append(case)
    lines = ",\n".join(json.dumps(c, separators=(",", ":")) for c in cases)
    head = json.dumps({k: v for k, v in doc.items() if k != "cases"}, separators=(",", ":"))[:-1]
    Path(path).write_text(head + ',"cases":[\n' + lines + "\n]}\n")
    print(f"re-derived the departures of {len(cases)} cases in {path}")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--rederive":
        rederive(OUT)
    else:
        main()
