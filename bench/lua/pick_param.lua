-- A list page filtered by a random value: the URL ends with the parameter's name and "=", e.g.
-- /api/posts/?limit=20&tag= ; the values (already URL-encoded) come from BENCH_VALUES.
local common = require("common")
common.install()

local prefix = wrk.path

function init(args)
  common.seed_random()
  local requests = {}
  for _, value in ipairs(common.list_env("BENCH_VALUES")) do
    table.insert(requests, wrk.format("GET", prefix .. value))
  end
  request = common.pick_from(requests)
end
