-- One runaway board: device 999 posting as fast as wrk can, each reading with a new seq.
local seq = 0
request = function()
  seq = seq + 1
  return wrk.format("POST", "/api/reading", { ["Content-Type"] = "application/json" },
    string.format('{"device_id":999,"temperature":21.5,"humidity":50,"seq":%d}', seq))
end
