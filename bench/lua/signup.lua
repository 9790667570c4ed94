-- POST a sign-up whose username and email are unique per request (run nonce, thread, counter), so
-- every request does the full work (validation, password hash, insert) and none is a duplicate.
local common = require("common")
common.install()

local counter = 0
local headers = { ["Content-Type"] = "application/json" }
local nonce, password

function init(args)
  common.seed_random()
  nonce = common.env("BENCH_NONCE")
  password = common.env("BENCH_PASSWORD")
end

function request()
  counter = counter + 1
  local name = string.format("b%s_%d_%d", nonce, thread_id, counter)
  local body = string.format('{"username":"%s","email":"%s@example.com","password":"%s"}',
    name, name, password)
  return wrk.format("POST", nil, headers, body)
end
