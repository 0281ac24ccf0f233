#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""BRPATH_CMD_GET_PORT with a small receive buffer, for t-44-dump-split.

The kernel sizes a dump's messages to the largest receive its socket has
done (at least about a page): reading with 4096 bytes makes every port
whose histograms take more than that come in several messages. Prints
one JSON object: per port, the messages that carried it and, per
(ingress port, stage), the samples of its histogram over all of them.
Every value comes from kmod/uapi/linux/brpath.h, read here.

usage: nldump.py HEADER [BUFSIZE]
"""
import json
import re
import socket
import struct
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 3, 1, 2
NLM_F_REQUEST, NLM_F_MULTI, NLM_F_DUMP = 1, 2, 0x300
NLMSG_ERROR, NLMSG_DONE = 2, 3


def enums(header):
    """Every enumerator of the header with its value."""
    vals = {}
    for body in re.findall(r"enum\s+\w+\s*\{(.*?)\}", open(header).read(), re.S):
        body = re.sub(r"/\*.*?\*/", "", body, flags=re.S)
        n = 0
        for item in body.split(","):
            item = item.strip()
            if not item:
                continue
            m = re.match(r"(\w+)\s*(?:=\s*(\w+))?", item)
            if m.group(2):
                n = int(m.group(2), 0) if m.group(2)[0].isdigit() else vals[m.group(2)]
            vals[m.group(1)] = n
            n += 1
    return vals


def attrs(buf):
    off = 0
    while off + 4 <= len(buf):
        length, typ = struct.unpack_from("HH", buf, off)
        if length < 4:
            break
        yield typ & 0x3FFF, buf[off + 4:off + length]
        off += (length + 3) & ~3


def msgs(data):
    off = 0
    while off + 16 <= len(data):
        length, typ, flags, _, _ = struct.unpack_from("IHHII", data, off)
        yield typ, flags, data[off + 16:off + length]
        off += (length + 3) & ~3


def request(typ, flags, cmd, payload=b""):
    body = struct.pack("BBH", cmd, 1, 0) + payload
    return struct.pack("IHHII", 16 + len(body), typ, NLM_F_REQUEST | flags, 1, 0) + body


def family_id():
    # A socket of its own: its large receive must not size the dump's.
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    name = b"brpath\0"
    a = struct.pack("HH", 4 + len(name), CTRL_ATTR_FAMILY_NAME) + name
    a += b"\0" * (-len(a) % 4)
    s.send(request(GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, a))
    for _, _, p in msgs(s.recv(65536)):
        for t, v in attrs(p[4:]):
            if t == CTRL_ATTR_FAMILY_ID:
                return struct.unpack("H", v[:2])[0]
    sys.exit("nldump: no family brpath")


def main():
    e = enums(sys.argv[1])
    bufsize = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    stages = {v: k[len("BRPATH_STAGE_"):].lower() for k, v in e.items()
              if k.startswith("BRPATH_STAGE_") and not k.startswith("BRPATH_STAGE_A_")
              and not k.endswith("_MAX")}
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.send(request(family_id(), NLM_F_DUMP, e["BRPATH_CMD_GET_PORT"]))
    ports, nmsgs = {}, 0
    while True:
        data = s.recv(bufsize)
        for typ, flags, p in msgs(data):
            if typ == NLMSG_DONE:
                print(json.dumps({"messages": nmsgs, "ports": ports}))
                return
            if typ == NLMSG_ERROR:
                err = struct.unpack_from("i", p)[0]
                sys.exit("nldump: dump failed: error %d" % err)
            nmsgs += 1
            for t, v in attrs(p[4:]):
                if t != e["BRPATH_A_PORT"]:
                    continue
                name, lat = None, []
                for pt, pv in attrs(v):
                    if pt == e["BRPATH_PORT_A_NAME"]:
                        name = pv.rstrip(b"\0").decode()
                    elif pt == e["BRPATH_PORT_A_LATENCY"]:
                        lat.append(pv)
                port = ports.setdefault(name, {"messages": 0, "latency": {}})
                port["messages"] += 1
                for nest in lat:
                    frm, stage, samples = None, None, 0
                    for lt, lv in attrs(nest):
                        if lt == e["BRPATH_LAT_A_IN_NAME"]:
                            frm = lv.rstrip(b"\0").decode()
                        elif lt == e["BRPATH_LAT_A_STAGE"]:
                            stage = stages[lv[0]]
                        elif lt == e["BRPATH_LAT_A_BUCKETS"]:
                            samples += sum(c for _, _, c in struct.iter_unpack("HHI", lv))
                    key = "%s/%s" % (frm, stage)
                    if key in port["latency"]:
                        sys.exit("nldump: %s of %s twice" % (key, name))
                    port["latency"][key] = samples


main()
