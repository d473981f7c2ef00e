-- 100 readings of ONE device per request, as a board replaying its own buffer sends them (random device 1..100).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
math.randomseed(os.time())
request = function()
  local device = math.random(1, 100)
  local items = {}
  for i = 1, 100 do
    items[i] = string.format('{"device_id":%d,"temperature":%.1f,"humidity":%.1f}',
      device, 20 + math.random() * 5, 50 + math.random() * 10)
  end
  return wrk.format(nil, "/api/readings/batch", nil, '{"readings":[' .. table.concat(items, ",") .. ']}')
end
