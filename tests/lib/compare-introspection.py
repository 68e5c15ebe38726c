#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
# compare-introspection.py DOC.xml LIVE.xml INTERFACE: the members of INTERFACE (methods with their
# arguments, signals with theirs, properties with type and access) must be the same in the documented
# and in the live introspection XML; annotations and comments are ignored. Also checks that every
# documented member has a doc comment right before it.  Exit 0 = same, 1 = differences (printed).
import sys
import xml.etree.ElementTree as ET


def members(root, iface, check_docs=False):
    node = root.find(f"./interface[@name='{iface}']")
    if node is None:
        return None, []
    out, undocumented = set(), []
    prev_comment = False
    for el in node:
        if el.tag is ET.Comment:
            prev_comment = True
            continue
        if el.tag in ("method", "signal"):
            args = tuple((a.get("name"), a.get("type"), a.get("direction", "out" if el.tag == "signal" else "in"))
                         for a in el.findall("arg"))
            out.add((el.tag, el.get("name"), args))
        elif el.tag == "property":
            out.add((el.tag, el.get("name"), el.get("type"), el.get("access")))
        else:
            prev_comment = False
            continue
        if check_docs and not prev_comment:
            undocumented.append(el.get("name"))
        prev_comment = False
    return out, undocumented


doc_path, live_path, iface = sys.argv[1:4]
doc = ET.parse(doc_path, parser=ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))).getroot()
live = ET.fromstring(open(live_path).read())
d, undocumented = members(doc, iface, check_docs=True)
l, _ = members(live, iface)
ok = True
if d is None or l is None:
    print(f"# interface {iface} missing: documented={d is not None} live={l is not None}")
    sys.exit(1)
for m in sorted(d - l, key=str):
    print("# documented, not exported:", m)
    ok = False
for m in sorted(l - d, key=str):
    print("# exported, not documented:", m)
    ok = False
for n in undocumented:
    print("# no doc comment:", n)
    ok = False
print(f"# {iface}: {len(d)} documented, {len(l)} exported")
sys.exit(0 if ok else 1)
