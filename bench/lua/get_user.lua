-- GET a random seeded user: ids 1..BENCH_USERS. The URL's path is the prefix, e.g. /api/users/.
local common = require("common")
common.install()

local prefix = wrk.path

function init(args)
  common.seed_random()
  local requests = {}
  for id = 1, common.int_env("BENCH_USERS") do
    table.insert(requests, wrk.format("GET", prefix .. id))
  end
  request = common.pick_from(requests)
end
