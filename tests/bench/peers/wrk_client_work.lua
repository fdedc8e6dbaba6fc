-- wrk made to spend SPIN_US microseconds of its own CPU on each response, as a client that
-- does more with an answer than count it would (run.py's "wrk doing the plugin's extra
-- work" row). os.clock() is the process's CPU time.
local spin = tonumber(os.getenv("SPIN_US") or "0") / 1e6

response = function(status, headers, body)
  local start = os.clock()
  while os.clock() - start < spin do
  end
end
