-- One fixed URL asked again with the ETag the client already has (BENCH_ETAG): every answer should be
-- a 304 without a body, and anything else counts as an error here.
local common = require("common")
common.install()

wrk.headers["If-None-Match"] = common.env("BENCH_ETAG")

function response(status, headers, body)
  if status ~= 304 then
    non_2xx = non_2xx + 1
  end
end
