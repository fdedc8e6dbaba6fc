-- wrk made to spend SPIN_US microseconds of its own CPU on each response, as a client that
-- does more with an answer than count it would (run.py's rows "wrk ... spending the
-- plugin's extra CPU"). os.clock() is the process's CPU time.
local spin = tonumber(os.getenv("SPIN_US") or "0") / 1e6

response = function(status, headers, body)
  local start = os.clock()
  while os.clock() - start < spin do
  end
end
