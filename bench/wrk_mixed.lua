-- The mixed load of one node (bench/bench_load.py on the 1M dataset, bench/drill.py phase 1),
-- from wrk so that the load generator's own CPU stays small beside the node's on a 2-core
-- machine: clerks, officers and the CA in turn, each with its session cookie (MIX_CLERK,
-- MIX_OFFICER, MIX_CA), every third clerk request a new draft in the clerk's agency
-- (MIX_AGENCY), the rest the pages below. Prints the p95 latency, which wrk's report lacks.
local pages = {
  clerk = {"/van-ban/", "/thiet-bi/", "/chung-thu/", "/"},
  officer = {"/van-ban/", "/chung-thu/", "/thong-ke/", "/"},
  ca = {"/van-ban/", "/chung-thu/", "/thong-ke/", "/giam-sat-ky-so/"},
}
local order = {"clerk", "officer", "ca"}
local csrf = string.rep("d", 32)
local cookies = {
  clerk = os.getenv("MIX_CLERK"),
  officer = os.getenv("MIX_OFFICER"),
  ca = os.getenv("MIX_CA"),
}
local agency = os.getenv("MIX_AGENCY")
local counter = 0

function setup(thread)
  thread:set("counter", counter)
  counter = counter + 7
end

function request()
  counter = counter + 1
  local role = order[(counter % 3) + 1]
  local turn = math.floor(counter / 3)
  local headers = {Cookie = "sessionid=" .. cookies[role] .. "; csrftoken=" .. csrf}
  if role == "clerk" and turn % 3 == 0 then
    headers["Content-Type"] = "application/x-www-form-urlencoded"
    local body = "form=01&agency=" .. agency .. "&csrfmiddlewaretoken=" .. csrf
    return wrk.format("POST", "/van-ban/tao/", headers, body)
  end
  local list = pages[role]
  return wrk.format("GET", list[(turn % #list) + 1], headers)
end

function done(summary, latency, requests)
  io.write(string.format("p95 latency: %.1fms\n", latency:percentile(95) / 1000))
end
