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
       nldump.py HEADER --stream: the first full snapshot of the stream
       (a WATCH at 100 ms), the same per port, plus its histograms' bytes.
"""
import json
import re
import socket
import struct
import sys

NETLINK_GENERIC = 16
GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY, CTRL_ATTR_FAMILY_ID, CTRL_ATTR_FAMILY_NAME = 3, 1, 2
CTRL_ATTR_MCAST_GROUPS, CTRL_ATTR_MCAST_GRP_NAME, CTRL_ATTR_MCAST_GRP_ID = 7, 1, 2
SOL_NETLINK, NETLINK_ADD_MEMBERSHIP = 270, 1
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


def family():
    """The family's id and its multicast groups (name -> id)."""
    # A socket of its own: its large receive must not size the dump's.
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    name = b"brpath\0"
    a = struct.pack("HH", 4 + len(name), CTRL_ATTR_FAMILY_NAME) + name
    a += b"\0" * (-len(a) % 4)
    s.send(request(GENL_ID_CTRL, 0, CTRL_CMD_GETFAMILY, a))
    fid, groups = None, {}
    for _, _, p in msgs(s.recv(65536)):
        for t, v in attrs(p[4:]):
            if t == CTRL_ATTR_FAMILY_ID:
                fid = struct.unpack("H", v[:2])[0]
            elif t == CTRL_ATTR_MCAST_GROUPS:
                for _, g in attrs(v):
                    ga = dict(attrs(g))
                    groups[ga[CTRL_ATTR_MCAST_GRP_NAME].rstrip(b"\0").decode()] = \
                        struct.unpack("I", ga[CTRL_ATTR_MCAST_GRP_ID][:4])[0]
    if fid is None:
        sys.exit("nldump: no family brpath")
    return fid, groups


def add_port(e, stages, ports, v):
    """One BRPATH_A_PORT nest into ports: a message more, its histograms."""
    name, lat = None, []
    for pt, pv in attrs(v):
        if pt == e["BRPATH_PORT_A_NAME"]:
            name = pv.rstrip(b"\0").decode()
        elif pt == e["BRPATH_PORT_A_LATENCY"]:
            lat.append(pv)
    port = ports.setdefault(name, {"messages": 0, "latency": {}, "latency_bytes": 0})
    port["messages"] += 1
    for nest in lat:
        port["latency_bytes"] += 4 + len(nest)
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


def stream(e, stages):
    """The first full snapshot: each message of its seq, until NPORTS ports."""
    fid, groups = family()
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.setsockopt(SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, groups["snapshots"])
    a = struct.pack("HHI", 8, e["BRPATH_A_INTERVAL_US"], 100000)
    s.send(request(fid, 0, e["BRPATH_CMD_WATCH"], a))
    ports, nmsgs, seq, nports, full = {}, 0, None, None, False
    while True:
        for typ, _, p in msgs(s.recv(1 << 20)):
            if typ != fid or p[0] != e["BRPATH_CMD_SNAPSHOT"]:
                continue
            at = list(attrs(p[4:]))
            d = dict(at)
            this = struct.unpack("Q", d[e["BRPATH_A_SEQ"]][:8])[0]
            if seq is None:
                if e["BRPATH_A_FULL"] not in d:
                    continue
                seq, nports = this, struct.unpack("I", d[e["BRPATH_A_NPORTS"]][:4])[0]
            if this != seq:
                sys.exit("nldump: snapshot %d ended after %d of its %d ports" %
                         (seq, len(ports), nports))
            nmsgs += 1
            for t, v in at:
                if t == e["BRPATH_A_PORT"]:
                    add_port(e, stages, ports, v)
            if len(ports) == nports:
                print(json.dumps({"messages": nmsgs, "ports": ports}))
                return


def main():
    e = enums(sys.argv[1])
    stages = {v: k[len("BRPATH_STAGE_"):].lower() for k, v in e.items()
              if k.startswith("BRPATH_STAGE_") and not k.startswith("BRPATH_STAGE_A_")
              and not k.endswith("_MAX")}
    if len(sys.argv) > 2 and sys.argv[2] == "--stream":
        return stream(e, stages)
    bufsize = int(sys.argv[2]) if len(sys.argv) > 2 else 4096
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_GENERIC)
    s.send(request(family()[0], NLM_F_DUMP, e["BRPATH_CMD_GET_PORT"]))
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
                if t == e["BRPATH_A_PORT"]:
                    add_port(e, stages, ports, v)

main()
