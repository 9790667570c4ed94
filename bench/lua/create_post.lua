-- POST a new published post with two distinct seeded tags; every body is unique (run nonce, thread,
-- counter). With BENCH_TOKEN the caller is authenticated (Kaira); without it the author is passed as
-- ?author_id=N, as the tutorial's API (seedref) expects.
local common = require("common")
common.install()

local prefix = wrk.path
local counter = 0
local headers = { ["Content-Type"] = "application/json" }
local nonce, tags, users, token

function init(args)
  common.seed_random()
  nonce = common.env("BENCH_NONCE")
  tags = common.list_env("BENCH_TAGS")
  users = common.int_env("BENCH_USERS")
  token = common.env("BENCH_TOKEN", "")
  if token ~= "" then
    headers["Authorization"] = "Bearer " .. token
  end
end

function request()
  counter = counter + 1
  local first = math.random(#tags)
  local second = math.random(#tags - 1)
  if second >= first then
    second = second + 1
  end
  local body = string.format(
    '{"title":"Bench post %s-%d-%d","content":"Written by the load benchmark, run %s, thread %d, '
      .. 'request %d. Nothing to read here.","is_published":true,"tags":["%s","%s"]}',
    nonce, thread_id, counter, nonce, thread_id, counter, tags[first], tags[second])
  local path = prefix
  if token == "" then
    path = prefix .. "?author_id=" .. math.random(users)
  end
  return wrk.format("POST", path, headers, body)
end
