-- One fixed URL (the one on wrk's command line), e.g. a list page or a deep page by skip or cursor.
local common = require("common")
common.install()
