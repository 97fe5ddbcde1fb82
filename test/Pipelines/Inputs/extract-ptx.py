"""Writes the PTX text of the first gpu.binary (format=isa) in an MLIR file.

Usage: extract-ptx.py INPUT.mlir OUTPUT.ptx
"""
import re
import sys

text = open(sys.argv[1]).read()
match = re.search(r'assembly = "((?:[^"\\]|\\.)*)"', text)
if not match:
    sys.exit("extract-ptx.py: no gpu.binary with PTX (format=isa) in " +
             sys.argv[1])
raw, out, i = match.group(1), bytearray(), 0
while i < len(raw):
    if raw[i] == "\\" and raw[i + 1] in "\\\"":
        out.append(ord(raw[i + 1]))
        i += 2
    elif raw[i] == "\\":
        out.append(int(raw[i + 1:i + 3], 16))
        i += 3
    else:
        out += raw[i].encode()
        i += 1
open(sys.argv[2], "wb").write(out)
