-- POST the OAuth2 password form for a random seeded user (all share BENCH_PASSWORD): each request
-- verifies one Argon2 hash, the slowest thing the service does on purpose.
local common = require("common")
common.install()

local headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }

function init(args)
  common.seed_random()
  local password = common.env("BENCH_PASSWORD")
  local requests = {}
  for id = 1, common.int_env("BENCH_USERS") do
    local body = string.format("username=user%d&password=%s", id, password)
    table.insert(requests, wrk.format("POST", nil, headers, body))
  end
  request = common.pick_from(requests)
end
