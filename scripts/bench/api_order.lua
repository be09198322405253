-- SPDX-License-Identifier: ISC
--
-- api_order.lua — wrk script placing corporate orders through the JSON
-- API (scripts/bench/cluster.py runs it):
--
--   BENCH_KEY   the corporate client's API key (Authorization: Bearer)
--   BENCH_BODY  the order, JSON
--   BENCH_IDEM  prefix of the Idempotency-Key: each request sends
--               BENCH_IDEM-THREAD-N, so each places a NEW order
--   BENCH_SPREAD_DAYS  (optional, scripts/bench/stock.py) a body's
--               "{DEP}" and "{RET}" become a one-day trip on one of this
--               many days from BENCH_SPREAD_FROM (a unix day number) on,
--               request after request: one counter's stock, many dates
--
-- done() prints the line the caller parses:
--   status-check expect=201 ok=N bad=M first_bad=S

local key = os.getenv("BENCH_KEY") or ""
local body = os.getenv("BENCH_BODY") or "{}"
local idem = os.getenv("BENCH_IDEM") or "bench"

local threads = {}
local next_id = 1

function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

function init(args)
	ok, bad, first_bad, seq = 0, 0, 0, 0
end

local spread = tonumber(os.getenv("BENCH_SPREAD_DAYS") or "0")
local spread_from = tonumber(os.getenv("BENCH_SPREAD_FROM") or "0")

local function trip_body()
	if spread == 0 then
		return body
	end
	local day = spread_from + ((seq * 7 + tid * 13) % spread)
	local d = os.date("!%Y-%m-%d", day * 86400)
	return (body:gsub("{DEP}", d):gsub("{RET}", d))
end

function request()
	seq = seq + 1
	return wrk.format("POST", "/api/v1/orders", {
		["Authorization"] = "Bearer " .. key,
		["Content-Type"] = "application/json",
		["Idempotency-Key"] = string.format("%s-%d-%d", idem, tid, seq),
	}, trip_body())
end

function response(status, hdrs, b)
	if status == 201 then
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
	io.write(string.format("status-check expect=201 ok=%d bad=%d first_bad=%s\n",
	    tok, tbad, first == 0 and "-" or tostring(first)))
end
