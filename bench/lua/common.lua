-- Shared by every bench script. wrk counts only socket errors and statuses above 399, so a 3xx (or a
-- 1xx) would pass as success: `response` counts every answer that is not 2xx, and `done` prints one
-- machine-readable line that bench/wrk.py parses instead of wrk's human-readable report.
-- Parameters come from the environment (set by bench/workloads.py), never from constants here, so the
-- Python side stays the single source of truth for ids, tags and the run nonce.
local M = {}

local threads = {}

function M.env(name, default)
  local value = os.getenv(name)
  if value == nil or value == "" then
    if default == nil then
      error("bench: environment variable " .. name .. " is not set")
    end
    return default
  end
  return value
end

function M.int_env(name, default)
  local value = M.env(name, default and tostring(default))
  return assert(tonumber(value), "bench: " .. name .. " is not a number")
end

function M.list_env(name)
  local items = {}
  for item in string.gmatch(M.env(name), "[^,]+") do
    table.insert(items, item)
  end
  assert(#items > 0, "bench: " .. name .. " is empty")
  return items
end

-- A reproducible request mix per thread: the same run twice sends the same ids in the same order.
function M.seed_random()
  math.randomseed(M.int_env("BENCH_SEED", 1) * 1000 + (thread_id or 1))
end

-- Requests built once in init(): request() then costs one table lookup, so wrk stays far ahead of the
-- server and measures it rather than the Lua interpreter.
function M.pick_from(requests)
  local count = #requests
  assert(count > 0, "bench: no requests to pick from")
  return function()
    return requests[math.random(count)]
  end
end

function M.install()
  function setup(thread)
    table.insert(threads, thread)
    thread:set("thread_id", #threads)
  end

  non_2xx = 0
  function response(status, headers, body)
    if status < 200 or status > 299 then
      non_2xx = non_2xx + 1
    end
  end

  function done(summary, latency, requests)
    local bad = 0
    for _, thread in ipairs(threads) do
      bad = bad + (thread:get("non_2xx") or 0)
    end
    local e = summary.errors
    io.write(string.format(
      'BENCH_JSON {"duration_us":%d,"requests":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,'
        .. '"status":%d,"timeout":%d,"non_2xx":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
        .. '"mean_us":%.1f,"max_us":%d}\n',
      summary.duration, summary.requests, summary.bytes, e.connect, e.read, e.write,
      e.status, e.timeout, bad, latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.mean, latency.max))
  end
end

return M
