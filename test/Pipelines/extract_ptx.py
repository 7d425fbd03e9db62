"""Print the PTX of the first gpu.binary in the MLIR text read from stdin.

The PTX is the string of the binary's first #gpu.object (`assembly = "..."`
in the printed form); MLIR escapes it (\\0A, \\22, \\\\), so decode it.
"""
import re
import sys

_SIMPLE = {"\\": "\\", '"': '"', "n": "\n", "t": "\t"}


def unescape(body):
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
        elif body[i + 1] in _SIMPLE:
            out += _SIMPLE[body[i + 1]].encode()
            i += 2
        else:
            out.append(int(body[i + 1 : i + 3], 16))
            i += 3
    return out.decode()


def main():
    text = sys.stdin.read()
    binary = text.find("gpu.binary")
    if binary < 0:
        sys.exit("extract_ptx.py: no gpu.binary in the input")
    end = text.find("gpu.binary", binary + 1)
    start = text.find("#gpu.object<", binary, None if end < 0 else end)
    if start < 0:
        sys.exit("extract_ptx.py: the first gpu.binary holds no #gpu.object")
    # The payload is the first string literal in the object that holds PTX;
    # the target's own strings (chip = "sm_90", ...) hold no `.target`.
    strings = re.compile(r'"((?:[^"\\]|\\.)*)"')
    for match in strings.finditer(text, start, len(text) if end < 0 else end):
        ptx = unescape(match.group(1))
        if ".target" in ptx:
            sys.stdout.write(ptx)
            return
    sys.exit("extract_ptx.py: the first gpu.binary holds no PTX")


if __name__ == "__main__":
    main()
