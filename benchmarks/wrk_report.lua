-- wrk script for kpiworkshop's benchmarks (benchmarks/_harness.py runs it).
-- Cookies: WRK_COOKIES names a file with one Cookie header value a line; requests take them in
-- turn, so many devices (guests) can be simulated by one connection pool. Headers given with -H
-- still apply. Counts the status codes and prints one JSON line the harness reads.
local threads = {}
local cookies = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  statuses = {}
  n = 0
  local path = os.getenv("WRK_COOKIES")
  if path and path ~= "" then
    for line in io.lines(path) do
      if line ~= "" then table.insert(cookies, line) end
    end
  end
  if #cookies == 0 then
    fixed = wrk.format(nil)
  end
end

function request()
  if fixed then return fixed end
  n = n + 1
  wrk.headers["Cookie"] = cookies[(n + id) % #cookies + 1]
  return wrk.format(nil)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, k in pairs(s) do counts[code] = (counts[code] or 0) + k end
  end
  local parts = {}
  for code, k in pairs(counts) do table.insert(parts, string.format('"%d":%d', code, k)) end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"duration_us":%d,"bytes":%d,"errors":%d,"p50":%d,"p95":%d,"p99":%d,"statuses":{%s}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99),
    table.concat(parts, ",")))
end
