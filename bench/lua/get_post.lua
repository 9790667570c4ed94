-- GET a random post that an anonymous reader may see: ids 1..BENCH_POSTS without the drafts, which
-- the seed makes every BENCH_DRAFT_EVERY-th id (0: none). The URL's path is the prefix, e.g. /api/posts/.
local common = require("common")
common.install()

local prefix = wrk.path

function init(args)
  common.seed_random()
  local posts = common.int_env("BENCH_POSTS")
  local draft_every = common.int_env("BENCH_DRAFT_EVERY", 0)
  local requests = {}
  for id = 1, posts do
    if draft_every == 0 or id % draft_every ~= 0 then
      table.insert(requests, wrk.format("GET", prefix .. id))
    end
  end
  request = common.pick_from(requests)
end
