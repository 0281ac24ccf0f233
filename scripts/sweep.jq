# SPDX-License-Identifier: GPL-2.0
# The arithmetic of scripts/sweep-report: from the steps of a sweep (an
# array of the step files of scripts/sweep-run) to summary.json, which the
# report, the plot data and the summary lines are all printed from.
#
# Per step, the frames the sender sent and the sink did not receive are
# split, in path order, into:
#   - drops brpath attributed to a port (port, stage, kernel reason);
#   - frames an ingress port's device dropped before rx (its rx_dropped,
#     rx_missed_errors, rx_fifo_errors since reset: a full backlog, a NIC);
#   - frames that vanished outside the bridge path, between two counted
#     points brpath does not look between: sender -> first port's rx (minus
#     the device drops above), a port's br_fwd -> the next port's br_out
#     (inside the bridge: flooding would show here), a port's done -> the
#     next port's rx (inside the guest), the last port's done -> the sink.
# Whatever is left is "unexplained": it is 0 when every port's loss budget
# closes and nothing was in flight.

def ingress_stages: ["rx", "br_in", "br_fwd"];
def egress_stages: ["br_out", "tx", "done"];
def dev_rx_drops: (.rx_dropped // 0) + (.rx_missed_errors // 0) + (.rx_fifo_errors // 0);

def port_of($step; $name):
	first($step.brpath.bridges[].ports[] | select(.name == $name)) // null;

def count($port; $stage): ($port.stages[$stage].packets // 0);

# Frames per second, rounded to a whole frame.
def rate($n; $s): if $s > 0 then ($n / $s + 0.5 | floor) else 0 end;
def pct($part; $whole): if $whole > 0 then 100 * $part / $whole else 0 end;

# The counted points of a step in path order, each {label, packets}.
def points:
	. as $s
	| [range(0; .path | length) as $i
	   | .path[$i] as $name
	   | port_of($s; $name) as $p
	   | (if $i % 2 == 0 then ingress_stages else egress_stages end)[]
	   | { label: "\($name) \(.)", packets: count($p; .) }];

# Where the lost frames of a step went, in path order.
def lost_rows:
	. as $s
	| (.path | length) as $n
	| [range(0; $n) as $i
	   | .path[$i] as $name
	   | port_of($s; $name) as $p
	   | (if $i == 0 then
		(($p.dev_drops // {}) | dev_rx_drops) as $dd
		| { where: "sender -> \($name)", port: null, stage: "before rx",
		    reason: "outside the bridge", packets: ($s.sent - count($p; "rx") - $dd) }
	      else empty end),
	     (if $i % 2 == 0 then
		{ where: "\($name) before rx", port: $name, stage: "before rx",
		  reason: "device rx drops", packets: (($p.dev_drops // {}) | dev_rx_drops) }
	      else empty end),
	     ($p.drops // [] | .[]
		| { where: "\($name) \(.stage)", port: $name, stage: .stage,
		    reason: .reason, packets: .packets }),
	     (if $i + 1 < $n then
		port_of($s; $s.path[$i + 1]) as $q
		| if $i % 2 == 0 then
			{ where: "\($name) br_fwd -> \($s.path[$i + 1]) br_out", port: null,
			  stage: "inside the bridge", reason: "outside the bridge path",
			  packets: (count($p; "br_fwd") - count($q; "br_out")) }
		  else
			{ where: "\($name) done -> \($s.path[$i + 1]) rx", port: null,
			  stage: "inside the guest", reason: "outside the bridge path",
			  packets: (count($p; "done") - count($q; "rx")) }
		  end
	      else
		{ where: "\($name) done -> sink", port: null, stage: "in the sink",
		  reason: "outside the bridge path", packets: (count($p; "done") - $s.received) }
	      end)]
	| map(select(.packets != 0));

def latency_rows:
	. as $s
	| [.path[] as $name
	   | port_of($s; $name) as $p
	   | ($p.latency // [])[]
	   | { label: "\(.from) -> \($name) \(.stage)", p50_ns, p99_ns, max_ns, samples }];

# The step's offered rate: the sender's frames over the window it was
# watched sending in (older steps: all it sent over the step). Every other
# rate is a count scaled by it, offered pps * count / sent.
def offered_pps:
	if .window then rate(.window.frames; .window.seconds) else rate(.sent; .duration_s) end;
def scaled($n): if .sent > 0 then ($n * offered_pps / .sent + 0.5 | floor) else 0 end;

def step_summary:
	(.sent - .received) as $lost
	| lost_rows as $rows
	| ($rows | map(.packets) | add // 0) as $explained
	| . as $s
	| {
		topology, size, step, kernel, target_pps, knee_pct, duration_s, sent, received,
		offered_pps: offered_pps,
		forwarded_pps: scaled(.received),
		lost: $lost,
		loss_pct: pct($lost; .sent),
		lost_by: $rows,
		unexplained: ($lost - $explained),
		brpath_unexplained: ([.path[] as $n | port_of(.; $n) | .unexplained // 0] | add // 0),
		points: (points | map(.packets as $p | .pps = ($s | scaled($p)))),
		latency: latency_rows,
		path
	  };

# Why frames are lost at a place, in words, for the places the experiment knows.
def why:
	if .stage == "tx" and .reason == "FULL_RING" then
		"the guest does not read its tap as fast as the bridge fills it; the ring overflows"
	elif .stage == "tx" and .reason == "QDISC_DROP" then "the port's qdisc overflows"
	elif .stage == "before rx" and .port != null then
		"the port drops them before the stack sees them (a full CPU backlog, a NIC ring)"
	elif .stage == "before rx" then "they never reach the bridge's NIC port"
	elif .stage == "inside the guest" then "the guest itself does not forward them all"
	elif .stage == "inside the bridge" then "the bridge does not pass them from port to port"
	elif .stage == "in the sink" then "the receiving host drops them"
	elif .stage == "unexplained" then "no counter says where (see the unexplained column)"
	else "the kernel drops them there (\(.reason))" end;

def lossy: .lost > 0 and .loss_pct >= .knee_pct;

# The knee of a sweep (its steps sorted by offered rate): the first step
# that lost at least knee_pct of its frames, and the last one before it.
def knee:
	(map(select(lossy)) | first) as $k
	| if $k == null then
		{ found: false, below_pps: (map(.offered_pps) | max) }
	  else
		{ found: true, at_pps: $k.offered_pps, step: $k.step,
		  below_pps: ([.[] | select(.offered_pps < $k.offered_pps and (lossy | not)) | .offered_pps] | max),
		  where: (($k.lost_by | sort_by(-.packets) | first)
			  // { where: "a place brpath does not see", port: null,
			       stage: "unexplained", reason: "unexplained", packets: $k.lost }
			  | . + { why: why }),
		  share_pct: pct(($k.lost_by | sort_by(-.packets) | first | .packets); $k.lost) }
	  end;

def runs:
	group_by(.topology, .size)
	| map(sort_by(.offered_pps, .step)
	      | { topology: .[0].topology, size: .[0].size, knee: knee, steps: . });

{
	steps: (map(step_summary) | sort_by(.topology, .size, .step)),
}
| .runs = (.steps | runs)
| .topologies = (.runs | group_by(.topology) | map({ topology: .[0].topology, runs: . }))
| .total = {
	steps: (.steps | length),
	# every place frames were lost, over all steps, most first
	places: ([.steps[] | .topology as $t | .lost_by[] | . + { topology: $t }]
		 | group_by(.topology, .where, .reason)
		 | map(.[0] + { packets: (map(.packets) | add) } | . + { why: why })
		 | sort_by(-.packets)),
	sent: (.steps | map(.sent) | add // 0),
	lost: (.steps | map(.lost) | add // 0),
	unexplained: (.steps | map(.unexplained | if . < 0 then -. else . end) | add // 0)
  }
