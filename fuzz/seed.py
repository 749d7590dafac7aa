#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the captured fixtures in tests/fixtures/.

bgp_update gets each UPDATE body behind a context selector octet (bit 0:
4-octet AS, bit 1: ADD-PATH, bit 2: external peer) matching the fixture's
header; bgp_open gets OPEN bodies; bmp_message gets whole BMP messages.
"""
import pathlib

root = pathlib.Path(__file__).resolve().parent
fixtures = root.parent / "tests" / "fixtures"
corpus = root / "corpus"


def messages(path):
    comments, out = [], []
    for line in path.read_text().splitlines():
        line = line.strip()
        if line.startswith("#"):
            comments.append(line)
        elif line:
            out.append(bytes.fromhex(line))
    return comments, out


def write(target, name, data):
    d = corpus / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data)


for path in sorted((fixtures / "bgp").glob("*.hex")):
    comments, msgs = messages(path)
    text = "\n".join(comments)
    selector = 0
    if "2-octet" not in text:
        selector |= 1
    if "path identifiers" in text:
        selector |= 2
    for i, msg in enumerate(msgs):
        kind, body = msg[18], msg[19:]
        if kind == 2:
            write("bgp_update", f"{path.stem}-{i}", bytes([selector]) + body)
        elif kind == 1:
            write("bgp_open", f"{path.stem}-{i}", body)
for path in sorted((fixtures / "bmp").glob("*.hex")):
    for i, msg in enumerate(messages(path)[1]):
        write("bmp_message", f"{path.stem}-{i}", msg)
print("seeded", {d.name: len(list(d.iterdir())) for d in corpus.iterdir()})
