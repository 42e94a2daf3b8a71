#!/usr/bin/env python3
"""perf_fold.py: folded stacks and a flame graph from `perf script` output.

usage: perf script -i perf.data | perf_fold.py FOLDED [SVG [TITLE]]
       perf_fold.py --svg FOLDED SVG [TITLE]   (the flame graph of a folded file)

FOLDED gets one line per distinct stack seen at least twice (the stacks
seen once are summed into one line "(stacks seen once) N"),
"thread;outer;...;inner COUNT" (the format of Brendan Gregg's
stackcollapse, written from scratch here), heaviest first. SVG, when given, is a plain flame graph of those stacks:
one box per frame, width proportional to its samples, a tooltip (title)
with the frame's name, samples and share. No dependency beyond Python."""
import collections
import zlib
import html
import re
import sys


def read_stacks(f):
    stacks = collections.Counter()
    head, frames = None, []
    for line in f:
        line = line.rstrip("\n")
        if not line.strip():
            if head is not None:
                stacks[";".join([head] + frames[::-1])] += 1
            head, frames = None, []
            continue
        if head is None and not line.startswith((" ", "\t")):
            head = line.split()[0]          # comm (thread name)
            continue
        m = re.match(r"\s+[0-9a-f]+\s+(.+?)\s+\((.*)\)$", line)
        if m:
            sym = m.group(1)
            if sym == "[unknown]":
                sym = "[" + m.group(2).rsplit("/", 1)[-1] + "]"
            sym = re.sub(r"\+0x[0-9a-f]+$", "", sym)
            frames.append(sym.replace(";", ":"))
    if head is not None:
        stacks[";".join([head] + frames[::-1])] += 1
    return stacks


def svg(stacks, out, title):
    total = sum(stacks.values())
    tree = {}
    for st, n in stacks.items():
        node = tree
        for fr in st.split(";"):
            node = node.setdefault(fr, [0, {}])
            node[0] += n
            node = node[1]
    width, rowh = 1200, 16
    boxes = []

    def walk(node, x, depth):
        for name, (n, kids) in sorted(node.items()):
            w = n / total * (width - 20)
            if w >= 2.0:
                boxes.append((x, depth, w, name, n))
                walk(kids, x, depth + 1)
            x += w
    walk(tree, 10, 0)
    maxd = max((b[1] for b in boxes), default=0) + 1
    height = (maxd + 3) * rowh
    o = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="monospace" font-size="11">' % (width, height),
         '<rect width="100%%" height="100%%" fill="#f8f8f0"/><text x="10" y="14">%s (%d samples)</text>' % (html.escape(title), total)]
    for x, d, w, name, n in boxes:
        y = height - (d + 1) * rowh - 4
        h = (zlib.crc32(name.encode()) & 0xffff) / 0xffff
        col = "rgb(%d,%d,%d)" % (220 + int(35 * h), 90 + int(120 * h), 40)
        label = html.escape(name[: int(w / 7)]) if w > 21 else ""
        o.append('<g><title>%s: %d samples (%.2f%%)</title><rect x="%.1f" y="%d" width="%.1f" height="%d" fill="%s"/>'
                 '<text x="%.1f" y="%d">%s</text></g>' % (html.escape(name), n, 100.0 * n / total, x, y, w, rowh - 1, col, x + 2, y + 11, label))
    o.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(o) + "\n")


def read_folded(path):
    stacks = collections.Counter()
    for line in open(path):
        st, n = line.rstrip("\n").rsplit(" ", 1)
        if not st.startswith("(stacks seen once)"):
            stacks[st] += int(n)
    return stacks


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    if sys.argv[1] == "--svg":
        svg(read_folded(sys.argv[2]), sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else "ppgd")
        return
    stacks = read_stacks(sys.stdin)
    with open(sys.argv[1], "w") as f:
        once = 0
        for st, n in stacks.most_common():
            if n > 1:
                f.write("%s %d\n" % (st, n))
            else:
                once += 1
        f.write("(stacks seen once) %d\n" % once)
    if len(sys.argv) > 2:
        svg(stacks, sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else "ppgd")


main()
