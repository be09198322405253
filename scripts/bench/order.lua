-- SPDX-License-Identifier: ISC
--
-- order.lua — wrk script for the ordering sites' form POSTs
-- (scripts/bench/ordering.sh runs it).  wrk's Lua has no HTTP client of
-- its own, so the caller fetches the order form once (GET {home}order),
-- takes the csrf cookie and hidden field from it and passes them in:
--
--   BENCH_PATH    request target, e.g. /order/confirm
--   BENCH_CSRF    the csrf token (sent as cookie "csrf" AND field "csrf")
--   BENCH_ORIGIN  Origin header, http://HOST:PORT (the server's public URL)
--   BENCH_BODY    the rest of the url-encoded form (plan=...&depart=...)
--   BENCH_IDEM    if set: each request appends idem=BENCH_IDEM-THREAD-N, a
--                 key no other request uses, so each confirm places a NEW
--                 order (unset: the same bytes every time)
--   BENCH_EXPECT  the status every response must have (default 303)
--
-- done() prints one line the caller parses:
--   status-check expect=303 ok=N bad=M first_bad=S
-- (first_bad=- when every response had the expected status).

local path = os.getenv("BENCH_PATH") or "/order/confirm"
local csrf = os.getenv("BENCH_CSRF") or ""
local origin = os.getenv("BENCH_ORIGIN") or ""
local form = os.getenv("BENCH_BODY") or ""
local idem_prefix = os.getenv("BENCH_IDEM")
local expect = tonumber(os.getenv("BENCH_EXPECT") or "303")

local threads = {}
local next_id = 1

function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

function init(args)
	ok, bad, first_bad, seq = 0, 0, 0, 0
	headers = {
		["Content-Type"] = "application/x-www-form-urlencoded",
		["Origin"] = origin,
		["Cookie"] = "csrf=" .. csrf,
	}
	fixed = "csrf=" .. csrf .. "&" .. form
	if idem_prefix == nil or idem_prefix == "" then
		fixed_req = wrk.format("POST", path, headers, fixed)
	end
end

function request()
	if fixed_req ~= nil then
		return fixed_req
	end
	seq = seq + 1
	return wrk.format("POST", path, headers, string.format("%s&idem=%s-%d-%d",
	    fixed, idem_prefix, tid, seq))
end

function response(status, hdrs, body)
	if status == expect then
		ok = ok + 1
	else
		bad = bad + 1
		if first_bad == 0 then
			first_bad = status
		end
	end
end

function done(summary, latency, requests)
	local tok, tbad, first = 0, 0, 0
	for _, t in ipairs(threads) do
		tok = tok + (t:get("ok") or 0)
		tbad = tbad + (t:get("bad") or 0)
		local f = t:get("first_bad") or 0
		if first == 0 and f ~= 0 then
			first = f
		end
	end
	io.write(string.format("status-check expect=%d ok=%d bad=%d first_bad=%s\n",
	    expect, tok, tbad, first == 0 and "-" or tostring(first)))
end
