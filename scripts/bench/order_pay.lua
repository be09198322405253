-- SPDX-License-Identifier: ISC
--
-- order_pay.lua — wrk script for POST {home}order/confirm WITH a card
-- payment (scripts/bench/order_pay.sh runs it).  Like order.lua (csrf
-- cookie + field, Origin, a new idem key per request: a new order each
-- time), plus a payment_token per request: card tokens are single-use, so
-- the caller mints them ahead at the payment agent (POST /v1/tokens) and
-- passes a file of token ids, one a line; thread k of n takes lines
-- k, k+n, k+2n, ...
--
--   BENCH_PATH     request target, e.g. /order/confirm
--   BENCH_CSRF     the csrf token (cookie "csrf" AND field "csrf")
--   BENCH_ORIGIN   Origin header, http://HOST:PORT
--   BENCH_BODY     the rest of the url-encoded form (plan=...&depart=...)
--   BENCH_IDEM     idem key prefix (each request appends -THREAD-N)
--   BENCH_TOKENS   the token file (unset: no payment_token: no payment)
--   BENCH_THREADS  wrk's -t (to split the token file)
--   BENCH_EXPECT   the status every response must have (default 303)
--   BENCH_LOCATION if set, a 3xx must also have this Location
--
-- done() prints one line the caller parses:
--   status-check expect=303 ok=N bad=M first_bad=S tokens_short=K
-- (tokens_short: requests sent after this thread's tokens ran out — they
-- carry no token; the run is then not valid: mint more).

local path = os.getenv("BENCH_PATH") or "/order/confirm"
local csrf = os.getenv("BENCH_CSRF") or ""
local origin = os.getenv("BENCH_ORIGIN") or ""
local form = os.getenv("BENCH_BODY") or ""
local idem_prefix = os.getenv("BENCH_IDEM") or "bench"
local token_file = os.getenv("BENCH_TOKENS")
local nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
local expect = tonumber(os.getenv("BENCH_EXPECT") or "303")
local want_loc = os.getenv("BENCH_LOCATION")

local threads = {}
local next_id = 1

function setup(thread)
	thread:set("tid", next_id)
	next_id = next_id + 1
	table.insert(threads, thread)
end

function init(args)
	ok, bad, first_bad, seq, short = 0, 0, 0, 0, 0
	-- what a browser sends (the WAF, on by default, scores requests
	-- without Accept and User-Agent)
	headers = {
		["Content-Type"] = "application/x-www-form-urlencoded",
		["Origin"] = origin,
		["Cookie"] = "csrf=" .. csrf,
		["Accept"] = "text/html,application/xhtml+xml,*/*;q=0.8",
		["User-Agent"] = "Mozilla/5.0 (rentport bench)",
	}
	fixed = "csrf=" .. csrf .. "&" .. form
	tokens = {}
	if token_file ~= nil and token_file ~= "" then
		local f = assert(io.open(token_file, "r"))
		local i = 0
		for line in f:lines() do
			if i % nthreads == tid - 1 and line ~= "" then
				tokens[#tokens + 1] = line
			end
			i = i + 1
		end
		f:close()
	end
	next_tok = 1
end

function request()
	seq = seq + 1
	local body = string.format("%s&idem=%s-%d-%d", fixed, idem_prefix, tid,
	    seq)
	if token_file ~= nil and token_file ~= "" then
		local t = tokens[next_tok]
		if t == nil then
			short = short + 1
		else
			next_tok = next_tok + 1
			body = body .. "&payment_token=" .. t
		end
	end
	return wrk.format("POST", path, headers, body)
end

function response(status, hdrs, body)
	local good = status == expect
	if good and want_loc ~= nil and want_loc ~= "" and status >= 300 and
	    status < 400 then
		good = hdrs["Location"] == want_loc or hdrs["location"] == want_loc
	end
	if good then
		ok = ok + 1
	else
		bad = bad + 1
		if first_bad == 0 then
			first_bad = status
		end
	end
end

function done(summary, latency, requests)
	local tok, tbad, first, tshort = 0, 0, 0, 0
	for _, t in ipairs(threads) do
		tok = tok + (t:get("ok") or 0)
		tbad = tbad + (t:get("bad") or 0)
		tshort = tshort + (t:get("short") or 0)
		local f = t:get("first_bad") or 0
		if first == 0 and f ~= 0 then
			first = f
		end
	end
	io.write(string.format("status-check expect=%d ok=%d bad=%d first_bad=%s tokens_short=%d\n",
	    expect, tok, tbad, first == 0 and "-" or tostring(first), tshort))
end
