-- pap_push.lua: wrk script that posts one PAP 2.0 push-message per request
-- (multipart/related: PAP control entity + SI content entity, one IPv4
-- address, no deliver-before) and counts the push-responses that say 1001.
--
--   wrk -t1 -c1 -d10s -s bench/pap_push.lua URL -- NONCE [AUTH] [once]
--
-- NONCE  run nonce, part of every push-id (push-ids must be unique per PI
--        across runs against the same database)
-- AUTH   value of the Authorization header ("Basic ..."); "-" or absent:
--        none (credentials are then in the URL, as Kannel takes them)
-- once   send a single request, print it and its answer, stop (smoke test)
--
-- Each request gets the push-id bench-NONCE-THREAD-COUNTER@pi.example.
-- done() prints one machine-readable line:
--   RESULT accepted=N other=N seconds=S accepted_per_s=R errors=N
-- and, if some answer was not 1001, the first such answer per thread.

local boundary = "bench-boundary-7d1c4e2a"

local body_fmt = table.concat({
	"--" .. boundary,
	"Content-Type: application/xml",
	"",
	'<?xml version="1.0"?>',
	'<!DOCTYPE pap PUBLIC "-//WAPFORUM//DTD PAP 2.0//EN" "http://www.wapforum.org/DTD/pap_2.0.dtd">',
	"<pap>",
	'  <push-message push-id="%s">',
	'    <address address-value="WAPPUSH=127.0.0.1/TYPE=IPv4@ppg.example"/>',
	'    <quality-of-service priority="low" delivery-method="unconfirmed"/>',
	"  </push-message>",
	"</pap>",
	"--" .. boundary,
	"Content-Type: text/vnd.wap.si",
	"X-Wap-Application-Id: x-wap-application:wml.ua",
	"",
	'<?xml version="1.0"?>',
	'<!DOCTYPE si PUBLIC "-//WAPFORUM//DTD SI 1.0//EN" "http://www.wapforum.org/DTD/si.dtd">',
	"<si>",
	'  <indication href="http://www.example.com/news" si-id="%s" action="signal-medium">',
	"    You have news",
	"  </indication>",
	"</si>",
	"--" .. boundary .. "--",
	"",
}, "\r\n")

local content_type = 'multipart/related; boundary=' .. boundary .. '; type="application/xml"'

-- 1001 in a response-result, tolerant of Kannel's `code ="1001"`.
local accepted_pattern = 'code%s*=%s*"1001"'

local threads = {}
local next_id = 0

-- main environment: number the threads
function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

-- thread environment from here to done()
tid = tid or 0
accepted, other, sent = 0, 0, 0
first_other, first_other_req = nil, nil

local nonce, headers, once, last_body, last_req = "x", nil, false, nil, nil

function init(args)
	nonce = args[1] or tostring(os.time())
	headers = { ["Content-Type"] = content_type }
	if args[2] and args[2] ~= "-" then
		headers["Authorization"] = args[2]
	end
	once = args[3] == "once"
end

function request()
	sent = sent + 1
	local id = string.format("bench-%s-%d-%d@pi.example", nonce, tid, sent)
	last_body = string.format(body_fmt, id, id)
	last_req = wrk.format("POST", nil, headers, last_body)
	return last_req
end

function response(status, hdrs, body)
	if body and body:find(accepted_pattern) then
		accepted = accepted + 1
	else
		other = other + 1
		if not first_other then
			first_other = "HTTP " .. status .. "\n" .. (body or "")
			-- exact at -c1; with several connections per thread it is the
			-- latest request this thread built
			first_other_req = last_body
		end
	end
	if once then
		io.write("--- request:\n", last_req, "\n--- answer: HTTP ", status, "\n")
		for k, v in pairs(hdrs) do io.write(k, ": ", v, "\n") end
		io.write("\n", body or "", "\n--- end\n")
		wrk.thread:stop()
	end
end

function done(summary, latency, requests)
	local acc, oth = 0, 0
	for _, t in ipairs(threads) do
		acc = acc + t:get("accepted")
		oth = oth + t:get("other")
	end
	local e = summary.errors
	local errors = e.connect + e.read + e.write + e.timeout
	local secs = summary.duration / 1e6
	io.write(string.format("RESULT accepted=%d other=%d seconds=%.3f accepted_per_s=%.1f errors=%d latency_mean_ms=%.3f latency_p99_ms=%.3f\n",
		acc, oth, secs, acc / secs, errors, latency.mean / 1000, latency:percentile(99.0) / 1000))
	for _, t in ipairs(threads) do
		local a = t:get("first_other")
		if a then
			io.write("--- first non-1001 answer of thread ", t:get("tid"), ":\n", a, "\n")
			io.write("--- request (latest built by that thread):\n", t:get("first_other_req") or "", "\n")
		end
	end
end
