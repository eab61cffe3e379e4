-- The hot lists a CA operator opens, one after another (bench/bench_load.py). Each wrk
-- connection walks the list from its own starting point, so every page is always in flight.
-- Prints the p95 latency, which wrk's report lacks.
local paths = {
  "/chung-thu/",
  "/van-ban/",
  "/ca/hang-doi/",
  "/thiet-bi/",
  "/thiet-bi/mau-07/",
  "/thiet-bi/thu-hoi/",
  "/api/v1/chung-thu/",
  "/api/v1/van-ban/",
  "/api/v1/thiet-bi/",
}
local counter = 0

function setup(thread)
  thread:set("counter", counter)
  counter = counter + 3
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  io.write(string.format("p95 latency: %.1fms\n", latency:percentile(95) / 1000))
end
