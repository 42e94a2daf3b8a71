-- pap_push_grow.lua: wrk script for bench/bench_growth.sh: one PAP 2.0
-- push-message per request with ADDRS IPv4 addresses (127.0.0.1 ..
-- 127.0.0.ADDRS: all loopback) and a text/plain content entity of KIB KiB,
-- and counts the push-responses that say 1001.
--
--   wrk -t2 -c8 -d5s -s bench/pap_push_grow.lua URL -- NONCE AUTH ADDRS KIB
--
-- done() prints one machine-readable line:
--   RESULT accepted=N other=N seconds=S accepted_per_s=R errors=N
-- and the first answer that was not 1001, per thread.

local boundary = "grow-boundary-1b6f0c93"
local threads = {}
local next_id = 0

function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

tid = tid or 0
accepted, other, sent = 0, 0, 0
first_other = nil

local nonce, head, tail, headers

function init(args)
	nonce = args[1]
	local addrs, kib = tonumber(args[3]), tonumber(args[4])
	headers = {
		["Content-Type"] = 'multipart/related; boundary=' .. boundary .. '; type="application/xml"',
		["Authorization"] = args[2],
	}
	local a = {}
	for i = 1, addrs do
		a[#a + 1] = string.format('    <address address-value="WAPPUSH=127.0.0.%d/TYPE=IPv4@ppg.example"/>', i)
	end
	head = table.concat({
		"--" .. boundary,
		"Content-Type: application/xml",
		"",
		'<?xml version="1.0"?>',
		'<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">',
		"<pap>",
		'  <push-message push-id="',
	}, "\r\n")
	tail = table.concat({
		'">',
		table.concat(a, "\r\n"),
		'    <quality-of-service delivery-method="unconfirmed"/>',
		"  </push-message>",
		"</pap>",
		"--" .. boundary,
		"Content-Type: text/plain",
		"X-Wap-Application-Id: x-wap-application:wml.ua",
		"",
		string.rep("x", kib * 1024),
		"--" .. boundary .. "--",
		"",
	}, "\r\n")
end

function request()
	sent = sent + 1
	local id = string.format("grow-%s-%d-%d@pi.example", nonce, tid, sent)
	return wrk.format("POST", nil, headers, head .. id .. tail)
end

function response(status, hdrs, body)
	if body and body:find('code%s*=%s*"1001"') then
		accepted = accepted + 1
	else
		other = other + 1
		if not first_other then
			first_other = "HTTP " .. status .. "\n" .. (body or "")
		end
	end
end

function done(summary, latency, requests)
	local acc, oth = 0, 0
	for _, t in ipairs(threads) do
		acc = acc + t:get("accepted")
		oth = oth + t:get("other")
	end
	local e = summary.errors
	local secs = summary.duration / 1e6
	io.write(string.format("RESULT accepted=%d other=%d seconds=%.3f accepted_per_s=%.1f errors=%d\n",
		acc, oth, secs, acc / secs, e.connect + e.read + e.write + e.timeout))
	for _, t in ipairs(threads) do
		local a = t:get("first_other")
		if a then
			io.write("--- first non-1001 answer of thread ", t:get("tid"), ":\n", a, "\n")
		end
	end
end
