-- One runaway board: device 999 replaying batches of 100 readings as fast as wrk can, each reading with a new seq.
local seq = 0
request = function()
  local items = {}
  for i = 1, 100 do
    seq = seq + 1
    items[i] = string.format('{"device_id":999,"temperature":21.5,"humidity":50,"seq":%d}', seq)
  end
  return wrk.format("POST", "/api/readings/batch", { ["Content-Type"] = "application/json" },
    '{"readings":[' .. table.concat(items, ",") .. ']}')
end
