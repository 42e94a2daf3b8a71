-- pap_status.lua: wrk script that posts one PAP 2.0 statusquery-message per
-- request, for a push-id drawn at random from the ones bench/state_fill.c
-- stored (fill-NNNNNNNN@pi.example, NNNNNNNN below PUSHES), and counts the
-- answers that found the push (a statusquery-result delivered / 1000 or
-- pending / 1001: the states the fill stores).
--
--   wrk -t1 -c1 -d10s --latency -s bench/pap_status.lua URL -- PUSHES AUTH
--
-- done() prints one machine-readable line:
--   RESULT found=N other=N seconds=S per_s=R errors=N
-- and the first answer that did not find its push, per thread.

local pushes, auth
local threads = {}

local body_fmt = table.concat({
	'<?xml version="1.0"?>',
	'<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">',
	'<pap>',
	'  <statusquery-message push-id="fill-%08d@pi.example"/>',
	'</pap>',
	'',
}, "\r\n")

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	pushes = tonumber(args[1])
	auth = args[2]
	found, other, first_other = 0, 0, nil
	math.randomseed(os.time() + math.floor(os.clock() * 1e6))
	wrk.method = "POST"
	wrk.headers["Content-Type"] = "application/xml"
	wrk.headers["Authorization"] = auth
end

function request()
	local body = string.format(body_fmt, math.random(0, pushes - 1))
	return wrk.format(nil, nil, nil, body)
end

function response(status, headers, body)
	if (status == 200 or status == 202) and (body:find('message%-state="delivered" code="1000"')
	    or body:find('message%-state="pending" code="1001"')) then
		found = found + 1
	else
		other = other + 1
		if not first_other then
			first_other = status .. " " .. body
		end
	end
end

function done(summary, latency, requests)
	local f, o = 0, 0
	for _, t in ipairs(threads) do
		f = f + t:get("found")
		o = o + t:get("other")
		local fo = t:get("first_other")
		if fo then
			io.write("first answer without the push: " .. fo .. "\n")
		end
	end
	local secs = summary.duration / 1e6
	local e = summary.errors
	io.write(string.format("RESULT found=%d other=%d seconds=%.2f per_s=%.0f errors=%d p50_us=%d p99_us=%d\n",
		f, o, secs, f / secs, e.connect + e.read + e.write + e.status + e.timeout,
		latency:percentile(50), latency:percentile(99)))
end
