-- The drill's mixed load for one node (bench/drill.py, phase 1), from wrk so that the load
-- generator's own CPU stays small beside the node's on a 2-core machine: clerks, officers and
-- the CA in turn, each with its session cookie (DRILL_CLERK, DRILL_OFFICER, DRILL_CA), every
-- third clerk request a new draft (DRILL_AGENCY), the rest the pages of bench/drill.py PAGES.
local pages = {
  clerk = {"/van-ban/", "/thiet-bi/", "/chung-thu/", "/"},
  officer = {"/van-ban/", "/chung-thu/", "/thong-ke/", "/"},
  ca = {"/van-ban/", "/chung-thu/", "/thong-ke/", "/giam-sat-ky-so/"},
}
local order = {"clerk", "officer", "ca"}
local csrf = string.rep("d", 32)
local cookies = {
  clerk = os.getenv("DRILL_CLERK"),
  officer = os.getenv("DRILL_OFFICER"),
  ca = os.getenv("DRILL_CA"),
}
local agency = os.getenv("DRILL_AGENCY")
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
