-- SPDX-License-Identifier: ISC
--
-- paysim_post.lua — wrk script for paysim's API POSTs
-- (scripts/bench/paysim.sh runs it).  The same request every time:
--
--   BENCH_PATH    request target, e.g. /v1/tokens
--   BENCH_KEY     the bearer key (pk_test_… for tokens, sk_test_… else)
--   BENCH_BODY    the JSON body
--   BENCH_EXPECT  the status every response must have (default 200)
--
-- done() prints one line the caller parses:
--   status-check expect=200 ok=N bad=M first_bad=S

local path = os.getenv("BENCH_PATH") or "/v1/tokens"
local key = os.getenv("BENCH_KEY") or ""
local body = os.getenv("BENCH_BODY") or "{}"
local expect = tonumber(os.getenv("BENCH_EXPECT") or "200")

local threads = {}

function setup(thread)
	table.insert(threads, thread)
end

function init(args)
	ok, bad, first_bad = 0, 0, 0
	req = wrk.format("POST", path, {
		["Authorization"] = "Bearer " .. key,
		["Content-Type"] = "application/json",
	}, body)
end

function request()
	return req
end

function response(status, hdrs, b)
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
